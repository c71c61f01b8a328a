"""Build the MIME message of an outbox row: its headers, alternatives, attachments and meeting invitation."""

import uuid
from email import encoders
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.policy import Compat32
from email.utils import format_datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import SafeMIMEText
from django.utils import timezone

from ..models import OutgoingMail, OutgoingMailAttachment


class _OutboxMessage(EmailMultiAlternatives):
    # The METHOD of the calendar alternative, if the message carries one.
    invitation_method = ""

    def message(self):
        message = super().message()
        # Django encodes a non-ASCII subject without knowing the header's name, so the first encoded word does not
        # fit beside "Subject: " and is folded onto a line of its own: mail programs then show a leading space.
        # A Header told its name starts the first word on the Subject line.
        if not self.subject.isascii():
            del message["Subject"]
            subject = Header(self.subject, self.encoding or "utf-8", header_name="Subject")
            Message.__setitem__(message, "Subject", subject)
        if self.invitation_method:
            for part in message.walk():
                if part.get_content_type() == "text/calendar" and part.get("Content-Disposition") is None:
                    # Django writes the alternative as text/calendar; charset="utf-8".
                    # iMIP (RFC 6047, section 2.4) needs the method on it too;
                    # written once, unquoted, as Outlook and Google write it.
                    content_type = f"text/calendar; charset=utf-8; method={self.invitation_method}"
                    part.replace_header("Content-Type", content_type)
        # Left to itself, Python draws a boundary and then searches the whole
        # body for it with a freshly compiled pattern, for every message.
        # 128 random bits cannot occur in a body by chance.
        for part in message.walk():
            if part.is_multipart():
                part.set_boundary(f"==verbindend-{uuid.uuid4().hex}")
        return message


def _attachment_part(attachment: OutgoingMailAttachment) -> MIMEBase:
    """Return an attachment as a MIME part whose Content-Type keeps its parameters once each.

    Django's `attach()` treats everything after "text/" as the subtype and adds its own charset, so
    "text/calendar; charset=utf-8; method=REQUEST" went out with `charset` twice, which strict readers refuse.
    """
    header = Message()
    header["Content-Type"] = attachment.mimetype
    maintype, subtype = header.get_content_maintype(), header.get_content_subtype()
    params = [(name, value) for name, value in header.get_params()[1:] if name != "charset"]
    content = bytes(attachment.content)
    if maintype == "text":
        charset = header.get_content_charset() or "utf-8"
        part = SafeMIMEText(content.decode(charset), subtype, charset)
    else:
        part = MIMEBase(maintype, subtype)
        part.set_payload(content)
        encoders.encode_base64(part)
    for name, value in params:
        part.set_param(name, value)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def build_message(mail: OutgoingMail, smtp) -> EmailMultiAlternatives:
    """Return the message of an outbox row, to be sent over the open connection `smtp`."""
    # The real offset of Amsterdam (+0100 or +0200): Django's default Date ends in -0000, "time zone unknown".
    date = format_datetime(timezone.localtime(timezone.now(), ZoneInfo(settings.TIME_ZONE)))
    message = _OutboxMessage(
        subject=mail.subject,
        body=mail.body_text,
        to=mail.to,
        reply_to=mail.reply_to or None,
        headers={"Message-ID": mail.message_id, "Date": date},
        connection=smtp,
    )
    if mail.body_html:
        message.attach_alternative(mail.body_html, "text/html")
    for attachment in mail.attachments.all():
        if attachment.invitation_method:
            # multipart/mixed → multipart/alternative [text/plain, text/html,
            # text/calendar; method=...], then the same calendar as a file.
            # The calendar must be an alternative of the text, not only an
            # attachment: Outlook (MS-STANOICAL, on iMIP) takes a meeting only from
            # there, and older versions only from the first part of the
            # message. The file beside it is application/ics, as Google
            # Calendar sends it, so that no client sees a second meeting in it.
            message.attach_alternative(bytes(attachment.content).decode("utf-8"), "text/calendar")
            message.invitation_method = attachment.invitation_method
            message.attach(attachment.filename, bytes(attachment.content), "application/ics")
        else:
            message.attach(_attachment_part(attachment))
    return message


class _Compat32(Compat32):
    """
    The compat32 policy that Django's messages are written with, with a short cut for the usual header: one line
    of ASCII that fits. compat32 puts every header through email.header.Header, which returns such a line as it
    is; that took a third of the time of building a message (mail/tests/test_mime.py compares the two).
    """

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and self.max_line_length
            and len(name) + 2 + len(value) <= self.max_line_length
            and value == value.strip()
            and "  " not in value
            and not any(character in value for character in "\r\n\t")
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_POLICY = _Compat32()


def message_bytes(message: Message) -> bytes:
    """The bytes of a MIME message as Django's SMTP backend sends them (`as_bytes(linesep="\\r\\n")`), made faster."""
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_POLICY).flatten(message, linesep="\r\n")
    return out.getvalue()
