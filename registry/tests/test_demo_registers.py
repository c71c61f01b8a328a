"""The demo's completed run has leaders inside and outside the registers, and its register export shows which."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cohorts.models import Cohort
from registry import exports

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
