import datetime
import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, FilteredRelation, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Lower
from django.utils import timezone

from programme.models import Programme

from ..models import Attendance, Cohort, CourseDay, IntakeAppointment, Participant, Registration

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

    from ..services.attendance import outcome
    from ..services.enrolment import participants_can_change
    from ..services.links import enrolment_url

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


def small_group(*, expected: int | None, programme: Programme | None) -> bool:
    """Return whether a board expects fewer leaders than a run needs: then it is told it may be combined with others."""
    return programme is not None and expected is not None and expected < programme.min_participants


def below_minimum(cohort: Cohort) -> bool:
    """Return whether a run, annotated by `Cohort.objects.with_counts()`, has fewer enrolled than its minimum."""
    return cohort.enrolled_count < cohort.programme.min_participants


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
    from ..services import attendance  # imported here: the services read selectors at import time

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
    from ..services import enrolment  # imported here: the services read selectors at import time

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
