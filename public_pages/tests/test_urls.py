"""The public pages keep the paths people have in their e-mails, bookmarks and calendars, and the links lead there."""

import pytest
from django.urls import resolve, reverse

from cohorts.services import calendars, links
from cohorts.tests.factories import RawParticipantFactory
from public_pages import board, downloads, verification, views
from registry import views as registry_views

# Every path as it was sent out before the pages moved to their own app.
PATHS = [
    ("public:registration", {}, "/aanmelden/", views.registration),
    ("public:registration_thanks", {}, "/aanmelden/bedankt/", views.registration_thanks),
    ("public:board", {"token": "T"}, "/bestuur/T/", board.board_page),
    (
        "public:participant_edit",
        {"token": "T", "participant_id": 7},
        "/bestuur/T/deelnemer/7/",
        board.participant_edit,
    ),
    ("public:registration_data", {"token": "T"}, "/bestuur/T/gegevens/", downloads.registration_own_data),
    ("public:enrol", {"token": "T"}, "/inschrijven/T/", board.enrol),
    ("public:enrol_thanks", {"token": "T"}, "/inschrijven/T/bedankt/", board.enrol_thanks),
    ("public:participant", {"token": "T"}, "/deelnemer/T/", views.participant_page),
    ("public:participant_calendar", {"token": "T"}, "/deelnemer/T/rooster.ics", downloads.participant_calendar),
    ("public:participant_data", {"token": "T"}, "/deelnemer/T/mijn-gegevens/", downloads.participant_own_data),
    (
        "public:participant_certificate",
        {"token": "T", "certificate_id": 3},
        "/deelnemer/T/certificaat/3/",
        downloads.participant_certificate,
    ),
    ("public:calendar_feed", {"token": "T"}, "/agenda/T/", downloads.calendar_feed),
    ("public:verify_form", {}, "/verificatie/", verification.verify_form),
    ("public:verify", {"code": "VL-2026-01-001"}, "/verificatie/VL-2026-01-001/", verification.verify),
    ("registry:staff_certificate", {"certificate_id": 3}, "/beheer/certificaat/3/", registry_views.staff_certificate),
]


@pytest.mark.parametrize(("name", "kwargs", "path", "view"), PATHS, ids=[row[0] for row in PATHS])
def test_each_page_keeps_its_path(name, kwargs, path, view):
    assert reverse(name, kwargs=kwargs) == path
    assert resolve(path).func is view


@pytest.mark.django_db
def test_the_personal_links_in_the_e_mails_open_the_public_pages(settings, admin_user):
    participant = RawParticipantFactory()
    registration = participant.registration
    opened = {
        links.board_page_url(registration): board.board_page,
        links.enrolment_url(registration): board.enrol,
        links.participant_page_url(participant): views.participant_page,
        calendars.calendar_feed_url(admin_user): downloads.calendar_feed,
    }
    for url, view in opened.items():
        assert url.startswith(settings.SITE_URL + "/")
        assert resolve(url.removeprefix(settings.SITE_URL)).func is view
