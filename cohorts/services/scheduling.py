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
from mail.services import queue_email
from programme.models import ProgrammeDay

from ..models import (
    Cohort,
    CourseDay,
)
from ..selectors import cohort_recipients
from .intakes import trainer_conflicts
from .links import board_page_url, participant_page_url
from .notices import _contact_recipient, _day_invitation, _participant_recipient
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
            about=[participant],
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
            about=[registration, *(p for p in enrolled if p.registration_id == registration.pk)],
            attachments=[attachment],
        )
