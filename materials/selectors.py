"""What a participant sees of the materials and of their final assignment today, and what the admin lists."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import OuterRef, Subquery
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


def _with_course_dates(participant: Participant):
    """The programme's materials with the date of the day they belong to in the participant's run (or None)."""
    dates = CourseDay.objects.filter(cohort_id=participant.cohort_id, programme_day_id=OuterRef("programme_day_id"))
    return (
        Material.objects.filter(programme_day__programme_id=participant.cohort.programme_id)
        .select_related("programme_day")
        .annotate(day_date=Subquery(dates.values("date")[:1]))
    )


def _shown_today(material: Material, today: datetime.date) -> bool:
    return material.day_date is not None and material.shown_from(material.day_date) <= today


def visible_materials(participant: Participant, *, today: datetime.date | None = None) -> list[Material]:
    """
    Return the materials an enrolled participant sees today, in one query.

    A material is shown from its moment (days before, on, or after the day
    it belongs to) in the participant's run; a day not scheduled shows none.
    """
    if participant.status != Participant.Status.ENROLLED:
        return []
    today = today or timezone.localdate()
    return [material for material in _with_course_dates(participant) if _shown_today(material, today)]


def visible_material(participant: Participant, material_id: int) -> Material | None:
    """Return the material with this id if the participant sees it today, else None."""
    if participant.status != Participant.Status.ENROLLED:
        return None
    material = _with_course_dates(participant).filter(pk=material_id).first()
    return material if material and _shown_today(material, timezone.localdate()) else None


def participant_section(participant: Participant) -> ParticipantSection:
    """
    Return what the participant page shows of materials and the final assignment: two queries, one without one.

    :param participant: with its run and programme loaded
    """
    required = participant.cohort.programme.final_assignment_required
    submission = Submission.objects.filter(participant=participant).first() if required else None
    return ParticipantSection(
        materials=visible_materials(participant),
        assignment_required=required,
        submission=submission,
        can_upload=required and can_submit(participant, submission),
        max_size=settings.ASSIGNMENT_MAX_BYTES,
    )


def own_submission(participant: Participant) -> Submission | None:
    """Return the participant's uploaded final assignment that still has its file."""
    return Submission.objects.filter(participant=participant).exclude(file="").first()
