"""The demo's completed run shows the trainer's approvals of the final assignments, and one still to come."""

import io

import pytest
from django.core.management import call_command

from cohorts.models import Cohort, Participant

pytestmark = pytest.mark.django_db


def test_the_completed_run_has_the_trainers_approvals(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=io.StringIO())
    completed = Cohort.objects.get(status=Cohort.Status.COMPLETED)
    enrolled = completed.participants.filter(status=Participant.Status.ENROLLED)
    approved = enrolled.filter(final_assignment_approved_at__isnull=False)
    assert 0 < approved.count() < enrolled.count()
    assert set(approved.values_list("final_assignment_approved_by__username", flat=True)) == {"demo-trainer"}
