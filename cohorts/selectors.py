import datetime
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Min, Prefetch, Q
from django.utils import timezone
from django.utils.html import format_html_join

from programme.models import Programme

from .models import Attendance, Cohort, CourseDay, IntakeAppointment, Participant, Registration

logger = logging.getLogger(__name__)

REGISTRATION_CHOICES_KEY = "registration-choices:v1"
# A backstop only: every save or delete through the ORM forgets the cached
# choices at once (see `forget_registration_choices`). What it bounds is
# what sends no signal (a queryset's update()), and the local-memory cache
# of the embedded default, which each process holds for itself.
REGISTRATION_CHOICES_SECONDS = 60


def open_cohorts():
    """Return the course runs a board can join now: open, not started, with seats left; with their days."""
    today = timezone.localdate()
    cohorts = (
        Cohort.objects.with_counts()
        .filter(
            open_for_joining=True, status__in=[Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED]
        )
        .exclude(days__date__lte=today)
        .select_related("programme")
        .prefetch_related(Prefetch("days", queryset=CourseDay.objects.order_by("date")))
        .order_by("created_at")
    )
    result = []
    for cohort in cohorts:
        cohort.seats_left = cohort.programme.max_participants - cohort.enrolled_count
        if cohort.seats_left > 0:
            result.append(cohort)
    return result


def _registration_choices_key() -> str:
    # A run that starts today is no longer open: each day has its own entry.
    return f"{REGISTRATION_CHOICES_KEY}:{timezone.localdate().isoformat()}"


def registration_choices() -> tuple[Programme | None, list[Cohort]]:
    """
    Return the active programme and the course runs open to join, as the public registration form offers them.

    Every visitor of the form gets the same answer, and working it out was
    most of the page's cost, so it is cached until a programme, course run,
    course day or participant is saved or deleted. Only what the form shows
    comes from here: the service decides on a run as it stands in the
    database (see `services.submit_registration`).
    """
    key = _registration_choices_key()
    choices = cache.get(key)
    if choices is None:
        choices = (Programme.objects.active().first(), open_cohorts())
        cache.set(key, choices, REGISTRATION_CHOICES_SECONDS)
    return choices


def forget_registration_choices() -> None:
    """Drop the cached registration choices; the next visitor of the form reads them from the database."""
    try:
        cache.delete(_registration_choices_key())
    except Exception:
        # The cache is only a shortcut: a change to a course run must not
        # fail because it is away, and the entry expires on its own.
        logger.warning("Could not forget the cached registration choices.", exc_info=True)


def registration_choices_changed(sender, **kwargs) -> None:
    """Receive post_save and post_delete of the models the registration choices are made of."""
    forget_registration_choices()
    # Between this change and its commit a visitor may still read, and
    # cache, the state before it: forget again once it is committed.
    # (Outside a transaction the change is committed already.)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(forget_registration_choices)


def board_page(registration_id: int) -> Registration:
    """Return a registration with everything its board page shows, in a fixed number of queries."""
    return (
        Registration.objects.select_related("board", "cohort", "cohort__programme")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.order_by("status", "waitlist_number", "last_name", "first_name"),
            ),
            Prefetch("cohort__days", queryset=CourseDay.objects.select_related("programme_day").order_by("date")),
            Prefetch(
                "intakes",
                queryset=IntakeAppointment.objects.exclude(status=IntakeAppointment.Status.CANCELLED).order_by(
                    "-starts_at"
                ),
                to_attr="current_intakes",
            ),
        )
        .get(pk=registration_id)
    )


def seats(cohort: Cohort) -> dict:
    """Return a course run's enrolled, waiting, free and maximum number of seats, in one query."""
    counts = cohort.participants.aggregate(
        enrolled=Count("pk", filter=Q(status=Participant.Status.ENROLLED)),
        waiting=Count("pk", filter=Q(status=Participant.Status.WAITING)),
    )
    maximum = cohort.programme.max_participants
    return {**counts, "left": max(maximum - counts["enrolled"], 0), "maximum": maximum}


@dataclass(frozen=True)
class MakeUpOption:
    """A day of another course run on which a participant can make up a missed day."""

    pk: int
    label: str


def attendance_grid(cohort: Cohort) -> dict:
    """Return everything the attendance page shows, in a fixed number of queries."""
    from .services import outcome

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
    for day in days:
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
    return {"days": days, "rows": rows}


def trainer_overview(*, user, now=None) -> dict:
    """Return the admin start page's overview: the coming 8 weeks, runs below minimum, registrations to take up."""
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
        if cohort.enrolled_count < cohort.programme.min_participants
    ]
    waiting = list(
        Registration.objects.filter(status=Registration.Status.RECEIVED).select_related("board").order_by("created_at")
    )
    return {"agenda": agenda, "below_minimum": below, "awaiting_intake": waiting}


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
    """Return the course runs with `mailed_participants` and `mailed_contacts`: who their schedule goes to."""
    return (
        Cohort.objects.filter(pk__in=cohort_ids)
        .select_related("programme")
        .annotate(
            mailed_participants=Count(
                "participants", filter=Q(participants__status=Participant.Status.ENROLLED), distinct=True
            ),
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

    Each participant on the waiting list gets `waitlist_position`: 1, 2, 3
    in the list's order, without the gaps that promotions leave in the
    stored numbers.
    """
    order = {Participant.Status.ENROLLED: 0, Participant.Status.WAITING: 1, Participant.Status.WITHDRAWN: 2}
    participants = sorted(
        cohort.participants.select_related("registration__board"),
        key=lambda p: (order.get(p.status, 3), p.waitlist_number or 0, p.last_name, p.first_name),
    )
    position = 0
    for participant in participants:
        participant.waitlist_position = None
        if participant.status == Participant.Status.WAITING:
            position += 1
            participant.waitlist_position = position
    return participants


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
