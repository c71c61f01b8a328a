"""Retention, time-travelled: past its period anonymised or deleted, within it untouched, a rerun does nothing."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from cohorts.models import Attendance, CourseDay, Participant, Registration
from cohorts.services import personal_data
from mail.models import OutgoingMail
from mail.services import queue_email

from .factories import ParticipantFactory, RegistrationFactory

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def completed_run(last_day):
    registration = RegistrationFactory(contact_email="contact@bestuur.example.nl")
    participant = ParticipantFactory(registration=registration, last_name="Zuiderduin")
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


def test_retention_over_time():
    with time_machine.travel(datetime.datetime(2026, 1, 10, 12, tzinfo=AMSTERDAM), tick=False):
        old = completed_run(datetime.date(2026, 1, 5))
        unplaced = RegistrationFactory(cohort=None, status="received")
        queue_email(to="iemand@example.nl", template="mail/test", context={}, key="old-mail")
        OutgoingMail.objects.update(status="sent", sent_at=datetime.datetime(2026, 1, 10, 12, tzinfo=AMSTERDAM))
    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        recent = completed_run(datetime.date(2026, 5, 20))
        report = personal_data.apply_retention()
        assert report == {"participants": 0, "contacts": 0, "unplaced_registrations": 0, "emails": 1}
    with time_machine.travel(datetime.datetime(2027, 2, 1, 12, tzinfo=AMSTERDAM), tick=False):
        report = personal_data.apply_retention()
        assert report == {"participants": 1, "contacts": 1, "unplaced_registrations": 1, "emails": 0}
        old.refresh_from_db()
        recent.refresh_from_db()
        assert (old.first_name, old.last_name, old.email) == ("Gewist", "", f"gewist-{old.pk}@verbindend.invalid")
        assert old.registration.contact_email.endswith("@verbindend.invalid")
        assert Attendance.objects.get(participant=old).note == ""
        assert Attendance.objects.get(participant=old).status == "present"  # the completion record stays
        assert recent.last_name == "Zuiderduin" and Attendance.objects.get(participant=recent).note == "kwam later"
        assert not Registration.objects.filter(pk=unplaced.pk).exists()
        assert OutgoingMail.objects.get(key="old-mail").to == []
        assert personal_data.apply_retention() == {
            "participants": 0,
            "contacts": 0,
            "unplaced_registrations": 0,
            "emails": 0,
        }


def test_dry_run_reports_and_changes_nothing(capsys):
    with time_machine.travel(datetime.datetime(2027, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        participant = completed_run(datetime.date(2026, 1, 5))
        call_command("apply_retention", "--dry-run")
    output = capsys.readouterr().out
    assert "would anonymise or delete" in output and "participants: 1" in output
    participant.refresh_from_db()
    assert participant.last_name == "Zuiderduin"


def test_retention_runs_in_a_bounded_number_of_queries(django_assert_max_num_queries):
    with time_machine.travel(datetime.datetime(2027, 6, 1, 12, tzinfo=AMSTERDAM), tick=False):
        for _ in range(30):
            completed_run(datetime.date(2026, 1, 5))
        with django_assert_max_num_queries(40):
            personal_data.apply_retention(batch=1000)
    assert Participant.objects.filter(email__endswith="@verbindend.invalid").count() == 30
