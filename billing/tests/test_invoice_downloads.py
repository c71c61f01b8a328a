"""The board page lists the board's invoices with their PDF and UBL; the admin offers the UBL beside the PDF."""

import subprocess
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from billing.models import PriceModel
from billing.services import invoicing
from cohorts.services import links

from .einvoice_rules import compiled, parse
from .factories import accepted_by_boards, confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(fixed_clock):
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, registrations = confirmed_shared_run(14, 9)
    first, second = accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=["PO-1", ""])
    credit_note = invoicing.credit_invoice(invoice=first, reason="Geannuleerd")
    return registrations, first, second, credit_note


def board_path(registration) -> str:
    return urlsplit(links.board_page_url(registration)).path


def file_url(registration, invoice, file_format) -> str:
    token = board_path(registration).rstrip("/").rsplit("/", 1)[1]
    return reverse(
        "public:board_invoice", kwargs={"token": token, "invoice_id": invoice.pk, "file_format": file_format}
    )


def test_the_board_page_lists_the_board_s_invoices_and_credit_notes_with_their_files(client, invoices):
    (board, other), first, _second, credit_note = invoices
    page = client.get(board_path(board)).content.decode()
    assert "Factuur 2027-0001" in page
    assert "Creditnota 2027-0003 (voor 2027-0001)" in page
    assert "2027-0002" not in page
    for invoice in (first, credit_note):
        for file_format in ("pdf", "xml"):
            assert file_url(board, invoice, file_format) in page
    assert "Factuur 2027-0002" in client.get(board_path(other)).content.decode()


def test_the_board_downloads_its_pdf_and_its_valid_e_invoice(client, invoices, tmp_path):
    (board, _other), first, _second, _credit_note = invoices
    response = client.get(file_url(board, first, "pdf"))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="factuur-2027-0001.pdf"' in response["Content-Disposition"]
    path = tmp_path / "f.pdf"
    path.write_bytes(response.content)
    assert "2027-0001" in subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    response = client.get(file_url(board, first, "xml"))
    assert response["Content-Type"] == "application/xml"
    assert compiled().schema_errors(response.content) == []
    assert (
        parse(response.content)
        .find(f"{{{'urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2'}}}ID")
        .text
        == "2027-0001"
    )


def test_another_board_s_link_cannot_fetch_an_invoice(client, invoices):
    (board, other), first, second, _credit_note = invoices
    for file_format in ("pdf", "xml"):
        assert client.get(file_url(other, first, file_format)).status_code == 404
        assert client.get(file_url(board, second, file_format)).status_code == 404
    assert client.get(file_url(board, first, "exe")).status_code == 404
    token = board_path(board).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/bestuur/{token}x/factuur/{first.pk}.pdf").status_code == 404


def test_the_board_page_reads_its_invoices_in_one_query_however_many(client, invoices, django_assert_num_queries):
    (board, other), _first, _second, _credit_note = invoices
    # The first board has an invoice and a credit note, the other one invoice: the same queries (the page's,
    # with 1 for its offers and 1 for its invoices).
    for registration in (board, other):
        with django_assert_num_queries(11):
            assert client.get(board_path(registration)).status_code == 200


def test_the_admin_offers_the_ubl_beside_the_pdf(invoices, office):
    _registrations, _first, _second, credit_note = invoices
    listing = office.get(reverse("admin:billing_invoice_changelist")).content.decode()
    assert reverse("admin:billing_invoice_ubl", args=[credit_note.pk]) in listing
    response = office.get(reverse("admin:billing_invoice_ubl", args=[credit_note.pk]))
    assert response["Content-Type"] == "application/xml"
    assert 'filename="creditnota-2027-0003.xml"' in response["Content-Disposition"]
    assert parse(response.content).tag.endswith("CreditNote")


def test_the_ubl_download_needs_the_view_permission(invoices, client):
    _registrations, first, _second, _credit_note = invoices
    response = client.get(reverse("admin:billing_invoice_ubl", args=[first.pk]))
    assert response.status_code == 302
