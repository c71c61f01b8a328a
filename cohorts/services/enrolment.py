"""Participants in a course run: enrolment, capacity, the waiting list, withdrawal and their own page."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Max, Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from mail.services import queue_email
from privacy import services as privacy
from privacy.models import Consent

from ..models import (
    Attendance,
    Cohort,
    CourseDay,
    Participant,
    Registration,
)
from .links import participant_page_url
from .notices import _participant_recipient, _send_day_invitations
from .runs import ACTIVE_STATUSES, has_started

logger = logging.getLogger(__name__)


PARTICIPANT_FIELDS = ("first_name", "initials", "tussenvoegsel", "last_name", "email", "role", "school", "brin")


class EnrolmentError(Exception):
    """A participant cannot be enrolled, changed or withdrawn; the message says why, in the user's language."""


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
        about=[participant],
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
        about=[first],
    )
    _invite_late_joiner(cohort, first)
    return first


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
