"""
Invoices and credit notes as PDF (A4), made with WeasyPrint from an HTML template.

As the certificates (registry/pdf.py): WeasyPrint may read the project's own
static files (the fonts) and nothing else, so no value printed on an invoice
can make it fetch a file or a URL; the template escapes every value anyway.
"""

from functools import lru_cache

from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from registry.pdf import BASE_URL, StaticFilesOnlyFetcher

from .models import Invoice

# Archival (an invoice is kept seven years) and tagged for screen readers.
PDF_VARIANT = "pdf/a-2a"


@lru_cache(maxsize=1)
def _resources() -> tuple[CSS, FontConfiguration, StaticFilesOnlyFetcher]:
    # Made once per process: parsing the stylesheet and loading its fonts costs more than laying out a page.
    fetcher = StaticFilesOnlyFetcher()
    fonts = FontConfiguration()
    css = CSS(string=render_to_string("billing/invoice.css"), base_url=BASE_URL, url_fetcher=fetcher, font_config=fonts)
    return css, fonts, fetcher


def render_invoice(invoice: Invoice) -> bytes:
    """Return the PDF of an issued invoice or credit note, from what it copied at issue, in its language."""
    css, fonts, fetcher = _resources()
    lines = list(invoice.lines.all())
    with translation.override(invoice.language):
        html = render_to_string(
            "billing/invoice.html",
            {"invoice": invoice, "lines": lines, "credits": invoice.credits, "cohort": invoice.cohort},
        )
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=fonts, pdf_variant=PDF_VARIANT
    )
    return document.write_pdf(pdf_variant=PDF_VARIANT)


def filename(invoice: Invoice) -> str:
    kind = "creditnota" if invoice.is_credit_note else "factuur"
    return f"{kind}-{invoice.number}.pdf"
