"""Files of each kind as their programs write them, and materials and uploads made through the services."""

import datetime
import io
import zipfile

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cohorts import tokens
from cohorts.models import CourseDay, Participant
from cohorts.services import links, scheduling
from cohorts.tests.factories import enrolled_participants, placed_registration
from programme.models import Programme

from ..models import Material
from ..services import assignments, library

# A one-page PDF as a PDF writer makes it: the header, a catalogue, a page.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def docx_bytes() -> bytes:
    """The smallest Word (Office Open XML) package: its content types and its document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def odt_bytes() -> bytes:
    """An OpenDocument text: its first member, stored, is "mimetype"."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        package.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>')
    return buffer.getvalue()


def upload(name: str = "opdracht.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def token_of(participant: Participant) -> str:
    return tokens.make_token(participant.access_key, tokens.PARTICIPANT)


def page_path(participant: Participant) -> str:
    return links.participant_page_url(participant).removeprefix(settings.SITE_URL)


def material_path(participant: Participant, material: Material) -> str:
    return reverse("materials:material", kwargs={"token": token_of(participant), "material_id": material.pk})


def upload_path(participant: Participant) -> str:
    return reverse("materials:assignment_upload", kwargs={"token": token_of(participant)})


def run_with_participants(*, count: int = 1, first: datetime.date, assignment: bool = True) -> list[Participant]:
    """
    Enrolled participants of one run whose six days are scheduled a week apart from `first` (past days too),
    of a programme that requires a final assignment unless told otherwise.
    """
    registration = placed_registration()
    people = enrolled_participants(registration, count)
    cohort = registration.cohort
    programme = cohort.programme
    programme.final_assignment_required = assignment
    programme.save(update_fields=["final_assignment_required"])
    for programme_day in programme.days.order_by("number"):
        day = CourseDay(
            cohort=cohort,
            programme_day=programme_day,
            date=first + datetime.timedelta(weeks=programme_day.number - 1),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
        scheduling.save_course_day(day=day, changed_fields=[], replaying=True)
    return [Participant.objects.select_related("cohort__programme").get(pk=p.pk) for p in people]


def file_material(*, day: int = 1, title: str = "Reader dag 1", shown: str = "on_the_day", days: int = 0, **kw):
    programme_day = Programme.objects.get(slug="verbindend-leiderschap").days.get(number=day)
    material = Material(programme_day=programme_day, title=title, shown=shown, days=days)
    return library.save_material(material=material, upload=kw.get("upload") or upload("reader.pdf"))


def link_material(*, day: int = 1, title: str = "Artikel", url: str = "https://example.org/artikel", **kw):
    programme_day = Programme.objects.get(slug="verbindend-leiderschap").days.get(number=day)
    material = Material(programme_day=programme_day, title=title, url=url, **kw)
    return library.save_material(material=material)


def submitted(participant: Participant, name: str = "opdracht.pdf", content: bytes = PDF):
    return assignments.submit_final_assignment(participant=participant, upload=upload(name, content))
