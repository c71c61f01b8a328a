"""
The office's side of invoicing: payments received, the one reminder of an overdue invoice, and what is paid.

An invoice is paid when its payments and its credit notes together cover its
total (`selectors.with_balance`); nothing on the invoice itself changes, as
an issued invoice never does.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext

from audit import services as audit
from audit.models import AuditEvent
from billing import selectors
from billing.models import Invoice, Payment
from mail.services.queueing import Email, queue_emails

from .pricing import CENT


class PaymentError(Exception):
    """A payment cannot be recorded; the message says why, translated."""


def open_amount(invoice: Invoice) -> Decimal:
    """Return what is left to pay on an invoice: its total less its payments and its credit notes."""
    left = selectors.with_balance(Invoice.objects.filter(pk=invoice.pk)).values_list("open_amount", flat=True).get()
    # SQLite sums decimals as floats: back to the cent.
    return Decimal(left).quantize(CENT)


@transaction.atomic
def record_payment(
    *,
    invoice: Invoice,
    amount: Decimal | None,
    paid_on: datetime.date,
    note: str = "",
    recorded_by=None,
    request=None,
) -> Payment:
    """
    Record a payment received on an invoice; the invoice is paid once what is open reaches zero.

    :param amount: None for what is open: the invoice paid in full
    :param paid_on: the day of the bank statement
    :raises PaymentError: for a credit note, or an amount more than is open
    """
    # The invoice's row, so that two payments recorded at once do not both take what is open.
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note:
        raise PaymentError(gettext("A payment is recorded on an invoice, not on a credit note."))
    left = open_amount(invoice)
    amount = left if amount is None else amount
    if amount > left:
        raise PaymentError(
            gettext("%(number)s has € %(left)s open; a payment of € %(amount)s is more than that.")
            % {"number": invoice.number, "left": _money(left), "amount": _money(amount)}
        )
    payment = Payment(invoice=invoice, amount=amount, paid_on=paid_on, note=note, recorded_by=recorded_by)
    payment.full_clean()
    payment.save()
    audit.record(
        action=AuditEvent.Action.PAYMENT_RECORDED,
        obj=invoice,
        actor=recorded_by,
        request=request,
        detail=f"{invoice.number}: {amount} EUR paid on {paid_on.isoformat()}, {left - amount} EUR open",
    )
    return payment


def _money(amount: Decimal) -> str:
    return number_format(amount, 2, force_grouping=True)


def is_paid(invoice: Invoice) -> bool:
    return open_amount(invoice) <= 0


def reminder_key(invoice: Invoice) -> str:
    return f"invoice-reminder:{invoice.pk}"


def send_payment_reminders(*, today: datetime.date | None = None) -> int:
    """
    Queue the one reminder of each invoice still open PAYMENT_REMINDER_GRACE_DAYS after its due date.

    Once per invoice (the outbox key is the invoice's; those queued before
    are left out without rendering), never for one paid or credited in full.
    Return how many were queued now.
    """
    today = today or timezone.localdate()
    grace = datetime.timedelta(days=settings.PAYMENT_REMINDER_GRACE_DAYS)
    invoices = selectors.overdue_invoices(due_before=today - grace).select_related("cohort", "registration")
    emails = [
        Email(
            to=invoice.invoice_email,
            template="billing/mail/payment_reminder",
            context={
                "invoice": invoice,
                "cohort": invoice.cohort,
                "open_amount": invoice.open_amount,
                "term_days": (invoice.due_date - invoice.issue_date).days,
            },
            key=reminder_key(invoice),
            language=invoice.language,
            reply_to=[invoice.seller_email] if invoice.seller_email else [],
        )
        for invoice in invoices
        if invoice.invoice_email
    ]
    return len(queue_emails(emails=emails, skip_existing=True))
