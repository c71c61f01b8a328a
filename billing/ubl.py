"""
An issued invoice or credit note as an e-invoice: UBL 2.1 following Peppol BIS Billing 3.0 and its Dutch rules.

Built as an element tree (never as text with values pasted in), from what the
invoice copied at issue. The Dutch rules (NLCIUS, in Peppol the NL-R rules)
ask for the seller's KvK number as its legal entity (scheme 0106), both
addresses with street, postcode and city, a buyer reference or an order
reference, and a means of payment: a SEPA credit transfer to the IBAN.

A credit note is a UBL CreditNote with its amounts positive (the document
type says they are credited) and a billing reference to the invoice it
credits; a fee the credit note keeps back is a line with a negative quantity.
An exempt invoice states VAT category E at 0 % with the legal ground as the
exemption reason.
"""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from stdnum import iban

from .models import Invoice

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "EUR"
# The electronic address and legal entity scheme of the Peppol code lists (EAS, ICD).
KVK_SCHEME = "0106"
# UN/ECE 4461: SEPA credit transfer.
SEPA_CREDIT_TRANSFER = "58"
# UN/ECE rec. 20: one (a unit without a measure: a participant, a course run).
UNIT_ONE = "C62"
CENT = Decimal("0.01")
DUTCH_POSTCODE = re.compile(r"^\s*(\d{4}\s?[A-Za-z]{2})\b[\s,]*(.*)$")

# The prefixes of the documents (xml.etree writes no default namespace beside unqualified attributes).
ET.register_namespace("cbc", CBC)
ET.register_namespace("cac", CAC)
ET.register_namespace("ubl", INVOICE_NS)
ET.register_namespace("cn", CREDIT_NOTE_NS)


def render_ubl(invoice: Invoice) -> bytes:
    """Return the UBL 2.1 XML of an issued invoice or credit note, encoded in UTF-8 with its declaration."""
    lines = list(invoice.lines.all())
    credit = invoice.is_credit_note
    # A credit note states its amounts as credited: the stored (negative) amounts, negated.
    sign = Decimal(-1) if credit else Decimal(1)
    root = ET.Element(f"{{{CREDIT_NOTE_NS if credit else INVOICE_NS}}}{'CreditNote' if credit else 'Invoice'}")
    _cbc(root, "CustomizationID", CUSTOMIZATION_ID)
    _cbc(root, "ProfileID", PROFILE_ID)
    _cbc(root, "ID", invoice.number)
    _cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if not credit:
        _cbc(root, "DueDate", invoice.due_date.isoformat())
    _cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", "381" if credit else "380")
    if invoice.reason:
        _cbc(root, "Note", invoice.reason)
    _cbc(root, "DocumentCurrencyCode", CURRENCY)
    _cbc(root, "BuyerReference", buyer_reference(invoice))
    if invoice.po_number:
        _cbc(_cac(root, "OrderReference"), "ID", invoice.po_number)
    if credit:
        reference = _cac(_cac(root, "BillingReference"), "InvoiceDocumentReference")
        _cbc(reference, "ID", invoice.credits.number)
        _cbc(reference, "IssueDate", invoice.credits.issue_date.isoformat())
    _seller(root, invoice)
    _buyer(root, invoice)
    if not credit:
        _payment(root, invoice)
    _tax_total(root, invoice, sign)
    totals = _cac(root, "LegalMonetaryTotal")
    _amount(totals, "LineExtensionAmount", sign * invoice.net_amount)
    _amount(totals, "TaxExclusiveAmount", sign * invoice.net_amount)
    _amount(totals, "TaxInclusiveAmount", sign * invoice.total_amount)
    _amount(totals, "PayableAmount", sign * invoice.total_amount)
    for line in lines:
        _line(root, invoice, line, sign)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def filename(invoice: Invoice) -> str:
    kind = "creditnota" if invoice.is_credit_note else "factuur"
    return f"{kind}-{invoice.number}.xml"


def buyer_reference(invoice: Invoice) -> str:
    """Return the buyer's reference: its purchase-order number, or the contact person who ordered."""
    return invoice.po_number or invoice.registration.contact_name


def postal_address(text: str) -> dict:
    """
    Return the street, postcode and city of a Dutch address written as lines (the name first, the postcode last).

    The line with the postcode gives the postcode and the city; the line
    before it, if it is not the first (the name), the street. Without a
    postcode the last line is taken as the city.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for index in range(len(lines) - 1, -1, -1):
        match = DUTCH_POSTCODE.match(lines[index])
        if match:
            code = re.sub(r"\s", "", match.group(1)).upper()
            return {
                "street": lines[index - 1] if index > 1 else "",
                "postcode": f"{code[:4]} {code[4:]}",
                "city": match.group(2).strip(),
            }
    return {"street": "", "postcode": "", "city": lines[-1] if len(lines) > 1 else ""}


def _seller(root: ET.Element, invoice: Invoice) -> None:
    party = _cac(_cac(root, "AccountingSupplierParty"), "Party")
    _cbc(party, "EndpointID", invoice.seller_kvk_number, schemeID=KVK_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", invoice.seller_name)
    _address(party, street=invoice.seller_address, postcode=invoice.seller_postcode, city=invoice.seller_city)
    tax_scheme = _cac(party, "PartyTaxScheme")
    _cbc(tax_scheme, "CompanyID", invoice.seller_vat_number)
    _cbc(_cac(tax_scheme, "TaxScheme"), "ID", "VAT")
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", invoice.seller_name)
    _cbc(legal, "CompanyID", invoice.seller_kvk_number, schemeID=KVK_SCHEME)
    if invoice.seller_email:
        _cbc(_cac(party, "Contact"), "ElectronicMail", invoice.seller_email)


def _buyer(root: ET.Element, invoice: Invoice) -> None:
    party = _cac(_cac(root, "AccountingCustomerParty"), "Party")
    # The board's KvK number is its electronic address too. Issuing refuses a board without one; only an invoice
    # issued before that (and its credit notes, which copy it) has none, which Peppol's rule R010 reports.
    kvk_number = invoice.buyer_kvk_number
    if kvk_number:
        _cbc(party, "EndpointID", kvk_number, schemeID=KVK_SCHEME)
    _cbc(_cac(party, "PartyName"), "Name", invoice.buyer_name)
    _address(party, **postal_address(invoice.invoice_address))
    legal = _cac(party, "PartyLegalEntity")
    _cbc(legal, "RegistrationName", invoice.buyer_name)
    if kvk_number:
        _cbc(legal, "CompanyID", kvk_number, schemeID=KVK_SCHEME)


def _address(party: ET.Element, *, street: str, postcode: str, city: str) -> None:
    address = _cac(party, "PostalAddress")
    if street:
        _cbc(address, "StreetName", street)
    if city:
        _cbc(address, "CityName", city)
    if postcode:
        _cbc(address, "PostalZone", postcode)
    _cbc(_cac(address, "Country"), "IdentificationCode", "NL")


def _payment(root: ET.Element, invoice: Invoice) -> None:
    means = _cac(root, "PaymentMeans")
    _cbc(means, "PaymentMeansCode", SEPA_CREDIT_TRANSFER)
    _cbc(means, "PaymentID", invoice.number)
    account = _cac(means, "PayeeFinancialAccount")
    _cbc(account, "ID", iban.compact(invoice.seller_iban))
    _cbc(account, "Name", invoice.seller_name)
    with translation.override(invoice.language):
        terms = gettext("Payment within %(days)s days, by %(date)s, stating %(number)s.") % {
            "days": (invoice.due_date - invoice.issue_date).days,
            "date": date_format(invoice.due_date, "d-m-Y"),
            "number": invoice.number,
        }
    _cbc(_cac(root, "PaymentTerms"), "Note", terms)


def _tax_category(parent: ET.Element, name: str, invoice: Invoice, *, reason: bool) -> None:
    category = _cac(parent, name)
    if invoice.vat_rate is None:
        _cbc(category, "ID", "E")
        _cbc(category, "Percent", "0")
        if reason:
            _cbc(category, "TaxExemptionReason", " ".join(invoice.vat_note.split()))
    else:
        _cbc(category, "ID", "S")
        _cbc(category, "Percent", _decimal(invoice.vat_rate))
    _cbc(_cac(category, "TaxScheme"), "ID", "VAT")


def _tax_total(root: ET.Element, invoice: Invoice, sign: Decimal) -> None:
    total = _cac(root, "TaxTotal")
    _amount(total, "TaxAmount", sign * invoice.vat_amount)
    subtotal = _cac(total, "TaxSubtotal")
    _amount(subtotal, "TaxableAmount", sign * invoice.net_amount)
    _amount(subtotal, "TaxAmount", sign * invoice.vat_amount)
    _tax_category(subtotal, "TaxCategory", invoice, reason=True)


def _line(root: ET.Element, invoice: Invoice, line, sign: Decimal) -> None:
    credit = invoice.is_credit_note
    element = _cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    _cbc(element, "ID", str(line.position))
    _cbc(
        element, "CreditedQuantity" if credit else "InvoicedQuantity", _decimal(sign * line.quantity), unitCode=UNIT_ONE
    )
    _amount(element, "LineExtensionAmount", sign * line.amount)
    item = _cac(element, "Item")
    _cbc(item, "Name", line.description)
    _tax_category(item, "ClassifiedTaxCategory", invoice, reason=False)
    _amount(_cac(element, "Price"), "PriceAmount", line.unit_price)


def _cbc(parent: ET.Element, name: str, text: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CBC}}}{name}", attributes)
    element.text = text
    return element


def _cac(parent: ET.Element, name: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{CAC}}}{name}")


def _amount(parent: ET.Element, name: str, amount: Decimal) -> ET.Element:
    # Adding 0 turns a negated zero (-0.00) into 0.00.
    return _cbc(parent, name, f"{(amount + 0).quantize(CENT):f}", currencyID=CURRENCY)


def _decimal(value: Decimal) -> str:
    return f"{(value + 0).normalize():f}"
