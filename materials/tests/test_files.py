"""Uploads are judged by their content and size, and private files go only to whom they are for."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from conftest import FIXED_NOW
from materials.models import Submission
from materials.services import MaterialsError
from materials.validators import ASSIGNMENT_TYPES, MATERIAL_TYPES, validate_upload

from .factories import (
    PDF,
    docx_bytes,
    file_material,
    link_material,
    material_path,
    odt_bytes,
    run_with_participants,
    submitted,
    upload,
    upload_path,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
TODAY = FIXED_NOW.date()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize(
    ("name", "content"),
    [("opdracht.pdf", PDF), ("opdracht.docx", docx_bytes()), ("opdracht.odt", odt_bytes())],
    # Named, not by their bytes: a zip holds the time it was made, and two workers must collect the same ids.
    ids=["pdf", "docx", "odt"],
)
def test_a_pdf_docx_or_odt_assignment_is_accepted(name, content):
    assert validate_upload(upload(name, content), allowed=ASSIGNMENT_TYPES, max_bytes=10**6) == name.split(".")[1]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("opdracht.pdf", EXE, "De inhoud van het bestand is geen .pdf-bestand."),
        ("opdracht.pdf", HTML, "De inhoud van het bestand is geen .pdf-bestand."),
        ("opdracht.docx", odt_bytes(), "De inhoud van het bestand is geen .docx-bestand."),
        ("opdracht.exe", EXE, "Dit soort bestand wordt niet aangenomen."),
        ("opdracht.pdf", b"", "Het bestand is leeg."),
    ],
    ids=["exe-as-pdf", "html-as-pdf", "odt-as-docx", "exe", "empty"],
)
def test_a_file_is_refused_by_its_content_not_its_name(name, content, message):
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(name, content), allowed=ASSIGNMENT_TYPES, max_bytes=10**6)
    assert message in refused.value.messages[0]


def test_an_oversized_file_is_refused():
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("opdracht.pdf", PDF + b" " * 2000), allowed=ASSIGNMENT_TYPES, max_bytes=1024)
    assert refused.value.messages == ["Het bestand is te groot: maximaal 1,0\xa0KB."]


def test_slides_are_material_but_not_an_assignment():
    assert "pptx" in MATERIAL_TYPES and "pptx" not in ASSIGNMENT_TYPES


def test_a_material_link_must_be_http_or_https():
    with pytest.raises(ValidationError):
        link_material(url="javascript:alert(1)")
    with pytest.raises(ValidationError):
        link_material(url="ftp://example.org/file.pdf")


def test_the_participant_downloads_a_visible_material_as_a_private_attachment(client, private_files):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    material = file_material(day=1)
    assert (private_files / material.file.name).read_bytes() == PDF
    response = client.get(material_path(anna, material))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="reader.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_material_not_yet_shown_is_a_404(client):
    # Day 2 is six days ahead; the material shows from two days before it.
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    later = file_material(day=2, shown="before", days=2)
    assert client.get(material_path(anna, later)).status_code == 404
    soon = file_material(day=2, shown="before", days=6, title="Voorbereiding")
    assert client.get(material_path(anna, soon)).status_code == 200


def test_another_participants_link_opens_nothing_of_someone_elses_run(client):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    (bram,) = run_with_participants(first=TODAY + datetime.timedelta(days=30))
    material = file_material(day=1)
    assert client.get(material_path(anna, material)).status_code == 200
    # The same material through Bram's link: his day 1 is still to come.
    assert client.get(material_path(bram, material)).status_code == 404


def test_a_forged_token_is_a_404(client):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    material = file_material(day=1)
    forged = material_path(anna, material).replace("/deelnemer/", "/deelnemer/x")
    assert client.get(forged).status_code == 404


def test_own_assignment_through_someone_elses_link_is_a_404(client):
    anna, bram = run_with_participants(count=2, first=TODAY - datetime.timedelta(days=1))
    submitted(anna)
    own = upload_path(anna).replace("eindopdracht/", "eindopdracht/bestand/")
    assert client.get(own).status_code == 200
    others = upload_path(bram).replace("eindopdracht/", "eindopdracht/bestand/")
    assert client.get(others).status_code == 404


def test_the_upload_form_refuses_a_renamed_file_in_dutch(client):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    response = client.post(upload_path(anna), {"file": upload("opdracht.pdf", HTML)}, follow=True)
    assert "De inhoud van het bestand is geen .pdf-bestand." in response.content.decode()
    assert not Submission.objects.exists()


def test_a_new_upload_replaces_the_earlier_file(client, private_files, django_capture_on_commit_callbacks):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    with_capture = client.post(upload_path(anna), {"file": upload("versie1.pdf")}, follow=True)
    assert "Uw eindopdracht is ontvangen." in with_capture.content.decode()
    first = Submission.objects.get().file.name
    with django_capture_on_commit_callbacks(execute=True):
        client.post(upload_path(anna), {"file": upload("versie2.docx", docx_bytes())})
    submission = Submission.objects.get()
    assert submission.filename == "versie2.docx"
    assert (private_files / submission.file.name).exists()
    assert not (private_files / first).exists()


def test_no_upload_where_the_programme_asks_for_none():
    (anna,) = run_with_participants(first=TODAY, assignment=False)
    with pytest.raises(MaterialsError):
        submitted(anna)


def test_the_upload_address_opened_leads_to_the_page_and_a_forged_one_to_nothing(client):
    (anna,) = run_with_participants(first=TODAY)
    response = client.get(upload_path(anna))
    assert response.status_code == 302 and response["Location"].endswith("/#assignment-title")
    assert client.get(upload_path(anna).replace("/deelnemer/", "/deelnemer/x")).status_code == 404
