"""
The one road every e-mail takes: queue a row, send it after commit, once.

Delivery guarantees, and the one window that remains:

* `queue_email` writes the row inside the caller's transaction and enqueues
  the send task only after commit (`queue_emails`: several rows, one task). If the broker is down the caller's
  transaction is unaffected; the row stays pending and `requeue_due_mail`
  (Celery beat, every minute) enqueues it again.
* A sender claims rows with SELECT ... FOR UPDATE SKIP LOCKED and marks them
  `sending` before it talks to SMTP, so two tasks for the same row, or a task
  and the drain, never both send it.
* After the SMTP server accepts a message the row is marked `sent` in its own
  short transaction, before the next message of the batch. A crash in
  between (a killed worker, a lost database connection) is the only way an
  e-mail can go out twice: the claim is then released (by the redelivered
  task, or by the drain once the claim's lease has run out) and the message is
  sent again.
* A claim is a lease of MAIL_CLAIM_TIMEOUT_SECONDS (60), renewed by its
  sender every quarter of that while it works through its batch, and checked
  before each message: a sender that lost its lease skips the rest. So the
  rows a killed worker held are released by the drain (every minute) within
  about two minutes, instead of waiting for Redis to redeliver the task (its
  visibility timeout is hours), and only the message in flight at the kill
  can go twice. The window is one round trip to the database per message; the
  repeated message carries the same Message-ID, so mail clients show it once.
  On PostgreSQL that mark is committed without waiting for the disk (see
  `_record_sent`), which adds a crash of the database server itself, within
  a fraction of a second of the mark, to that one window.
"""

import logging
import random
import smtplib
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEText
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation

from verbindend.personal_data import subject_key

from .models import OutgoingMail, OutgoingMailAttachment

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """
    A file to send with an e-mail.

    :param invitation_method: "REQUEST" or "CANCEL" makes it the message's
        meeting invitation: `content` must then be an iCalendar object with
        that METHOD, and is sent as described at `_message`
    """

    filename: str
    content: bytes
    mimetype: str
    invitation_method: str = ""


def render_email(*, template: str, context: dict, language: str) -> tuple[str, str, str]:
    """
    Render an e-mail's subject, text and HTML in the given language.

    A template name such as "cohorts/mail/welcome" means three files:
    `welcome_subject.txt`, `welcome.txt` and `welcome.html` in that folder.
    """
    context = {
        "site_url": settings.SITE_URL,
        "provider_name": settings.PROVIDER_NAME,
        "provider_contact_name": settings.PROVIDER_CONTACT_NAME,
        "provider_email": settings.PROVIDER_EMAIL,
        **context,
    }
    with translation.override(language):
        subject = " ".join(_render_plain(f"{template}_subject.txt", context).split())
        text = _render_plain(f"{template}.txt", context).strip() + "\n"
        html = render_to_string(f"{template}.html", context)
    return subject, text, html


def _render_plain(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: "O'Brien" stays "O'Brien"."""
    return get_template(name).template.render(Context(context, autoescape=False))


@dataclass(frozen=True)
class Email:
    """One e-mail for `queue_emails`; the fields are the arguments of `queue_email`."""

    to: list[str] | str
    template: str
    context: dict
    key: str
    attachments: tuple[Attachment, ...] | list[Attachment] = ()
    language: str | None = None
    reply_to: list[str] | tuple[str, ...] = ()
    about: list | tuple = ()


def _outbox_row(email: Email) -> OutgoingMail:
    """Render an e-mail in its recipient's language into an unsaved outbox row."""
    language = email.language or settings.LANGUAGE_CODE
    subject, text, html = render_email(template=email.template, context=email.context, language=language)
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or None
    return OutgoingMail(
        key=email.key,
        to=[email.to] if isinstance(email.to, str) else list(email.to),
        reply_to=list(email.reply_to),
        subject=subject,
        body_text=text,
        body_html=html,
        language=language,
        template=email.template,
        message_id=make_msgid(domain=domain),
        about=sorted({subject_key(record) for record in email.about}),
    )


def queue_email(
    *,
    to: list[str] | str,
    template: str,
    context: dict,
    key: str,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    language: str | None = None,
    reply_to: list[str] | tuple[str, ...] = (),
    about: list | tuple = (),
) -> OutgoingMail:
    """
    Queue an e-mail for sending after the current transaction commits.

    :param to: one address or a list of addresses
    :param template: the template name without suffix, see `render_email`
    :param context: the template context
    :param key: the idempotency key; a second call with the same key returns
        the first row and sends nothing (a database constraint enforces it)
    :param attachments: files to attach, such as .ics invitations
    :param language: the recipient's language; Dutch when not given
    :param reply_to: addresses that replies go to
    :param about: the people (and other records) the e-mail is about, as
        records or "app_label.model:pk" keys; erasing one of them erases the
        e-mail, whoever it was addressed to
    """
    existing = OutgoingMail.objects.filter(key=key).first()
    if existing:
        return existing
    email = Email(
        to, template, context, key, attachments=attachments, language=language, reply_to=reply_to, about=about
    )
    mail = _outbox_row(email)
    try:
        # A savepoint, so that losing a race for the key leaves the
        # caller's transaction usable.
        with transaction.atomic():
            _insert([mail], [email])
    except IntegrityError:
        existing = OutgoingMail.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    transaction.on_commit(lambda: enqueue_delivery(mail_ids=[mail.pk]))
    return mail


def queue_emails(*, emails: list[Email], skip_existing: bool = False) -> list[OutgoingMail]:
    """
    Queue the new e-mails of one action: one INSERT, and one send task for all of them after commit.

    By default for e-mails whose keys cannot exist yet, because they name a
    row the same transaction made: nothing is looked up first, and there is
    no savepoint. A key that exists after all raises IntegrityError, and like
    any failed statement leaves the caller's transaction only to be rolled
    back; nothing is sent twice. Otherwise the guarantees are those of
    `queue_email`.

    :param skip_existing: for keys that may exist: look them all up in one
        query first and leave out (without rendering) the e-mails whose key
        is queued already, and all but the first of a key given twice, as
        `queue_email` would one by one. The caller holds the lock that makes
        these keys its own (a course run's, for its e-mails), so no other
        transaction queues one of them meanwhile; should one still, the
        INSERT raises IntegrityError as above.
    :return: the rows queued now
    """
    if skip_existing:
        keys = {email.key for email in emails}
        queued = set(OutgoingMail.objects.filter(key__in=keys).order_by().values_list("key", flat=True))
        new = []
        for email in emails:
            if email.key not in queued:
                queued.add(email.key)
                new.append(email)
        emails = new
    rows = [_outbox_row(email) for email in emails]
    _insert(rows, emails)
    ids = [row.pk for row in rows]
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(mail_ids=ids))
    return rows


def _insert(rows: list[OutgoingMail], emails: list[Email]) -> None:
    """Insert outbox rows and their attachments."""
    for email in emails:
        # A message is one meeting request or cancellation at most: a client shows one.
        if sum(1 for a in email.attachments if a.invitation_method) > 1:
            raise ValueError(f"e-mail {email.key!r} has more than one invitation")
    OutgoingMail.objects.bulk_create(rows)
    OutgoingMailAttachment.objects.bulk_create(
        OutgoingMailAttachment(
            mail=row,
            filename=a.filename,
            mimetype=a.mimetype,
            content=a.content,
            invitation_method=a.invitation_method,
        )
        for row, email in zip(rows, emails, strict=True)
        for a in email.attachments
    )


def enqueue_delivery(*, mail_ids: list[int]) -> bool:
    """
    Ask a worker to send these rows; return False when the broker is away.

    Never raises for a broker problem: the rows are safe in the database and
    the drain enqueues them again.
    """
    from .tasks import send_mail

    try:
        send_mail.apply_async(args=[mail_ids], retry=False)
    except Exception:
        logger.warning("Could not enqueue e-mail(s) %s; the outbox drain will send them.", mail_ids, exc_info=True)
        return False
    return True


def retry_delay(attempts: int) -> float:
    """Return the wait in seconds before the next attempt: exponential, with jitter."""
    ceiling = min(settings.MAIL_RETRY_MAX_SECONDS, settings.MAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    # "Equal jitter": at least half the delay, so retries spread out without
    # ever coming back almost at once.
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (not for security)


def _is_transient(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPServerDisconnected | OSError)


def _claim(*, mail_ids: list[int], token: str, fill: bool) -> list[int]:
    """Mark due rows as ours, skipping rows another sender holds."""
    now = timezone.now()
    # A task retried with a countdown may run a moment early on another host.
    due = Q(status=OutgoingMail.Status.PENDING, next_attempt_at__lte=now + timedelta(seconds=2))
    # A redelivered task (its worker died) takes over the rows it held.
    ours = Q(status=OutgoingMail.Status.SENDING, claimed_by=token)
    batch = settings.MAIL_BATCH_SIZE
    with transaction.atomic():
        locked = OutgoingMail.objects.select_for_update(skip_locked=True).order_by("pk")
        claimed = list(locked.filter(due | ours, pk__in=mail_ids).values_list("pk", flat=True)[:batch])
        if fill and len(claimed) < batch:
            # Send whatever else is due over the same connection.
            claimed += locked.filter(due).exclude(pk__in=claimed).values_list("pk", flat=True)[: batch - len(claimed)]
        if claimed:
            OutgoingMail.objects.filter(pk__in=claimed).update(
                status=OutgoingMail.Status.SENDING, claimed_at=now, claimed_by=token
            )
    return claimed


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


def _message(mail: OutgoingMail, smtp) -> EmailMultiAlternatives:
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


def _renew_claim(*, mail_ids: list[int], token: str) -> set[int]:
    """Renew this sender's lease on these rows; return those it still holds (the drain may have released some)."""
    with transaction.atomic():
        held = set(
            OutgoingMail.objects.select_for_update()
            .filter(pk__in=mail_ids, status=OutgoingMail.Status.SENDING, claimed_by=token)
            .values_list("pk", flat=True)
        )
        if held:
            OutgoingMail.objects.filter(pk__in=held).update(claimed_at=timezone.now())
    return held


def _lease_renewal_seconds() -> float:
    # A quarter of the lease: the message sent after a renewal has the other three quarters to go out.
    return settings.MAIL_CLAIM_TIMEOUT_SECONDS / 4


def _record_sent(mail: OutgoingMail) -> None:
    # One plain statement: this runs once per message between two SMTP
    # transactions, and building the same ORM update each time cost more
    # than executing it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {OutgoingMail._meta.db_table} SET status = %s, attempts = attempts + 1, sent_at = %s, "  # noqa: S608 (no user input)
            "last_error = '', claimed_by = '' WHERE id = %s AND status = %s",
            [OutgoingMail.Status.SENT, timezone.now(), mail.pk, OutgoingMail.Status.SENDING],
        )


@contextmanager
def _commits_without_flush():
    """
    On PostgreSQL, let this session's commits skip the wait for the disk.

    Every other process sees a row marked sent at once, so a crashed worker
    cannot resend it; only a crash of PostgreSQL itself within a fraction of
    a second could lose the mark. Waiting for the flush would otherwise be
    the slowest step of sending a message.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            logger.warning("Could not reset synchronous_commit; the connection is closed.", exc_info=True)
            connection.close()


def _record_failure(mail: OutgoingMail, error: Exception) -> float | None:
    """Record a failed attempt; return the retry delay, or None when the row failed for good."""
    attempts = mail.attempts + 1
    transient = _is_transient(error)
    retry = transient and attempts < settings.MAIL_MAX_ATTEMPTS
    delay = retry_delay(attempts) if retry else None
    OutgoingMail.objects.filter(pk=mail.pk, status=OutgoingMail.Status.SENDING).update(
        status=OutgoingMail.Status.PENDING if retry else OutgoingMail.Status.FAILED,
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        next_attempt_at=timezone.now() + timedelta(seconds=delay or 0),
        claimed_by="",
    )
    log = logger.warning if retry else logger.error
    log(
        "E-mail %s attempt %s failed (%s); %s.",
        mail.pk,
        attempts,
        type(error).__name__,
        "retrying" if retry else "gave up",
    )
    return delay


def _release(mail_ids: list[int], delay: float) -> None:
    """Give claimed rows back unsent, without counting an attempt."""
    OutgoingMail.objects.filter(pk__in=mail_ids, status=OutgoingMail.Status.SENDING).update(
        status=OutgoingMail.Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        claimed_by="",
    )


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retry_ids: list[int]
    retry_in: float


def deliver_mails(*, mail_ids: list[int], token: str | None = None, fill: bool = True) -> DeliveryResult:
    """
    Send these outbox rows, and other due rows up to a batch, over one connection.

    Rows that another sender holds, or that are sent or failed already, are
    skipped. Transient failures leave the row pending with a later
    `next_attempt_at`; the result names them and when to try again.

    :param token: identifies this sender; a Celery task passes its task id so
        that a redelivery after a worker crash can take over its own claims
    :param fill: also send other due rows in the same batch
    """
    token = token or uuid.uuid4().hex
    claimed = _claim(mail_ids=mail_ids, token=token, fill=fill)
    if not claimed:
        return DeliveryResult(sent=0, retry_ids=[], retry_in=0)
    mails = list(OutgoingMail.objects.filter(pk__in=claimed).prefetch_related("attachments").order_by("pk"))
    smtp = get_connection(fail_silently=False)
    try:
        smtp.open()
    except Exception as error:
        # Nothing was sent: the first row counts the attempt, the rest wait with it.
        delay = _record_failure(mails[0], error)
        rest = [m.pk for m in mails[1:]]
        _release(rest, delay or 0)
        retry_ids = ([mails[0].pk] if delay is not None else []) + rest
        return DeliveryResult(sent=0, retry_ids=retry_ids, retry_in=delay or 0)
    try:
        sent, retry_ids, delays = _send_claimed(smtp, mails, claimed=claimed, token=token)
    finally:
        try:
            smtp.close()
        except Exception:
            logger.debug("Closing the SMTP connection failed.", exc_info=True)
    return DeliveryResult(sent=sent, retry_ids=retry_ids, retry_in=max(delays, default=0))


def _send_claimed(smtp, mails: list[OutgoingMail], *, claimed: list[int], token: str) -> tuple[int, list[int], list]:
    """Send claimed rows over an open connection, renewing the claim as it goes; return sent, retries and delays."""
    sent, retry_ids, delays = 0, [], []
    held, renewed_at = set(claimed), time.monotonic()
    with _commits_without_flush():
        for index, mail in enumerate(mails):
            if time.monotonic() - renewed_at >= _lease_renewal_seconds():
                held = _renew_claim(mail_ids=[m.pk for m in mails[index:]], token=token)
                renewed_at = time.monotonic()
            if mail.pk not in held:
                # The lease ran out (this sender stalled) and the drain gave the row to another sender.
                logger.warning("E-mail %s: its claim was released while waiting; another sender has it.", mail.pk)
                continue
            try:
                smtp.send_messages([_message(mail, smtp)])
            except Exception as error:
                delay = _record_failure(mail, error)
                if delay is not None:
                    retry_ids.append(mail.pk)
                    delays.append(delay)
                if isinstance(error, smtplib.SMTPServerDisconnected | OSError):
                    # The connection is gone: the rest of the batch waits too.
                    rest = [m.pk for m in mails[index + 1 :]]
                    _release(rest, delay or 0)
                    retry_ids += rest
                    break
                continue
            _record_sent(mail)
            sent += 1
    return sent, retry_ids, delays


def requeue_due_mail() -> int:
    """
    Enqueue pending rows that their own task did not send; return how many.

    Runs every minute from Celery beat. A row is picked up once it has been
    due for MAIL_DRAIN_GRACE_SECONDS, so the task enqueued at commit gets the
    first chance. Claims older than MAIL_CLAIM_TIMEOUT_SECONDS belong to a
    sender that died; they are released first.
    """
    now = timezone.now()
    released = OutgoingMail.objects.filter(
        status=OutgoingMail.Status.SENDING,
        claimed_at__lt=now - timedelta(seconds=settings.MAIL_CLAIM_TIMEOUT_SECONDS),
    ).update(status=OutgoingMail.Status.PENDING, claimed_by="")
    if released:
        logger.warning("Released %s e-mail(s) from senders that stopped.", released)
    due_ids = list(
        OutgoingMail.objects.filter(
            status=OutgoingMail.Status.PENDING,
            next_attempt_at__lte=now - timedelta(seconds=settings.MAIL_DRAIN_GRACE_SECONDS),
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[: settings.MAIL_DRAIN_LIMIT]
    )
    batch = settings.MAIL_BATCH_SIZE
    for start in range(0, len(due_ids), batch):
        if not enqueue_delivery(mail_ids=due_ids[start : start + batch]):
            break  # The broker is still away; the next run tries again.
    return len(due_ids)


def retry_failed_mail(*, mail_ids: list[int]) -> int:
    """Put failed rows back in the queue now, with a fresh count of attempts; return how many."""
    ids = list(
        OutgoingMail.objects.filter(pk__in=mail_ids, status=OutgoingMail.Status.FAILED).values_list("pk", flat=True)
    )
    OutgoingMail.objects.filter(pk__in=ids).update(
        status=OutgoingMail.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    if ids:
        transaction.on_commit(lambda: enqueue_delivery(mail_ids=ids))
    return len(ids)
