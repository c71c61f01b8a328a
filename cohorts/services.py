"""
The rules of boards, registrations, course runs and participants.

Views, forms, the admin and tasks call these functions; none of them repeats
a rule. Capacity is decided here only, with the course run's row locked, so
two enrolments at the same moment can never both take the last seat.
"""

import dataclasses
import datetime
import itertools
import logging
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Max, Prefetch, Value
from django.db.models.functions import Cast, Concat, Lower
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit import services as audit
from audit.models import AuditEvent
from mail.models import OutgoingMail, OutgoingMailAttachment
from mail.services import Email, queue_email, queue_emails
from privacy import services as privacy
from privacy.models import Consent
from programme.models import Programme, ProgrammeDay
from verbindend.ics import Attendee, CalendarEvent, invitation_attachment, make_calendar

from . import tokens
from .models import (
    Attendance,
    Board,
    CalendarFeed,
    Cohort,
    CourseDay,
    IntakeAppointment,
    Participant,
    Registration,
    new_access_key,
)
from .selectors import cohort_recipients

logger = logging.getLogger(__name__)

PARTICIPANT_FIELDS = ("first_name", "initials", "tussenvoegsel", "last_name", "email", "role", "school", "brin")


class EnrolmentError(Exception):
    """A participant cannot be enrolled, changed or withdrawn; the message says why, in the user's language."""


def board_page_url(registration: Registration) -> str:
    token = tokens.make_token(registration.access_key, tokens.BOARD)
    return settings.SITE_URL + reverse("cohorts:board", kwargs={"token": token})


def enrolment_url(registration: Registration) -> str:
    token = tokens.make_token(registration.enrolment_key, tokens.ENROLMENT)
    return settings.SITE_URL + reverse("cohorts:enrol", kwargs={"token": token})


def participant_page_url(participant: Participant) -> str:
    token = tokens.make_token(participant.access_key, tokens.PARTICIPANT)
    return settings.SITE_URL + reverse("cohorts:participant", kwargs={"token": token})


def create_cohort(*, programme: Programme, year: int | None = None, **fields) -> Cohort:
    """Create a course run with the next free code for its programme and year, such as VL-2027-01."""
    cohort = Cohort(programme=programme, **fields)
    save_new_cohort(cohort=cohort, year=year)
    return cohort


def save_new_cohort(*, cohort: Cohort, year: int | None = None) -> Cohort:
    """
    Give a new course run the next free code for its programme and year, and save it.

    A run has no days yet when it is made, so its code takes this year;
    scheduling its first day in another year re-codes it (`recode_cohort`).
    """
    _save_with_code(cohort, year or timezone.localdate().year)
    return cohort


def _save_with_code(cohort: Cohort, year: int) -> None:
    prefix = f"{cohort.programme.code_prefix}-{year}-"
    for _attempt in range(5):
        taken = Cohort.objects.filter(code__startswith=prefix).exclude(pk=cohort.pk).values_list("code", flat=True)
        numbers = [int(code.rsplit("-", 1)[1]) for code in taken if code.rsplit("-", 1)[1].isdigit()]
        cohort.code = f"{prefix}{max(numbers, default=0) + 1:02d}"
        cohort.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                if cohort.pk:
                    cohort.save(update_fields=["code"])
                else:
                    cohort.save()
            return
        except IntegrityError:
            continue  # Another run took the code at the same moment: take the next.
    raise RuntimeError(f"No free course run code for {prefix}")


def code_year(code: str) -> int | None:
    """Return the year in a course run code such as VL-2027-01."""
    parts = code.rsplit("-", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def recode_cohort(*, cohort: Cohort) -> Cohort:
    """
    Give a course run the code of the year of its first day, unless it has it already.

    Certificate numbers are made of the code (VL-2027-01-017), so once a
    certificate carries it the code stays what it is.
    """
    from registry.models import Certificate

    start = first_day(cohort)
    if start is None or code_year(cohort.code) in {None, start.year}:
        return cohort
    if Certificate.objects.filter(participant__cohort=cohort).exists():
        return cohort
    old = cohort.code
    _save_with_code(cohort, start.year)
    logger.info("Course run %s re-coded %s -> %s: its first day is in %s", cohort.pk, old, cohort.code, start.year)
    return cohort


def first_day(cohort: Cohort) -> date | None:
    return cohort.days.order_by("date").values_list("date", flat=True).first()


def has_started(cohort: Cohort) -> bool:
    if cohort.status in {Cohort.Status.RUNNING, Cohort.Status.COMPLETED}:
        return True
    start = first_day(cohort)
    return start is not None and start <= timezone.localdate()


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


def _cohort_open_for_joining(cohort: Cohort) -> bool:
    if not (cohort.open_for_joining and cohort.accepts_enrolments) or has_started(cohort):
        return False
    enrolled = cohort.participants.filter(status=Participant.Status.ENROLLED).count()
    return enrolled < cohort.programme.max_participants


def _locked_cohort_for(registration: Registration) -> Cohort:
    if registration.cohort_id is None:
        raise EnrolmentError(
            _("Your board has not been placed in a course run yet. You can add participants as soon as it has.")
        )
    # The lock that makes capacity race-free: every enrolment, withdrawal
    # and promotion for this course run waits here for the one before it.
    cohort = Cohort.objects.select_for_update().get(pk=registration.cohort_id)
    if not cohort.accepts_enrolments or has_started(cohort):
        raise EnrolmentError(_("This course run has started or closed; participants can no longer be changed."))
    return cohort


@transaction.atomic
def enroll_participant(
    *, registration: Registration, data: dict, language: str = "nl", consent_form: str = ""
) -> Participant:
    """
    Enrol a participant in the registration's course run, or put them on its waiting list when it is full.

    :param data: first_name, initials, tussenvoegsel, last_name, email, role, school, brin
    :param consent_form: the form on which the participant agreed to the privacy statement themselves
    :raises EnrolmentError: the board has no course run yet, it has started, or the e-mail address is enrolled
    """
    cohort = _locked_cohort_for(registration)
    participant = _enroll(cohort=cohort, registration=registration, data=data, language=language)
    if consent_form:
        privacy.record_consent(
            subject=participant,
            purposes=[Consent.Purpose.ENROLMENT, Consent.Purpose.REGISTER_REPORTING],
            form=consent_form,
        )
    return participant


@transaction.atomic
def enroll_participants(*, registration: Registration, rows: list[dict], language: str = "nl") -> list[Participant]:
    """Enrol several participants at once: all of them, or, when one cannot be enrolled, none."""
    cohort = _locked_cohort_for(registration)
    return [_enroll(cohort=cohort, registration=registration, data=row, language=language) for row in rows]


def _with_email(queryset, email: str):
    """Filter on an e-mail address the way the database's unique constraint compares it: lower() on both sides."""
    return queryset.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(email)))


def _enroll(*, cohort: Cohort, registration: Registration, data: dict, language: str) -> Participant:
    data = {field: data.get(field, "") for field in PARTICIPANT_FIELDS}
    participant = _with_email(Participant.objects.filter(cohort=cohort), data["email"]).first()
    if participant and participant.status != Participant.Status.WITHDRAWN:
        raise EnrolmentError(_("%(email)s is already enrolled in this course run.") % {"email": data["email"]})
    # Someone who withdrew comes back on the same row (one per person and
    # course run), now for the board that enrols them.
    participant = participant or Participant(cohort=cohort)
    participant.registration = registration
    for field, value in data.items():
        setattr(participant, field, value)
    participant.language = language
    participant.created_at = timezone.now()
    participant.withdrawn_at = None
    enrolled = cohort.participants.filter(status=Participant.Status.ENROLLED).count()
    if enrolled < cohort.programme.max_participants:
        participant.status = Participant.Status.ENROLLED
        participant.waitlist_number = None
    else:
        participant.status = Participant.Status.WAITING
        highest = cohort.participants.aggregate(highest=Max("waitlist_number"))["highest"] or 0
        participant.waitlist_number = highest + 1
    participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
    _save_unique(participant)
    template = "participant_welcome" if participant.status == Participant.Status.ENROLLED else "participant_waiting"
    queue_email(
        to=participant.email,
        template=f"cohorts/mail/{template}",
        context=_participant_mail_context(participant),
        key=f"{template}:{participant.pk}:{participant.created_at.timestamp()}",
        language=participant.language,
    )
    if participant.status == Participant.Status.ENROLLED:
        _invite_late_joiner(cohort, participant)
    return participant


def _invite_late_joiner(cohort: Cohort, participant: Participant) -> None:
    """Who joins a confirmed run after everyone got their invitations gets them for the days still to come."""
    if cohort.status not in ACTIVE_STATUSES:
        return
    days = cohort.days.filter(date__gte=timezone.localdate())
    _send_day_invitations(days=days, recipients=[_participant_recipient(participant)], method="REQUEST")


def _participant_mail_context(participant: Participant) -> dict:
    cohort = participant.cohort
    return {
        "participant": participant,
        "cohort": cohort,
        "programme": cohort.programme,
        "days": list(cohort.days.select_related("programme_day").order_by("date")),
        "participant_page_url": participant_page_url(participant),
        # `_invite_late_joiner` sends the days as invitations after this e-mail.
        "invitations_follow": participant.status == Participant.Status.ENROLLED and cohort.status in ACTIVE_STATUSES,
    }


@transaction.atomic
def update_participant(*, participant: Participant, data: dict) -> Participant:
    """Correct a participant's details; the e-mail address stays unique in the course run."""
    cohort = _locked_cohort_for(participant.registration)
    participant = Participant.objects.get(pk=participant.pk)
    email = data.get("email", participant.email)
    if _with_email(cohort.participants.exclude(pk=participant.pk), email).exists():
        raise EnrolmentError(_("%(email)s is already enrolled in this course run.") % {"email": email})
    for field in PARTICIPANT_FIELDS:
        if field in data:
            setattr(participant, field, data[field])
    participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
    _save_unique(participant)
    return participant


@transaction.atomic
def save_participant(*, participant: Participant, by=None, request=None) -> Participant:
    """Save a participant as staff corrected them in the admin; a changed register number goes to the audit trail."""
    before = Participant.objects.filter(pk=participant.pk).values_list("register_number", flat=True).first() or ""
    participant.save()
    _record_register_number(participant, before, by=by, request=request, where="")
    return participant


def _record_register_number(participant: Participant, before: str, *, by, request, where: str) -> None:
    # The number goes to the audit trail only, never to a log line. No staff
    # user makes this change, so the detail says whose page it came from.
    if participant.register_number != before:
        audit.record(
            action=AuditEvent.Action.REGISTER_NUMBER_CHANGED,
            obj=participant,
            actor=by,
            request=request,
            detail=where,
            changes={"register_number": [before, participant.register_number]},
        )


def _save_unique(participant: Participant) -> None:
    """Save; should the unique constraint still object, say so instead of failing."""
    try:
        with transaction.atomic():
            participant.save()
    except IntegrityError:
        raise EnrolmentError(
            _("%(email)s is already enrolled in this course run.") % {"email": participant.email}
        ) from None


@transaction.atomic
def withdraw_participant(*, participant: Participant) -> Participant | None:
    """
    Withdraw a participant; when that frees a seat, enrol the first on the waiting list and e-mail them.

    :return: the participant who got the seat, if any
    """
    cohort = _locked_cohort_for(participant.registration)
    participant = Participant.objects.get(pk=participant.pk)
    if participant.status == Participant.Status.WITHDRAWN:
        return None
    freed_a_seat = participant.status == Participant.Status.ENROLLED
    participant.status = Participant.Status.WITHDRAWN
    participant.waitlist_number = None
    participant.withdrawn_at = timezone.now()
    participant.save(update_fields=["status", "waitlist_number", "withdrawn_at"])
    promoted = _promote_from_waiting_list(cohort) if freed_a_seat else None
    _renumber_waiting_list(cohort)
    return promoted


def _renumber_waiting_list(cohort: Cohort) -> None:
    """
    Number the waiting list 1..n again, in its order, after someone left it.

    Runs under the course run's lock (`_locked_cohort_for`), so no
    enrolment takes a number in between; a new one gets n + 1.
    """
    waiting = cohort.participants.filter(status=Participant.Status.WAITING).order_by("waitlist_number", "pk")
    for position, (pk, number) in enumerate(waiting.values_list("pk", "waitlist_number"), start=1):
        if number != position:
            Participant.objects.filter(pk=pk).update(waitlist_number=position)


def _promote_from_waiting_list(cohort: Cohort) -> Participant | None:
    enrolled = cohort.participants.filter(status=Participant.Status.ENROLLED).count()
    if enrolled >= cohort.programme.max_participants:
        return None
    first = cohort.participants.filter(status=Participant.Status.WAITING).order_by("waitlist_number").first()
    if first is None:
        return None
    first.status = Participant.Status.ENROLLED
    first.waitlist_number = None
    first.save(update_fields=["status", "waitlist_number"])
    queue_email(
        to=first.email,
        template="cohorts/mail/participant_promoted",
        context=_participant_mail_context(first),
        key=f"participant_promoted:{first.pk}:{timezone.now().timestamp()}",
        language=first.language,
    )
    _invite_late_joiner(cohort, first)
    return first


def rotate_board_link(*, registration: Registration, by=None, request=None) -> Registration:
    """Give the board page and the enrolment link new keys; every link sent before stops working."""
    registration.access_key = new_access_key()
    registration.enrolment_key = new_access_key()
    registration.save(update_fields=["access_key", "enrolment_key"])
    audit.record(action=AuditEvent.Action.LINK_ROTATED, obj=registration, actor=by, request=request)
    return registration


# --- Intake appointments and the trainer's calendar ----------------------------


def course_day_span(day: CourseDay) -> tuple[datetime.datetime, datetime.datetime]:
    """Return a course day's start and end as aware datetimes in the site's time zone."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.datetime.combine(day.date, day.start_time), zone),
        timezone.make_aware(datetime.datetime.combine(day.date, day.end_time), zone),
    )


def trainer_conflicts(
    *,
    trainer,
    start: datetime.datetime,
    end: datetime.datetime,
    exclude_day_id: int | None = None,
    exclude_intake_id: int | None = None,
    exclude_cohort_id: int | None = None,
) -> list[str]:
    """Return a description of each course day and intake of this trainer that overlaps start–end."""
    if trainer is None:
        return []
    conflicts = []
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    days = (
        CourseDay.objects.filter(cohort__trainer=trainer, date__range=(local_start.date(), local_end.date()))
        .exclude(cohort__status=Cohort.Status.CANCELLED)
        .exclude(pk=exclude_day_id)
        .exclude(cohort_id=exclude_cohort_id)
        .select_related("cohort", "programme_day")
    )
    for day in days:
        day_start, day_end = course_day_span(day)
        if day_start < end and start < day_end:
            conflicts.append(
                _("course day %(number)s of %(code)s on %(date)s, %(start)s–%(end)s")
                % {
                    "number": day.programme_day.number,
                    "code": day.cohort.code,
                    "date": f"{day.date:%d-%m-%Y}",
                    "start": f"{day.start_time:%H:%M}",
                    "end": f"{day.end_time:%H:%M}",
                }
            )
    intakes = (
        IntakeAppointment.objects.filter(
            trainer=trainer, starts_at__lt=end, starts_at__gt=start - datetime.timedelta(days=1)
        )
        .exclude(status=IntakeAppointment.Status.CANCELLED)
        .exclude(pk=exclude_intake_id)
        .select_related("registration__board")
    )
    for intake in intakes:
        if intake.starts_at < end and start < intake.ends_at:
            conflicts.append(
                _("the intake with %(board)s at %(time)s")
                % {
                    "board": intake.registration.board.name,
                    "time": f"{timezone.localtime(intake.starts_at):%d-%m-%Y %H:%M}",
                }
            )
    return conflicts


INTAKE_FIELDS_THE_BOARD_SEES = {"starts_at", "duration_minutes", "mode", "location", "video_link"}


def validate_intake_start(*, intake: IntakeAppointment, changed_fields: list[str], replaying: bool = False) -> None:
    """
    Refuse an intake planned, or moved, to a moment that has passed.

    An intake that has taken place can still be edited (notes, 'held')
    as long as its start stays where it was.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: on starts_at, in the user's language
    """
    if replaying or intake.starts_at is None or intake.status == IntakeAppointment.Status.CANCELLED:
        return
    if intake.pk is not None and "starts_at" not in changed_fields:
        return
    if intake.starts_at < timezone.now():
        raise ValidationError(
            {
                "starts_at": _(
                    "%(moment)s has passed: an intake can only be planned or moved to a moment still to come."
                )
                % {"moment": f"{timezone.localtime(intake.starts_at):%d-%m-%Y %H:%M}"}
            }
        )


@transaction.atomic
def save_intake(*, intake: IntakeAppointment, changed_fields: list[str], replaying: bool = False) -> IntakeAppointment:
    """
    Save an intake appointment and tell the board contact (and the trainer) what changed, once.

    A new appointment sends an invitation, a moved one an updated
    invitation with a higher SEQUENCE, a cancelled one a cancellation.
    Changes the board does not see (notes, 'held') send nothing.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: the intake is new or moved and its start has passed
    """
    validate_intake_start(intake=intake, changed_fields=changed_fields, replaying=replaying)
    new = intake.pk is None
    changed = set(changed_fields)
    cancelled_now = intake.status == IntakeAppointment.Status.CANCELLED and (new or "status" in changed)
    moved = not new and not cancelled_now and bool(changed & INTAKE_FIELDS_THE_BOARD_SEES)
    if moved or (cancelled_now and not new):
        intake.sequence += 1
    if moved and intake.status == IntakeAppointment.Status.PLANNED:
        intake.status = IntakeAppointment.Status.MOVED
    intake.full_clean()
    intake.save()
    registration = intake.registration
    if new and registration.status == Registration.Status.RECEIVED and not cancelled_now:
        registration.status = Registration.Status.INTAKE
        registration.save(update_fields=["status"])
    if cancelled_now:
        _send_intake_mail(intake, template="intake_cancelled", method="CANCEL")
    elif new or moved:
        _send_intake_mail(intake, template="intake_invitation", method="REQUEST")
    return intake


def intake_event(intake: IntakeAppointment, *, attendees: tuple[Attendee, ...] = ()) -> CalendarEvent:
    """The intake as a calendar event; `attendees`, the invitation's recipients, default to the board's contact."""
    registration = intake.registration
    where = {
        IntakeAppointment.Mode.ON_SITE: intake.location,
        IntakeAppointment.Mode.VIDEO: intake.video_link,
        IntakeAppointment.Mode.PHONE: registration.contact_phone,
    }[intake.mode]
    return CalendarEvent(
        uid=f"intake-{intake.pk}@verbindend",
        sequence=intake.sequence,
        start=intake.starts_at,
        end=intake.ends_at,
        summary=_("Intake Verbindend leiderschap: %(board)s") % {"board": registration.board.name},
        description=intake.get_mode_display(),
        location=where,
        url=intake.video_link,
        organizer_email=settings.PROVIDER_EMAIL,
        organizer_name=settings.PROVIDER_CONTACT_NAME,
        attendees=attendees or (Attendee(registration.contact_email, registration.contact_name),),
        cancelled=intake.status == IntakeAppointment.Status.CANCELLED,
    )


def _send_intake_mail(intake: IntakeAppointment, *, template: str, method: str) -> None:
    registration = intake.registration
    contact = Attendee(registration.contact_email, registration.contact_name)
    recipients = [(registration.contact_email, registration.language, "contact", (contact,))]
    trainer_email = (
        intake.trainer.email if intake.trainer and intake.trainer.email else settings.TRAINER_NOTIFICATION_EMAIL
    )
    trainer_name = intake.trainer.get_full_name() if intake.trainer else ""
    # The trainer's copy names both who meet; each copy names its recipient (RFC 5546: at least one ATTENDEE).
    trainer = Attendee(trainer_email, trainer_name)
    recipients.append((trainer_email, settings.LANGUAGE_CODE, "trainer", (contact, trainer)))
    for address, language, role, attendees in recipients:
        with translation.override(language):
            attachment = invitation_attachment(
                [intake_event(intake, attendees=attendees)], method=method, filename="intake.ics"
            )
        queue_email(
            to=address,
            template=f"cohorts/mail/{template}",
            context={
                "intake": intake,
                "registration": registration,
                "board": registration.board,
                "board_page_url": board_page_url(registration),
                "for_trainer": role == "trainer",
            },
            key=f"intake:{intake.pk}:{intake.sequence}:{intake.status}:{role}",
            language=language,
            attachments=[attachment],
        )


# --- Scheduling and the life of a course run -----------------------------------


@dataclass(frozen=True)
class PlannedDay:
    """A course day as entered, before it is saved."""

    programme_day: ProgrammeDay
    date: datetime.date
    start_time: datetime.time
    end_time: datetime.time
    venue: str
    pk: int | None = None


def _stored_dates(pks) -> dict[int, datetime.date]:
    pks = [pk for pk in pks if pk is not None]
    return dict(CourseDay.objects.filter(pk__in=pks).values_list("pk", "date")) if pks else {}


def _past_date_error(*, number: int, date: datetime.date, stored: datetime.date | None) -> str | None:
    """Return why a day cannot be on this date: new, or moved, to a date that has passed; None when it can."""
    if date >= timezone.localdate() or stored == date:
        return None
    return _("Day %(number)s cannot be on %(date)s: that date has passed. Choose a date still to come.") % {
        "number": number,
        "date": f"{date:%d-%m-%Y}",
    }


def validate_schedule(*, cohort: Cohort, days: list[PlannedDay], replaying: bool = False) -> None:
    """
    Check a course run's days: in programme order on strictly increasing dates, each with a venue,
    never while the trainer is elsewhere, and none new or moved to a date that has passed (a day
    that has taken place keeps its date).

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: one specific message per problem
    """
    errors = []
    if not replaying:
        stored = _stored_dates(day.pk for day in days)
        for day in sorted(days, key=lambda d: d.programme_day.number):
            error = _past_date_error(number=day.programme_day.number, date=day.date, stored=stored.get(day.pk))
            if error:
                errors.append(error)
    ordered = sorted(days, key=lambda d: d.programme_day.number)
    for earlier, later in itertools.pairwise(ordered):
        if later.date <= earlier.date:
            errors.append(
                _("Day %(later)s (%(later_date)s) must come after day %(earlier)s (%(earlier_date)s).")
                % {
                    "later": later.programme_day.number,
                    "later_date": f"{later.date:%d-%m-%Y}",
                    "earlier": earlier.programme_day.number,
                    "earlier_date": f"{earlier.date:%d-%m-%Y}",
                }
            )
    for day in ordered:
        if day.end_time <= day.start_time:
            errors.append(_("Day %(number)s ends before it starts.") % {"number": day.programme_day.number})
            continue
        if not (day.venue or cohort.venue):
            errors.append(
                _("Day %(number)s needs a venue (or give the course run one).") % {"number": day.programme_day.number}
            )
        zone = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.datetime.combine(day.date, day.start_time), zone)
        end = timezone.make_aware(datetime.datetime.combine(day.date, day.end_time), zone)
        # The run's own days are checked against each other above.
        conflicts = trainer_conflicts(trainer=cohort.trainer, start=start, end=end, exclude_cohort_id=cohort.pk)
        if conflicts:
            errors.append(
                _("On day %(number)s the trainer is busy: %(conflicts)s.")
                % {"number": day.programme_day.number, "conflicts": "; ".join(conflicts)}
            )
    if errors:
        raise ValidationError(errors)


class CohortError(Exception):
    """A course run cannot change state; the message says why."""


@transaction.atomic
def confirm_cohort(*, cohort: Cohort, by=None, request=None) -> Cohort:
    """
    Confirm a course run that has at least the minimum of participants and every day scheduled,
    and send each participant and board contact the schedule with an .ics.

    :param by: the staff user, for the audit trail (with ``request``, the address)
    """
    cohort = Cohort.objects.select_for_update().select_related("programme").get(pk=cohort.pk)
    if cohort.status != Cohort.Status.PLANNED and cohort.status != Cohort.Status.REQUESTED:
        raise CohortError(
            _("%(code)s is %(status)s and cannot be confirmed.")
            % {"code": cohort.code, "status": cohort.get_status_display()}
        )
    enrolled = cohort.participants.filter(status=Participant.Status.ENROLLED).count()
    minimum = cohort.programme.min_participants
    if enrolled < minimum:
        raise CohortError(
            _("%(code)s has %(enrolled)s participants; it needs at least %(minimum)s to be confirmed.")
            % {"code": cohort.code, "enrolled": enrolled, "minimum": minimum}
        )
    scheduled = cohort.days.count()
    if scheduled < cohort.programme.number_of_days:
        raise CohortError(
            _("%(code)s has %(scheduled)s of its %(days)s days scheduled; schedule them all first.")
            % {"code": cohort.code, "scheduled": scheduled, "days": cohort.programme.number_of_days}
        )
    before = cohort.status
    cohort.status = Cohort.Status.CONFIRMED
    cohort.save(update_fields=["status"])
    _record_status(AuditEvent.Action.COHORT_CONFIRMED, cohort, before, by=by, request=request)
    _send_to_cohort(cohort, template="cohort_confirmed", key="confirmed", schedule_file=True)
    _send_day_invitations(days=cohort.days.all(), recipients=_cohort_recipients(cohort), method="REQUEST")
    return cohort


@transaction.atomic
def cancel_cohort(*, cohort: Cohort, reason: str = "", by=None, request=None) -> Cohort:
    """
    Cancel a course run that has not been completed, and tell its participants and boards.

    :param reason: why, in the trainer's words; the cancellation e-mail quotes it
    """
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if cohort.status in {Cohort.Status.COMPLETED, Cohort.Status.CANCELLED}:
        raise CohortError(
            _("%(code)s is %(status)s and cannot be cancelled.")
            % {"code": cohort.code, "status": cohort.get_status_display()}
        )
    invited = cohort.status in ACTIVE_STATUSES
    before = cohort.status
    cohort.status = Cohort.Status.CANCELLED
    cohort.save(update_fields=["status"])
    _record_status(AuditEvent.Action.COHORT_CANCELLED, cohort, before, by=by, request=request, detail=reason.strip())
    cohort.days.update(sequence=F("sequence") + 1)
    context = {"reason": reason.strip(), "invited": invited}
    _send_to_cohort(cohort, template="cohort_cancelled", key="cancelled", extra_context=context)
    if invited:
        # Each day was its own invitation, so each is cancelled on its own; the
        # days that took place stay in people's calendars as they happened.
        days = cohort.days.filter(date__gte=timezone.localdate())
        _send_day_invitations(days=days, recipients=_cohort_recipients(cohort), method="CANCEL")
    return cohort


def start_due_cohorts(*, today: datetime.date | None = None) -> int:
    """Mark confirmed course runs running once their first day has come; return how many started."""
    today = today or timezone.localdate()
    started = CourseDay.objects.filter(date__lte=today).values("cohort_id")
    return Cohort.objects.filter(status=Cohort.Status.CONFIRMED, pk__in=started).update(status=Cohort.Status.RUNNING)


@transaction.atomic
def complete_cohort(*, cohort: Cohort, by=None, request=None) -> Cohort:
    """Mark a confirmed or running course run completed once its last day has passed."""
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if cohort.status not in {Cohort.Status.CONFIRMED, Cohort.Status.RUNNING}:
        raise CohortError(
            _("Only a confirmed or running course run can be completed; %(code)s is %(status)s.")
            % {"code": cohort.code, "status": cohort.get_status_display()}
        )
    last = cohort.days.order_by("-date").values_list("date", flat=True).first()
    if last is None or last > timezone.localdate():
        raise CohortError(_("%(code)s cannot be completed before its last day.") % {"code": cohort.code})
    before = cohort.status
    cohort.status = Cohort.Status.COMPLETED
    cohort.save(update_fields=["status"])
    _record_status(AuditEvent.Action.COHORT_COMPLETED, cohort, before, by=by, request=request)
    return cohort


def _record_status(action, cohort: Cohort, before: str, *, by, request, detail: str = "") -> None:
    # Inside the caller's transaction: a decision that rolls back leaves no trace.
    audit.record(
        action=action,
        obj=cohort,
        actor=by,
        request=request,
        detail=detail,
        changes={"status": [before, cohort.status]},
    )


def course_day_event(day: CourseDay, *, cancelled: bool = False, attendees: tuple[Attendee, ...] = ()) -> CalendarEvent:
    """A course day as a calendar event; `attendees` are an invitation's recipients (none in a published file)."""
    start, end = course_day_span(day)
    cohort = day.cohort
    return CalendarEvent(
        uid=f"courseday-{day.pk}@verbindend",
        sequence=day.sequence,
        start=start,
        end=end,
        summary=_("Verbindend leiderschap, day %(number)s: %(theme)s")
        % {"number": day.programme_day.number, "theme": day.programme_day.theme},
        description=day.programme_day.content,
        location=", ".join(part for part in (day.venue or cohort.venue, cohort.place) if part),
        organizer_email=settings.PROVIDER_EMAIL,
        organizer_name=settings.PROVIDER_CONTACT_NAME,
        attendees=attendees,
        cancelled=cancelled,
    )


@dataclass(frozen=True)
class _Recipient:
    """Someone who gets a run's e-mails: a participant or a board's contact."""

    email: str
    name: str
    language: str
    who: str  # in idempotency keys
    context: dict


def _participant_recipient(participant: Participant) -> _Recipient:
    return _Recipient(
        participant.email,
        participant.full_name,
        participant.language,
        f"participant-{participant.pk}",
        {"participant": participant, "participant_page_url": participant_page_url(participant)},
    )


def _contact_recipient(registration: Registration) -> _Recipient:
    return _Recipient(
        registration.contact_email,
        registration.contact_name,
        registration.language,
        f"contact-{registration.pk}",
        {"registration": registration, "board": registration.board, "board_page_url": board_page_url(registration)},
    )


def _cohort_recipients(cohort: Cohort) -> list[_Recipient]:
    # The admin's confirmation page counts the same recipients (selectors.cohort_recipients).
    participants, registrations = cohort_recipients(cohort)
    return [_participant_recipient(p) for p in participants] + [_contact_recipient(r) for r in registrations]


def _send_to_cohort(
    cohort: Cohort, *, template: str, key: str, extra_context: dict | None = None, schedule_file: bool = False
) -> None:
    """
    E-mail every enrolled participant and every board contact of a course run.

    :param schedule_file: attach the whole schedule as a PUBLISH .ics, to
        import at once; the meetings are the per-day invitations
        (`_send_day_invitations`), as a REQUEST is one event
    """
    days = list(cohort.days.select_related("programme_day", "cohort").order_by("date"))
    for recipient in _cohort_recipients(cohort):
        attachments = []
        if schedule_file:
            with translation.override(recipient.language):
                attachments.append(
                    invitation_attachment(
                        [course_day_event(day) for day in days], method="PUBLISH", filename="rooster.ics"
                    )
                )
        context = {"cohort": cohort, "programme": cohort.programme, "days": days, **(extra_context or {})}
        queue_email(
            to=recipient.email,
            template=f"cohorts/mail/{template}",
            context={**context, **recipient.context},
            key=f"cohort-{key}:{cohort.pk}:{recipient.who}",
            language=recipient.language,
            attachments=attachments,
        )


def _day_invitation(day: CourseDay, recipient: _Recipient, *, method: str):
    """The day as one meeting for one recipient: its own UID and SEQUENCE, the recipient as ATTENDEE."""
    with translation.override(recipient.language):
        event = course_day_event(
            day, cancelled=method == "CANCEL", attendees=(Attendee(recipient.email, recipient.name),)
        )
        return invitation_attachment([event], method=method, filename=f"dag-{day.programme_day.number}.ics")


def _send_day_invitations(*, days, recipients: list[_Recipient], method: str) -> None:
    """
    Send each recipient one e-mail per course day: the day's invitation (REQUEST) or cancellation (CANCEL).

    One meeting per day, rather than one message with the whole schedule:
    RFC 5546 allows several events in one REQUEST only as instances of one
    UID, Outlook keeps only the first, and Thunderbird reads six UIDs as a
    PUBLISH. A day of its own also moves (a REQUEST with a higher SEQUENCE,
    `_send_day_changed`) and is cancelled on its own. The key holds the
    day's sequence, so a day's invitation at a sequence goes to a person once.
    """
    days = list(days.select_related("programme_day", "cohort__programme").order_by("date"))
    template = "course_day_invitation" if method == "REQUEST" else "course_day_cancelled"
    for day in days:
        cohort = day.cohort
        for recipient in recipients:
            queue_email(
                to=recipient.email,
                template=f"cohorts/mail/{template}",
                context={"cohort": cohort, "programme": cohort.programme, "day": day, **recipient.context},
                key=f"courseday-{method.lower()}:{day.pk}:{day.sequence}:{recipient.who}",
                language=recipient.language,
                attachments=[_day_invitation(day, recipient, method=method)],
            )


# A run's days still to come get their reminders and change notices while it
# is confirmed and once it runs (it runs from its first day on).
ACTIVE_STATUSES = (Cohort.Status.CONFIRMED, Cohort.Status.RUNNING)

# The fields whose change moves a course day (and sends the change notice).
MOVE_FIELDS = ("date", "start_time", "end_time", "venue")


def _json_value(value):
    """A date or time as ISO text, for the audit trail's JSON; other values as they are."""
    return value.isoformat() if hasattr(value, "isoformat") else value


@transaction.atomic
def save_course_day(
    *, day: CourseDay, changed_fields: list[str], replaying: bool = False, by=None, request=None
) -> CourseDay:
    """
    Save a course day. When its run is confirmed or running and the day moved, send each enrolled
    participant a change notice with the updated .ics, and each board's contact one about their
    leaders, once per change. The run's code follows the year of its first day.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: the day is new, or moved, to a date that has passed
    """
    if not replaying:
        stored = _stored_dates([day.pk]).get(day.pk)
        error = _past_date_error(number=day.programme_day.number, date=day.date, stored=stored)
        if error:
            raise ValidationError(error)
    moved = day.pk is not None and bool(set(MOVE_FIELDS) & set(changed_fields))
    if moved:
        day.sequence += 1
        stored = CourseDay.objects.filter(pk=day.pk).values(*MOVE_FIELDS).first() or {}
    day.save()
    if moved:
        changes = {
            field: [_json_value(stored.get(field)), _json_value(getattr(day, field))]
            for field in MOVE_FIELDS
            if stored.get(field) != getattr(day, field)
        }
        if changes:
            audit.record(action=AuditEvent.Action.DAY_MOVED, obj=day, actor=by, request=request, changes=changes)
    cohort = Cohort.objects.select_for_update().select_related("programme").get(pk=day.cohort_id)
    recode_cohort(cohort=cohort)
    day.cohort = cohort
    if moved and cohort.status in ACTIVE_STATUSES and day.date >= timezone.localdate():
        _send_day_changed(cohort=cohort, day=day)
    return day


def _send_day_changed(*, cohort: Cohort, day: CourseDay) -> None:
    # The people who received the schedule (`_send_to_cohort`) hear of a change to it.
    participants, registrations = cohort_recipients(cohort)
    enrolled = list(participants)
    for participant in enrolled:
        attachment = _day_invitation(day, _participant_recipient(participant), method="REQUEST")
        queue_email(
            to=participant.email,
            template="cohorts/mail/day_changed",
            context={
                "participant": participant,
                "cohort": cohort,
                "day": day,
                "participant_page_url": participant_page_url(participant),
            },
            key=f"day-changed:{day.pk}:{day.sequence}:{participant.pk}",
            language=participant.language,
            attachments=[attachment],
        )
    for registration in registrations.select_related("board"):
        # With the day's updated invitation: they got the day as a meeting at confirmation.
        attachment = _day_invitation(day, _contact_recipient(registration), method="REQUEST")
        queue_email(
            to=registration.contact_email,
            template="cohorts/mail/day_changed_board",
            context={
                "registration": registration,
                "board": registration.board,
                "cohort": cohort,
                "day": day,
                "leaders": [p for p in enrolled if p.registration_id == registration.pk],
                "board_page_url": board_page_url(registration),
            },
            key=f"day-changed-board:{day.pk}:{day.sequence}:{registration.pk}",
            language=registration.language,
            attachments=[attachment],
        )


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


# --- Reminders -----------------------------------------------------------------


def send_due_reminders(*, now: datetime.datetime | None = None) -> int:
    """
    Queue the reminders that are due; return how many were queued.

    A course day of a confirmed or running run (a running one has days
    still to come) is reminded to each enrolled participant and to each
    board's contact with leaders in it. A reminder for a window of N days
    is due from the day's start time N days earlier, on the wall clock in
    Amsterdam, until the day starts; when several windows are due only the
    nearest is sent. An intake's reminder is due a day before it. Every
    reminder has one key per participant (or contact, or intake), day and
    window, so running this as often as you like sends each one once.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    windows = sorted(settings.REMINDER_DAYS_BEFORE)
    today = timezone.localdate(now, zone)
    planned = []  # (key, participant / board's registration / intake, course day or None)
    days = (
        CourseDay.objects.filter(
            cohort__status__in=ACTIVE_STATUSES,
            date__gte=today,
            date__lte=today + datetime.timedelta(days=max(windows, default=0)),
        )
        .select_related("cohort__programme", "programme_day")
        .prefetch_related(
            Prefetch(
                "cohort__participants",
                queryset=Participant.objects.filter(status=Participant.Status.ENROLLED),
                to_attr="enrolled",
            ),
            Prefetch(
                "cohort__registrations",
                queryset=Registration.objects.exclude(status=Registration.Status.CANCELLED).select_related("board"),
                to_attr="current_registrations",
            ),
        )
    )
    for day in days:
        start = timezone.make_aware(datetime.datetime.combine(day.date, day.start_time), zone)
        if start <= now:
            continue
        due = [
            w
            for w in windows
            if timezone.make_aware(
                datetime.datetime.combine(day.date - datetime.timedelta(days=w), day.start_time), zone
            )
            <= now
        ]
        if not due:
            continue
        window = min(due)
        planned += [(f"reminder:{p.pk}:{day.pk}:{window}", p, day) for p in day.cohort.enrolled]
        # Each board's contact hears which of their leaders have a day coming up.
        for registration in day.cohort.current_registrations:
            registration.leaders = [p for p in day.cohort.enrolled if p.registration_id == registration.pk]
            if registration.leaders:
                planned.append((f"reminder-board:{registration.pk}:{day.pk}:{window}", registration, day))
    intakes = IntakeAppointment.objects.filter(
        status__in=[IntakeAppointment.Status.PLANNED, IntakeAppointment.Status.MOVED],
        starts_at__gt=now,
        starts_at__lte=now + datetime.timedelta(days=1),
    ).select_related("registration__board")
    planned += [(f"intake-reminder:{i.pk}:{i.sequence}", i, None) for i in intakes]
    sent = set(OutgoingMail.objects.filter(key__in=[key for key, _who, _day in planned]).values_list("key", flat=True))
    due = [(key, who, day) for key, who, day in planned if key not in sent]
    if not due:
        return 0
    # One transaction for the run: a failure leaves nothing half-queued, and
    # the next run (its keys not yet taken) tries again.
    with transaction.atomic():
        for key, who, day in due:
            if day is None:
                queue_email(
                    to=who.registration.contact_email,
                    template="cohorts/mail/intake_reminder",
                    context={"intake": who, "registration": who.registration, "board": who.registration.board},
                    key=key,
                    language=who.registration.language,
                )
            elif isinstance(who, Registration):
                queue_email(
                    to=who.contact_email,
                    template="cohorts/mail/course_day_reminder_board",
                    context={
                        "registration": who,
                        "board": who.board,
                        "leaders": who.leaders,
                        "day": day,
                        "cohort": day.cohort,
                        "programme": day.cohort.programme,
                        "board_page_url": board_page_url(who),
                    },
                    key=key,
                    language=who.language,
                )
            else:
                queue_email(
                    to=who.email,
                    template="cohorts/mail/course_day_reminder",
                    context={
                        "participant": who,
                        "day": day,
                        "cohort": day.cohort,
                        "programme": day.cohort.programme,
                        "participant_page_url": participant_page_url(who),
                    },
                    key=key,
                    language=who.language,
                )
    return len(due)


# --- Attendance and outcomes ---------------------------------------------------


class Outcome(models.TextChoices):
    COMPLETED = "completed", gettext_lazy("completed")
    ATTENDED = "attended", gettext_lazy("attended only")
    NOT_COMPLETED = "not_completed", gettext_lazy("not completed")
    WITHDRAWN = "withdrawn", gettext_lazy("withdrawn")


def outcome(*, participant: Participant, days_attended: int, programme: Programme) -> Outcome:
    """Apply the programme's completion rule to one participant."""
    if participant.status == Participant.Status.WITHDRAWN:
        return Outcome.WITHDRAWN
    assignment_done = participant.final_assignment_done or not programme.final_assignment_required
    if days_attended >= programme.required_days and assignment_done:
        return Outcome.COMPLETED
    if days_attended:
        return Outcome.ATTENDED
    return Outcome.NOT_COMPLETED


@dataclass(frozen=True)
class AttendanceEntry:
    participant_id: int
    course_day_id: int
    status: str
    note: str = ""
    made_up_in_id: int | None = None


@transaction.atomic
def record_attendance(*, cohort: Cohort, entries: list[AttendanceEntry], recorded_by, request=None) -> int:
    """
    Record the attendance grid of a course run in a bounded number of queries; return how many cells changed.

    :raises ValidationError: an entry names a participant or day of another run, a make-up without its
        day, or a day still to come
    """
    participant_ids = set(cohort.participants.values_list("pk", flat=True))
    dates = dict(cohort.days.values_list("pk", "date"))
    day_ids = set(dates)
    today = timezone.localdate()
    make_up_days = dict(
        CourseDay.objects.exclude(cohort=cohort)
        .filter(pk__in={e.made_up_in_id for e in entries if e.made_up_in_id})
        .values_list("pk", "programme_day_id")
    )
    programme_day_of = dict(cohort.days.values_list("pk", "programme_day_id"))
    existing = {
        (a.participant_id, a.course_day_id): a
        for a in Attendance.objects.filter(course_day__cohort=cohort).select_for_update()
    }
    now = timezone.now()
    new, changed = [], []
    # The cells changed for a day that has taken place, for the audit trail.
    cells = []
    for entry in entries:
        if entry.participant_id not in participant_ids or entry.course_day_id not in day_ids:
            raise ValidationError(_("The attendance names a participant or day of another course run."))
        if dates[entry.course_day_id] > today and (entry.status or entry.note):
            raise ValidationError(
                _("Attendance can only be recorded for a day that has taken place; %(date)s is still to come.")
                % {"date": f"{dates[entry.course_day_id]:%d-%m-%Y}"}
            )
        made_up_in_id = None
        if entry.status == Attendance.Status.MADE_UP:
            if make_up_days.get(entry.made_up_in_id) != programme_day_of[entry.course_day_id]:
                raise ValidationError(_("A day made up must be the same programme day with another course run."))
            made_up_in_id = entry.made_up_in_id
        attendance = existing.get((entry.participant_id, entry.course_day_id))
        before = (attendance.status, attendance.note, attendance.made_up_in_id) if attendance else ("", "", None)
        after = (entry.status, entry.note, made_up_in_id)
        if before != after and dates[entry.course_day_id] <= today:
            cells.append(
                {
                    "participant": entry.participant_id,
                    "day": entry.course_day_id,
                    "before": _cell(*before),
                    "after": _cell(*after),
                }
            )
        if attendance is None:
            if not entry.status and not entry.note:
                continue
            new.append(
                Attendance(
                    participant_id=entry.participant_id,
                    course_day_id=entry.course_day_id,
                    status=entry.status,
                    note=entry.note,
                    made_up_in_id=made_up_in_id,
                    recorded_by=recorded_by,
                    recorded_at=now,
                )
            )
        elif (attendance.status, attendance.note, attendance.made_up_in_id) != (
            entry.status,
            entry.note,
            made_up_in_id,
        ):
            attendance.status, attendance.note, attendance.made_up_in_id = entry.status, entry.note, made_up_in_id
            attendance.recorded_by, attendance.recorded_at = recorded_by, now
            changed.append(attendance)
    Attendance.objects.bulk_create(new)
    # One UPDATE per distinct change rather than a CASE per row and field:
    # a whole day marked present is one statement.
    groups = {}
    for attendance in changed:
        groups.setdefault((attendance.status, attendance.note, attendance.made_up_in_id), []).append(attendance.pk)
    for (status, note, made_up_in_id), pks in groups.items():
        Attendance.objects.filter(pk__in=pks).update(
            status=status, note=note, made_up_in_id=made_up_in_id, recorded_by=recorded_by, recorded_at=now
        )
    if cells:
        # One event for the whole save, with every cell in it: one INSERT
        # however many cells changed.
        audit.record(
            action=AuditEvent.Action.ATTENDANCE_CHANGED,
            obj=cohort,
            actor=recorded_by,
            request=request,
            changes={"cells": cells},
        )
    return len(new) + len(changed)


def _cell(status: str, note: str, made_up_in_id: int | None) -> dict:
    return {"status": status, "note": note, "made_up_in": made_up_in_id}


# --- The trainer's calendar feed ----------------------------------------------


def calendar_feed_url(user) -> str:
    """Return the private calendar feed URL of a staff user, making its key on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    token = tokens.make_token(feed.key, tokens.CALENDAR)
    return settings.SITE_URL + reverse("cohorts:calendar_feed", kwargs={"token": token})


def _trainer_course_day_event(day: CourseDay) -> CalendarEvent:
    """Return a course day for the trainer's feed, titled with the run's code and its boards.

    The trainer runs several runs at once: in a week view, "day 3" alone does not say which group comes. The
    participants' titles stay as they are (they follow one run only).
    """
    event = course_day_event(day, cancelled=day.cohort.status == Cohort.Status.CANCELLED)
    boards = ", ".join(dict.fromkeys(registration.board.name for registration in day.cohort.registrations.all()))
    summary = _("%(code)s, day %(number)s: %(theme)s") % {
        "code": day.cohort.code,
        "number": day.programme_day.number,
        "theme": day.programme_day.theme,
    }
    if boards:
        summary = _("%(summary)s (%(boards)s)") % {"summary": summary, "boards": boards}
    return dataclasses.replace(event, summary=summary)


def trainer_calendar(user) -> bytes:
    """Return the .ics of all course days and intakes of a trainer; cancelled ones stay, marked cancelled."""
    days = (
        CourseDay.objects.filter(cohort__trainer=user)
        .select_related("cohort", "programme_day")
        .prefetch_related(
            Prefetch(
                "cohort__registrations",
                queryset=Registration.objects.exclude(status=Registration.Status.CANCELLED)
                .select_related("board")
                .order_by("board__name"),
            )
        )
    )
    intakes = IntakeAppointment.objects.filter(trainer=user).select_related(
        "registration__board", "registration__cohort"
    )
    events = [_trainer_course_day_event(day) for day in days]
    events += [_trainer_intake_event(intake) for intake in intakes]
    return make_calendar(events, method="PUBLISH", name=_("Verbindend: trainer"))


def _trainer_intake_event(intake: IntakeAppointment) -> CalendarEvent:
    """Return an intake for the trainer's feed: its title names the board already, and the run once there is one."""
    event = intake_event(intake)
    cohort = intake.registration.cohort
    if cohort is None:
        return event
    return dataclasses.replace(event, summary=f"{cohort.code}, {event.summary}")


def send_go_no_go_alerts(*, now: datetime.datetime | None = None) -> int:
    """
    Alert the trainer and the boards' contacts, once, about each course run
    that is still below its minimum GO_NO_GO_WEEKS before its first day.
    """
    now = now or timezone.now()
    deadline = timezone.localdate(now) + datetime.timedelta(weeks=settings.GO_NO_GO_WEEKS)
    cohorts = (
        Cohort.objects.with_counts()
        .filter(status__in=[Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED])
        .annotate(first_date=models.Min("days__date"))
        .filter(first_date__lte=deadline, first_date__gte=timezone.localdate(now))
        .select_related("programme", "trainer")
        .prefetch_related("registrations__board")
    )
    queued = 0
    for cohort in cohorts:
        needed = cohort.programme.min_participants - cohort.enrolled_count
        if needed <= 0:
            continue
        trainer_email = (
            cohort.trainer.email if cohort.trainer and cohort.trainer.email else settings.TRAINER_NOTIFICATION_EMAIL
        )
        recipients = [(trainer_email, settings.LANGUAGE_CODE, "trainer", None)]
        recipients += [
            (r.contact_email, r.language, f"contact-{r.pk}", r)
            for r in cohort.registrations.all()
            if r.status != Registration.Status.CANCELLED
        ]
        for address, language, who, registration in recipients:
            with transaction.atomic():
                queue_email(
                    to=address,
                    template="cohorts/mail/go_no_go",
                    context={
                        "cohort": cohort,
                        "programme": cohort.programme,
                        "needed": needed,
                        "enrolled": cohort.enrolled_count,
                        "registration": registration,
                        "board_page_url": board_page_url(registration) if registration else "",
                    },
                    key=f"go-no-go:{cohort.pk}:{who}",
                    language=language,
                )
            queued += 1
    return queued


# --- The participant's own page ------------------------------------------------


@transaction.atomic
def update_own_details(*, participant: Participant, data: dict, request=None) -> Participant:
    """Let a participant correct the spelling of their name and give their register number."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    before = participant.register_number
    for field in ("initials", "first_name", "tussenvoegsel", "last_name", "register_number"):
        if field in data:
            setattr(participant, field, data[field])
    participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
    participant.save(update_fields=["initials", "first_name", "tussenvoegsel", "last_name", "register_number"])
    _record_register_number(participant, before, by=None, request=request, where="own_page")
    return participant


@transaction.atomic
def notify_absence(*, participant: Participant, day: CourseDay, absent: bool = True) -> Attendance:
    """Record (or take back) a participant's notice that they cannot attend a coming day; no reason is asked."""
    if day.cohort_id != participant.cohort_id:
        raise EnrolmentError(_("This day is not part of your course run."))
    if day.date < timezone.localdate():
        raise EnrolmentError(_("This day has passed; an absence can only be reported beforehand."))
    attendance, _created = Attendance.objects.select_for_update().get_or_create(participant=participant, course_day=day)
    attendance.absence_notified_at = timezone.now() if absent else None
    attendance.save(update_fields=["absence_notified_at"])
    return attendance


def participant_calendar(participant: Participant) -> bytes:
    """Return the participant's schedule as .ics; UIDs stay the same when a day moves, so calendars update it."""
    cohort = participant.cohort
    days = cohort.days.select_related("cohort", "programme_day").order_by("date")
    cancelled = cohort.status == Cohort.Status.CANCELLED or participant.status == Participant.Status.WITHDRAWN
    return make_calendar(
        [course_day_event(day, cancelled=cancelled) for day in days],
        method="PUBLISH",
        name=cohort.programme.title,
    )


def days_attended(participant: Participant) -> int:
    """Count the days a participant attended, days made up with another run included."""
    return participant.attendances.filter(status__in=[Attendance.Status.PRESENT, Attendance.Status.MADE_UP]).count()


# --- A person's own data (AVG) -----------------------------------------------


def _mails_to(address: str) -> list[dict]:
    candidates = OutgoingMail.objects.filter(to__icontains=address).order_by("created_at")
    return [
        {
            "subject": m.subject,
            "queued": m.created_at.isoformat(),
            "sent": m.sent_at.isoformat() if m.sent_at else None,
            "status": m.status,
        }
        for m in candidates
        if address.lower() in (t.lower() for t in m.to)
    ]


def _consents(subject) -> list[dict]:
    return [
        {
            "purpose": c.purpose,
            "statement_version": c.statement.version,
            "form": c.form,
            "given": c.given_at.isoformat(),
        }
        for c in privacy.consents_of(subject)
    ]


def participant_data(participant: Participant) -> dict:
    """Everything the product holds about a participant, for their own download."""
    cohort = participant.cohort
    attendance = {a.course_day_id: a for a in participant.attendances.all()}
    return {
        "details": {
            "initials": participant.initials,
            "first_name": participant.first_name,
            "tussenvoegsel": participant.tussenvoegsel,
            "last_name": participant.last_name,
            "email": participant.email,
            "role": participant.get_role_display(),
            "school": participant.school,
            "brin": participant.brin,
            "register_number": participant.register_number,
            "language": participant.language,
        },
        "enrolment": {
            "programme": cohort.programme.title,
            "course_run": cohort.code,
            "board": participant.registration.board.name,
            "status": participant.status,
            "enrolled_at": participant.created_at.isoformat(),
            "withdrawn_at": participant.withdrawn_at.isoformat() if participant.withdrawn_at else None,
        },
        "attendance": [
            {
                "day": day.programme_day.number,
                "date": day.date.isoformat(),
                "attendance": attendance[day.pk].status if day.pk in attendance else "",
                "notified_absence": bool(day.pk in attendance and attendance[day.pk].absence_notified_at),
            }
            for day in cohort.days.select_related("programme_day").order_by("date")
        ],
        "certificates": [
            {"number": str(c), "kind": c.kind, "status": c.status, "issued": c.issued_at.isoformat()}
            for c in participant.certificates.all()
        ],
        "emails": _mails_to(participant.email),
        "consents": _consents(participant),
    }


def registration_data(registration: Registration) -> dict:
    """Everything the product holds about a board's registration and its contact person."""
    board = registration.board
    return {
        "board": {
            "name": board.name,
            "kind": board.kind,
            "bestuursnummer": board.bestuursnummer,
            "swv_code": board.swv_code,
            "sector": board.sector,
            "place": board.place,
        },
        "contact": {
            "name": registration.contact_name,
            "function": registration.contact_function,
            "email": registration.contact_email,
            "phone": registration.contact_phone,
        },
        "registration": {
            "received": registration.created_at.isoformat(),
            "status": registration.status,
            "expected_participants": registration.expected_participants,
            "preferred_period": registration.preferred_period,
            "preferred_place": registration.preferred_place,
            "remarks": registration.remarks,
            "course_run": registration.cohort.code if registration.cohort else None,
        },
        "intakes": [
            {"start": i.starts_at.isoformat(), "how": i.mode, "status": i.status} for i in registration.intakes.all()
        ],
        "participants": [
            {"name": p.full_name, "email": p.email, "status": p.status} for p in registration.participants.all()
        ],
        "emails": _mails_to(registration.contact_email),
        "consents": _consents(registration),
    }


# --- Erasure -----------------------------------------------------------------

ERASED = "Gewist"


def _wipe_mail_to(address: str) -> int:
    """Remove an address and everything written to it from the outbox; the rows stay as a count."""
    wiped = 0
    for mail in OutgoingMail.objects.filter(to__icontains=address):
        if address.lower() not in (t.lower() for t in mail.to):
            continue
        mail.to = [f"gewist-{mail.pk}@verbindend.invalid"]
        mail.reply_to = []
        mail.subject = "[gewist]"
        mail.body_text = ""
        mail.body_html = ""
        mail.last_error = ""
        mail.save(update_fields=["to", "reply_to", "subject", "body_text", "body_html", "last_error"])
        mail.attachments.all().delete()
        wiped += 1
    return wiped


@transaction.atomic
def anonymise_participant(*, participant: Participant, by=None, request=None) -> Participant:
    """
    Anonymise a participant in every table: name, e-mail, school, register number, notes and e-mails go.

    Kept, for the legal period: the completion record (status, attendance), and any certificate with its
    number and the name as printed, so that the certificate still verifies.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    address = participant.email
    participant.first_name = ERASED
    participant.initials = participant.tussenvoegsel = participant.school = participant.brin = ""
    participant.last_name = ""
    participant.register_number = ""
    participant.email = f"gewist-{participant.pk}@verbindend.invalid"
    participant.access_key = new_access_key()
    participant.save()
    participant.attendances.update(note="", absence_notified_at=None)
    _wipe_mail_to(address)
    audit.record(action=AuditEvent.Action.ERASURE, obj=participant, actor=by, request=request, detail="participant")
    return participant


@transaction.atomic
def anonymise_contact(*, registration: Registration, by=None, request=None) -> Registration:
    """Anonymise a board's contact person: their name, function, e-mail, phone, remarks and e-mails go."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    address = registration.contact_email
    registration.contact_name = ERASED
    registration.contact_function = registration.contact_phone = registration.remarks = ""
    registration.contact_email = f"gewist-contact-{registration.pk}@verbindend.invalid"
    registration.access_key = new_access_key()
    registration.save()
    registration.intakes.update(notes="")
    _wipe_mail_to(address)
    audit.record(action=AuditEvent.Action.ERASURE, obj=registration, actor=by, request=request, detail="contact")
    return registration


# --- Retention -----------------------------------------------------------------


def apply_retention(*, now: datetime.datetime | None = None, dry_run: bool = False, batch: int = 1000) -> dict:
    """
    Apply the retention periods; return what was (or, with dry_run, would be) done.

    - Participants and contact persons of course runs completed more than RETENTION_CONTACT_DAYS ago are
      anonymised, their attendance notes and absence notices cleared. Certificates and the completion
      record stay (the register needs them for seven years).
    - Registrations that never became part of a course run are deleted RETENTION_UNPLACED_DAYS after they came in.
    - Outbox rows older than RETENTION_MAIL_DAYS lose their addresses and text.

    Runs in batches, a bounded number of queries per batch; a second run finds nothing to do.
    """
    now = now or timezone.now()
    contact_limit = timezone.localdate(now) - datetime.timedelta(days=settings.RETENTION_CONTACT_DAYS)
    old_cohorts = (
        Cohort.objects.filter(status=Cohort.Status.COMPLETED)
        .annotate(last=models.Max("days__date"))
        .filter(last__lt=contact_limit)
    )
    participants = Participant.objects.filter(cohort__in=old_cohorts).exclude(email__endswith="@verbindend.invalid")
    contacts = Registration.objects.filter(cohort__in=old_cohorts).exclude(
        contact_email__endswith="@verbindend.invalid"
    )
    unplaced = Registration.objects.filter(
        cohort__isnull=True, created_at__lt=now - datetime.timedelta(days=settings.RETENTION_UNPLACED_DAYS)
    )
    mails = OutgoingMail.objects.filter(
        created_at__lt=now - datetime.timedelta(days=settings.RETENTION_MAIL_DAYS),
        status__in=[OutgoingMail.Status.SENT, OutgoingMail.Status.FAILED],
    ).exclude(subject="[verwijderd]")
    report = {
        "participants": participants.count(),
        "contacts": contacts.count(),
        "unplaced_registrations": unplaced.count(),
        "emails": mails.count(),
    }
    if dry_run:
        return report
    while ids := list(participants.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            Participant.objects.filter(pk__in=ids).update(
                first_name=ERASED,
                initials="",
                tussenvoegsel="",
                last_name="",
                school="",
                brin="",
                register_number="",
                email=Concat(Value("gewist-"), Cast("pk", models.CharField()), Value("@verbindend.invalid")),
                access_key=Concat(Value("gewist-"), Cast("pk", models.CharField())),
            )
            Attendance.objects.filter(participant_id__in=ids).update(note="", absence_notified_at=None)
    while ids := list(contacts.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            Registration.objects.filter(pk__in=ids).update(
                contact_name=ERASED,
                contact_function="",
                contact_phone="",
                remarks="",
                contact_email=Concat(
                    Value("gewist-contact-"), Cast("pk", models.CharField()), Value("@verbindend.invalid")
                ),
                access_key=Concat(Value("gewist-"), Cast("pk", models.CharField())),
                enrolment_key=Concat(Value("gewist-enrol-"), Cast("pk", models.CharField())),
            )
            IntakeAppointment.objects.filter(registration_id__in=ids).update(notes="")
    while ids := list(unplaced.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            Consent.objects.filter(subject_type=Registration._meta.label, subject_id__in=[str(i) for i in ids]).delete()
            Registration.objects.filter(pk__in=ids).delete()
    while ids := list(mails.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            OutgoingMail.objects.filter(pk__in=ids).update(
                to=[], reply_to=[], subject="[verwijderd]", body_text="", body_html="", last_error=""
            )
            # An invitation names its recipient as ATTENDEE.
            OutgoingMailAttachment.objects.filter(mail_id__in=ids).delete()
    logger.info("Retention applied: %s", report)
    return report
