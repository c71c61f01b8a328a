"""Participants in a course run: enrolment, capacity, the waiting list, withdrawal and their own page."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, IntegerField, Max, Q, Value, When
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from mail.services.queueing import Email, queue_email
from privacy import services as privacy
from privacy.models import Consent

from .. import selectors
from ..models import (
    Attendance,
    Cohort,
    CourseDay,
    Participant,
    Registration,
)
from ..selectors import details_locked
from .links import participant_page_url
from .notices import _cohort_days, _day_invitation_emails, _participant_recipient, _queue, _send_day_invitations
from .runs import ACTIVE_STATUSES, has_started

logger = logging.getLogger(__name__)


PARTICIPANT_FIELDS = ("first_name", "initials", "tussenvoegsel", "last_name", "email", "role", "school", "brin")


class EnrolmentError(Exception):
    """A participant cannot be enrolled, changed or withdrawn; the message says why, in the user's language."""


def seated(cohort: Cohort) -> int:
    """Return how many participants of a run have a seat (are enrolled); read under the run's lock to decide on one."""
    return cohort.participants.filter(status=Participant.Status.ENROLLED).count()


def _cohort_open_for_joining(cohort: Cohort) -> bool:
    if not (cohort.open_for_joining and cohort.accepts_enrolments) or has_started(cohort):
        return False
    enrolled = seated(cohort)
    return enrolled < cohort.programme.max_participants


def participants_can_change(cohort: Cohort, *, days: list[CourseDay] | None = None, today=None) -> bool:
    """
    Return whether a run's participants can still be enrolled, changed or withdrawn: it takes them and has not begun.

    :param days: the run's days in date order, when read already (the board page has them); else they are asked
    """
    if not cohort.accepts_enrolments:
        return False
    if days is None:
        return not has_started(cohort)
    return not days or days[0].date > (today or timezone.localdate())


def _locked_cohort_for(registration: Registration) -> Cohort:
    if registration.cohort_id is None:
        raise EnrolmentError(
            _("Your board has not been placed in a course run yet. You can add participants as soon as it has.")
        )
    # The lock that makes capacity race-free: every enrolment, withdrawal
    # and promotion for this course run waits here for the one before it.
    cohort = Cohort.objects.select_for_update().get(pk=registration.cohort_id)
    if not participants_can_change(cohort):
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
    (participant,) = _enroll(cohort=cohort, registration=registration, rows=[data], language=language)
    if consent_form:
        privacy.record_consent(
            subject=participant,
            purposes=[Consent.Purpose.ENROLMENT, Consent.Purpose.REGISTER_REPORTING],
            form=consent_form,
        )
    return participant


@transaction.atomic
def enroll_participants(*, registration: Registration, rows: list[dict], language: str = "nl") -> list[Participant]:
    """
    Enrol several participants at once: all of them, or, when one cannot be enrolled, none.

    As if one after another, in the order given, and in the same number of
    queries however many there are (see `_enroll`).

    :raises EnrolmentError: as `enroll_participant`, naming the first row that cannot be enrolled
    """
    cohort = _locked_cohort_for(registration)
    return _enroll(cohort=cohort, registration=registration, rows=rows, language=language)


def _with_email(queryset, email: str):
    """Filter on an e-mail address the way the database's unique constraint compares it: lower() on both sides."""
    return queryset.alias(email_lower=Lower("email")).filter(email_lower=Lower(Value(email)))


def _participants_by_row(cohort: Cohort, emails: list[str]) -> dict[int, Participant]:
    """
    Return the run's participants who have one of these addresses, by the index of that address, in one query.

    Compared as `_with_email` compares them, lower() on both sides in the
    database, so that a row matches exactly where the unique constraint
    would object.
    """
    row = Case(
        *(When(email_lower=Lower(Value(email)), then=Value(index)) for index, email in enumerate(emails)),
        output_field=IntegerField(),
    )
    found = (
        Participant.objects.filter(cohort=cohort)
        .alias(email_lower=Lower("email"))
        .annotate(row_index=row)
        .filter(row_index__isnull=False)
    )
    return {participant.row_index: participant for participant in found}


def _enroll(*, cohort: Cohort, registration: Registration, rows: list[dict], language: str) -> list[Participant]:
    """
    Enrol these rows in their order, as if one after another: the seats left go to the first, the rest wait.

    Runs under the course run's lock (`_locked_cohort_for`). Each step is
    one query for all rows: the addresses looked up, the seats and the
    waiting list counted, the rows inserted (someone who withdrew comes back
    on their own row: updated), the days read for the e-mails, and the
    e-mails queued (`notices._queue`).
    """
    if not rows:
        return []
    rows = [{field: row.get(field, "") for field in PARTICIPANT_FIELDS} for row in rows]
    existing = _participants_by_row(cohort, [row["email"] for row in rows])
    given = set()
    for index, row in enumerate(rows):
        found = existing.get(index)
        if row["email"].lower() in given or (found and found.status != Participant.Status.WITHDRAWN):
            raise EnrolmentError(_("%(email)s is already enrolled in this course run.") % {"email": row["email"]})
        given.add(row["email"].lower())
    counts = cohort.participants.aggregate(
        enrolled=Count("pk", filter=Q(status=Participant.Status.ENROLLED)), highest=Max("waitlist_number")
    )
    seats = cohort.programme.max_participants - counts["enrolled"]
    highest = counts["highest"] or 0
    now = timezone.now()
    participants = []
    for index, row in enumerate(rows):
        # Someone who withdrew comes back on the same row (one per person and
        # course run), now for the board that enrols them.
        participant = existing.get(index) or Participant()
        participant.cohort = cohort
        participant.registration = registration
        for field, value in row.items():
            setattr(participant, field, value)
        participant.language = language
        participant.created_at = now
        participant.withdrawn_at = None
        if index < seats:
            participant.status = Participant.Status.ENROLLED
            participant.waitlist_number = None
        else:
            highest += 1
            participant.status = Participant.Status.WAITING
            participant.waitlist_number = highest
        # Not the random access key's uniqueness (a query per row): its unique index is the backstop.
        participant.full_clean(exclude=["registration", "cohort"], validate_unique=False, validate_constraints=False)
        participants.append(participant)
    _save_enrolled(cohort, participants, rows)
    _queue(_enrolment_emails(cohort, participants))
    # A bulk INSERT sends no post_save: forget the registration form's seats as a save would.
    selectors.registration_choices_changed(sender=Participant)
    return participants


def _enrolment_emails(cohort: Cohort, participants: list[Participant]) -> list[Email]:
    """Return the welcome or waiting-list e-mail of each, and a late joiner's invitations, reading the days once."""
    days = _cohort_days(cohort)
    to_come = [day for day in days if day.date >= timezone.localdate()]
    emails = []
    for participant in participants:
        template = "participant_welcome" if participant.status == Participant.Status.ENROLLED else "participant_waiting"
        emails.append(
            Email(
                to=participant.email,
                template=f"cohorts/mail/{template}",
                context=_participant_mail_context(participant, days=days),
                key=f"{template}:{participant.pk}:{participant.created_at.timestamp()}",
                language=participant.language,
            )
        )
        if participant.status == Participant.Status.ENROLLED and cohort.status in ACTIVE_STATUSES:
            # Who joins a confirmed run after everyone got their invitations
            # gets them for the days still to come (`_invite_late_joiner`).
            emails += _day_invitation_emails(
                days=to_come, recipients=[_participant_recipient(participant)], method="REQUEST"
            )
    return emails


ENROLMENT_FIELDS = [
    *PARTICIPANT_FIELDS,
    "registration",
    "language",
    "created_at",
    "withdrawn_at",
    "status",
    "waitlist_number",
]


def _save_enrolled(cohort: Cohort, participants: list[Participant], rows: list[dict]) -> None:
    """Insert the new participants and update those who come back, in a savepoint; a clash is an EnrolmentError."""
    new = [p for p in participants if p.pk is None]
    returning = [p for p in participants if p.pk is not None]
    try:
        with transaction.atomic():
            Participant.objects.bulk_create(new)
            Participant.objects.bulk_update(returning, fields=ENROLMENT_FIELDS)
    except IntegrityError:
        # Only a row written without the run's lock gets here: name the first row it clashed with.
        clashes = _participants_by_row(cohort, [row["email"] for row in rows])
        for index in sorted(clashes):
            if clashes[index] not in returning:
                raise EnrolmentError(
                    _("%(email)s is already enrolled in this course run.") % {"email": rows[index]["email"]}
                ) from None
        raise


def _send_welcome(participant: Participant, *, occasion: str) -> None:
    """
    E-mail a participant their seat, or their place on the waiting list, and the days to come of a confirmed run.

    :param occasion: what makes this welcome one of its own, in its key (the moment of enrolling, a move)
    """
    template = "participant_welcome" if participant.status == Participant.Status.ENROLLED else "participant_waiting"
    queue_email(
        to=participant.email,
        template=f"cohorts/mail/{template}",
        context=_participant_mail_context(participant),
        key=f"{template}:{participant.pk}:{occasion}",
        language=participant.language,
        about=[participant],
    )
    if participant.status == Participant.Status.ENROLLED:
        _invite_late_joiner(participant.cohort, participant)


def _invite_late_joiner(cohort: Cohort, participant: Participant) -> None:
    """Who joins a confirmed run after everyone got their invitations gets them for the days still to come."""
    if cohort.status not in ACTIVE_STATUSES:
        return
    days = cohort.days.filter(date__gte=timezone.localdate())
    _send_day_invitations(days=days, recipients=[_participant_recipient(participant)], method="REQUEST")


def _participant_mail_context(participant: Participant, *, days: list | None = None) -> dict:
    """
    Return the context of a participant's e-mails about their place in the run.

    :param days: the run's days by date with their programme days, when the caller has read them already
    """
    cohort = participant.cohort
    if days is None:
        days = list(cohort.days.select_related("programme_day").order_by("date"))
    return {
        "participant": participant,
        "cohort": cohort,
        "programme": cohort.programme,
        "days": days,
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
    promoted = _withdraw_and_promote(cohort=cohort, participants=[participant])
    return promoted[0] if promoted else None


def _withdraw_and_promote(*, cohort: Cohort, participants: list[Participant]) -> list[Participant]:
    """
    Withdraw these participants of a locked course run, give each seat they free to the next on the waiting list.

    :return: the participants who got a seat, in waiting-list order
    """
    freed = 0
    for participant in participants:
        freed += participant.status == Participant.Status.ENROLLED
        participant.status = Participant.Status.WITHDRAWN
        participant.waitlist_number = None
        participant.withdrawn_at = timezone.now()
        participant.save(update_fields=["status", "waitlist_number", "withdrawn_at"])
    promoted = []
    for _seat in range(freed):
        first = _promote_from_waiting_list(cohort)
        if first is None:
            break
        promoted.append(first)
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
    enrolled = seated(cohort)
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
    """
    Let a participant correct the spelling of their name and give their register number.

    :raises EnrolmentError: a certificate has been issued with their details (`selectors.details_locked`)
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if details_locked(participant):
        raise EnrolmentError(_("Your certificate has been issued; please ask the trainer to correct it."))
    before = participant.register_number
    for field in ("initials", "first_name", "tussenvoegsel", "last_name", "register_number"):
        if field in data:
            setattr(participant, field, data[field])
    participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
    participant.save(update_fields=["initials", "first_name", "tussenvoegsel", "last_name", "register_number"])
    _record_register_number(participant, before, by=None, request=request, where="own_page")
    return participant


def _absence_refusal(participant: Participant, day: CourseDay) -> str | None:
    """Return why this participant cannot report an absence for this day; None when they can."""
    if participant.status != Participant.Status.ENROLLED:
        return _("Only an enrolled participant can report an absence.")
    if day.cohort_id != participant.cohort_id:
        return _("This day is not part of your course run.")
    if day.date < timezone.localdate():
        return _("This day has passed; an absence can only be reported beforehand.")
    return None


def can_notify_absence(participant: Participant, day: CourseDay) -> bool:
    """Return whether the participant's page offers to report (or take back) an absence for this day."""
    return _absence_refusal(participant, day) is None


@transaction.atomic
def notify_absence(*, participant: Participant, day: CourseDay, absent: bool = True) -> Attendance:
    """
    Record (or take back) an enrolled participant's notice that they cannot attend a coming day; no reason is asked.

    :raises EnrolmentError: the participant is waiting or withdrawn, the day is of another run or has passed
    """
    refusal = _absence_refusal(participant, day)
    if refusal:
        raise EnrolmentError(refusal)
    attendance, _created = Attendance.objects.select_for_update().get_or_create(participant=participant, course_day=day)
    attendance.absence_notified_at = timezone.now() if absent else None
    attendance.save(update_fields=["absence_notified_at"])
    return attendance
