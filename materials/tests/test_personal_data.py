"""A participant's final assignment in their own data, their erasure and retention."""

import datetime

import pytest

from cohorts.models import Cohort
from conftest import FIXED_NOW
from materials.models import Submission
from privacy import services as privacy

from .factories import run_with_participants, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
TODAY = FIXED_NOW.date()


def test_the_own_data_lists_the_submission_not_its_bytes():
    (anna,) = run_with_participants(first=TODAY)
    submitted(anna, name="mijn-opdracht.pdf")
    data = privacy.personal_data(person=anna)
    section = data["final_assignment"]
    assert datetime.datetime.fromisoformat(section.pop("uploaded_at")) == FIXED_NOW
    assert section == {"file_name": "mijn-opdracht.pdf", "status": "submitted", "feedback": ""}
    assert "content" not in str(data["final_assignment"]) and "PDF-1.4" not in str(data)


def test_erasure_removes_the_file_from_disk_and_the_rows_personal_content(
    private_files, django_capture_on_commit_callbacks
):
    anna, bram = run_with_participants(count=2, first=TODAY)
    path = private_files / submitted(anna, name="anna.pdf").file.name
    kept = private_files / submitted(bram).file.name
    with django_capture_on_commit_callbacks(execute=True):
        privacy.erase_person(person=anna)
    assert not path.exists() and kept.exists()
    row = Submission.objects.get(participant=anna)
    assert (row.file.name, row.filename, row.feedback) == ("", "", "")
    assert row.erased_at is not None


def test_retention_deletes_the_submissions_after_the_participants_period(
    settings, private_files, django_capture_on_commit_callbacks
):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(weeks=8))
    path = private_files / submitted(anna).file.name
    cohort = anna.cohort
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.COMPLETED)
    later = FIXED_NOW + datetime.timedelta(days=settings.RETENTION_CONTACT_DAYS - 40)
    assert privacy.apply_retention(now=later, dry_run=True)["final_assignments"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        privacy.apply_retention(now=later + datetime.timedelta(days=30))
    assert not Submission.objects.exists()
    assert not path.exists()
