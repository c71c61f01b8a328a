"""The invoice and credit note PDFs, read back by poppler (pdfinfo, pdftotext), not by the library that wrote them."""

import shutil
import subprocess
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing import pdf
from billing.models import PriceModel
from billing.services import invoicing
from conftest import require_service

from .conftest import member
from .factories import confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _poppler():
    require_service("poppler-utils", shutil.which("pdfinfo") is not None, "apt-get install poppler-utils")


@pytest.fixture
def invoices(fixed_clock):
    """The two boards' invoices of a shared run, the first with a credit note."""
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, _registrations = confirmed_shared_run(14, 9)
    first, second = invoicing.issue_invoices_for_run(cohort=cohort)
    credit_note = invoicing.credit_invoice(invoice=first, reason="Het bestuur trekt zich terug")
    return first, second, credit_note


def run(*command) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def read(invoice, tmp_path) -> tuple[dict[str, str], str]:
    path = tmp_path / pdf.filename(invoice)
    path.write_bytes(pdf.render_invoice(invoice))
    info = {
        key.strip(): value.strip()
        for key, value in (line.split(":", 1) for line in run("pdfinfo", str(path)).splitlines() if ":" in line)
    }
    text = " ".join(run("pdftotext", "-layout", str(path), "-").split())
    return info, text


def test_the_invoice_is_one_a4_page_with_everything_a_board_s_administration_checks(invoices, tmp_path):
    first, _second, _credit_note = invoices
    info, text = read(first, tmp_path)
    assert info["Pages"] == "1"
    assert info["Page size"].startswith("595.276 x 841.89 pts (A4)")
    assert info["Title"] == f"Factuur 2027-0001: {first.buyer_name}"
    assert info["Author"] == "Natuurlijk Leren BV"
    for expected in [
        "Natuurlijk Leren BV",
        "Oudegracht 100",
        "3511 AB Utrecht",
        "KvK 12345678",
        "Btw-nr. NL000099998B57",
        "CRKBO CRKBO-2019-0042",
        "IBAN NL91 ABNA 0417 1643 00",
        first.buyer_name,
        "Factuurnummer 2027-0001",
        "Factuurdatum 1 maart 2027",
        "Vervaldatum 31 maart 2027",
        f"Uitvoering {first.cohort.code}",
        # The description wraps in its column: its second line follows the amounts.
        "uw deel van de uitvoering, 14 van de 1 € 2.739,13 € 2.739,13 23 deelnemers",
        "Bedrag exclusief btw € 2.739,13",
        "Btw (vrijgesteld) € 0,00",
        "Totaal € 2.739,13",
        "Vrijgesteld van btw op grond van artikel 11, lid 1, onderdeel o, van de Wet op de omzetbelasting 1968",
        "Graag € 2.739,13 vóór 31 maart 2027 overmaken naar NL91 ABNA 0417 1643 00 ten name van Natuurlijk Leren "
        "BV, onder vermelding van factuurnummer 2027-0001.",
    ]:
        assert expected in text, expected


def test_the_credit_note_names_the_invoice_it_credits(invoices, tmp_path):
    _first, _second, credit_note = invoices
    info, text = read(credit_note, tmp_path)
    assert info["Title"].startswith("Creditnota 2027-0003")
    for expected in [
        "Creditnotanummer 2027-0003",
        "Crediteert factuur 2027-0001 (1 maart 2027)",
        "Reden Het bestuur trekt zich terug",
        "-1 € 2.739,13 € -2.739,13",
        "Totaal € -2.739,13",
        "Deze creditnota verrekent € 2.739,13 van factuur 2027-0001.",
    ]:
        assert expected in text, expected
    assert "Vervaldatum" not in text


def test_the_office_downloads_the_pdf_from_the_admin_and_the_trainer_cannot(invoices, office):
    first, _second, _credit_note = invoices
    url = reverse("admin:billing_invoice_pdf", args=[first.pk])
    response = office.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="factuur-2027-0001.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert url in office.get(reverse("admin:billing_invoice_changelist")).content.decode()
    trainer = Client()
    trainer.force_login(member("Trainer"))
    assert trainer.get(url).status_code == 403
