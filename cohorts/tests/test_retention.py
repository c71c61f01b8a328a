"""Retention, time-travelled: past its period erased as an erasure would, within it untouched, a rerun does nothing."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cohorts.models import Attendance, CourseDay, Participant, Registration
from mail.models import OutgoingMail, OutgoingMailAttachment
from mail.services.queueing import Attachment, queue_email
from privacy import services as privacy
from privacy.models import Consent
from privacy.services import record_consent
from registry.tests.conftest import accreditation  # noqa: F401 (a fixture)

from .factories import RawParticipantFactory, RawRegistrationFactory
from .test_erasure import KEPT, build_story, erased_values, rows_holding

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def completed_run(last_day):
    registration = RawRegistrationFactory(contact_email="contact@bestuur.example.nl")
    participant = RawParticipantFactory(registration=registration, last_name="Zuiderduin")
    day = CourseDay.objects.create(
        cohort=registration.cohort,
        programme_day=registration.cohort.programme.days.get(number=1),
        date=last_day,
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    Attendance.objects.create(participant=participant, course_day=day, status="present", note="kwam later")
    registration.cohort.status = "completed"
    registration.cohort.save()
    return participant


def test_past_the_period_no_table_holds_the_story_s_people_but_the_kept_certificate(
    client,
    accreditation,  # noqa: F811
    django_capture_on_commit_callbacks,
    settings,
):
    story = build_story(django_capture_on_commit_callbacks)
    last_day = story.cohort.days.order_by("-date").first().date
    within = datetime.datetime.combine(
        last_day + datetime.timedelta(days=settings.RETENTION_CONTACT_DAYS - 1), datetime.time(12), tzinfo=AMSTERDAM
    )
    with time_machine.travel(within, tick=False):
        report = privacy.apply_retention()
    assert report["participants"] == 0 and report["contacts"] == 0
    assert report["emails"] == OutgoingMail.objects.count()  # all of them sent months ago
    # The e-mails lost their text and their attachments; the people are still there.
    assert not OutgoingMailAttachment.objects.exists()
    assert Participant.objects.get(pk=story.participant.pk).last_name == "Zuiderduin"
    past = within + datetime.timedelta(days=2)
    with time_machine.travel(past, tick=False):
        report = privacy.apply_retention()
    assert report == {
        "participants": 12,
        "contacts": 1,
        "unplaced_registrations": 0,
        "emails": 0,
        "final_assignments": 0,
    }
    assert [row for row in rows_holding(*erased_values()) if not row.startswith(KEPT)] == []
    page = client.get(reverse("public:verify", args=[story.certificate.verification_code])).content.decode()
    assert "Geldig." in page
    person = Participant.objects.get(pk=story.participant.pk)
    assert person.erased_at is not None and person.attendances.filter(status="present").count() == 6


def test_retention_and_erasure_anonymise_alike(accreditation, django_capture_on_commit_callbacks):  # noqa: F811
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, tzinfo=AMSTERDAM), tick=False):
        erased, kept = completed_run(datetime.date(2026, 1, 5)), completed_run(datetime.date(2026, 1, 5))
        privacy.erase_person(person=erased)
    with time_machine.travel(datetime.datetime(2027, 2, 1, 12, tzinfo=AMSTERDAM), tick=False):
        privacy.apply_retention()
    fields = ["first_name", "initials", "tussenvoegsel", "last_name", "school", "brin", "register_number"]
    by_erasure, by_retention = (Participant.objects.values(*fields).get(pk=p.pk) for p in (erased, kept))
    assert by_erasure == by_retention == dict.fromkeys(fields, "") | {"first_name": "Gewist"}
    assert Participant.objects.get(pk=kept.pk).email == f"gewist-{kept.pk}@verbindend.invalid"
    # Random keys, never derived from the row: an old link cannot be rebuilt.
    keys = dict(Participant.objects.values_list("pk", "access_key"))
    assert len(set(keys.values())) == 2 and not [pk for pk, key in keys.items() if key == f"gewist-{pk}"]


def test_retention_over_time():
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, tzinfo=AMSTERDAM), tick=False):
        old = completed_run(datetime.date(2026, 1, 5))
        unplaced = RawRegistrationFactory(cohort=None, status="received")
        record_consent(subject=unplaced, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
        invitation = Attachment("intake.ics", b"ATTENDEE:mailto:iemand@example.nl\r\n", "text/calendar")
        queue_email(to="iemand@example.nl", template="mail/test", context={}, key="old-mail", attachments=[invitation])
        OutgoingMail.objects.update(status="sent", sent_at=datetime.datetime(2026, 1, 10, 12, tzinfo=AMSTERDAM))
    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        recent = completed_run(datetime.date(2026, 5, 20))
        report = privacy.apply_retention()
        assert report == {
            "participants": 0,
            "contacts": 0,
            "unplaced_registrations": 0,
            "emails": 1,
            "final_assignments": 0,
        }
        stripped = OutgoingMail.objects.get(key="old-mail")
        assert (stripped.to, stripped.body_text, stripped.subject) == ([], "", "[gewist]")
        assert stripped.erased_at is not None and not stripped.attachments.exists()
    with time_machine.travel(datetime.datetime(2027, 2, 1, 12, tzinfo=AMSTERDAM), tick=False):
        report = privacy.apply_retention()
        assert report == {
            "participants": 1,
            "contacts": 1,
            "unplaced_registrations": 1,
            "emails": 0,
            "final_assignments": 0,
        }
        old.refresh_from_db()
        recent.refresh_from_db()
        assert (old.first_name, old.last_name, old.email) == ("Gewist", "", f"gewist-{old.pk}@verbindend.invalid")
        assert old.registration.erased_at is not None
        assert old.registration.contact_email == f"gewist-contact-{old.registration.pk}@verbindend.invalid"
        assert Attendance.objects.get(participant=old).note == ""
        assert Attendance.objects.get(participant=old).status == "present"  # the completion record stays
        assert recent.last_name == "Zuiderduin" and Attendance.objects.get(participant=recent).note == "kwam later"
        assert not Registration.objects.filter(pk=unplaced.pk).exists()
        assert not Consent.objects.filter(subject_id=str(unplaced.pk), subject_type="cohorts.Registration").exists()
        assert privacy.apply_retention() == {
            "participants": 0,
            "contacts": 0,
            "unplaced_registrations": 0,
            "emails": 0,
            "final_assignments": 0,
        }


def test_dry_run_reports_and_changes_nothing(capsys):
    with time_machine.travel(datetime.datetime(2027, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        participant = completed_run(datetime.date(2026, 1, 5))
        call_command("apply_retention", "--dry-run")
    output = capsys.readouterr().out
    assert "would anonymise or delete" in output and "participants: 1" in output
    participant.refresh_from_db()
    assert participant.last_name == "Zuiderduin" and participant.erased_at is None


def _retention_queries(runs: int) -> int:
    for _ in range(runs):
        completed_run(datetime.date(2026, 1, 5))
    with CaptureQueriesContext(connection) as queries:
        report = privacy.apply_retention(batch=1000)
    assert report["participants"] == runs
    return len(queries)


def test_retention_takes_as_many_queries_for_thirty_people_as_for_ten():
    with time_machine.travel(datetime.datetime(2027, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        # A first run fills the process's caches (content types), which an earlier test may have filled or not.
        _retention_queries(1)
        ten = _retention_queries(10)
        thirty = _retention_queries(30)
    # One of them the evaluations handler's DELETE of their invitations, two the billing handler's, and three
    # materials': the final assignments counted (dry run and run) and the batch's uploads looked up.
    assert (ten, thirty) == (35, 35)
    assert Participant.objects.filter(erased_at__isnull=False).count() == 41


def test_a_retention_run_with_nothing_to_do_only_counts():
    with time_machine.travel(datetime.datetime(2027, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        completed_run(datetime.date(2026, 1, 5))
        privacy.apply_retention()
        with CaptureQueriesContext(connection) as queries:
            report = privacy.apply_retention()
    assert not any(report.values())
    # One count per kind of record the handlers report, and nothing written.
    assert len(queries) == len(report)
    assert not [q for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
