"""A course run's six days for tests: the first on a given date, then one every two weeks, from 9:30 to 16:30."""

import datetime

from cohorts.models import CourseDay
from cohorts.services import scheduling


def six_days(cohort, *, first: datetime.date) -> list[CourseDay]:
    """Return the run's days, one per programme day, unsaved."""
    return [
        CourseDay(
            cohort=cohort,
            programme_day=day,
            date=first + datetime.timedelta(weeks=2 * offset),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(16, 30),
        )
        for offset, day in enumerate(cohort.programme.days.order_by("number"))
    ]


def schedule_days(cohort, *, first: datetime.date) -> None:
    """Schedule the run's days as the trainer does: through the service, the schedule's rules checked."""
    for day in six_days(cohort, first=first):
        scheduling.save_course_day(day=day, changed_fields=[])


def store_days(cohort, *, first: datetime.date) -> None:
    """Store the run's days as rows, past dates too, without the schedule's rules: the state a test starts from."""
    for day in six_days(cohort, first=first):
        day.save()
