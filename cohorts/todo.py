"""The course runs' to-dos on the start page: attendance to take, intakes to plan (see verbindend.todo)."""

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from verbindend.todo import ToDo, provider

from .models import Attendance, Cohort, CourseDay, Participant, Registration


@provider
def attendance_to_take(request, today) -> list[ToDo]:
    """Days past of a run that went ahead, with enrolled participants and no attendance recorded: one query."""
    if not request.user.has_perm("cohorts.change_cohort"):
        return []
    days = (
        CourseDay.objects.filter(
            date__lt=today,
            cohort__status__in=[Cohort.Status.CONFIRMED, Cohort.Status.RUNNING, Cohort.Status.COMPLETED],
        )
        .filter(Exists(Participant.objects.filter(cohort=OuterRef("cohort"), status=Participant.Status.ENROLLED)))
        .exclude(Exists(Attendance.objects.filter(course_day=OuterRef("pk"))))
        .select_related("cohort", "programme_day")
    )
    return [
        ToDo(
            subject=day.cohort.code,
            detail=_("day %(number)s, %(date)s") % {"number": day.programme_day.number, "date": _short(day.date)},
            action=_("Take the attendance"),
            url=reverse("admin:cohorts_cohort_attendance", args=[day.cohort_id]),
            since=day.date,
        )
        for day in days
    ]


@provider
def intakes_to_plan(request, today) -> list[ToDo]:
    """Registrations received and not yet taken up with an intake: one query."""
    if not request.user.has_perm("cohorts.change_registration"):
        return []
    waiting = Registration.objects.filter(status=Registration.Status.RECEIVED).select_related("board")
    return [
        ToDo(
            subject=registration.board.name,
            detail=_("registered %(date)s, %(expected)s participants expected")
            % {
                "date": _short(timezone.localdate(registration.created_at)),
                "expected": registration.expected_participants,
            },
            action=_("Plan an intake"),
            url=reverse("admin:cohorts_registration_change", args=[registration.pk]),
            since=timezone.localdate(registration.created_at),
        )
        for registration in waiting
    ]


def _short(day) -> str:
    return formats.date_format(day, "j b Y")
