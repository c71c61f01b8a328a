import datetime
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Exists, FilteredRelation, Min, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.html import format_html_join

from programme.models import Programme

from .models import Attendance, Cohort, CourseDay, IntakeAppointment, Participant, Registration, participant_counts

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
    database (see `services.registrations.submit_registration`).
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


@dataclass
class BoardRun:
    """One course run as the board page shows it: the contact's registrations placed in it, and their participants."""

    cohort: Cohort
    registrations: list[Registration]
    days: list[CourseDay]
    participants: list[Participant]
    seats: dict
    can_change: bool
    completed: bool
    enrolment_url: str

    @property
    def registration(self) -> Registration:
        """The registration an action on this run is for: the newest of the contact's in it."""
        return self.registrations[0]


@dataclass
class BoardPage:
    """Everything the page of a board contact shows, read in a fixed number of queries."""

    registration: Registration  # the one whose link was opened
    registrations: list[Registration]  # the contact's registrations of this board, newest first
    runs: list[BoardRun]  # their course runs, in the order of their first day
    unplaced: list[Registration]  # the registrations not yet placed in a run

    @property
    def board(self):
        return self.registration.board

    @property
    def changeable_runs(self) -> list[BoardRun]:
        return [run for run in self.runs if run.can_change]

    @property
    def registration_ids(self) -> set[int]:
        return {registration.pk for registration in self.registrations}


def contacts_registrations(registration: Registration):
    """
    Return the registrations of this registration's board that its contact filed: what their mailbox was sent.

    A board is reused by its bestuursnummer, which is public, so anyone can
    file a registration on an existing board. The link of one registration
    therefore reaches only the registrations of the same board with the same
    contact e-mail address (compared as the database lower-cases it, like
    the participants' addresses), never another contact's.
    """
    return (
        Registration.objects.filter(board_id=registration.board_id)
        .alias(contact_email_lower=Lower("contact_email"))
        .filter(contact_email_lower=Lower(Value(registration.contact_email)))
    )


def _participant_order(participant: Participant) -> tuple:
    return (participant.status, participant.waitlist_number or 0, participant.last_name, participant.first_name)


def board_page(registration: Registration, *, today: datetime.date | None = None) -> BoardPage:
    """Return the board contact's page: every registration of theirs with its intake, run, days and participants."""
    from programme.completion import Outcome

    from .services.attendance import outcome
    from .services.enrolment import participants_can_change
    from .services.links import enrolment_url

    today = today or timezone.localdate()
    registrations = list(
        contacts_registrations(registration)
        .select_related("board")
        .prefetch_related(
            Prefetch("cohort", queryset=Cohort.objects.with_counts().select_related("programme")),
            Prefetch("cohort__days", queryset=CourseDay.objects.select_related("programme_day").order_by("date")),
            Prefetch(
                "intakes",
                queryset=IntakeAppointment.objects.exclude(status=IntakeAppointment.Status.CANCELLED).order_by(
                    "-starts_at"
                ),
                to_attr="current_intakes",
            ),
            Prefetch(
                "participants",
                queryset=Participant.objects.with_waitlist_position()
                .with_days_attended()
                .order_by("status", "waitlist_number", "last_name", "first_name"),
                to_attr="listed_participants",
            ),
        )
        .order_by("-created_at", "-pk")
    )
    runs: dict[int, BoardRun] = {}
    for item in registrations:
        cohort = item.cohort
        if cohort is None:
            continue
        run = runs.get(cohort.pk)
        if run is None:
            days = list(cohort.days.all())
            maximum = cohort.programme.max_participants
            run = runs[cohort.pk] = BoardRun(
                cohort=cohort,
                registrations=[],
                days=days,
                participants=[],
                seats={
                    "enrolled": cohort.enrolled_count,
                    "waiting": cohort.waiting_count,
                    "left": max(maximum - cohort.enrolled_count, 0),
                    "maximum": maximum,
                },
                can_change=participants_can_change(cohort, days=days, today=today),
                completed=cohort.status == Cohort.Status.COMPLETED,
                # The newest registration's link: every registration of the contact's in this run is theirs.
                enrolment_url=enrolment_url(item),
            )
        run.registrations.append(item)
        for participant in item.listed_participants:
            # After completion a participant's state is their outcome under the
            # programme's rule, not "enrolled" (see services.attendance.outcome).
            participant.outcome = (
                outcome(participant=participant, days_attended=participant.days_attended, programme=cohort.programme)
                if run.completed
                else None
            )
            participant.completed = participant.outcome == Outcome.COMPLETED
            run.participants.append(participant)
    for run in runs.values():
        run.participants.sort(key=_participant_order)
    ordered = sorted(runs.values(), key=lambda r: (r.days[0].date if r.days else datetime.date.max, r.cohort.pk))
    current = next(item for item in registrations if item.pk == registration.pk)
    return BoardPage(
        registration=current,
        registrations=registrations,
        runs=ordered,
        unplaced=[item for item in registrations if item.cohort_id is None],
    )


def participant_emails_in_run(cohort_id: int):
    """Return the e-mail addresses of a run's participants who have not withdrawn: a new one may not repeat them."""
    return (
        Participant.objects.filter(cohort_id=cohort_id)
        .exclude(status=Participant.Status.WITHDRAWN)
        .values_list("email", flat=True)
    )


def enrolment_page(registration_id: int) -> Registration:
    """Return a registration with its board, course run and days, as the self-enrolment page shows them."""
    return (
        Registration.objects.select_related("board", "cohort", "cohort__programme")
        .prefetch_related(
            Prefetch("cohort__days", queryset=CourseDay.objects.select_related("programme_day").order_by("date"))
        )
        .get(pk=registration_id)
    )


def seats(cohort: Cohort) -> dict:
    """Return a course run's enrolled, waiting, free and maximum number of seats, in one query."""
    counts = Cohort.objects.with_counts().values("enrolled_count", "waiting_count").get(pk=cohort.pk)
    enrolled, maximum = counts["enrolled_count"], cohort.programme.max_participants
    waiting = counts["waiting_count"]
    return {"enrolled": enrolled, "waiting": waiting, "left": max(maximum - enrolled, 0), "maximum": maximum}


@dataclass(frozen=True)
class MakeUpOption:
    """A day of another course run on which a participant can make up a missed day."""

    pk: int
    label: str


def attendance_grid(cohort: Cohort) -> dict:
    """Return everything the attendance page shows, in a fixed number of queries."""
    from .services.attendance import outcome

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


def small_group(*, expected: int | None, programme: Programme | None) -> bool:
    """Return whether a board expects fewer leaders than a run needs: then it is told it may be combined with others."""
    return programme is not None and expected is not None and expected < programme.min_participants


def below_minimum(cohort: Cohort) -> bool:
    """Return whether a run, annotated by `Cohort.objects.with_counts()`, has fewer enrolled than its minimum."""
    return cohort.enrolled_count < cohort.programme.min_participants


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


@dataclass(frozen=True)
class ParticipantResult:
    outcome: str
    label: str
    days_attended: int
    required_days: int


def participant_result(participant: Participant) -> ParticipantResult | None:
    """
    Return the outcome of a participant's course once their run is completed, or None before.

    A completed run leaves its participants "enrolled": what they want to read
    then is whether they completed it, under the programme's completion rule.
    """
    from .services import attendance  # imported here: the services read selectors at import time

    if participant.cohort.status != Cohort.Status.COMPLETED or participant.status == Participant.Status.WITHDRAWN:
        return None
    programme = participant.cohort.programme
    attended = attendance.days_attended(participant)
    outcome = attendance.outcome(participant=participant, days_attended=attended, programme=programme)
    return ParticipantResult(outcome.value, outcome.label, attended, programme.required_days)


@dataclass(frozen=True)
class ParticipantPage:
    """What a participant's own page shows of their course, read in a few queries however many days."""

    certificates: list  # the valid ones
    schedule: list[tuple[CourseDay, Attendance | None, bool]]  # each day, its attendance, whether to offer a notice
    result: ParticipantResult | None

    @property
    def locked(self) -> bool:
        """Whether the details are locked (as `details_locked`): a valid certificate was issued with them."""
        return bool(self.certificates)


def participants_for_page():
    """Return the participants with what their page reads with them: run, programme, board, `has_valid_certificate`."""
    # Through the relation: cohorts imports nothing of the registry.
    certificates = Participant.certificates.rel.related_model.objects.filter(participant=OuterRef("pk"), status="valid")
    return Participant.objects.select_related("cohort__programme", "registration__board").annotate(
        has_valid_certificate=Exists(certificates)
    )


def participant_page(participant: Participant) -> ParticipantPage:
    """
    Return the certificates, the schedule with attendance and the outcome that a participant's page shows.

    The certificates are read only when the participant has one, as a participant of `participants_for_page` says.
    """
    from .services import enrolment  # imported here: the services read selectors at import time

    has_certificate = getattr(participant, "has_valid_certificate", True)
    certificates = list(participant.certificates.filter(status="valid")) if has_certificate else []
    # Each day with the participant's attendance of it (if any), in the same query.
    own = FilteredRelation("attendances", condition=Q(attendances__participant=participant))
    days = (
        participant.cohort.days.annotate(own_attendance=own)
        .select_related("programme_day", "own_attendance")
        .order_by("date")
    )
    # A day without the participant's attendance has no own_attendance at all.
    schedule = [
        (day, getattr(day, "own_attendance", None), enrolment.can_notify_absence(participant, day)) for day in days
    ]
    return ParticipantPage(certificates, schedule, participant_result(participant))


def details_locked(participant: Participant) -> bool:
    """
    Return whether a participant's details are locked: a valid certificate was issued with them.

    Then only the trainer corrects them (and reissues); the participant's
    own page shows them read-only.
    """
    # Through the relation: cohorts imports nothing of the registry.
    return participant.certificates.filter(status="valid").exists()


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
