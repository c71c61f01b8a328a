"""
An issued invoice or credit note sent to the board's invoice address: its PDF and its e-invoice (UBL) attached.

Queued in the issuing transaction, through the outbox: the invoice and its
e-mail are committed together or not at all, and the outbox sends it after
commit. The key is the invoice's, so it is sent once however often it is
queued.
"""

from django.db.models import prefetch_related_objects

from mail.models import OutgoingMail
from mail.services.queueing import Attachment, Email, queue_email, queue_emails

from .. import pdf, ubl
from ..models import Invoice


def mail_key(invoice: Invoice) -> str:
    return f"invoice:{invoice.pk}"


def _mail(invoice: Invoice) -> dict:
    """The e-mail of an invoice, as the arguments of `queue_email` (and the fields of an `Email`)."""
    return {
        "to": invoice.invoice_email,
        "template": "billing/mail/invoice",
        "context": {"invoice": invoice, "credits": invoice.credits, "cohort": invoice.cohort},
        "key": mail_key(invoice),
        "attachments": [
            Attachment(filename=pdf.filename(invoice), content=pdf.render_invoice(invoice), mimetype="application/pdf"),
            Attachment(filename=ubl.filename(invoice), content=ubl.render_ubl(invoice), mimetype="application/xml"),
        ],
        "language": invoice.language,
        "reply_to": [invoice.seller_email] if invoice.seller_email else [],
    }


def queue_invoice_mail(*, invoice: Invoice) -> OutgoingMail | None:
    """
    Queue the e-mail of an issued invoice or credit note to its invoice e-mail address, with its PDF and UBL.

    :return: the outbox row (the first one, when it was queued before), or None when the invoice has no e-mail address
    """
    if not invoice.invoice_email:
        return None
    return queue_email(**_mail(invoice))


def queue_new_invoice_mails(*, invoices: list[Invoice]) -> list[OutgoingMail]:
    """
    Queue the e-mails of invoices issued in the caller's transaction, as `queue_invoice_mail` does, together.

    Their keys cannot be queued yet, so nothing is looked up first (see
    `queue_emails`): the e-mails go in with one INSERT and their attachments
    with another, and the lines of all the invoices are read in one query.

    :return: the outbox rows, leaving out the invoices without an e-mail address
    """
    invoices = [invoice for invoice in invoices if invoice.invoice_email]
    prefetch_related_objects(invoices, "lines")
    return queue_emails(emails=[Email(**_mail(invoice)) for invoice in invoices])
