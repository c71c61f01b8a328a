"""A person's own data (AVG): participants and board contacts download everything held about them, and only that."""

import datetime
import json
import re

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from billing.services import offers
from billing.tests.factories import filled_in_provider, priced_programme
from cohorts.models import Attendance, IntakeAppointment
from cohorts.services import attendance as attendance_services
from cohorts.services import enrolment, links
from cohorts.services.attendance import AttendanceEntry
from cohorts.tests.factories import CourseDayFactory, RawParticipantFactory, RawRegistrationFactory, participant_data
from conftest import FIXED_NOW
from evaluations.models import Invitation
from mail.services.queueing import queue_email
from materials.services.assignments import submit_final_assignment
from materials.tests import factories as material_files
from privacy.models import Consent
from privacy.selectors import SPECS
from privacy.services import record_consent
from registry import exports
from registry.models import Certificate

# What the pages and files hold depends on today: the days that have passed, the notices still possible.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
PAST = FIXED_NOW.date() - datetime.timedelta(days=14)
COMING = FIXED_NOW.date() + datetime.timedelta(days=14)


def path(url):
    return url.replace("http://127.0.0.1:8000", "")


def test_a_participant_downloads_their_own_data_as_json(client, django_capture_on_commit_callbacks):
    registration = RawRegistrationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        participant = enrolment.enroll_participant(
            registration=registration, data=participant_data(1, register_number=""), consent_form="inschrijven"
        )
    other = RawParticipantFactory(registration=registration)
    url = path(links.participant_page_url(participant)) + "mijn-gegevens/"
    response = client.get(url, {"format": "json"})
    data = json.loads(response.content)
    assert data["details"]["email"] == participant.email
    assert data["enrolment"]["course_run"] == registration.cohort.code
    assert [m["subject"] for m in data["emails"]] == ["Welkom bij Verbindend leiderschap"]
    assert {c["purpose"] for c in data["consents"]} == {Consent.Purpose.ENROLMENT, Consent.Purpose.REGISTER_REPORTING}
    assert other.email not in response.content.decode()
    page = client.get(url).content.decode()
    assert participant.email in page and "Alles wat we over u bewaren" in page


def test_a_board_contact_downloads_the_registrations_data(client):
    registration = RawRegistrationFactory(contact_email="contact@bestuur.example.nl")
    mine = RawParticipantFactory(registration=registration)
    theirs = RawParticipantFactory()
    url = path(links.board_page_url(registration)) + "gegevens/"
    data = json.loads(client.get(url, {"format": "json"}).content)
    assert data["contact"]["email"] == "contact@bestuur.example.nl"
    assert [p["email"] for p in data["participants"]] == [mine.email]
    assert theirs.email not in json.dumps(data)


@pytest.mark.parametrize("url", ["/deelnemer/forged:x/mijn-gegevens/", "/bestuur/forged:x/gegevens/"])
def test_forged_links_get_nothing(client, url):
    assert client.get(url, {"format": "json"}).status_code == 404


def test_the_enrolment_link_does_not_open_the_boards_data(client):
    registration = RawRegistrationFactory()
    token = links.enrolment_url(registration).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/bestuur/{token}/gegevens/").status_code == 404


# --- The page: the same data as a page for a person ------------------------

PARTICIPANT_KEYS = {
    "details": [
        "initials", "first_name", "tussenvoegsel", "last_name", "email", "role", "school", "brin",
        "register_number", "language",
    ],
    "enrolment": ["programme", "course_run", "board", "status", "enrolled_at", "withdrawn_at"],
    "attendance": ["day", "date", "attendance", "note", "notified_absence"],
    "certificates": ["number", "kind", "status", "issued"],
    "register_exports": ["exported", "kind", "register_number", "completed", "certificate_number"],
    "final_assignment": ["file_name", "uploaded_at", "status", "feedback"],
    "evaluations": ["form", "day", "sent_on", "answered"],
    "emails": ["subject", "queued", "sent", "status"],
    "consents": ["purpose", "statement_version", "form", "given"],
}  # fmt: skip
REGISTRATION_KEYS = {
    "board": ["name", "kind", "bestuursnummer", "swv_code", "sector", "place"],
    "contact": ["name", "function", "email", "phone"],
    "registration": [
        "received", "status", "expected_participants", "preferred_period", "preferred_place", "remarks", "course_run",
    ],
    "intakes": ["start", "how", "status"],
    "participants": ["name", "email", "status"],
    "offers": [
        "number", "version", "status", "made", "contact", "total", "accepted", "accepted_by", "accepted_by_email",
        "po_number", "invoice_address", "invoice_email", "cost_centre", "kvk_number",
    ],
    "emails": ["subject", "queued", "sent", "status"],
    "consents": ["purpose", "statement_version", "form", "given"],
}  # fmt: skip
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|T\d{2}:\d{2}")


def keys_of(data: dict) -> dict[str, list[str]]:
    return {
        section: list(value) if isinstance(value, dict) else list(value[0]) if value else []
        for section, value in data.items()
    }


def text_of(html: str) -> str:
    """The page's visible words, tags taken out."""
    main = html.split("<main", 1)[-1].split(">", 1)[-1]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def labels_of(html: str, tag: str) -> list[str]:
    found = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", html)
    return [" ".join(re.sub(r"<[^>]+>", "", label).split()) for label in found]


@pytest.fixture
def full_participant(django_capture_on_commit_callbacks, settings, tmp_path):
    """
    A participant with something in every section: attendance taken, an absence notified, a certificate, their
    final assignment uploaded, the first day's evaluation answered.
    """
    settings.PRIVATE_FILES_ROOT = tmp_path
    registration = RawRegistrationFactory()
    cohort = registration.cohort
    with django_capture_on_commit_callbacks(execute=True):
        participant = enrolment.enroll_participant(
            registration=registration, data=participant_data(1, register_number=""), consent_form="inschrijven"
        )
    first = CourseDayFactory(cohort=cohort, programme_day=cohort.programme.days.get(number=1), date=PAST)
    second = CourseDayFactory(cohort=cohort, programme_day=cohort.programme.days.get(number=2), date=COMING)
    Attendance.objects.create(participant=participant, course_day=first, status=Attendance.Status.PRESENT)
    enrolment.notify_absence(participant=participant, day=second)
    Certificate.objects.create(
        participant=participant,
        number="VL-2026-01-001",
        kind=Certificate.Kind.CERTIFICATE,
        snapshot={},
        issued_at=timezone.make_aware(datetime.datetime(2026, 2, 9, 14, 5)),
    )
    exports.export(cohort=cohort, kind="csv")
    cohort.programme.final_assignment_required = True
    cohort.programme.save(update_fields=["final_assignment_required"])
    submit_final_assignment(participant=participant, upload=material_files.upload("eindopdracht.pdf"))
    Invitation.objects.create(
        participant=participant,
        cohort=cohort,
        course_day=first,
        kind=Invitation.Kind.DAY,
        sent_on=PAST,
        expires_on=PAST + datetime.timedelta(days=21),
        answered=True,
    )
    return participant


def own_data_path(participant) -> str:
    return path(links.participant_page_url(participant)) + "mijn-gegevens/"


def test_the_download_keeps_every_key(client, full_participant):
    data = json.loads(client.get(own_data_path(full_participant), {"format": "json"}).content)
    assert keys_of(data) == PARTICIPANT_KEYS
    assert data["enrolment"]["status"] == "enrolled"  # machine-readable: the value, not its label
    assert data["attendance"][1]["notified_absence"] is True
    registration = full_participant.registration
    IntakeAppointment.objects.create(
        registration=registration, starts_at=timezone.now() + datetime.timedelta(days=3), mode="video"
    )
    record_consent(subject=registration, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
    queue_email(to=registration.contact_email, template="mail/test", context={}, key="own-data-board")
    filled_in_provider()
    priced_programme()
    offers.make_offer(registration=registration)
    board_url = path(links.board_page_url(registration)) + "gegevens/"
    board_data = json.loads(client.get(board_url, {"format": "json"}).content)
    assert keys_of(board_data) == REGISTRATION_KEYS


def test_every_key_of_the_data_has_a_label_and_a_title():
    for kind, keys in (("participant", PARTICIPANT_KEYS), ("registration", REGISTRATION_KEYS)):
        assert list(SPECS[kind]) == list(keys), kind
        for section, names in keys.items():
            assert list(SPECS[kind][section][2]) == names, (kind, section)


def test_the_dutch_page_reads_as_a_page_for_a_person(client, full_participant):
    html = client.get(own_data_path(full_participant)).content.decode()
    text = text_of(html)
    assert labels_of(html, "h2") == [
        "Persoonsgegevens", "Uw inschrijving", "Aanwezigheid", "Certificaten",
        "Meldingen aan het Schoolleidersregister", "Eindopdracht",
        "Evaluaties die u gevraagd zijn (uw antwoorden worden bewaard zonder uw naam)", "E-mails die we u stuurden",
        "Uw toestemming",
    ]  # fmt: skip
    labels = labels_of(html, "dt")
    assert {"Voornaam", "Tussenvoegsel", "Achternaam", "E-mailadres", "Registernummer", "Taal", "Uitvoering"} <= set(
        labels
    )
    assert all(label[0].isupper() and "_" not in label for label in labels), labels
    raw = {key for names in PARTICIPANT_KEYS.values() for key in names} | set(PARTICIPANT_KEYS)
    assert not [key for key in raw if "_" in key and key in text]
    assert not {"details", "enrolment", "emails", "consents", "first_name", "enrolled"} & set(text.split())
    assert "True" not in text and "False" not in text
    assert not ISO.findall(text), ISO.findall(text)
    assert "ingeschreven" in text  # the status's label
    assert "Nederlands" in text  # the language, by name
    assert "Ja" in labels_of(html, "dd") and "Nee" in labels_of(html, "dd")  # the notified absence, per day
    assert f"{PAST.day} {date_format(PAST, 'F')} {PAST.year}" in text
    assert "9 februari 2026, 14:05" in text  # the certificate's issue, in Amsterdam time
    assert "het inschrijfformulier" in text  # where consent was given


def test_the_english_page_is_in_english(client, full_participant, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(own_data_path(full_participant)).content.decode()
    text = text_of(html)
    assert labels_of(html, "h2") == [
        "Personal details", "Your enrolment", "Attendance", "Certificates", "Reports to the Schoolleidersregister",
        "Final assignment", "Evaluations you were asked for (your answers are kept without your name)",
        "E-mails we sent you", "Your consent",
    ]  # fmt: skip
    assert {"First name", "Last name", "E-mail address", "Register number", "Language"} <= set(labels_of(html, "dt"))
    assert "Yes" in labels_of(html, "dd") and "No" in labels_of(html, "dd")
    assert "enrolled" in text and "Dutch" in text
    assert "9 February 2026, 14:05" in text
    assert "True" not in text and not ISO.findall(text)
    assert "Back to your course page" in text


def test_the_pages_lead_back_to_where_the_person_came_from(client, full_participant):
    page = client.get(path(links.participant_page_url(full_participant)))
    own_data = client.get(own_data_path(full_participant)).content.decode()
    assert f'href="{page.wsgi_request.path}"' in own_data
    assert "Terug naar uw cursuspagina" in own_data
    registration = full_participant.registration
    board_path = path(links.board_page_url(registration))
    board_data = client.get(board_path + "gegevens/").content.decode()
    assert f'href="{board_path}"' in board_data and "Terug naar de bestuurspagina" in board_data
    text = text_of(board_data)
    assert labels_of(board_data, "h2")[:3] == ["Het bestuur", "Contactpersoon", "De aanmelding"]
    assert "schoolbestuur" in text and not ISO.findall(text) and "_" not in " ".join(labels_of(board_data, "dt"))


def test_the_page_takes_as_many_queries_with_more_days_e_mails_and_consents(
    client, full_participant, django_assert_num_queries
):
    url = own_data_path(full_participant)
    # (One of them: the final assignment, which materials holds.)
    with django_assert_num_queries(11):
        assert client.get(url).status_code == 200
    cohort = full_participant.cohort
    for number in (3, 4, 5):
        day = CourseDayFactory(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=number),
            date=COMING + datetime.timedelta(weeks=number),
        )
        enrolment.notify_absence(participant=full_participant, day=day)
    for n in range(3):
        queue_email(to=full_participant.email, template="mail/test", context={}, key=f"own-data-{n}")
    with django_assert_num_queries(11):
        page = client.get(url)
    assert page.status_code == 200
    values = labels_of(page.content.decode(), "dd")
    # Each coming day as an item of its own: its number, its date, no mark nor note yet, the absence notified.
    with translation.override("nl"):
        for day in cohort.days.filter(date__gte=COMING):
            item = [str(day.programme_day.number), date_format(day.date, "j F Y"), "–", "–", "Ja"]
            assert any(values[i : i + 5] == item for i in range(len(values))), item
    assert values.count("Testbericht van Verbindend") == 3


def test_the_download_holds_the_attendance_notes_and_the_register_reports_that_name_the_person(
    client, django_capture_on_commit_callbacks
):
    registration = RawRegistrationFactory()
    cohort = registration.cohort
    with django_capture_on_commit_callbacks(execute=True):
        mine, theirs = (
            enrolment.enroll_participant(registration=registration, data=participant_data(n)) for n in (1, 2)
        )
    for participant, number in ((mine, "1234567"), (theirs, "7654321")):
        participant.register_number = number
        enrolment.save_participant(participant=participant)
    day = CourseDayFactory(cohort=cohort, programme_day=cohort.programme.days.get(number=1), date=PAST)
    attendance_services.record_attendance(
        cohort=cohort,
        entries=[
            AttendanceEntry(mine.pk, day.pk, Attendance.Status.ABSENT, "ziek gemeld"),
            AttendanceEntry(theirs.pk, day.pk, Attendance.Status.ABSENT, "op vakantie"),
        ],
        recorded_by=None,
    )
    exports.export(cohort=cohort, kind="csv")
    data = json.loads(client.get(own_data_path(mine), {"format": "json"}).content)
    assert [a["note"] for a in data["attendance"]] == ["ziek gemeld"]
    assert [(r["kind"], r["register_number"], r["completed"]) for r in data["register_exports"]] == [
        ("csv", "1234567", False)
    ]
    text = json.dumps(data)
    assert "7654321" not in text and "op vakantie" not in text
    page = text_of(client.get(own_data_path(mine)).content.decode())
    assert "ziek gemeld" in page and "1234567" in page and "Meldingen aan het Schoolleidersregister" in page
