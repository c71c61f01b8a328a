"""Attendance per course day and the outcome it gives."""

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
        final_assignment_done=participant.final_assignment_done,
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


def days_attended(participant: Participant) -> int:
    """Count the days a participant attended, days made up with another run included."""
    return participant.attendances.filter(status__in=ATTENDED).count()
