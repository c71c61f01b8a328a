"""
Demo data for materials: a reader, an article and the slides on the programme's days, and in the running run two
final assignments handed in, one under review and one returned with feedback.

The brochure's completion rule names the final assignment; the demo asks for it, so its upload form shows.
"""

from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse

from cohorts import demo as cohorts_demo
from cohorts.models import Cohort, Participant
from cohorts.services import links as participant_links
from programme.models import Programme

from .models import Material, Submission
from .services import assignments, library

READER = "Reader dag 1: het leiderschapsprofiel"
MATERIALS = [
    # (day, title, link or None for a file, shown, days)
    (1, READER, None, Material.Shown.ON_THE_DAY, 0),
    (1, "Artikel: verbindend leiderschap in de praktijk", "https://www.schoolleidersregister.nl/", "after", 1),
    (2, "Voorbereiding dag 2", None, Material.Shown.BEFORE, 7),
]
FEEDBACK = "Een goed begin. Werk de casus verder uit met de twee perspectieven van dag 3, en noem uw bronnen."


def demo_pdf(title: str) -> bytes:
    """Return a one-page PDF that says `title`, with its cross-reference table, as a PDF viewer expects."""
    text = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 4 0 R>>>>/Contents 5 0 R>>",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def load(*, trainer) -> bool:
    """Add the materials and hand in two final assignments in the running run, once."""
    if Material.objects.filter(title=READER).exists():
        return False
    programme = Programme.objects.get(slug="verbindend-leiderschap")
    if not programme.final_assignment_required:
        programme.final_assignment_required = True
        programme.full_clean()
        programme.save(update_fields=["final_assignment_required"])
    for day, title, url, shown, days in MATERIALS:
        material = Material(programme_day=programme.days.get(number=day), title=title, shown=shown, days=days)
        if url:
            material.url = url
            library.save_material(material=material)
        else:
            name = title.split(":")[0].lower().replace(" ", "-") + ".pdf"
            library.save_material(material=material, upload=ContentFile(demo_pdf(title), name=name))
    under_review, returned = _running_participants()[:2]
    for participant in (under_review, returned):
        upload = ContentFile(demo_pdf(f"Eindopdracht van {participant.full_name}"), name="eindopdracht.pdf")
        assignments.submit_final_assignment(participant=participant, upload=upload)
    assignments.return_final_assignment(submission=returned.final_assignment, feedback=FEEDBACK, by=trainer)
    return True


def _running_participants():
    return list(
        Participant.objects.filter(
            cohort__status=Cohort.Status.RUNNING,
            registration__in=cohorts_demo.demo_registrations(),
            status=Participant.Status.ENROLLED,
        )
        .select_related("cohort__programme")
        .order_by("pk")
    )


def report(stdout) -> None:
    submissions = Submission.objects.all()
    stdout.write(
        f"Materials: {Material.objects.count()}; final assignments: "
        f"{submissions.filter(status=Submission.Status.SUBMITTED).count()} awaiting review, "
        f"{submissions.filter(status=Submission.Status.RETURNED).count()} returned with feedback"
    )


def links() -> list[tuple[str, str]]:
    found = [("The final assignments to review", settings.SITE_URL + reverse("admin:materials_submission_changelist"))]
    submission = (
        Submission.objects.filter(status=Submission.Status.SUBMITTED).select_related("participant__cohort").first()
    )
    if submission:
        participant = submission.participant
        found.append(
            (
                f"Participant page of {participant.full_name} ({participant.cohort.code}; materials, an assignment "
                "under review)",
                participant_links.participant_page_url(participant),
            )
        )
    return found
