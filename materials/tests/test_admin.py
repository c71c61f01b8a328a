"""The trainer's admin: materials uploaded and downloaded by staff with permission, assignments reviewed."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cohorts.models import Participant
from conftest import FIXED_NOW
from materials.models import Material, Submission
from programme.models import ProgrammeDay

from .factories import PDF, file_material, run_with_participants, submitted, upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
TODAY = FIXED_NOW.date()


def test_the_trainer_adds_a_file_material_checked_by_content(trainer, private_files):
    day = ProgrammeDay.objects.get(number=2, programme__slug="verbindend-leiderschap")
    data = {"programme_day": day.pk, "title": "Sheets dag 2", "url": "", "shown": "before", "days": 3}
    refused = trainer.post(reverse("admin:materials_material_add"), {**data, "upload": upload("s.pdf", b"<html>")})
    assert "De inhoud van het bestand is geen .pdf-bestand." in refused.content.decode()
    trainer.post(reverse("admin:materials_material_add"), {**data, "upload": upload("sheets.pdf")})
    material = Material.objects.get()
    assert (material.filename, material.offset_days) == ("sheets.pdf", -3)
    assert (private_files / material.file.name).read_bytes() == PDF


def test_staff_download_needs_the_view_permission(trainer, client, private_files):
    material = file_material()
    response = trainer.get(reverse("admin:materials_material_file", args=[material.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="reader.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    nobody = User.objects.create_user("stagiair", password="x", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("admin:materials_material_file", args=[material.pk])).status_code == 403


def test_the_files_have_no_public_url(settings):
    material = file_material()
    with pytest.raises(ValueError):
        material.file.url  # noqa: B018
    assert str(settings.PRIVATE_FILES_ROOT) not in {str(settings.MEDIA_ROOT), str(settings.STATIC_ROOT)}


def test_the_trainer_returns_an_assignment_with_feedback_and_approves_the_next(trainer):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    submission = submitted(anna)
    assert trainer.get(reverse("admin:materials_submission_file", args=[submission.pk])).status_code == 200
    review = reverse("admin:materials_submission_review", args=[submission.pk])
    trainer.post(review, {"decision": "return", "feedback": "Onderbouw de keuzes."})
    assert Submission.objects.get().status == Submission.Status.RETURNED
    submission = submitted(anna, name="v2.pdf")
    trainer.post(reverse("admin:materials_submission_review", args=[submission.pk]), {"decision": "approve"})
    assert Submission.objects.get().status == Submission.Status.APPROVED
    assert Participant.objects.get(pk=anna.pk).final_assignment_approved


def test_the_office_reads_but_does_not_review(office):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    submission = submitted(anna)
    assert office.get(reverse("admin:materials_submission_changelist")).status_code == 200
    review = reverse("admin:materials_submission_review", args=[submission.pk])
    assert office.post(review, {"decision": "approve"}).status_code == 403
    assert Submission.objects.get().status == Submission.Status.SUBMITTED


def test_the_trainers_start_page_lists_the_runs_with_assignments_to_review(trainer):
    anna, bram = run_with_participants(count=2, first=TODAY - datetime.timedelta(days=1))
    submitted(anna)
    submitted(bram)
    page = trainer.get(reverse("admin:index")).content.decode()
    assert "2 eindopdrachten wachten op beoordeling" in page and anna.cohort.code in page
    assert "De eindopdrachten beoordelen" in page


def test_the_offices_start_page_does_not(office):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    submitted(anna)
    assert "eindopdracht" not in office.get(reverse("admin:index")).content.decode().split("<h2")[1]
