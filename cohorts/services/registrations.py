"""A board's request for the course, and placing requests in a course run."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from mail.services.queueing import Email, queue_emails
from privacy import services as privacy
from privacy.models import Consent
from programme.models import Programme

from ..models import (
    Attendance,
    Board,
    Cohort,
    Participant,
    Registration,
    new_access_key,
)
from ..selectors import small_group
from .enrolment import (
    EnrolmentError,
    _cohort_open_for_joining,
    _promote_from_waiting_list,
    _renumber_waiting_list,
    _send_welcome,
    _withdraw_and_promote,
    participants_can_change,
    seated,
)
from .links import board_page_url
from .notices import _contact_recipient, _email, _participant_recipient, _queue_one, _send_day_invitations
from .runs import ACTIVE_STATUSES, CohortError, has_started, save_new_cohort

logger = logging.getLogger(__name__)


def submit_registration(
    *,
    board_data: dict,
    registration_data: dict,
    submission_key: str,
    language: str,
    programme: Programme | None = None,
) -> Registration:
    """
    Record a board's request and e-mail the contact person and the trainer.

    A second submit with the same submission key returns the first
    registration. An existing board (same bestuursnummer or
    samenwerkingsverband code) is reused, so its requests stay together.

    :param board_data: name, kind, bestuursnummer or swv_code, sector, place
    :param registration_data: kind, cohort, contact, expected number, period, place, remarks
    :param programme: the programme asked for; the active one when not given
    """
    arguments = {
        "board_data": board_data,
        "registration_data": registration_data,
        "submission_key": submission_key,
        "language": language,
        "programme": programme,
    }
    try:
        return _record_registration(**arguments, after_conflict=False)
    except IntegrityError:
        # A unique constraint stopped the first attempt, and rolled it back
        # whole: this form was submitted before, or the same new board was
        # registered at the same moment. The other one has been committed;
        # the second attempt finds it and uses it. Handling the conflict
        # here instead of around each INSERT spares every registration a
        # savepoint per row, and a look for an earlier submit of the form.
        return _record_registration(**arguments, after_conflict=True)


@transaction.atomic
def _record_registration(
    *,
    board_data: dict,
    registration_data: dict,
    submission_key: str,
    language: str,
    programme: Programme | None,
    after_conflict: bool,
) -> Registration:
    if after_conflict:
        existing = Registration.objects.filter(submission_key=submission_key).first()
        if existing:
            return existing
    board = _find_or_create_board(board_data)
    cohort = registration_data.get("cohort")
    if cohort is not None:
        # The form offers the open runs from a cache: decide on the run as it
        # is now.
        cohort = Cohort.objects.select_related("programme").get(pk=cohort.pk)
        if not _cohort_open_for_joining(cohort):
            raise EnrolmentError(
                _("This course run is no longer open to join. Please choose another or ask for a new one.")
            )
    registration = Registration(
        board=board,
        submission_key=submission_key,
        language=language,
        privacy_consent_at=timezone.now(),
        status=Registration.Status.PLACED if cohort else Registration.Status.RECEIVED,
        **{**registration_data, "cohort": cohort},
    )
    # The keys are fresh random values and the board was just found or made:
    # the database's constraints check them without extra queries.
    registration.full_clean(
        exclude=["board", "cohort", "access_key", "enrolment_key", "submission_key"], validate_unique=False
    )
    # A second submit of the form fails here, on its submission key.
    registration.save()
    privacy.record_consent(subject=registration, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
    programme = cohort.programme if cohort else programme or Programme.objects.active().first()
    context = {
        "registration": registration,
        "board": board,
        "board_page_url": board_page_url(registration),
        "programme": programme,
        "small_group": small_group(expected=registration.expected_participants, programme=programme),
    }
    # Both e-mails in one INSERT and one task: their keys name the new
    # registration, so neither exists yet.
    queue_emails(
        emails=[
            Email(
                to=registration.contact_email,
                template="cohorts/mail/registration_received",
                context=context,
                key=f"registration-received:{registration.pk}",
                language=language,
                about=[registration],
                reply_to=[settings.PROVIDER_EMAIL],
            ),
            Email(
                to=settings.TRAINER_NOTIFICATION_EMAIL,
                template="cohorts/mail/registration_notification",
                context={
                    **context,
                    "admin_url": settings.SITE_URL
                    + reverse("admin:cohorts_registration_change", args=[registration.pk]),
                },
                key=f"registration-notification:{registration.pk}",
                language=settings.LANGUAGE_CODE,
                about=[registration],
                reply_to=[registration.contact_email],
            ),
        ]
    )
    return registration


def _find_or_create_board(data: dict) -> Board:
    """
    Return the board with this bestuursnummer or samenwerkingsverband code, made if new.

    The same new board registered twice at the same moment: the second
    INSERT fails on the unique constraint, and `submit_registration` starts
    over, finding the first one's board.
    """
    if data.get("bestuursnummer"):
        lookup = {"bestuursnummer": data["bestuursnummer"]}
    elif data.get("swv_code"):
        lookup = {"swv_code": data["swv_code"]}
    else:
        lookup = None
    board = Board.objects.filter(**lookup).first() if lookup else None
    if board is None:
        board = Board(**data)
        # Checked here as well as in the form: every caller gets the reason, where
        # the database would only refuse the row (board_kind_has_its_number).
        if not (board.bestuursnummer if board.kind == Board.Kind.BESTUUR else board.swv_code):
            raise EnrolmentError(_("A school board needs its bestuursnummer, a samenwerkingsverband its code."))
        board.full_clean(validate_unique=False, validate_constraints=False)
        board.save()
    return board


def rotate_board_link(*, registration: Registration, by=None, request=None) -> Registration:
    """Give the board page and the enrolment link new keys; every link sent before stops working."""
    registration.access_key = new_access_key()
    registration.enrolment_key = new_access_key()
    registration.save(update_fields=["access_key", "enrolment_key"])
    audit.record(action=AuditEvent.Action.LINK_ROTATED, obj=registration, actor=by, request=request)
    return registration


# --- Forming course runs from registrations -----------------------------------


# A board joins a run that has not begun; these have.
CLOSED_TO_BOARDS = {Cohort.Status.COMPLETED, Cohort.Status.CANCELLED, Cohort.Status.RUNNING}


def _refuse_closed_run(cohort: Cohort) -> None:
    if cohort.status in CLOSED_TO_BOARDS:
        raise CohortError(
            _("%(code)s is %(status)s; boards cannot join it.")
            % {"code": cohort.code, "status": cohort.get_status_display()}
        )


@transaction.atomic
def place_registrations(*, registrations: list[Registration], cohort: Cohort) -> int:
    """
    Place registrations in a course run and tell each board contact they can add participants.

    :raises CohortError: a registration is cancelled, or already has participants in another course run
    """
    _refuse_closed_run(cohort)
    placed = 0
    for registration in (
        Registration.objects.select_for_update().select_related("board").filter(pk__in=[r.pk for r in registrations])
    ):
        if registration.status == Registration.Status.CANCELLED:
            raise CohortError(_("The registration of %(board)s is cancelled.") % {"board": registration.board.name})
        if registration.cohort_id == cohort.pk:
            continue
        if registration.cohort_id and registration.participants.exists():
            raise CohortError(
                _("%(board)s already has participants in another course run.") % {"board": registration.board.name}
            )
        registration.cohort = cohort
        registration.status = Registration.Status.PLACED
        registration.save(update_fields=["cohort", "status"])
        _tell_contact_placed(registration, cohort)
        placed += 1
    return placed


def _tell_contact_placed(registration: Registration, cohort: Cohort) -> None:
    _queue_one(
        _email(
            _contact_recipient(registration),
            template="registration_placed",
            key=f"registration-placed:{registration.pk}:{cohort.pk}",
            context={
                "cohort": cohort,
                "programme": cohort.programme,
                "days": list(cohort.days.select_related("programme_day").order_by("date")),
            },
        )
    )
    if Cohort.objects.filter(pk=cohort.pk, status__in=ACTIVE_STATUSES).exists():
        # The contacts placed before got each day as a meeting at confirmation.
        days = cohort.days.filter(date__gte=timezone.localdate())
        _send_day_invitations(days=days, recipients=[_contact_recipient(registration)], method="REQUEST")


def _locked_runs_of(registration: Registration, *others: Cohort) -> tuple[Registration, dict[int, Cohort]]:
    """
    Lock the registration's course run and the others, then the registration, and return them as they are now.

    Runs before the registration, as enrolment locks them, and in the order
    of their keys, so that two moves between the same runs cannot deadlock.
    """
    current = Registration.objects.filter(pk=registration.pk).values_list("cohort_id", flat=True).first()
    pks = {pk for pk in [current, *(c.pk for c in others)] if pk is not None}
    runs = {
        c.pk: c
        for c in Cohort.objects.select_for_update().select_related("programme").filter(pk__in=pks).order_by("pk")
    }
    registration = Registration.objects.select_for_update().select_related("board").get(pk=registration.pk)
    if registration.cohort_id != current:
        raise CohortError(
            _("The registration of %(board)s changed meanwhile; please try again.") % {"board": registration.board.name}
        )
    return registration, runs


def _refuse_changing_participants(registration: Registration, cohort: Cohort) -> None:
    if registration.status == Registration.Status.CANCELLED:
        raise CohortError(_("The registration of %(board)s is cancelled.") % {"board": registration.board.name})
    if not participants_can_change(cohort):
        raise CohortError(
            _("%(code)s has started or closed; the participants of %(board)s stay in it.")
            % {"code": cohort.code, "board": registration.board.name}
        )


@transaction.atomic
def move_registration(*, registration: Registration, cohort: Cohort, by=None, request=None) -> Registration:
    """
    Move a placed registration to another course run, with its participants.

    Who was enrolled stays enrolled, and must fit in the new run; who was
    waiting takes a seat the new run has left, or else joins the end of its
    waiting list. The seats freed in the old run go to its waiting list. The contact person gets the new run as on
    placing, each participant their welcome to it; who had the old run's
    days in their calendar gets them cancelled. The audit trail records it.

    :raises CohortError: the registration is cancelled or not placed, either run has started or closed,
        the new run lacks the seats, or one of the participants is already in it
    """
    registration, runs = _locked_runs_of(registration, cohort)
    old, new = _runs_of_move(registration, runs, to=cohort)
    moving = list(registration.participants.filter(cohort=old).order_by("waitlist_number", "pk"))
    _refuse_moving_into(new, moving, board=registration.board.name)
    enrolled = [p for p in moving if p.status == Participant.Status.ENROLLED]
    if old.status in ACTIVE_STATUSES:
        # Before the move, so each cancellation names the run they had.
        days = old.days.filter(date__gte=timezone.localdate())
        recipients = [_contact_recipient(registration), *(_participant_recipient(p) for p in enrolled)]
        _send_day_invitations(days=days, recipients=recipients, method="CANCEL")
    # Their absence notices are about the old run's days.
    Attendance.objects.filter(participant__in=moving, course_day__cohort=old).delete()
    _seat_moving_participants(moving, cohort=new, enrolled=len(enrolled))
    for _seat in enrolled:
        if _promote_from_waiting_list(old) is None:
            break
    _renumber_waiting_list(old)
    registration.cohort = new
    registration.status = Registration.Status.PLACED
    registration.save(update_fields=["cohort", "status"])
    _tell_contact_placed(registration, new)
    for participant in moving:
        if participant.status != Participant.Status.WITHDRAWN:
            _send_welcome(participant, occasion=f"moved-{new.pk}")
    audit.record(
        action=AuditEvent.Action.REGISTRATION_MOVED,
        obj=registration,
        actor=by,
        request=request,
        changes={"cohort": [old.code, new.code]},
    )
    return registration


def _runs_of_move(registration: Registration, runs: dict[int, Cohort], *, to: Cohort) -> tuple[Cohort, Cohort]:
    """
    Return the run a registration leaves and the run it joins, locked.

    :raises CohortError: it is in no run, or already in that one; it may not change its
        participants; or the new run is closed to boards or has started
    """
    board = registration.board.name
    if registration.cohort_id is None:
        raise CohortError(_("%(board)s is not in a course run yet; add it to one instead.") % {"board": board})
    old, new = runs[registration.cohort_id], runs[to.pk]
    if old.pk == new.pk:
        raise CohortError(_("%(board)s is in %(code)s already.") % {"board": board, "code": new.code})
    _refuse_changing_participants(registration, old)
    _refuse_closed_run(new)
    if has_started(new):
        raise CohortError(_("%(code)s has started; boards cannot join it.") % {"code": new.code})
    return old, new


def _seat_moving_participants(moving: list[Participant], *, cohort: Cohort, enrolled: int) -> None:
    """
    Put the moving participants in their new run: who was enrolled stays enrolled.

    Who was waiting takes a seat the run has left over, in their order, or
    else joins the end of its waiting list.
    """
    highest = cohort.participants.aggregate(highest=Max("waitlist_number"))["highest"] or 0
    free = max(cohort.programme.max_participants - seated(cohort) - enrolled, 0)
    for participant in moving:
        participant.cohort = cohort
        if participant.status == Participant.Status.WAITING:
            if free:
                free -= 1
                participant.status, participant.waitlist_number = Participant.Status.ENROLLED, None
            else:
                highest += 1
                participant.waitlist_number = highest
        participant.save(update_fields=["cohort", "status", "waitlist_number"])


def _refuse_moving_into(cohort: Cohort, moving: list[Participant], *, board: str) -> None:
    emails = [p.email.lower() for p in moving]
    taken = (
        Participant.objects.filter(cohort=cohort)
        .alias(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email", flat=True)
        .first()
    )
    if taken:
        raise CohortError(_("%(email)s is in %(code)s already.") % {"email": taken, "code": cohort.code})
    coming = sum(p.status == Participant.Status.ENROLLED for p in moving)
    free = max(cohort.programme.max_participants - seated(cohort), 0)
    if coming > free:
        raise CohortError(
            _("%(board)s has %(enrolled)s enrolled participants, and %(code)s has %(free)s free seats.")
            % {"board": board, "enrolled": coming, "code": cohort.code, "free": free}
        )


@transaction.atomic
def cancel_registration(*, registration: Registration, by=None, request=None) -> list[Participant]:
    """
    Cancel a board's registration: its participants are withdrawn and the seats they free go to the waiting list.

    Who had the run's days in their calendar (the contact person, the
    enrolled participants) gets the days to come cancelled. The audit trail
    records it.

    :return: the participants who got a seat from the waiting list
    :raises CohortError: the registration is cancelled already, or its course run has started or closed
    """
    registration, runs = _locked_runs_of(registration)
    cohort = runs.get(registration.cohort_id)
    if cohort is None:
        if registration.status == Registration.Status.CANCELLED:
            raise CohortError(_("The registration of %(board)s is cancelled.") % {"board": registration.board.name})
        withdrawn, promoted = [], []
    else:
        _refuse_changing_participants(registration, cohort)
        withdrawn = list(registration.participants.exclude(status=Participant.Status.WITHDRAWN))
        enrolled = [p for p in withdrawn if p.status == Participant.Status.ENROLLED]
        promoted = _withdraw_and_promote(cohort=cohort, participants=withdrawn)
        if cohort.status in ACTIVE_STATUSES:
            days = cohort.days.filter(date__gte=timezone.localdate())
            recipients = [_contact_recipient(registration), *(_participant_recipient(p) for p in enrolled)]
            _send_day_invitations(days=days, recipients=recipients, method="CANCEL")
    before = registration.status
    registration.status = Registration.Status.CANCELLED
    registration.save(update_fields=["status"])
    audit.record(
        action=AuditEvent.Action.REGISTRATION_CANCELLED,
        obj=registration,
        actor=by,
        request=request,
        changes={"status": [before, registration.status], "participants_withdrawn": len(withdrawn)},
    )
    return promoted


@transaction.atomic
def form_cohort(*, registrations: list[Registration], programme: Programme, trainer=None) -> Cohort:
    """Form a new course run for these registrations (one or more boards together)."""
    if not registrations:
        raise CohortError(_("Select at least one registration."))
    places = sorted({r.preferred_place for r in registrations if r.preferred_place})
    cohort = Cohort(programme=programme, trainer=trainer, status=Cohort.Status.PLANNED, place=", ".join(places)[:100])
    save_new_cohort(cohort=cohort)
    place_registrations(registrations=registrations, cohort=cohort)
    return cohort
