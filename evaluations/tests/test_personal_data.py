"""A person's own download lists the evaluations they were asked; erasing them deletes that, not the answers."""

import pytest

from evaluations.models import Invitation, Response
from privacy import services as privacy

from .conftest import invitations
from .factories import answered

pytestmark = pytest.mark.django_db


def test_the_download_says_what_was_asked_and_erasure_leaves_only_the_anonymous_answers(evaluated_run):
    cohort = evaluated_run(participants=2)
    mine, other = invitations(cohort)
    answered(mine)
    data = privacy.personal_data(person=mine.participant)
    assert [(e["form"], e["day"], e["answered"]) for e in data["evaluations"]] == [("day", 1, True)]
    privacy.erase_person(person=mine.participant)
    assert not Invitation.objects.filter(participant=mine.participant).exists()
    assert Invitation.objects.filter(pk=other.pk).exists()
    assert Response.objects.count() == 1
