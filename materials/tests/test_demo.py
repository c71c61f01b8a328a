"""make demo's materials: on the programme's days, and two final assignments in the running run."""

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from materials.models import Material, Submission

pytestmark = pytest.mark.django_db


def test_the_demo_shows_materials_and_an_assignment_under_review(capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    output = capsys.readouterr().out
    assert Material.objects.count() == 3
    reader = Material.objects.exclude(file="").order_by("pk").first()
    with reader.file.open("rb") as handle:
        assert "Reader dag 1" in PdfReader(handle).pages[0].extract_text()
    statuses = sorted(Submission.objects.values_list("status", flat=True))
    assert statuses == ["returned", "submitted"]
    assert {s.participant.cohort.status for s in Submission.objects.select_related("participant__cohort")} == {
        "running"
    }
    assert "final assignments: 1 awaiting review, 1 returned with feedback" in output
    assert "materials, an assignment under review" in output

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    assert Material.objects.count() == 3 and Submission.objects.count() == 2
