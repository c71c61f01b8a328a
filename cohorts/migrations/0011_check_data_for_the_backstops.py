"""
Make the data fit the constraints that the next migration adds, or say which rows do not.

Repaired, because the data itself says what is right:
- waiting lists with two participants on the same number are numbered 1..n again, in their order (the one
  who waits longest first, then the one enrolled first);
- a board whose kind is not the kind of the only number it has takes the kind of that number (a board of
  kind "school board" with only a samenwerkingsverband code is a samenwerkingsverband);
- attendance that is not "made up" and still names a day it was made up on forgets that day.

Not repaired, because only the office knows what is right: a board with no number at all, a registration
"placed" without its course run or received (or with an intake planned) with one, and attendance "made up"
without the day it was made up on. The migration then stops with a list of those rows, and changes nothing
(it is one transaction, the repairs included).
"""

from django.db import migrations
from django.db.models import Count, Q


class BadData(Exception):
    pass


def renumber_waiting_lists(Participant) -> None:
    clashes = (
        Participant.objects.filter(status="waiting")
        .values("cohort_id", "waitlist_number")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("cohort_id", flat=True)
    )
    for cohort_id in set(clashes):
        waiting = Participant.objects.filter(cohort_id=cohort_id, status="waiting").order_by(
            "waitlist_number", "created_at", "pk"
        )
        for position, (pk, number) in enumerate(waiting.values_list("pk", "waitlist_number"), start=1):
            if number != position:
                Participant.objects.filter(pk=pk).update(waitlist_number=position)


def repair_board_kinds(Board) -> None:
    Board.objects.filter(kind="bestuur", bestuursnummer="").exclude(swv_code="").update(kind="swv")
    Board.objects.filter(kind="swv", swv_code="").exclude(bestuursnummer="").update(kind="bestuur")


def problems(apps) -> list[str]:
    Board = apps.get_model("cohorts", "Board")
    Registration = apps.get_model("cohorts", "Registration")
    Attendance = apps.get_model("cohorts", "Attendance")
    found = []
    for pk, name, kind in Board.objects.exclude(
        Q(kind="bestuur") & ~Q(bestuursnummer="") | Q(kind="swv") & ~Q(swv_code="")
    ).values_list("pk", "name", "kind"):
        found.append(f"board {pk} ({name}): kind {kind!r} but no bestuursnummer or samenwerkingsverband code")
    for pk, status, cohort_id in (
        Registration.objects.exclude(status="cancelled")
        .exclude(Q(status="placed", cohort__isnull=False) | Q(status__in=["received", "intake"], cohort__isnull=True))
        .values_list("pk", "status", "cohort_id")
    ):
        where = f"course run {cohort_id}" if cohort_id else "no course run"
        found.append(f"registration {pk}: status {status!r} with {where}")
    for pk, participant_id, day_id in Attendance.objects.filter(
        status="made_up", made_up_in__isnull=True
    ).values_list("pk", "participant_id", "course_day_id"):
        found.append(
            f"attendance {pk} (participant {participant_id}, course day {day_id}): made up, but not on which day"
        )
    return found


def check_and_repair(apps, schema_editor):
    renumber_waiting_lists(apps.get_model("cohorts", "Participant"))
    repair_board_kinds(apps.get_model("cohorts", "Board"))
    Attendance = apps.get_model("cohorts", "Attendance")
    Attendance.objects.exclude(status="made_up").filter(made_up_in__isnull=False).update(made_up_in=None)
    found = problems(apps)
    if found:
        # The migration runs in one transaction: raising here undoes the repairs above too.
        rows = "\n".join(f"  - {problem}" for problem in found)
        raise BadData(
            "These rows contradict the constraints of the next migration; correct them (in the admin or "
            f"`manage.py shell`) and migrate again. Nothing was changed.\n{rows}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0010_erased_at"),
    ]

    operations = [
        migrations.RunPython(check_and_repair, migrations.RunPython.noop),
    ]
