"""The sign-in sheet (presentielijst) of a course day as a PDF: the enrolled participants, each with room to sign."""

from django.conf import settings

from verbindend.pdf import render_pdf

from .selectors.trainer import SignInSheet


def render_sign_in_sheets(sheets: list[SignInSheet], *, language: str) -> bytes:
    """Return one PDF with a sheet (one or more A4 pages) for each course day given."""
    context = {"sheets": sheets, "provider": settings.PROVIDER_NAME}
    return render_pdf(
        "cohorts/documents/sign_in_sheet.html",
        context,
        stylesheet="cohorts/documents/sign_in_sheet.css",
        language=language,
    )


def sign_in_filename(sheets: list[SignInSheet]) -> str:
    """presentielijst-VL-2027-01-dag-3.pdf for one day, presentielijsten-VL-2027-01.pdf for a run's days."""
    cohort = sheets[0].cohort
    if len(sheets) == 1:
        return f"presentielijst-{cohort.code}-dag-{sheets[0].day.programme_day.number}.pdf"
    return f"presentielijsten-{cohort.code}.pdf"
