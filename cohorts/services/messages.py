"""The trainer's messages to a course run: its participants, its boards' contacts, or its waiting list."""

import uuid

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from mail.services.queueing import Email, queue_emails

from ..models import Cohort, Participant, Registration, RunMessage
from .notices import _contact_recipient, _participant_recipient, _Recipient

MAX_SUBJECT = 150
MAX_BODY = 5000


class MessageError(Exception):
    """A message cannot be sent; the message says why."""


def message_recipients(cohort: Cohort, audience: str) -> list[_Recipient]:
    """Return who a message to this audience of the run goes to, each once, in the order the preview lists them."""
    if audience == RunMessage.Audience.CONTACTS:
        registrations = (
            cohort.registrations.exclude(status=Registration.Status.CANCELLED)
            .select_related("board")
            .order_by("board__name", "contact_name")
        )
        return [_contact_recipient(registration) for registration in registrations]
    status = {
        RunMessage.Audience.PARTICIPANTS: Participant.Status.ENROLLED,
        RunMessage.Audience.WAITING: Participant.Status.WAITING,
    }.get(audience)
    if status is None:
        raise MessageError(_("Choose who the message is for."))
    participants = cohort.participants.filter(status=status).select_related("registration__board")
    order = ("waitlist_number", "pk") if status == Participant.Status.WAITING else ("last_name", "first_name", "pk")
    return [_participant_recipient(participant) for participant in participants.order_by(*order)]


def new_form_token() -> uuid.UUID:
    return uuid.uuid4()


def _checked(subject: str, body: str) -> tuple[str, str]:
    subject, body = " ".join((subject or "").split()), (body or "").strip()
    if not subject:
        raise MessageError(_("Give the message a subject."))
    if not body:
        raise MessageError(_("Write the message."))
    if len(subject) > MAX_SUBJECT:
        raise MessageError(_("The subject is at most %(count)s characters.") % {"count": MAX_SUBJECT})
    if len(body) > MAX_BODY:
        raise MessageError(_("The message is at most %(count)s characters.") % {"count": MAX_BODY})
    return subject, body


@transaction.atomic
def send_run_message(
    *, cohort: Cohort, audience: str, subject: str, body: str, form_token: uuid.UUID, by=None, request=None
) -> RunMessage:
    """
    Send one message to each person of the audience separately, through the outbox, and keep it on the run.

    Sending the same form again (its `form_token`) sends nothing more and
    returns the message sent the first time.

    :raises MessageError: no subject or text, too long, no audience, or nobody in it
    """
    subject, body = _checked(subject, body)
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)  # one sender of a form's token at a time
    sent = RunMessage.objects.filter(form_token=form_token).first()
    if sent is not None:
        return sent
    recipients = message_recipients(cohort, audience)
    if not recipients:
        raise MessageError(
            _("Nobody would get this message: %(audience)s of %(code)s is empty.")
            % {"audience": RunMessage.Audience(audience).label, "code": cohort.code}
        )
    message = RunMessage.objects.create(
        cohort=cohort,
        audience=audience,
        subject=subject,
        body=body,
        recipient_count=len(recipients),
        sent_by=by if by is not None and by.is_authenticated else None,
        form_token=form_token,
    )
    sender = (by.get_full_name() or by.get_username()) if message.sent_by else settings.PROVIDER_CONTACT_NAME
    reply_to = [by.email] if message.sent_by and by.email else [settings.PROVIDER_EMAIL]
    queue_emails(
        emails=[
            Email(
                to=recipient.email,
                template="cohorts/mail/run_message",
                context={**recipient.context, "cohort": cohort, "message": message, "sender": sender},
                key=f"run-message:{message.pk}:{recipient.who}",
                language=recipient.language,
                reply_to=reply_to,
                about=[recipient.record],
            )
            for recipient in recipients
        ]
    )
    audit.record(
        action=AuditEvent.Action.RUN_MESSAGE_SENT,
        obj=cohort,
        actor=message.sent_by,
        request=request,
        detail=f"{audience}: {len(recipients)}",
    )
    return message
