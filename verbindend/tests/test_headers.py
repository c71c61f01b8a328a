"""
Personal responses say "keep no copy, list nowhere" whatever their kind; public pages do not need to.

Every URL with a personal link in it answers, in HTML, .ics, JSON or PDF, and
with its errors, `Cache-Control: no-store, private` and `X-Robots-Tag:
noindex`; so do the staff downloads of personal data.
"""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.urls import reverse

from cohorts.services import calendars, links
from registry import services as registry_services
from registry.models import Certificate

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.removeprefix(settings.SITE_URL)


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def assert_personal(response, what):
    cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache_control, (what, response.get("Cache-Control"))
    assert "noindex" in response.get("X-Robots-Tag", ""), (what, response.get("X-Robots-Tag"))


def certified_story(settings, tmp_path) -> dict:
    """
    Return a completed course run whose one participant, Anna, has been issued an accredited certificate.

    Its files are written under tmp_path. The keys: "cohort", "anna", "registration" (hers) and "certificate".
    """
    from registry.models import Accreditation
    from registry.tests.conftest import completed_run

    settings.MEDIA_ROOT = tmp_path
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number = "SLR-2026-0042"
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    cohort, people = completed_run({"Anna": range(1, 7)})
    registry_services.issue_cohort_certificates(cohort=cohort)
    anna = people["Anna"]
    return {
        "cohort": cohort,
        "anna": anna,
        "registration": anna.registration,
        "certificate": Certificate.objects.get(participant=anna),
    }


@pytest.fixture
def story(settings, tmp_path):
    trainer = User.objects.create_user("jan", password="x-secret-123", is_staff=True)
    trainer.groups.add(Group.objects.get(name="Trainer"))
    return {**certified_story(settings, tmp_path), "trainer": trainer}


def personal_urls(story):
    registration, anna = story["registration"], story["anna"]
    board = path_of(links.board_page_url(registration))
    participant = path_of(links.participant_page_url(anna))
    token = token_of(participant)
    story["tokens"] = [token_of(board), token, token_of(links.enrolment_url(registration))]
    story["tokens"].append(token_of(calendars.calendar_feed_url(story["trainer"])))
    return {
        "board page (HTML)": (board, "text/html"),
        "board data (HTML)": (reverse("public:registration_data", args=[token_of(board)]), "text/html"),
        "board data (JSON)": (
            reverse("public:registration_data", args=[token_of(board)]) + "?format=json",
            "application/json",
        ),
        "enrolment page (HTML)": (path_of(links.enrolment_url(registration)), "text/html"),
        "participant page (HTML)": (participant, "text/html"),
        "participant schedule (.ics)": (reverse("public:participant_calendar", args=[token]), "text/calendar"),
        "participant data (JSON)": (
            reverse("public:participant_data", args=[token]) + "?format=json",
            "application/json",
        ),
        "participant certificate (PDF)": (
            reverse("public:participant_certificate", args=[token, story["certificate"].pk]),
            "application/pdf",
        ),
        "trainer's calendar feed (.ics)": (
            path_of(calendars.calendar_feed_url(story["trainer"])),
            "text/calendar",
        ),
    }


def test_every_personal_response_is_neither_stored_nor_indexed(client, story):
    for what, (url, content_type) in personal_urls(story).items():
        response = client.get(url)
        assert response.status_code == 200, what
        assert response["Content-Type"].startswith(content_type), what
        assert_personal(response, what)


def test_errors_on_a_personal_link_are_neither_stored_nor_indexed(client, story):
    urls = personal_urls(story)
    for what, (url, _content_type) in urls.items():
        forged = url
        for token in story["tokens"]:
            forged = forged.replace(token, "vervalst:sleutel")
        assert forged != url, what
        response = client.get(forged)
        assert response.status_code == 404, what
        assert_personal(response, f"{what}, forged")
    # A path under a personal link that names no page at all.
    unknown = client.get(urls["board page (HTML)"][0] + "bestaat/niet/")
    assert unknown.status_code == 404
    assert_personal(unknown, "unknown path under a board link")
    board = path_of(links.board_page_url(story["registration"]))
    refused = client.put(board)
    assert refused.status_code == 405
    assert_personal(refused, "board page, PUT")


def test_staff_downloads_of_personal_data_are_neither_stored_nor_indexed(client, story):
    office = User.objects.create_user("els", password="x-secret-123", is_staff=True)
    office.groups.add(Group.objects.get(name="Kantoor"))
    client.force_login(office)
    cohort = story["cohort"]
    downloads = {
        "certificate (PDF)": reverse("registry:staff_certificate", args=[story["certificate"].pk]),
        "certificates (zip)": reverse("admin:registry_certificates_zip", args=[cohort.pk]),
        "register export (CSV)": reverse("admin:registry_register_export", args=[cohort.pk]) + "?format=csv",
    }
    for what, url in downloads.items():
        response = client.get(url)
        assert response.status_code == 200, what
        assert_personal(response, what)


def test_public_pages_stay_indexable(client):
    for url in ["/", reverse("public:registration"), reverse("public:verify_form"), reverse("privacy")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "X-Robots-Tag" not in response, url


def test_the_language_cookie_stays_on_this_site_and_away_from_scripts(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie["samesite"] == "Lax"
    assert cookie["httponly"]
    assert cookie["secure"] == (settings.LANGUAGE_COOKIE_SECURE or "")
    assert settings.LANGUAGE_COOKIE_SECURE == settings.SESSION_COOKIE_SECURE
