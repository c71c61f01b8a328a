"""A board's request for the course, and placing requests in a course run."""

import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from mail.services import Email, queue_email, queue_emails
from privacy import services as privacy
from privacy.models import Consent
from programme.models import Programme

from ..models import (
    Board,
    Cohort,
    Registration,
    new_access_key,
)
from .enrolment import EnrolmentError, _cohort_open_for_joining
from .links import board_page_url
from .notices import _contact_recipient, _send_day_invitations
from .runs import ACTIVE_STATUSES, CohortError, save_new_cohort

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
    context = {
        "registration": registration,
        "board": board,
        "board_page_url": board_page_url(registration),
        "programme": cohort.programme if cohort else programme or Programme.objects.active().first(),
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


@transaction.atomic
def place_registrations(*, registrations: list[Registration], cohort: Cohort) -> int:
    """
    Place registrations in a course run and tell each board contact they can add participants.

    :raises CohortError: a registration is cancelled, or already has participants in another course run
    """
    if cohort.status in {Cohort.Status.COMPLETED, Cohort.Status.CANCELLED, Cohort.Status.RUNNING}:
        raise CohortError(
            _("%(code)s is %(status)s; boards cannot join it.")
            % {"code": cohort.code, "status": cohort.get_status_display()}
        )
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
        queue_email(
            to=registration.contact_email,
            template="cohorts/mail/registration_placed",
            context={
                "registration": registration,
                "board": registration.board,
                "cohort": cohort,
                "programme": cohort.programme,
                "days": list(cohort.days.select_related("programme_day").order_by("date")),
                "board_page_url": board_page_url(registration),
            },
            key=f"registration-placed:{registration.pk}:{cohort.pk}",
            language=registration.language,
            about=[registration],
        )
        if Cohort.objects.filter(pk=cohort.pk, status__in=ACTIVE_STATUSES).exists():
            # The contacts placed before got each day as a meeting at confirmation.
            days = cohort.days.filter(date__gte=timezone.localdate())
            _send_day_invitations(days=days, recipients=[_contact_recipient(registration)], method="REQUEST")
        placed += 1
    return placed


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
