"""Issued invoices and credit notes e-mailed to the invoice address through the outbox, with the PDF and the UBL."""

import subprocess
from decimal import Decimal

import pytest
from django.core import mail as django_mail

from billing.models import PriceModel
from billing.services import einvoice, invoicing
from mail.models import OutgoingMail

from .einvoice_rules import parse
from .factories import confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(fixed_clock):
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))


def test_each_issued_invoice_is_mailed_to_its_invoice_address_with_pdf_and_ubl_after_commit(
    ready, django_capture_on_commit_callbacks, tmp_path
):
    cohort, _registrations = confirmed_shared_run(14, 9)
    django_mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first, second = invoicing.issue_invoices_for_run(cohort=cohort)
    # The delivery sends what else is pending too (the run's confirmation e-mails).
    sent = {tuple(message.to): message for message in django_mail.outbox if message.subject.startswith("Factuur")}
    assert set(sent) == {(first.invoice_email,), (second.invoice_email,)}
    message = sent[(first.invoice_email,)]
    assert message.subject == "Factuur 2027-0001 van Natuurlijk Leren BV"
    assert "factuur 2027-0001 voor uitvoering" in message.body
    [(pdf_name, pdf_bytes, pdf_type), (xml_name, xml_bytes, xml_type)] = [
        (part.get_filename(), part.get_payload(decode=True), part.get_content_type())
        for part in message.message().walk()
        if part.get_filename()
    ]
    assert (pdf_name, pdf_type, xml_name, xml_type) == (
        "factuur-2027-0001.pdf",
        "application/pdf",
        "factuur-2027-0001.xml",
        "application/xml",
    )
    path = tmp_path / pdf_name
    path.write_bytes(pdf_bytes)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "2027-0001" in text
    assert parse(xml_bytes).find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID").text == (
        "2027-0001"
    )


def test_a_credit_note_is_mailed_too_and_each_only_once(ready, django_capture_on_commit_callbacks):
    cohort, _registrations = confirmed_shared_run(14, 9)
    first, _second = invoicing.issue_invoices_for_run(cohort=cohort)
    credit_note = invoicing.credit_invoice(invoice=first, reason="Geannuleerd")
    row = OutgoingMail.objects.get(key=einvoice.mail_key(credit_note))
    assert row.subject == "Creditnota 2027-0003 van Natuurlijk Leren BV"
    assert "die factuur 2027-0001" in row.body_text
    assert sorted(row.attachments.values_list("filename", flat=True)) == [
        "creditnota-2027-0003.pdf",
        "creditnota-2027-0003.xml",
    ]
    # Queued again (a retry): the outbox keeps the first.
    assert einvoice.queue_invoice_mail(invoice=credit_note) == row
    assert OutgoingMail.objects.filter(key__startswith="invoice:").count() == 3


def test_a_failed_issuing_queues_no_mail(ready, monkeypatch):
    cohort, _registrations = confirmed_shared_run(14, 9)

    def fail(**kwargs):
        raise RuntimeError("the audit trail is down")

    monkeypatch.setattr(invoicing.audit, "record", fail)
    with pytest.raises(RuntimeError):
        invoicing.issue_invoices_for_run(cohort=cohort)
    assert not OutgoingMail.objects.filter(key__startswith="invoice:").exists()
