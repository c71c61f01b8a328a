"""
The invoices and credit notes for the bookkeeping: a row per invoice line, as CSV (for programs) and XLSX (for people).

Per line: the number, the date, the board, the description, the amount, the
VAT code and the ledger account. As in the register export
(registry/exports.py), no cell can become a formula: text a spreadsheet
could run gets a leading apostrophe in the CSV and Excel's quote prefix in
the XLSX. Amounts are numbers (a number is never a formula): in the CSV with
a decimal point, in the XLSX as numeric cells with two decimals.
"""

import csv
import datetime
import io
from decimal import Decimal

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font

from audit import services as audit
from audit.models import AuditEvent
from billing.models import Invoice, InvoiceLine, Provider
from verbindend.spreadsheets import could_run, safe_cell

from . import pricing

COLUMNS = [
    ("number", "Factuurnummer"),
    ("kind", "Soort"),
    ("date", "Factuurdatum"),
    ("board", "Bestuur"),
    ("po_number", "Inkoopordernummer"),
    ("line", "Regel"),
    ("description", "Omschrijving"),
    ("amount", "Bedrag"),
    ("vat_code", "Btw-code"),
    ("vat_amount", "Btw"),
    ("ledger", "Grootboekrekening"),
]
TEXT_COLUMNS = {"number", "kind", "board", "po_number", "description", "vat_code", "ledger"}


def vat_code(invoice: Invoice) -> str:
    """Return the line's VAT code: E (exempt), or S with the rate (S21)."""
    return "E" if invoice.vat_rate is None else f"S{invoice.vat_rate.normalize():f}"


def export_rows(invoices) -> list[dict]:
    """Return a row per line of these invoices and credit notes, in number order, in one query."""
    provider = Provider.objects.first()
    lines = (
        InvoiceLine.objects.filter(invoice__in=invoices)
        .select_related("invoice")
        .order_by("invoice__year", "invoice__sequence", "position")
    )
    rows = []
    for line in lines:
        invoice = line.invoice
        exempt = invoice.vat_rate is None
        rows.append(
            {
                "number": invoice.number,
                "kind": "creditnota" if invoice.is_credit_note else "factuur",
                "date": invoice.issue_date,
                "board": invoice.buyer_name,
                "po_number": invoice.po_number,
                "line": line.position,
                "description": line.description,
                "amount": line.amount,
                "vat_code": vat_code(invoice),
                "vat_amount": Decimal("0.00") if exempt else pricing.percentage_of(line.amount, invoice.vat_rate),
                "ledger": (provider.ledger_exempt if exempt else provider.ledger_vat) if provider else "",
            }
        )
    return rows


def _csv_value(key, value) -> str:
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    if key in ("amount", "vat_amount"):
        return f"{value:.2f}"
    return safe_cell(value)


def to_csv(rows: list[dict]) -> bytes:
    """The export for programs: semicolons, UTF-8 with a byte order mark, as the register export writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([title for _key, title in COLUMNS])
    for row in rows:
        writer.writerow([_csv_value(key, row[key]) for key, _title in COLUMNS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict]) -> bytes:
    """The export for people: codes and text as text cells, amounts as numbers, dates as dates."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Factuurregels"
    sheet.append([title for _key, title in COLUMNS])
    for row in rows:
        sheet.append([float(row[key]) if key in ("amount", "vat_amount") else row[key] for key, _title in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, (key, _title) in enumerate(COLUMNS, start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if key in TEXT_COLUMNS:
                cell.data_type = "s"
                cell.number_format = "@"
                # Excel's quote prefix: shown as written, never run.
                if could_run(str(cell.value or "")):
                    cell.quotePrefix = True
            elif key in ("amount", "vat_amount"):
                cell.number_format = "#,##0.00"
            elif key == "date":
                cell.number_format = "DD-MM-YYYY"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_bookkeeping(*, invoices, file_format: str, by=None, request=None) -> tuple[bytes, str, str]:
    """
    Return the export of these invoices and credit notes as (content, content type, file name); in the audit trail.

    :param file_format: "csv" or "xlsx"
    """
    rows = export_rows(invoices)
    numbers = sorted({row["number"] for row in rows})
    if file_format == "csv":
        content, content_type = to_csv(rows), "text/csv; charset=utf-8"
    else:
        content, content_type = to_xlsx(rows), XLSX
    audit.record(
        action=AuditEvent.Action.EXPORT,
        obj=Provider.objects.first(),
        actor=by,
        request=request,
        detail=gettext("Bookkeeping export (%(format)s): %(count)s lines of %(numbers)s")
        % {"format": file_format.upper(), "count": len(rows), "numbers": ", ".join(numbers)},
    )
    return content, content_type, f"boekhouding-facturen.{file_format}"
