"""
An issued invoice or credit note sent to the board's invoice address: its PDF and its e-invoice (UBL) attached.

Queued in the issuing transaction, through the outbox: the invoice and its
e-mail are committed together or not at all, and the outbox sends it after
commit. The key is the invoice's, so it is sent once however often it is
queued.
"""

from mail.models import OutgoingMail
from mail.services.queueing import Attachment, queue_email

from .. import pdf, ubl
from ..models import Invoice


def mail_key(invoice: Invoice) -> str:
    return f"invoice:{invoice.pk}"


def queue_invoice_mail(*, invoice: Invoice) -> OutgoingMail | None:
    """
    Queue the e-mail of an issued invoice or credit note to its invoice e-mail address, with its PDF and UBL.

    :return: the outbox row, or None when the invoice has no e-mail address
    """
    if not invoice.invoice_email:
        return None
    return queue_email(
        to=invoice.invoice_email,
        template="billing/mail/invoice",
        context={"invoice": invoice, "credits": invoice.credits, "cohort": invoice.cohort},
        key=mail_key(invoice),
        attachments=[
            Attachment(filename=pdf.filename(invoice), content=pdf.render_invoice(invoice), mimetype="application/pdf"),
            Attachment(filename=ubl.filename(invoice), content=ubl.render_ubl(invoice), mimetype="application/xml"),
        ],
        language=invoice.language,
        reply_to=[invoice.seller_email] if invoice.seller_email else [],
    )
