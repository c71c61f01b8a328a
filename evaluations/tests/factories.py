"""Test state for the evaluations: a confirmed run with its days, attendance recorded as the trainer does."""

import datetime

from cohorts.models import Attendance, Cohort, CourseDay, Participant
from cohorts.services.attendance import AttendanceEntry, record_attendance
from cohorts.tests.factories import RawParticipantFactory, RawRegistrationFactory
from evaluations import selectors
from evaluations.forms import AnswerForm, field_name
from evaluations.models import Invitation, Question
from evaluations.services import answering


def confirmed_run(*, first: datetime.date, participants: int = 3, weeks_apart: int = 1) -> Cohort:
    """A confirmed run of the brochure's programme, its six days from `first`, 9:00-16:30, one week apart."""
    registration = RawRegistrationFactory()
    cohort = registration.cohort
    RawParticipantFactory.create_batch(participants, registration=registration)
    for programme_day in cohort.programme.days.order_by("number"):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=programme_day,
            date=first + datetime.timedelta(weeks=weeks_apart * (programme_day.number - 1)),
            start_time=datetime.time(9),
            end_time=datetime.time(16, 30),
        )
    cohort.status = Cohort.Status.CONFIRMED
    cohort.save()
    return cohort


def record(day: CourseDay, statuses: dict[Participant, str]) -> None:
    """Record a day's attendance through the trainer's service (the day must have come)."""
    record_attendance(
        cohort=day.cohort,
        entries=[AttendanceEntry(participant_id=p.pk, course_day_id=day.pk, status=s) for p, s in statuses.items()],
        recorded_by=None,
    )


def all_present(day: CourseDay) -> None:
    record(day, dict.fromkeys(day.cohort.participants.filter(status="enrolled"), Attendance.Status.PRESENT))


def answer_data(invitation: Invitation, *, scale: int = 4, text: str = "Heel leerzaam.") -> dict:
    """The POST data of a complete answer to the invitation's current form."""
    form = answering.form_for(invitation)
    data = {}
    for question in form.questions.all():
        if question.kind == Question.Kind.SCALE:
            data[field_name(question)] = str(scale)
        elif question.kind == Question.Kind.CHOICE:
            data[field_name(question)] = question.options[0]
        else:
            data[field_name(question)] = text
    return data


def answered(invitation: Invitation, **values) -> None:
    """Answer an invitation through the answer form and the service, as the answer page does."""
    evaluation = answering.form_for(invitation)
    form = AnswerForm(answer_data(invitation, **values), evaluation=evaluation)
    assert form.is_valid(), form.errors
    answering.submit_answers(invitation=invitation, form=evaluation, values=form.values())


__all__ = ["selectors"]
