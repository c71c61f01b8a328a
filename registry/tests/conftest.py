"""Shared test data for the registry: an accreditation with its facts, and a completed course run."""

import datetime

import pytest

from cohorts.models import CourseDay
from cohorts.services import attendance as attendance_services
from cohorts.services.attendance import AttendanceEntry
from cohorts.tests.factories import RawParticipantFactory, RawRegistrationFactory
from registry.models import Accreditation

FIRST_DAY = datetime.date(2026, 2, 2)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture(autouse=True)
def on_the_fixed_day(fixed_clock):
    """The registry reads today: a run's days have passed, an accreditation is valid, a certificate is issued now."""
    return fixed_clock


@pytest.fixture
def accreditation():
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number = "SLR-2026-0042"
    accreditation.contact_hours, accreditation.self_study_hours = 36, 24
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    return accreditation


def completed_run(attendance):
    """A completed run; `attendance` maps each participant's first name to the day numbers they attended."""
    registration = RawRegistrationFactory()
    cohort = registration.cohort
    people = {
        name: RawParticipantFactory(
            registration=registration, first_name=name, initials=f"{name[0]}.", tussenvoegsel="", last_name="Bakker"
        )
        for name in attendance
    }
    days = {}
    for day in cohort.programme.days.order_by("number"):
        days[day.number] = CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=FIRST_DAY + datetime.timedelta(weeks=2 * (day.number - 1)),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
    entries = [
        AttendanceEntry(people[name].pk, days[n].pk, "present" if n in attended else "absent")
        for name, attended in attendance.items()
        for n in days
    ]
    attendance_services.record_attendance(cohort=cohort, entries=entries, recorded_by=None)
    cohort.status = "completed"
    cohort.save()
    return cohort, people
