"""
The programme's completion rule: what a participant's attended days and approved final assignment amount to.

It knows no course run and no participant, only the programme and what a
person did, so that every reader (the attendance grid, the board and
participant pages, the register export, issuing certificates) applies the
same rule to the same facts.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import Programme


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("completed")
    ATTENDED = "attended", _("attended only")
    NOT_COMPLETED = "not_completed", _("not completed")
    WITHDRAWN = "withdrawn", _("withdrawn")


def outcome(
    *, programme: Programme, days_attended: int, final_assignment_approved: bool = False, withdrawn: bool = False
) -> Outcome:
    """
    Return the outcome of the course for someone who attended so many days of this programme.

    :param days_attended: the days attended, days made up with another run included
    :param final_assignment_approved: whether the trainer approved the final assignment; counts only where
        the programme requires it
    :param withdrawn: whether the person withdrew, which decides the outcome whatever they attended
    """
    if withdrawn:
        return Outcome.WITHDRAWN
    assignment_done = final_assignment_approved or not programme.final_assignment_required
    if days_attended >= programme.required_days and assignment_done:
        return Outcome.COMPLETED
    if days_attended:
        return Outcome.ATTENDED
    return Outcome.NOT_COMPLETED
