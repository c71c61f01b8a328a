"""
What the trainer's pages in the admin read: the attendance grid, the start page's overview, what an action is about
to do, the run's page, the sign-in sheets. The public pages' reads are in the package itself.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.html import format_html_join

from ..models import Attendance, Cohort, CourseDay, IntakeAppointment, Participant, Registration, participant_counts
from . import below_minimum


@dataclass(frozen=True)
class MakeUpOption:
    """A day of another course run on which a participant can make up a missed day."""

    pk: int
    label: str


def attendance_grid(cohort: Cohort) -> dict:
    """Return everything the attendance page shows, in a fixed number of queries."""
    from ..services.attendance import outcome

    days = list(cohort.days.select_related("programme_day").order_by("programme_day__number"))
    participants = list(
        cohort.participants.exclude(status=Participant.Status.WAITING).order_by("last_name", "first_name")
    )
    cells = {(a.participant_id, a.course_day_id): a for a in Attendance.objects.filter(course_day__cohort=cohort)}
    # A day is made up with another run shortly before or after: offering the
    # whole history would grow the page with every year the product runs.
    options = {}
    if days:
        window = (days[0].date - datetime.timedelta(days=120), days[-1].date + datetime.timedelta(days=240))
        for pk, programme_day_id, date, code in (
            CourseDay.objects.exclude(cohort=cohort)
            .filter(programme_day__in=[d.programme_day_id for d in days], date__range=window)
            .exclude(cohort__status=Cohort.Status.CANCELLED)
            .order_by("date")
            .values_list("pk", "programme_day_id", "date", "cohort__code")
        ):
            options.setdefault(programme_day_id, []).append(
                MakeUpOption(pk, f"{code} {date.day}-{date.month}-{date.year}")
            )
    today = timezone.localdate()
    for day in days:
        # Attendance is taken on the day or afterwards, never ahead of it.
        day.has_taken_place = day.date <= today
        day.make_up_options = options.get(day.programme_day_id, [])
        # Built once per day, not per cell: with many runs in the same weeks these lists are most of the page.
        day.make_up_options_html = format_html_join(
            "", '<option value="{}">{}</option>', ((option.pk, option.label) for option in day.make_up_options)
        )
    rows = []
    for participant in participants:
        row_cells = [(day, cells.get((participant.pk, day.pk))) for day in days]
        attended = sum(1 for _day, cell in row_cells if cell and cell.counts)
        rows.append(
            {
                "participant": participant,
                "cells": row_cells,
                "attended": attended,
                "outcome": outcome(participant=participant, days_attended=attended, programme=cohort.programme),
            }
        )
    held = sum(1 for day in days if day.has_taken_place)
    # Days not yet scheduled are still to come too.
    total = max(len(days), cohort.programme.number_of_days)
    return {
        "days": days,
        "rows": rows,
        # Until the last day has passed an outcome is only progress so far.
        "finished": bool(days) and held == total,
        "days_held": held,
        "days_to_go": total - held,
    }


def trainer_overview(*, user, now=None) -> dict:
    """Return the admin start page's overview: the coming 8 weeks and the runs below the minimum."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = today + datetime.timedelta(weeks=8)
    days = list(
        CourseDay.objects.filter(date__range=(today, horizon))
        .exclude(cohort__status=Cohort.Status.CANCELLED)
        .select_related("cohort", "programme_day")
        .order_by("date", "start_time")
    )
    intakes = list(
        IntakeAppointment.objects.filter(starts_at__gte=now, starts_at__date__lte=horizon)
        .exclude(status=IntakeAppointment.Status.CANCELLED)
        .select_related("registration__board")
        .order_by("starts_at")
    )
    agenda = sorted(
        [("day", timezone.make_aware(datetime.datetime.combine(d.date, d.start_time)), d) for d in days]
        + [("intake", i.starts_at, i) for i in intakes],
        key=lambda item: item[1],
    )
    below = [
        cohort
        for cohort in Cohort.objects.with_counts()
        .filter(status__in=[Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED])
        .select_related("programme")
        .annotate(first_date=Min("days__date"))
        .order_by("first_date")
        if below_minimum(cohort)
    ]
    return {"agenda": agenda, "below_minimum": below}


# --- What an admin action is about to do (its confirmation page) ---------------


def cohort_recipients(cohort: Cohort):
    """
    Return the enrolled participants and the board registrations that a course run's schedule goes to.

    The confirmation, the cancellation and the admin's confirmation pages
    all read them here, so the page counts exactly who will be mailed.
    """
    participants = cohort.participants.filter(status=Participant.Status.ENROLLED)
    registrations = cohort.registrations.exclude(status=Registration.Status.CANCELLED)
    return participants, registrations


def cohorts_with_recipient_counts(cohort_ids):
    """Return the course runs with `enrolled_count` and `mailed_contacts`: who their schedule goes to."""
    return (
        Cohort.objects.filter(pk__in=cohort_ids)
        .with_counts()
        .select_related("programme")
        .annotate(
            mailed_contacts=Count(
                "registrations", filter=~Q(registrations__status=Registration.Status.CANCELLED), distinct=True
            ),
            scheduled_days=Count("days", distinct=True),
        )
        .order_by("code")
    )


def registrations_to_place(registration_ids):
    """Return the registrations a forming or placing would place (cancelled ones are refused), with their board."""
    return (
        Registration.objects.filter(pk__in=registration_ids)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("board", "cohort")
        .order_by("board__name")
    )


def registrations_with_participant_counts(registration_ids):
    """Return the registrations with their board and run, and `enrolled_count` and `waiting_count` of their own."""
    return (
        Registration.objects.filter(pk__in=registration_ids)
        .select_related("board", "cohort")
        .annotate(**participant_counts())
        .order_by("board__name")
    )


# --- The run's page in the admin -------------------------------------------------


def cohort_boards(cohort: Cohort, *, queryset: bool = False):
    """Return the run's board registrations (not the cancelled ones), with their board, by board name."""
    registrations = (
        cohort.registrations.exclude(status=Registration.Status.CANCELLED)
        .select_related("board")
        .order_by("board__name")
    )
    return registrations if queryset else list(registrations)


def cohort_participants(cohort: Cohort) -> list[Participant]:
    """
    Return the run's participants, enrolled first, then the waiting list in its order, then who withdrew.

    Each participant on the waiting list has `waitlist_position` (1, 2, 3
    in the list's order), counted as `Participant.objects.with_waitlist_position`
    counts it for every page.
    """
    order = {Participant.Status.ENROLLED: 0, Participant.Status.WAITING: 1, Participant.Status.WITHDRAWN: 2}
    return sorted(
        cohort.participants.with_waitlist_position().select_related("registration__board"),
        key=lambda p: (order.get(p.status, 3), p.waitlist_position or 0, p.last_name, p.first_name),
    )


def usual_course_day_times(cohort: Cohort) -> tuple[datetime.time, datetime.time] | None:
    """
    Return the start and end time most used for this run's days, else for the programme's other runs' days.

    None when no day of the programme was ever scheduled.
    """
    for days in (cohort.days.all(), CourseDay.objects.filter(cohort__programme_id=cohort.programme_id)):
        usual = (
            days.order_by()
            .values("start_time", "end_time")
            .annotate(used=Count("pk"))
            .order_by("-used", "start_time")
            .first()
        )
        if usual:
            return usual["start_time"], usual["end_time"]
    return None


@dataclass
class SignInSheet:
    """One course day's sign-in sheet (presentielijst): the day and the participants enrolled in the run."""

    cohort: Cohort
    day: CourseDay
    participants: list[Participant]
    blank_rows: range


# Rows left empty under the names, for a leader who joined after the sheet was printed.
SIGN_IN_BLANK_ROWS = 3


def sign_in_sheets(cohort: Cohort, *, day_id: int | None = None) -> list[SignInSheet]:
    """
    Return the sign-in sheets of a run's days, or of one of them, in three queries however many people and days.

    Only who is enrolled is listed, by last name: who waits or withdrew does not come.

    :raises CourseDay.DoesNotExist: `day_id` names no day of this run
    """
    cohort = Cohort.objects.select_related("programme", "trainer").get(pk=cohort.pk)
    days = list(cohort.days.select_related("programme_day").order_by("date", "start_time"))
    if day_id is not None:
        days = [day for day in days if day.pk == day_id]
        if not days:
            raise CourseDay.DoesNotExist(day_id)
    participants = sorted(
        cohort.participants.filter(status=Participant.Status.ENROLLED).select_related("registration__board"),
        key=lambda p: (p.last_name.casefold(), p.first_name.casefold()),
    )
    return [SignInSheet(cohort, day, participants, range(SIGN_IN_BLANK_ROWS)) for day in days]
