"""A course run's days: validating the schedule and moving a day."""

import datetime
import itertools
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from programme.models import ProgrammeDay

from ..models import (
    Attendance,
    Cohort,
    CourseDay,
)
from ..selectors.trainer import cohort_recipients
from .intakes import trainer_conflicts
from .notices import (
    _cohort_recipients,
    _contact_recipient,
    _day_invitation,
    _email,
    _participant_recipient,
    _queue,
    _send_day_invitations,
)
from .runs import ACTIVE_STATUSES, recode_cohort

logger = logging.getLogger(__name__)


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

    def new_course_day(self, cohort: Cohort) -> CourseDay:
        """Return this day as a new course day of the run, unsaved, to add with `save_course_day`."""
        return CourseDay(
            cohort=cohort,
            programme_day=self.programme_day,
            date=self.date,
            start_time=self.start_time,
            end_time=self.end_time,
            venue=self.venue,
        )


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
    ordered = sorted(days, key=lambda d: d.programme_day.number)
    errors = _repeated_day_errors(ordered)
    if not replaying:
        errors += _past_date_errors(ordered)
    errors += _order_errors(ordered)
    for day in ordered:
        errors += _day_errors(cohort, day)
    if errors:
        raise ValidationError(errors)


def _repeated_day_errors(days: list[PlannedDay]) -> list[str]:
    numbers = [day.programme_day.number for day in days]
    return [_("Each programme day can be scheduled once.")] if len(numbers) != len(set(numbers)) else []


def _past_date_errors(days: list[PlannedDay]) -> list[str]:
    stored = _stored_dates(day.pk for day in days)
    errors = (
        _past_date_error(number=day.programme_day.number, date=day.date, stored=stored.get(day.pk)) for day in days
    )
    return [error for error in errors if error]


def _order_errors(ordered: list[PlannedDay]) -> list[str]:
    return [
        _("Day %(later)s (%(later_date)s) must come after day %(earlier)s (%(earlier_date)s).")
        % {
            "later": later.programme_day.number,
            "later_date": f"{later.date:%d-%m-%Y}",
            "earlier": earlier.programme_day.number,
            "earlier_date": f"{earlier.date:%d-%m-%Y}",
        }
        for earlier, later in itertools.pairwise(ordered)
        if later.date <= earlier.date
    ]


def _day_errors(cohort: Cohort, day: PlannedDay) -> list[str]:
    """Return what is wrong with one day on its own: its times, its venue, or the trainer busy elsewhere."""
    number = day.programme_day.number
    if day.end_time <= day.start_time:
        return [_("Day %(number)s ends before it starts.") % {"number": number}]
    errors = []
    if not (day.venue or cohort.venue):
        errors.append(_("Day %(number)s needs a venue (or give the course run one).") % {"number": number})
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.datetime.combine(day.date, day.start_time), zone)
    end = timezone.make_aware(datetime.datetime.combine(day.date, day.end_time), zone)
    # The run's own days are checked against each other above.
    conflicts = trainer_conflicts(trainer=cohort.trainer, start=start, end=end, exclude_cohort_id=cohort.pk)
    if conflicts:
        errors.append(
            _("On day %(number)s the trainer is busy: %(conflicts)s.")
            % {"number": number, "conflicts": "; ".join(conflicts)}
        )
    return errors


# The fields whose change moves a course day (and sends the change notice).
MOVE_FIELDS = ("date", "start_time", "end_time", "venue")


def _json_value(value):
    """A date or time as ISO text, for the audit trail's JSON; other values as they are."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _planned(day: CourseDay) -> PlannedDay:
    return PlannedDay(
        programme_day=day.programme_day,
        date=day.date,
        start_time=day.start_time,
        end_time=day.end_time,
        venue=day.venue,
        pk=day.pk,
    )


def _schedule_with(cohort: Cohort, *, changed: list[CourseDay], deleted: list[CourseDay] = ()) -> list[PlannedDay]:
    """Return the run's days as they will be: the stored ones, the changed ones as entered, without the deleted ones."""
    leaving = {day.pk for day in [*changed, *deleted] if day.pk is not None}
    stored = cohort.days.exclude(pk__in=leaving).select_related("programme_day")
    return [_planned(day) for day in stored] + [_planned(day) for day in changed]


@transaction.atomic
def save_course_day(
    *, day: CourseDay, changed_fields: list[str], replaying: bool = False, by=None, request=None
) -> CourseDay:
    """
    Save a course day, after checking the run's schedule with it (`validate_schedule`).

    When its run is confirmed or running and the day moved, send each enrolled
    participant a change notice with the updated .ics, and each board's contact
    one about their leaders, once per change. The run's code follows the year
    of its first day. The audit trail records a day added or moved.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: the schedule with this day breaks one of its rules
    """
    cohort = Cohort.objects.select_for_update(of=("self",)).select_related("programme", "trainer").get(pk=day.cohort_id)
    validate_schedule(cohort=cohort, days=_schedule_with(cohort, changed=[day]), replaying=replaying)
    return _store_course_day(cohort=cohort, day=day, changed_fields=changed_fields, by=by, request=request)


@transaction.atomic
def save_schedule(
    *,
    cohort: Cohort,
    changed: list[tuple[CourseDay, list[str]]],
    deleted: list[CourseDay] = (),
    by=None,
    request=None,
) -> None:
    """
    Save several of a run's days at once, as the schedule is edited in the admin: checked as a whole, then saved.

    Checked as a whole so that two days may swap dates, which one at a time
    would briefly put them out of order.

    :param changed: each day added or changed, with the names of the fields that changed
    :param deleted: the days to delete (`delete_course_day`)
    :raises ValidationError: the schedule breaks one of its rules, or a deleted day has attendance
    """
    cohort = Cohort.objects.select_for_update(of=("self",)).select_related("programme", "trainer").get(pk=cohort.pk)
    days = [day for day, _fields in changed]
    validate_schedule(cohort=cohort, days=_schedule_with(cohort, changed=days, deleted=deleted))
    for day in deleted:
        delete_course_day(day=day, by=by, request=request)
    for day, fields in changed:
        _store_course_day(cohort=cohort, day=day, changed_fields=fields, by=by, request=request)


def _store_course_day(*, cohort: Cohort, day: CourseDay, changed_fields: list[str], by, request) -> CourseDay:
    new = day.pk is None
    moved = not new and bool(set(MOVE_FIELDS) & set(changed_fields))
    if moved:
        day.sequence += 1
        stored = CourseDay.objects.filter(pk=day.pk).values(*MOVE_FIELDS).first() or {}
    day.save()
    if new:
        changes = {field: [None, _json_value(getattr(day, field))] for field in MOVE_FIELDS}
        audit.record(action=AuditEvent.Action.DAY_ADDED, obj=day, actor=by, request=request, changes=changes)
    if moved:
        changes = {
            field: [_json_value(stored.get(field)), _json_value(getattr(day, field))]
            for field in MOVE_FIELDS
            if stored.get(field) != getattr(day, field)
        }
        if changes:
            audit.record(action=AuditEvent.Action.DAY_MOVED, obj=day, actor=by, request=request, changes=changes)
    recode_cohort(cohort=cohort)
    day.cohort = cohort
    if moved and cohort.status in ACTIVE_STATUSES and day.date >= timezone.localdate():
        _send_day_changed(cohort=cohort, day=day)
    return day


def check_course_day_deletable(*, day: CourseDay) -> None:
    """
    Refuse to delete a course day with attendance recorded on it, or a make-up in it.

    A participant's notice that they cannot come goes with the day.

    :raises ValidationError: saying which day, in the user's language
    """
    if day.pk is None:
        return
    recorded = Attendance.objects.filter(course_day=day).exclude(status="").exists()
    if recorded or Attendance.objects.filter(made_up_in=day).exists():
        raise ValidationError(
            _("Day %(number)s has attendance recorded; it cannot be deleted.") % {"number": day.programme_day.number}
        )


@transaction.atomic
def delete_course_day(*, day: CourseDay, by=None, request=None) -> None:
    """
    Delete a course day without attendance; who had it in their calendar gets it cancelled.

    While the run is confirmed or running, each enrolled participant and each
    board's contact gets the day's cancellation (a CANCEL invitation), as they
    got its invitation and its changes. The audit trail records the day as it was.

    :raises ValidationError: the day has attendance recorded (`check_course_day_deletable`)
    """
    cohort = Cohort.objects.select_for_update().select_related("programme").get(pk=day.cohort_id)
    day = CourseDay.objects.select_related("programme_day").get(pk=day.pk)
    check_course_day_deletable(day=day)
    if cohort.status in ACTIVE_STATUSES and day.date >= timezone.localdate():
        _send_day_invitations(
            days=CourseDay.objects.filter(pk=day.pk), recipients=_cohort_recipients(cohort), method="CANCEL"
        )
    changes = {field: [_json_value(getattr(day, field)), None] for field in MOVE_FIELDS}
    audit.record(action=AuditEvent.Action.DAY_DELETED, obj=day, actor=by, request=request, changes=changes)
    day.delete()
    recode_cohort(cohort=cohort)


def _send_day_changed(*, cohort: Cohort, day: CourseDay) -> None:
    # The people who received the schedule at confirmation hear of a change
    # to it, all in one INSERT (`notices._queue`), with the day's updated
    # invitation: they got the day as a meeting at confirmation.
    participants, registrations = cohort_recipients(cohort)
    enrolled = list(participants)
    context = {"cohort": cohort, "day": day}
    emails = []
    for participant in enrolled:
        recipient = _participant_recipient(participant)
        emails.append(
            _email(
                recipient,
                template="day_changed",
                key=f"day-changed:{day.pk}:{day.sequence}:{participant.pk}",
                context=context,
                attachments=[_day_invitation(day, recipient, method="REQUEST")],
            )
        )
    for registration in registrations.select_related("board"):
        recipient = _contact_recipient(registration)
        leaders = [p for p in enrolled if p.registration_id == registration.pk]
        emails.append(
            _email(
                recipient,
                template="day_changed_board",
                key=f"day-changed-board:{day.pk}:{day.sequence}:{registration.pk}",
                context={**context, "leaders": leaders},
                about=leaders,
                attachments=[_day_invitation(day, recipient, method="REQUEST")],
            )
        )
    _queue(emails)
