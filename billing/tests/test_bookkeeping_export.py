"""
The export for the bookkeeping, a row per invoice line, read back by the csv module (the house's dialect) and by
LibreOffice headless (the XLSX as the office opens it), never by the code that wrote it.
"""

import csv
import io
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditEvent
from billing.models import Invoice, PriceModel
from billing.services import bookkeeping, invoicing
from conftest import require_service

from .factories import accepted_by_boards, confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
HOSTILE_PO = '=HYPERLINK("http://evil.example/","klik")'
HEADER = [
    "Factuurnummer",
    "Soort",
    "Factuurdatum",
    "Bestuur",
    "Inkoopordernummer",
    "Regel",
    "Omschrijving",
    "Bedrag",
    "Btw-code",
    "Btw",
    "Grootboekrekening",
]


@pytest.fixture
def invoices(fixed_clock):
    """Two boards' invoices of a run, the first with a hostile purchase-order number and a credit note."""
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, _registrations = confirmed_shared_run(14, 9)
    first, second = accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=[HOSTILE_PO, ""])
    credit_note = invoicing.credit_invoice(invoice=first, reason="Geannuleerd")
    return first, second, credit_note


def read_csv(content: bytes) -> list[dict]:
    assert content.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_the_csv_has_a_row_per_invoice_line_with_number_date_board_amount_vat_code_and_ledger(invoices):
    first, second, _credit_note = invoices
    content, content_type, name = bookkeeping.export_bookkeeping(invoices=Invoice.objects.all(), file_format="csv")
    assert (content_type, name) == ("text/csv; charset=utf-8", "boekhouding-facturen.csv")
    rows = read_csv(content)
    assert list(rows[0]) == HEADER
    assert [
        (r["Factuurnummer"], r["Soort"], r["Factuurdatum"], r["Bestuur"], r["Bedrag"], r["Btw-code"], r["Btw"])
        for r in rows
    ] == [
        ("2027-0001", "factuur", "01-03-2027", first.buyer_name, "2739.13", "E", "0.00"),
        ("2027-0002", "factuur", "01-03-2027", second.buyer_name, "1760.87", "E", "0.00"),
        ("2027-0003", "creditnota", "01-03-2027", first.buyer_name, "-2739.13", "E", "0.00"),
    ]
    assert {r["Grootboekrekening"] for r in rows} == {"8010"}
    # Quoted so that no spreadsheet runs it; the amounts stay numbers.
    assert rows[0]["Inkoopordernummer"] == "'" + HOSTILE_PO


def test_the_ledger_and_the_vat_code_follow_the_vat_treatment(fixed_clock):
    filled_in_provider(ledger_vat="8001")
    priced_programme(vat_treatment=PriceModel.VatTreatment.RATE, vat_rate=Decimal("21.00"), exemption_text="")
    cohort, _registrations = confirmed_shared_run(12)
    invoicing.issue_invoices_for_run(cohort=cohort)
    [row] = read_csv(bookkeeping.export_bookkeeping(invoices=Invoice.objects.all(), file_format="csv")[0])
    assert (row["Bedrag"], row["Btw-code"], row["Btw"], row["Grootboekrekening"]) == (
        "17400.00",
        "S21",
        "3654.00",
        "8001",
    )


def test_every_export_is_in_the_audit_trail(invoices):
    bookkeeping.export_bookkeeping(invoices=Invoice.objects.filter(kind="invoice"), file_format="xlsx")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.detail == "Export voor de boekhouding (XLSX): 2 regels van 2027-0001, 2027-0002"


def test_the_export_reads_the_lines_in_the_same_queries_however_many(invoices, django_assert_num_queries):
    # The provider, the lines with their invoices, and the audit event (the provider for it once more).
    with django_assert_num_queries(4):
        rows = bookkeeping.export_bookkeeping(invoices=Invoice.objects.all(), file_format="csv")[0]
    with django_assert_num_queries(4):
        one = bookkeeping.export_bookkeeping(invoices=Invoice.objects.filter(number="2027-0002"), file_format="csv")[0]
    assert len(read_csv(rows)) == 3 and len(read_csv(one)) == 1


@pytest.fixture(scope="module")
def office_profile(tmp_path_factory):
    require_service("LibreOffice Calc", SOFFICE is not None, "apt-get install libreoffice-calc-nogui")
    return tmp_path_factory.mktemp("libreoffice")


def soffice(profile, source, target_format):
    out = source.parent / f"out-{target_format.split(':')[0]}"
    command = [SOFFICE, f"-env:UserInstallation=file://{profile}/profile", "--headless", "--norestore"]
    command += ["--convert-to", target_format, "--outdir", str(out), str(source)]
    env = {"HOME": str(profile), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    subprocess.run(command, capture_output=True, check=True, timeout=180, env=env)
    (result,) = out.iterdir()
    return result


def test_the_xlsx_opened_by_libreoffice_has_no_formula_and_its_amounts_as_numbers(invoices, office_profile, tmp_path):
    content, _type, _name = bookkeeping.export_bookkeeping(invoices=Invoice.objects.all(), file_format="xlsx")
    source = tmp_path / "boekhouding.xlsx"
    source.write_bytes(content)
    sheet = openpyxl.load_workbook(soffice(office_profile, source, "xlsx")).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADER
    by_number = {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert by_number["2027-0001"]["Inkoopordernummer"] == HOSTILE_PO  # shown as written, as text
    assert by_number["2027-0001"]["Bedrag"] == pytest.approx(2739.13)
    assert by_number["2027-0003"]["Bedrag"] == pytest.approx(-2739.13)
    assert by_number["2027-0002"]["Grootboekrekening"] == "8010"


def test_the_office_exports_from_the_admin(invoices, office):
    first, second, _credit_note = invoices
    data = {"action": "export_csv", "_selected_action": [first.pk, second.pk]}
    response = office.post(reverse("admin:billing_invoice_changelist"), data)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert [r["Factuurnummer"] for r in read_csv(response.content)] == ["2027-0001", "2027-0002"]
    assert AuditEvent.objects.get(action=AuditEvent.Action.EXPORT).actor.username == "kantoor-user"


def test_a_staff_member_without_the_permission_cannot_export(invoices, client, django_user_model):
    first, _second, _credit_note = invoices
    user = django_user_model.objects.create_user("kijker", password="x-secret-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_invoice"))
    client.force_login(user)
    url = reverse("admin:billing_invoice_changelist")
    assert "export_csv" not in client.get(url).content.decode()
    response = client.post(url, {"action": "export_csv", "_selected_action": [first.pk]})
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
