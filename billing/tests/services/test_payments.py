"""Payments on invoices, what is open and overdue, and the one reminder of an overdue invoice."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from audit.models import AuditEvent
from billing import selectors, tasks
from billing.models import Invoice, PriceModel
from billing.services import invoicing, payments
from conftest import FIXED_NOW
from mail.models import OutgoingMail

from ..factories import accepted_by_boards, confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db

TODAY = FIXED_NOW.date()


@pytest.fixture
def invoices(fixed_clock):
    """Two boards' invoices of a run, € 2.739,13 and € 1.760,87, due in 30 days."""
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, _registrations = confirmed_shared_run(14, 9)
    return accepted_by_boards(invoicing.issue_invoices_for_run(cohort=cohort), po_numbers=["PO-1", ""])


def test_an_invoice_paid_in_parts_is_paid_once_the_parts_reach_its_total(invoices):
    first, _second = invoices
    payments.record_payment(invoice=first, amount=Decimal("1000.00"), paid_on=TODAY)
    assert payments.open_amount(first) == Decimal("1739.13")
    assert not payments.is_paid(first)
    payments.record_payment(invoice=first, amount=Decimal("1739.13"), paid_on=TODAY)
    assert payments.open_amount(first) == Decimal("0.00")
    assert payments.is_paid(first)
    assert list(selectors.open_invoices()) == [invoices[1]]


def test_a_credit_note_counts_against_what_is_open(invoices):
    first, _second = invoices
    invoicing.credit_invoice(invoice=first, reason="Geannuleerd")
    assert payments.is_paid(first)
    with pytest.raises(payments.PaymentError, match="2027-0001 heeft € 0,00 open"):
        payments.record_payment(invoice=first, amount=Decimal("1.00"), paid_on=TODAY)


def test_a_payment_larger_than_what_is_open_or_on_a_credit_note_is_refused(invoices):
    first, second = invoices
    with pytest.raises(payments.PaymentError, match=r"€ 2\.739,14 is meer dan dat"):
        payments.record_payment(invoice=first, amount=Decimal("2739.14"), paid_on=TODAY)
    credit_note = invoicing.credit_invoice(invoice=second, reason="Geannuleerd")
    with pytest.raises(payments.PaymentError, match="niet op een creditnota"):
        payments.record_payment(invoice=credit_note, amount=Decimal("1.00"), paid_on=TODAY)
    assert not first.payments.exists()


def test_every_payment_is_in_the_audit_trail(invoices):
    first, _second = invoices
    office = User.objects.create_user("kantoor-user", is_staff=True)
    payments.record_payment(invoice=first, amount=Decimal("2739.13"), paid_on=TODAY, recorded_by=office)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PAYMENT_RECORDED)
    assert (event.object_type, event.object_id, event.actor) == ("billing.Invoice", str(first.pk), office)
    assert event.detail == "2027-0001: 2739.13 EUR paid on 2027-03-01, 0.00 EUR open"


def reminders() -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(key__startswith="invoice-reminder:").order_by("pk"))


def test_the_reminder_goes_once_after_the_due_date_and_the_grace_days_never_for_a_paid_invoice(
    invoices, fixed_clock, settings
):
    settings.PAYMENT_REMINDER_GRACE_DAYS = 7
    first, second = invoices
    payments.record_payment(invoice=second, amount=second.total_amount, paid_on=TODAY)
    due = first.due_date
    assert due == TODAY + datetime.timedelta(days=30)
    # On the due date and on the last day of grace: nothing.
    for day in (due, due + datetime.timedelta(days=7)):
        fixed_clock.move_to(datetime.datetime.combine(day, datetime.time(9), tzinfo=FIXED_NOW.tzinfo))
        assert tasks.send_payment_reminders() == 0
    assert reminders() == []
    # The day after: the first board's reminder, not the paid one's.
    fixed_clock.move_to(datetime.datetime.combine(due + datetime.timedelta(days=8), datetime.time(9), FIXED_NOW.tzinfo))
    assert tasks.send_payment_reminders() == 1
    [reminder] = reminders()
    assert reminder.to == [first.invoice_email]
    assert reminder.subject == "Herinnering: factuur 2027-0001 van Natuurlijk Leren BV"
    assert "Onze betalingstermijn is 30 dagen" in reminder.body_text
    assert "€ 2.739,13" in reminder.body_text and "NL91 ABNA 0417 1643 00" in reminder.body_text
    assert "PO-1" in reminder.body_text
    # And never again, a day or a month later.
    for later in (9, 40):
        fixed_clock.move_to(
            datetime.datetime.combine(due + datetime.timedelta(days=later), datetime.time(9), FIXED_NOW.tzinfo)
        )
        assert tasks.send_payment_reminders() == 0
    assert len(reminders()) == 1


def test_an_invoice_paid_in_the_grace_days_gets_no_reminder(invoices, fixed_clock):
    first, second = invoices
    fixed_clock.move_to(datetime.datetime.combine(first.due_date, datetime.time(9), FIXED_NOW.tzinfo))
    for invoice in (first, second):
        payments.record_payment(invoice=invoice, amount=invoice.total_amount, paid_on=first.due_date)
    fixed_clock.move_to(FIXED_NOW + datetime.timedelta(days=90))
    assert tasks.send_payment_reminders() == 0
    assert reminders() == []


def test_the_reminder_is_in_the_beat_schedule(settings):
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "billing.tasks.send_payment_reminders"]
    assert entry["schedule"] == 86400.0


@pytest.mark.parametrize("runs", [1, 3])
def test_the_reminders_take_the_same_queries_however_many_invoices(fixed_clock, django_assert_num_queries, runs):
    filled_in_provider()
    priced_programme()
    for _run in range(runs):
        cohort, _registrations = confirmed_shared_run(12)
        invoicing.issue_invoices_for_run(cohort=cohort)
    fixed_clock.move_to(FIXED_NOW + datetime.timedelta(days=60))
    # The overdue invoices with their runs, the keys queued before, the INSERT.
    with django_assert_num_queries(3):
        assert payments.send_payment_reminders() == runs
    assert Invoice.objects.count() == runs
