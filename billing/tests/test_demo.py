"""make demo's billing: the demo's invoiceable runs invoiced per board, one credit note, the shared run's split."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from billing import selectors
from billing.models import Invoice, Offer, Provider
from cohorts.models import Cohort
from mail.models import OutgoingMail

pytestmark = pytest.mark.django_db


def test_the_demo_invoices_its_runs_per_board_and_corrects_one_by_a_credit_note(
    capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    output = capsys.readouterr().out
    assert Provider.objects.get().is_complete
    invoices = Invoice.objects.filter(kind="invoice")
    assert {invoice.cohort.status for invoice in invoices} == {"confirmed", "running", "completed"}
    # The run two boards share is split by their participants (12 and 4); the others have one board each.
    shared = invoices.filter(cohort__status="running").order_by("-total_amount")
    assert [(i.participant_count, i.total_amount) for i in shared] == [
        (12, Decimal("18000.00")),
        (4, Decimal("6000.00")),
    ]
    assert len({i.buyer_name for i in shared}) == 2
    assert all(invoice.total_amount == Decimal("24000.00") for invoice in invoices.exclude(cohort__status="running"))
    credit_note = Invoice.objects.get(kind="credit_note")
    assert credit_note.credits.cohort.status == Cohort.Status.COMPLETED
    assert credit_note.total_amount == Decimal("-1714.29")  # one of its 14 participants' part
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == [1, 2, 3, 4, 5]
    assert "Invoices:" in output and f"{credit_note.number}  credit note" in output
    split = re.search(r"Shared run (\S+), invoiced per board once confirmed: (.+)", output)
    assert Cohort.objects.get(code=split[1]).status == Cohort.Status.PLANNED
    amounts = [Decimal(amount) for amount in re.findall(r"EUR (\d+\.\d\d)", split[2])]
    assert len(amounts) == 2 and sum(amounts) == Decimal("24000.00")

    # The running run's board paid; the completed run's invoice is overdue, and its board got the one reminder.
    completed = invoices.get(cohort__status="completed")
    assert not set(shared) & set(selectors.open_invoices())
    assert completed in selectors.overdue_invoices(due_before=date.today())
    [reminder] = OutgoingMail.objects.filter(template="billing/mail/payment_reminder")
    assert completed.number in reminder.subject + reminder.body_text

    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    assert Invoice.objects.count() == 5
    assert Offer.objects.count() == 2
    assert OutgoingMail.objects.filter(template="billing/mail/payment_reminder").count() == 1


def test_the_demo_has_an_accepted_offer_with_its_po_number_on_its_invoice_and_an_open_offer(
    capsys, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo")
    output = capsys.readouterr().out
    accepted = Offer.objects.get(status="accepted")
    assert accepted.po_number == "IO-2027-00412"
    invoice = Invoice.objects.get(registration=accepted.registration)
    assert (invoice.po_number, invoice.invoice_email) == ("IO-2027-00412", "facturen@bestuur.example.nl")
    assert "Kostenplaats: 6120 Professionalisering" in invoice.invoice_address
    (open_offer,) = Offer.objects.filter(status="open")
    assert open_offer.registration.cohort.status == Cohort.Status.PLANNED
    assert f"{accepted.number} v1  geaccepteerd" not in output  # the report is in English
    assert f"{accepted.number} v1  accepted" in output and "PO IO-2027-00412" in output
