"""A board's invoices and credit notes, as PDF and as e-invoice (UBL), through the board contact's signed link."""

from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache

from billing import pdf, ubl
from billing import selectors as billing_selectors
from cohorts import selectors, tokens

from .access import registration_from_token

FORMATS = {
    "pdf": (pdf.render_invoice, pdf.filename, "application/pdf"),
    "xml": (ubl.render_ubl, ubl.filename, "application/xml"),
}


@never_cache
def board_invoice(request, token, invoice_id, file_format):
    """One of the board's invoices, of a registration this contact filed (`selectors.contacts_registrations`)."""
    if file_format not in FORMATS:
        raise Http404
    registration = registration_from_token(token, tokens.BOARD)
    ids = selectors.contacts_registrations(registration).values_list("pk", flat=True)
    invoice = billing_selectors.board_invoice(registration_ids=ids, invoice_id=invoice_id)
    render, filename, content_type = FORMATS[file_format]
    response = HttpResponse(render(invoice), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename(invoice))
    return response
