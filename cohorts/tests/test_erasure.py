"""
Erasure: after a person's whole story went through the services, no table holds them but the kept certificate.

The story is built as it happens (registration, intake, course run, enrolment, schedule, confirmation, a moved
day, reminders, an absence notified, attendance, completion, certificate, register export), every e-mail
queued and sent through the outbox. The scan reads every column of every table, as the AVG asks: text, JSON,
binary and files, mail attachments included, after unfolding folded iCalendar and MIME lines and decoding
quoted-printable and base64.
"""

import base64
import binascii
import contextlib
import datetime
import html
import json
import quopri
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail as django_mail
from django.db import models
from django.urls import reverse

from cohorts.models import Attendance, CourseDay, IntakeAppointment, Participant, Registration
from cohorts.services import (
    assignments,
    attendance,
    enrolment,
    intakes,
    links,
    registrations,
    reminders,
    runs,
    scheduling,
)
from cohorts.services.attendance import AttendanceEntry
from mail.models import OutgoingMail
from privacy import services as privacy
from registry import exports
from registry import services as registry_services
from registry.models import Certificate
from registry.tests.conftest import accreditation, completed_run  # noqa: F401 (fixtures)

from .factories import participant_data, seeded_programme

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NAME, LAST, EMAIL, NUMBER = "Henriëtte", "Zuiderduin", "h.zuiderduin@school.example.nl", "0077123"
CONTACT, CONTACT_EMAIL, PHONE = "Wilhelmina Oosterbeek", "w.oosterbeek@bestuur.example.nl", "0612398745"
# The kept certificate: what it printed stays, so that it still verifies.
KEPT = "registry.Certificate.snapshot:"


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=AMSTERDAM)


# --- The scan -----------------------------------------------------------------

BASE64 = re.compile(rb"[A-Za-z0-9+/=\r\n]{16,}")


def readable(raw: bytes) -> str:
    """Every way the bytes can be read: as stored, unfolded (RFC 5545, 5322), quoted-printable and base64 decoded."""
    unfolded = re.sub(rb"\r?\n[ \t]", b"", raw)
    forms = [raw, unfolded, quopri.decodestring(unfolded)]
    for run in BASE64.findall(raw):
        run = re.sub(rb"\s|=", b"", run)
        with contextlib.suppress(binascii.Error, ValueError):
            forms.append(base64.b64decode(run[: len(run) - len(run) % 4]))
    text = "\n".join(form.decode("utf-8", "replace") for form in forms)
    # iCalendar escapes commas and semicolons; HTML may escape letters.
    return text + "\n" + html.unescape(text).replace("\\,", ",").replace("\\;", ";")


def stored(field: models.Field, value) -> bytes | None:
    if value is None:
        return None
    if isinstance(field, models.FileField):
        if not value:
            return None
        with value.open("rb") as file:
            return file.read()
    if isinstance(field, models.BinaryField):
        return bytes(value)
    if isinstance(field, models.JSONField):
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


def rows_holding(*values: str) -> list[str]:
    """Every model, field and row whose stored value holds any of the values, in any of its readable forms."""
    wanted = [v.lower() for v in values]
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if not f.is_relation and not f.primary_key]
        for row in model._base_manager.all():
            for field in fields:
                raw = stored(field, getattr(row, field.attname))
                if raw is None:
                    continue
                text = readable(raw).lower()
                found += [f"{model._meta.label}.{field.name}:{row.pk}:{v}" for v in wanted if v in text]
    return found


# --- The story ------------------------------------------------------------------


@dataclass
class Story:
    registration: Registration
    participant: Participant
    cohort: object
    certificate: Certificate


def build_story(capture) -> Story:
    """Tell a board contact's and a leader's story through the services, every e-mail sent through the outbox."""
    programme = seeded_programme()
    trainer = get_user_model().objects.create_user(
        "trainer", email="trainer@verbindend.example.nl", is_staff=True, first_name="Tom", last_name="Trainer"
    )
    with time_machine.travel(at(datetime.date(2026, 1, 5)), tick=False), capture(execute=True):
        registration = registrations.submit_registration(
            board_data={"name": "Stichting Rivierenland", "kind": "bestuur", "bestuursnummer": "41999", "sector": "po"},
            registration_data={
                "kind": Registration.Kind.NEW_COHORT,
                "cohort": None,
                "contact_name": CONTACT,
                "contact_function": "HR-adviseur",
                "contact_email": CONTACT_EMAIL,
                "contact_phone": PHONE,
                "expected_participants": 12,
                "preferred_period": "voorjaar",
                "preferred_place": "Utrecht",
                "remarks": f"Bel {CONTACT} liefst 's ochtends.",
            },
            submission_key="story",
            language="nl",
            programme=programme,
        )
        intake = intakes.save_intake(
            intake=IntakeAppointment(
                registration=registration,
                trainer=trainer,
                starts_at=at(datetime.date(2026, 1, 12), 15),
                mode=IntakeAppointment.Mode.PHONE,
            ),
            changed_fields=[],
        )
    with time_machine.travel(at(datetime.date(2026, 1, 11)), tick=False), capture(execute=True):
        reminders.send_due_reminders()  # the intake's
    with time_machine.travel(at(datetime.date(2026, 1, 12), 17), tick=False), capture(execute=True):
        intake.status, intake.notes = IntakeAppointment.Status.HELD, f"{CONTACT} wil twaalf leiders sturen."
        intakes.save_intake(intake=intake, changed_fields=["status", "notes"])
        registration.refresh_from_db()
        cohort = registrations.form_cohort(registrations=[registration], programme=programme, trainer=trainer)
        registration.refresh_from_db()
        rows = [participant_data(1, first_name=NAME, last_name=LAST, email=EMAIL, tussenvoegsel="")]
        rows += [participant_data(n) for n in range(2, 13)]
        enrolled = enrolment.enroll_participants(registration=registration, rows=rows)
        person = next(p for p in enrolled if p.email == EMAIL)
        person.register_number = NUMBER
        enrolment.save_participant(participant=person)
        assignments.approve_final_assignment(participant=person, by=trainer)
        first = datetime.date(2026, 2, 2)
        for programme_day in programme.days.order_by("number"):
            scheduling.save_course_day(
                day=CourseDay(
                    cohort=cohort,
                    programme_day=programme_day,
                    date=first + datetime.timedelta(weeks=2 * (programme_day.number - 1)),
                    start_time=datetime.time(9, 30),
                    end_time=datetime.time(16, 30),
                    venue="Hotel De Wageningsche Berg",
                ),
                changed_fields=[],
            )
        runs.confirm_cohort(cohort=cohort)
        last = cohort.days.get(programme_day__number=programme.number_of_days)
        last.date += datetime.timedelta(days=1)
        scheduling.save_course_day(day=last, changed_fields=["date"])  # the day-change notices
    with time_machine.travel(at(datetime.date(2026, 2, 1)), tick=False), capture(execute=True):
        reminders.send_due_reminders()
        enrolment.notify_absence(participant=person, day=cohort.days.get(programme_day__number=2))
    days = list(cohort.days.order_by("date"))
    with time_machine.travel(at(days[-1].date + datetime.timedelta(days=1)), tick=False), capture(execute=True):
        entries = [
            AttendanceEntry(p.pk, day.pk, Attendance.Status.PRESENT, f"{NAME} kwam later" if p == person else "")
            for p in enrolled
            for day in days
        ]
        attendance.record_attendance(cohort=cohort, entries=entries, recorded_by=trainer)
        runs.complete_cohort(cohort=cohort, by=trainer)
        certificate = registry_services.issue_certificate(participant=person, issued_by=trainer)
        exports.export(cohort=cohort, kind="csv", user=trainer)
        exports.mark_reported(cohort=cohort, user=trainer)
    assert not OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).exists()
    assert len(django_mail.outbox) == OutgoingMail.objects.count()
    return Story(registration, person, cohort, certificate)


@pytest.fixture
def story(accreditation, django_capture_on_commit_callbacks):  # noqa: F811
    story = build_story(django_capture_on_commit_callbacks)
    # Before: the two people are in the outbox, the attachments, the audit trail and the exports.
    found = rows_holding(LAST, CONTACT_EMAIL, NUMBER, PHONE)
    for where in ("mail.OutgoingMail.body_text", "mail.OutgoingMailAttachment.content", "audit.AuditEvent.changes"):
        assert any(row.startswith(where) for row in found), where
    assert any(row.startswith("registry.RegisterExport.rows") for row in found)
    return story


def erased_values() -> tuple[str, ...]:
    return (NAME, LAST, EMAIL, NUMBER, CONTACT, "Oosterbeek", CONTACT_EMAIL, PHONE)


def test_after_erasing_both_no_table_holds_them_but_the_kept_certificate(client, story):
    privacy.erase_person(person=story.participant)
    privacy.erase_person(person=story.registration)
    left = [row for row in rows_holding(*erased_values()) if not row.startswith(KEPT)]
    assert left == []
    # The certificate prints the participant's name, never their address or the board's contact.
    kept = rows_holding(*erased_values())
    assert all(row.startswith(KEPT) for row in kept) and not [row for row in kept if EMAIL in row or "Oosterbe" in row]
    page = client.get(reverse("public:verify", args=[story.certificate.verification_code])).content.decode()
    assert "Geldig." in page and LAST in page


def test_erasure_marks_the_records_and_keeps_the_completion_record(story):
    privacy.erase_person(person=story.participant)
    person = Participant.objects.get(pk=story.participant.pk)
    assert person.erased_at is not None and person.first_name == "Gewist"
    assert person.attendances.filter(status=Attendance.Status.PRESENT).count() == story.cohort.days.count()
    assert Certificate.objects.get().snapshot == story.certificate.snapshot
    # The trainer's copies are erased too: every e-mail about the contact, whoever it went to.
    privacy.erase_person(person=story.registration)
    assert not OutgoingMail.objects.filter(about__icontains=f'cohorts.registration:{story.registration.pk}"').exclude(
        erased_at__isnull=False
    )
    assert Registration.objects.get(pk=story.registration.pk).erased_at is not None


def test_an_e_mail_queued_before_rows_named_their_people_is_found_by_its_address(story):
    old = OutgoingMail.objects.create(
        key="before-about", to=[EMAIL.upper()], subject=f"Voor {LAST}", body_text=LAST, language="nl", template="t"
    )
    privacy.erase_person(person=story.participant)
    old.refresh_from_db()
    assert old.erased_at is not None and old.body_text == "" and old.to == []


def test_an_export_after_erasure_does_not_bring_them_back(story):
    privacy.erase_person(person=story.participant)
    content, _type, _name = exports.export(cohort=story.cohort, kind="csv")
    text = content.decode("utf-8-sig")
    assert LAST not in text and EMAIL not in text and NUMBER not in text


def test_the_old_personal_links_stop_working(client, accreditation):  # noqa: F811
    _cohort, people = completed_run({"Anna": range(1, 7)})
    participant_page = links.participant_page_url(people["Anna"]).replace("http://127.0.0.1:8000", "")
    registration = people["Anna"].registration
    board_page = links.board_page_url(registration).replace("http://127.0.0.1:8000", "")
    privacy.erase_person(person=people["Anna"])
    privacy.erase_person(person=registration)
    assert client.get(participant_page).status_code == 404
    assert client.get(board_page).status_code == 404


def test_the_admin_asks_first_and_lists_what_goes_and_stays(admin_client, accreditation):  # noqa: F811
    _cohort, people = completed_run({"Anna": range(1, 7)})
    changelist = reverse("admin:cohorts_participant_changelist")
    page = admin_client.post(
        changelist, {"action": "anonymise", "_selected_action": [people["Anna"].pk]}
    ).content.decode()
    assert "Verwijderd" in page and "Bewaard, en waarom" in page
    people["Anna"].refresh_from_db()
    assert people["Anna"].first_name == "Anna"
    done = admin_client.post(
        changelist, {"action": "anonymise", "_selected_action": [people["Anna"].pk], "confirm": "yes"}, follow=True
    )
    people["Anna"].refresh_from_db()
    assert people["Anna"].first_name == "Gewist" and people["Anna"].erased_at is not None
    # One person is one: no "deelnemer(s)".
    assert "1 deelnemer geanonimiseerd." in done.content.decode()
