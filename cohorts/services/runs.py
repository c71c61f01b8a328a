"""A course run's code and its life: planned, confirmed, running, completed or cancelled."""

import datetime
import logging
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from programme.models import Programme

from ..models import (
    Cohort,
    CourseDay,
    Participant,
)
from .notices import _cohort_days, _cohort_emails, _cohort_recipients, _day_invitation_emails, _queue

logger = logging.getLogger(__name__)

# A run's days still to come get their reminders and change notices while it
# is confirmed and once it runs (it runs from its first day on).
ACTIVE_STATUSES = (Cohort.Status.CONFIRMED, Cohort.Status.RUNNING)


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
    certificate carries it the code stays what it is. The certificates are
    read through the relation the registry adds to participants: cohorts
    imports nothing of the registry.
    """
    start = first_day(cohort)
    if start is None or code_year(cohort.code) in {None, start.year}:
        return cohort
    if cohort.participants.filter(certificates__isnull=False).exists():
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
    # Every e-mail of the confirmation in one INSERT: the recipients and days
    # are read once, however many people the run has.
    recipients, days = _cohort_recipients(cohort), _cohort_days(cohort)
    _queue(
        _cohort_emails(
            cohort, days=days, recipients=recipients, template="cohort_confirmed", key="confirmed", schedule_file=True
        )
        + _day_invitation_emails(days=days, recipients=recipients, method="REQUEST")
    )
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
    recipients, days = _cohort_recipients(cohort), _cohort_days(cohort)
    context = {"reason": reason.strip(), "invited": invited}
    emails = _cohort_emails(
        cohort, days=days, recipients=recipients, template="cohort_cancelled", key="cancelled", extra_context=context
    )
    if invited:
        # Each day was its own invitation, so each is cancelled on its own; the
        # days that took place stay in people's calendars as they happened.
        to_come = [day for day in days if day.date >= timezone.localdate()]
        emails += _day_invitation_emails(days=to_come, recipients=recipients, method="CANCEL")
    _queue(emails)
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
