"""The demo's completed run has leaders inside and outside the registers, and its register export shows which."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from cohorts.models import Cohort
from cohorts.services import links
from registry import exports, selectors
from registry.models import RegisterNumberRejection, RegisterRun
from verbindend.tests.pages import table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    output = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", stdout=output)
    return output.getvalue()


def test_the_demo_run_has_leaders_in_and_outside_the_registers_and_the_export_shows_them(demo, admin_client):
    completed = Cohort.objects.get(status=Cohort.Status.COMPLETED)
    rows = exports.export_rows(completed)
    inside = [row for row in rows if row["register_rule"] is not None]
    outside = exports.outside_the_registers(rows)
    assert inside and outside
    pasted = exports.paste_list(rows).splitlines()
    # Who is outside is never reported, whether they gave a number or not.
    assert not {row["register_number"] for row in outside} & set(pasted)
    assert pasted and set(pasted) <= {row["register_number"] for row in inside}
    with translation.override("nl"):
        problems = exports.validation_report(completed, rows)
    outside_names = {f"{row['first_name']} {row['last_name']}" for row in outside}
    assert not any(name in problem for name in outside_names for problem in problems)
    assert f"Register export of {completed.code}: {len(pasted)} numbers in the paste list" in demo
    page = admin_client.get(reverse("admin:registry_register_export", args=[completed.pk])).content.decode()
    section = page.split('id="outside-the-registers"', 1)[1].split("</ul>", 1)[0]
    assert all(row["last_name"] in section for row in outside)


def test_the_demo_run_is_entered_in_pe_online_its_presentie_due_and_one_number_refused(demo, admin_client, client):
    completed = Cohort.objects.get(status=Cohort.Status.COMPLETED)
    run = RegisterRun.objects.get(cohort=completed)
    assert run.uitvoering_id and run.presentie_recorded_at is None
    assert completed in [due.cohort for due in selectors.presentie_due_runs(today=timezone.localdate())]
    (refusal,) = RegisterNumberRejection.objects.filter(participant__cohort=completed)
    assert refusal.corrected_at is None and refusal.number == refusal.participant.register_number
    assert f"PE-online for {completed.code}: uitvoering {run.uitvoering_id}; presentie due by " in demo
    assert "1 register number(s) refused, still open" in demo
    start = admin_client.get(reverse("admin:index")).content.decode()
    assert [completed.code, "Presentie invoeren in PE-online"] in [[row[0], row[2]] for row in table_rows(start)]
    page = client.get(links.participant_page_url(refusal.participant).replace(settings.SITE_URL, "")).content.decode()
    notice = page.split('id="rejected-number-title"', 1)[1].split("</p>", 1)[0]
    assert refusal.number in notice
    others = completed.participants.exclude(pk=refusal.participant.pk).exclude(register_number="").first()
    other_page = client.get(links.participant_page_url(others).replace(settings.SITE_URL, ""))
    assert "rejected-number-title" not in other_page.content.decode()
