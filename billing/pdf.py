"""Invoices and credit notes as A4 PDF (see verbindend.pdf for what WeasyPrint may fetch), kept archival and tagged."""

from verbindend.pdf import render_pdf

from .models import Invoice


def render_invoice(invoice: Invoice) -> bytes:
    """Return the PDF of an issued invoice or credit note, from what it copied at issue, in its language."""
    context = {
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "credits": invoice.credits,
        "cohort": invoice.cohort,
    }
    return render_pdf("billing/invoice.html", context, stylesheet="billing/invoice.css", language=invoice.language)


def filename(invoice: Invoice) -> str:
    kind = "creditnota" if invoice.is_credit_note else "factuur"
    return f"{kind}-{invoice.number}.pdf"
