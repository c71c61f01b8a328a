"""What a participant sees of the materials and of their final assignment today, and what the admin lists."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from cohorts.models import CourseDay, Participant

from .models import Material, Submission
from .services.assignments import can_submit


@dataclass(frozen=True)
class ParticipantSection:
    """
    The participant page's section on materials and the final assignment.

    :param materials: the materials shown today, each with `day_number`, `day_theme` and `day_date`
    :param assignment_required: whether the programme asks for a final assignment
    :param submission: the participant's upload, if any
    :param can_upload: whether they may upload it (again) now
    """

    materials: list = field(default_factory=list)
    assignment_required: bool = False
    submission: Submission | None = None
    can_upload: bool = False
    max_size: int = 0

    @property
    def shown(self) -> bool:
        return bool(self.materials) or self.assignment_required


def _run_days(participant: Participant) -> list[CourseDay]:
    return list(CourseDay.objects.filter(cohort_id=participant.cohort_id).select_related("programme_day"))


def _dated(materials, days: list[CourseDay], today: datetime.date) -> list[Material]:
    """
    The materials shown today, each with `day_date`, the date of the day it belongs to in the run: from its moment
    (days before, on, or after that day); a material of a day not scheduled is not shown.
    """
    by_programme_day = {day.programme_day_id: day for day in days}
    shown = []
    for material in materials:
        day = by_programme_day.get(material.programme_day_id)
        if day is None:
            continue
        material.day_date, material.programme_day = day.date, day.programme_day  # the day read with the run's
        if material.shown_from(day.date) <= today:
            shown.append(material)
    return shown


def visible_materials(
    participant: Participant, *, days: list[CourseDay] | None = None, today: datetime.date | None = None
) -> list[Material]:
    """
    Return the materials an enrolled participant sees today, in the programme's order: one query with `days`.

    :param days: the course days of the participant's run with their programme days, when read already (the
        page's schedule)
    """
    if participant.status != Participant.Status.ENROLLED:
        return []
    days = _run_days(participant) if days is None else days
    # The programme's order (as Material.Meta has it) without the join to the programme days that it would take.
    number = {day.programme_day_id: day.programme_day.number for day in days}
    materials = Material.objects.filter(programme_day_id__in=number).order_by("title", "pk")
    ordered = sorted(materials, key=lambda material: number[material.programme_day_id])
    return _dated(ordered, days, today or timezone.localdate())


def visible_material(participant: Participant, material_id: int) -> Material | None:
    """Return the material with this id if the participant sees it today, else None."""
    if participant.status != Participant.Status.ENROLLED:
        return None
    material = Material.objects.filter(pk=material_id).first()
    shown = _dated([material], _run_days(participant), timezone.localdate()) if material else []
    return shown[0] if shown else None


def participant_section(participant: Participant, *, days: list[CourseDay] | None = None) -> ParticipantSection:
    """
    Return what the participant page shows of materials and the final assignment: two queries, one without one.

    :param participant: with its run and programme loaded
    :param days: as `visible_materials` takes them
    """
    required = participant.cohort.programme.final_assignment_required
    submission = Submission.objects.filter(participant=participant).first() if required else None
    return ParticipantSection(
        materials=visible_materials(participant, days=days),
        assignment_required=required,
        submission=submission,
        can_upload=required and can_submit(participant, submission),
        max_size=settings.ASSIGNMENT_MAX_BYTES,
    )


def own_submission(participant: Participant) -> Submission | None:
    """Return the participant's uploaded final assignment that still has its file."""
    return Submission.objects.filter(participant=participant).exclude(file="").first()
