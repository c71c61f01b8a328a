"""Attendance per course day and the outcome it gives."""

import datetime
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from programme import completion
from programme.completion import Outcome
from programme.models import Programme

from ..models import (
    ATTENDED,
    Attendance,
    Cohort,
    CourseDay,
    Participant,
)

logger = logging.getLogger(__name__)


# --- Attendance and outcomes ---------------------------------------------------


def outcome(*, participant: Participant, days_attended: int, programme: Programme) -> Outcome:
    """Apply the programme's completion rule (`programme.completion`) to one participant."""
    return completion.outcome(
        programme=programme,
        days_attended=days_attended,
        final_assignment_approved=participant.final_assignment_approved,
        withdrawn=participant.status == Participant.Status.WITHDRAWN,
    )


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
    run = _RunDays.of(cohort, make_up_ids={e.made_up_in_id for e in entries if e.made_up_in_id})
    existing = {
        (a.participant_id, a.course_day_id): a
        for a in Attendance.objects.filter(course_day__cohort=cohort).select_for_update()
    }
    today = timezone.localdate()
    now = timezone.now()
    new, changed = [], []
    # The cells changed for a day that has taken place, for the audit trail.
    cells = []
    for entry in entries:
        _check_entry_in_run(entry, run=run, today=today)
        made_up_in_id = _made_up_in_id(entry, run=run)
        attendance = existing.get((entry.participant_id, entry.course_day_id))
        before = (attendance.status, attendance.note, attendance.made_up_in_id) if attendance else ("", "", None)
        after = (entry.status, entry.note, made_up_in_id)
        if before == after:
            continue
        if run.dates[entry.course_day_id] <= today:
            cells.append(
                {
                    "participant": entry.participant_id,
                    "day": entry.course_day_id,
                    "before": _cell(*before),
                    "after": _cell(*after),
                }
            )
        if attendance is None:
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
        else:
            attendance.status, attendance.note, attendance.made_up_in_id = after
            changed.append(attendance)
    Attendance.objects.bulk_create(new)
    _update_changed(changed, recorded_by=recorded_by, now=now)
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


@dataclass(frozen=True)
class _RunDays:
    """What checking a run's attendance grid needs to know of the run, read once per save."""

    participant_ids: set[int]
    dates: dict[int, datetime.date]  # the run's days
    programme_day_of: dict[int, int]  # the run's days
    make_up_programme_day_of: dict[int, int]  # the other runs' days named as make-ups

    @classmethod
    def of(cls, cohort: Cohort, *, make_up_ids: set[int]) -> "_RunDays":
        return cls(
            participant_ids=set(cohort.participants.values_list("pk", flat=True)),
            dates=dict(cohort.days.values_list("pk", "date")),
            programme_day_of=dict(cohort.days.values_list("pk", "programme_day_id")),
            make_up_programme_day_of=dict(
                CourseDay.objects.exclude(cohort=cohort)
                .filter(pk__in=make_up_ids)
                .values_list("pk", "programme_day_id")
            ),
        )


def _check_entry_in_run(entry: AttendanceEntry, *, run: _RunDays, today: datetime.date) -> None:
    """Refuse a cell of another run, or a status or note for a day still to come."""
    if entry.participant_id not in run.participant_ids or entry.course_day_id not in run.dates:
        raise ValidationError(_("The attendance names a participant or day of another course run."))
    date = run.dates[entry.course_day_id]
    if date > today and (entry.status or entry.note):
        raise ValidationError(
            _("Attendance can only be recorded for a day that has taken place; %(date)s is still to come.")
            % {"date": f"{date:%d-%m-%Y}"}
        )


def _made_up_in_id(entry: AttendanceEntry, *, run: _RunDays) -> int | None:
    """Return the day of another run where a day made up was followed: the same programme day; None otherwise."""
    if entry.status != Attendance.Status.MADE_UP:
        return None
    if run.make_up_programme_day_of.get(entry.made_up_in_id) != run.programme_day_of[entry.course_day_id]:
        raise ValidationError(_("A day made up must be the same programme day with another course run."))
    return entry.made_up_in_id


def _update_changed(changed: list[Attendance], *, recorded_by, now: datetime.datetime) -> None:
    # One UPDATE per distinct change rather than a CASE per row and field:
    # a whole day marked present is one statement.
    groups = {}
    for attendance in changed:
        groups.setdefault((attendance.status, attendance.note, attendance.made_up_in_id), []).append(attendance.pk)
    for (status, note, made_up_in_id), pks in groups.items():
        Attendance.objects.filter(pk__in=pks).update(
            status=status, note=note, made_up_in_id=made_up_in_id, recorded_by=recorded_by, recorded_at=now
        )


def _cell(status: str, note: str, made_up_in_id: int | None) -> dict:
    return {"status": status, "note": note, "made_up_in": made_up_in_id}


def days_attended(participant: Participant) -> int:
    """Count the days a participant attended, days made up with another run included."""
    return participant.attendances.filter(status__in=ATTENDED).count()
