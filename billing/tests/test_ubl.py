"""
The e-invoice of an invoice and of a credit note, read back by the official UBL 2.1 schema and the Peppol BIS
Billing 3.0 Schematron (with the CEN EN16931 rules), never by the code that wrote it.
"""

import datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest

from billing import ubl
from billing.models import Invoice, PriceModel
from billing.services import invoicing

from .einvoice_rules import compiled, parse
from .factories import (
    accepted_by_boards,
    confirmed_shared_run,
    filled_in_provider,
    invoice_details,
    priced_programme,
)

pytestmark = pytest.mark.django_db

NS = {"cbc": ubl.CBC, "cac": ubl.CAC}


@pytest.fixture(scope="module")
def rules():
    return compiled()


@pytest.fixture
def invoices(fixed_clock):
    """The two boards' invoices of a shared run, exempt from VAT, the first with a purchase order and a credit note."""
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, _registrations = confirmed_shared_run(14, 9)
    first, second = accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=["PO-2027-118", ""])
    credit_note = invoicing.credit_invoice(invoice=first, reason="Het bestuur trekt zich terug")
    return first, second, credit_note


def text(xml: bytes, path: str) -> list[str]:
    return [element.text for element in parse(xml).findall(path, NS)]


def test_an_exempt_invoice_passes_the_schema_and_every_rule(invoices, rules):
    first, _second, _credit_note = invoices
    xml = ubl.render_ubl(first)
    assert rules.schema_errors(xml) == []
    assert rules.failed(xml) == []  # no fatal error, and no warning either
    assert parse(xml).tag == f"{{{ubl.INVOICE_NS}}}Invoice"
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<ubl:Invoice xmlns:")
    assert text(xml, "cbc:ID") == [first.number]
    assert text(xml, "cbc:BuyerReference") == ["PO-2027-118"]
    assert text(xml, "cac:OrderReference/cbc:ID") == ["PO-2027-118"]
    assert text(xml, "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID") == ["12345678"]
    legal = parse(xml).find("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", NS)
    assert legal.get("schemeID") == "0106"
    assert text(xml, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == ["NL91ABNA0417164300"]
    assert text(xml, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["E"]
    [reason] = text(xml, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason")
    assert reason.startswith("Vrijgesteld van btw op grond van artikel 11, lid 1, onderdeel o")
    assert text(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["2739.13"]
    assert text(xml, "cac:AccountingCustomerParty/cac:Party/cac:PostalAddress/cbc:PostalZone") == ["3512 JE"]


def test_an_invoice_without_a_purchase_order_names_the_contact_as_the_buyer_s_reference(invoices, rules):
    _first, second, _credit_note = invoices
    xml = ubl.render_ubl(second)
    assert rules.schema_errors(xml) == []
    assert rules.failed(xml) == []  # no fatal error, and no warning either
    assert text(xml, "cbc:BuyerReference") == [second.registration.contact_name]
    assert text(xml, "cac:OrderReference/cbc:ID") == []


def test_a_credit_note_is_a_creditnote_that_refers_to_its_invoice(invoices, rules):
    first, _second, credit_note = invoices
    xml = ubl.render_ubl(credit_note)
    assert rules.schema_errors(xml) == []
    assert rules.failed(xml) == []  # no fatal error, and no warning either
    assert parse(xml).tag == f"{{{ubl.CREDIT_NOTE_NS}}}CreditNote"
    assert text(xml, "cbc:CreditNoteTypeCode") == ["381"]
    assert text(xml, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == [first.number]
    # Stated as credited: positive.
    assert text(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["2739.13"]
    assert text(xml, "cac:CreditNoteLine/cbc:CreditedQuantity") == ["1"]


def test_a_credit_note_that_keeps_a_fee_back_passes_with_its_fee_as_a_negative_line(fixed_clock, rules):
    filled_in_provider()
    priced_programme(amount=Decimal("1450.00"), cancellation_fee_percent=50)
    cohort, [registration] = confirmed_shared_run(12, first=fixed_clock_first_day())
    [invoice] = accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=["PO-7"])
    credit_note = invoicing.credit_cancellation(registration=registration, cancelled_on=datetime.date(2027, 3, 20))
    xml = ubl.render_ubl(credit_note)
    assert rules.schema_errors(xml) == []
    assert rules.failed(xml) == []  # no fatal error, and no warning either
    assert text(xml, "cac:CreditNoteLine/cbc:CreditedQuantity") == ["1", "-1"]
    assert text(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == [f"{-credit_note.total_amount:.2f}"]
    assert invoice.number in text(xml, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")


def fixed_clock_first_day() -> datetime.date:
    # Within the cut-off: the cancellation fee applies.
    return datetime.date(2027, 4, 1)


def test_an_invoice_at_a_vat_rate_states_the_standard_category_and_its_tax(fixed_clock, rules):
    filled_in_provider()
    priced_programme(vat_treatment=PriceModel.VatTreatment.RATE, vat_rate=Decimal("21.00"), exemption_text="")
    cohort, _registrations = confirmed_shared_run(12)
    [invoice] = accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=["PO-9"])
    xml = ubl.render_ubl(invoice)
    assert rules.schema_errors(xml) == []
    assert rules.failed(xml) == []  # no fatal error, and no warning either
    assert text(xml, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:ID") == ["S"]
    assert text(xml, "cac:TaxTotal/cbc:TaxAmount") == ["3654.00"]
    assert text(xml, "cac:LegalMonetaryTotal/cbc:PayableAmount") == ["21054.00"]


def test_the_rules_catch_an_invoice_without_a_buyer_reference(invoices, rules):
    """The check can fail: the Peppol rule R003 on an invoice with neither a buyer nor an order reference."""
    first, _second, _credit_note = invoices
    root = parse(ubl.render_ubl(first))
    for path in ["cbc:BuyerReference", "cac:OrderReference"]:
        root.remove(root.find(path, NS))
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    assert rules.schema_errors(xml) == []
    assert [a.rule for a in rules.fatal(xml)] == ["PEPPOL-EN16931-R003"]


def test_the_rules_catch_a_wrong_total(invoices, rules):
    first, _second, _credit_note = invoices
    root = parse(ubl.render_ubl(first))
    root.find("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", NS).text = "2739.14"
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    assert "BR-CO-15" in {a.rule for a in rules.fatal(xml)}


def test_the_schema_catches_an_element_out_of_order(invoices, rules):
    first, _second, _credit_note = invoices
    root = parse(ubl.render_ubl(first))
    identifier = root.find("cbc:ID", NS)
    root.remove(identifier)
    root.append(identifier)
    assert rules.schema_errors(ET.tostring(root, encoding="UTF-8")) != []


def test_an_invoice_without_an_accepted_offer_passes_with_the_board_s_address_and_kvk_number(fixed_clock, rules):
    """No offer accepted: the invoice takes the street, postcode, place and KvK number the board has."""
    filled_in_provider()
    priced_programme()
    cohort, [registration] = confirmed_shared_run(12)
    invoice_details(registration.board, address="Kerkstraat 5", postcode="3811cv", kvk_number="41234567")
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    xml = ubl.render_ubl(invoice)
    assert rules.schema_errors(xml) == []
    assert rules.failed(xml) == []  # no fatal error, and no warning either
    buyer = "cac:AccountingCustomerParty/cac:Party"
    assert text(xml, f"{buyer}/cbc:EndpointID") == ["41234567"]
    assert parse(xml).find(f"{buyer}/cbc:EndpointID", NS).get("schemeID") == "0106"
    assert text(xml, f"{buyer}/cac:PartyLegalEntity/cbc:CompanyID") == ["41234567"]
    assert text(xml, f"{buyer}/cac:PostalAddress/cbc:StreetName") == ["Kerkstraat 5"]
    assert text(xml, f"{buyer}/cac:PostalAddress/cbc:PostalZone") == ["3811 CV"]
    assert text(xml, f"{buyer}/cac:PostalAddress/cbc:CityName") == ["Utrecht"]


def test_the_rules_catch_a_buyer_without_kvk_number_street_and_postcode(fixed_clock, rules):
    """What issuing refuses to send: no electronic address (Peppol R010), no street and postcode (NL-R-004)."""
    filled_in_provider()
    priced_programme()
    cohort, _registrations = confirmed_shared_run(12)
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    root = parse(ubl.render_ubl(invoice))
    party = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    party.remove(party.find("cbc:EndpointID", NS))
    address = party.find("cac:PostalAddress", NS)
    for name in ["cbc:StreetName", "cbc:PostalZone"]:
        address.remove(address.find(name, NS))
    fatal = {a.rule for a in rules.fatal(ET.tostring(root, encoding="UTF-8", xml_declaration=True))}
    assert {"PEPPOL-EN16931-R010", "NL-R-004"} <= fatal


def test_values_are_escaped_not_pasted(fixed_clock, rules):
    filled_in_provider(legal_name="Leren & Co <BV>")
    priced_programme()
    cohort, _registrations = confirmed_shared_run(12)
    [invoice] = accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=["<PO>&1"])
    xml = ubl.render_ubl(invoice)
    assert rules.schema_errors(xml) == []
    assert text(xml, "cac:OrderReference/cbc:ID") == ["<PO>&1"]
    assert text(xml, "cac:AccountingSupplierParty/cac:Party/cac:PartyName/cbc:Name") == ["Leren & Co <BV>"]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("Stichting X\nMaliebaan 12\n3512 JE Utrecht", ("Maliebaan 12", "3512 JE", "Utrecht")),
        ("Stichting X\nPostbus 4\n3500aa  Utrecht", ("Postbus 4", "3500 AA", "Utrecht")),
        ("Stichting X\nUtrecht", ("", "", "Utrecht")),
    ],
)
def test_the_invoice_address_is_read_as_street_postcode_and_city(address, expected):
    assert ubl.postal_address(address) == dict(zip(["street", "postcode", "city"], expected, strict=True))


def test_an_issued_invoice_is_not_changed_by_rendering_it(invoices):
    first, _second, _credit_note = invoices
    ubl.render_ubl(first)
    assert Invoice.objects.get(pk=first.pk).number == first.number


def test_the_dutch_rules_catch_a_credit_note_without_its_invoice_and_a_kvk_number_without_its_scheme(invoices, rules):
    first, _second, credit_note = invoices
    root = parse(ubl.render_ubl(credit_note))
    root.remove(root.find("cac:BillingReference", NS))
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    assert "NL-R-001" in {a.rule for a in rules.fatal(xml)}
    root = parse(ubl.render_ubl(first))
    del root.find("cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID", NS).attrib["schemeID"]
    xml = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    assert "NL-R-003" in {a.rule for a in rules.fatal(xml)}
