"""`make demo` shows a completed run with answered evaluations and its report."""

import pytest
from django.core.management import call_command

from evaluations.models import Invitation, Response

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_evaluated_run_with_its_report(capsys, staff_client):
    call_command("demo")
    output = capsys.readouterr().out
    assert "forms answered, anonymously" in output
    assert Response.objects.exists()
    answered = Invitation.objects.filter(answered=True).count()
    assert 0 < answered < Invitation.objects.count()
    path = next(line.strip() for line in output.splitlines() if "/admin/evaluations/runevaluation/" in line)
    page = staff_client.get("/" + path.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    call_command("demo")  # a second run leaves it as it is
    assert Response.objects.count() == answered
