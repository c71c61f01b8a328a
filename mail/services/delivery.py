"""Claim due outbox rows under a lease, send them over one SMTP connection, and record each outcome."""

import functools
import logging
import random
import re
import smtplib
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q, prefetch_related_objects
from django.utils import timezone

from ..models import OutgoingMail
from .mime import build_message, message_bytes

logger = logging.getLogger(__name__)


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


def _connection_lost(error: Exception) -> bool:
    """
    Whether the SMTP connection is gone with this error, so the rest of the batch waits too: a refusal of one
    message (an SMTPException, which is an OSError too) leaves it open, unless the server closed it (421).
    """
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _claim(*, mail_ids: list[int], token: str, fill: bool) -> list[int]:
    """Mark due rows as ours, skipping rows another sender holds; return their ids."""
    return [mail.pk for mail in _claim_rows(mail_ids=mail_ids, token=token, fill=fill)]


def _claim_rows(*, mail_ids: list[int], token: str, fill: bool) -> list[OutgoingMail]:
    """
    Mark due rows as ours, skipping rows another sender holds; return them by id, their attachments read.

    These rows first (a redelivered task takes over those it held), then, with `fill`, whatever else is due, up
    to a batch. On PostgreSQL one statement claims and reads them: an UPDATE of the rows its subquery locked
    (FOR UPDATE SKIP LOCKED), RETURNING them.
    """
    now = timezone.now()
    # A task retried with a countdown may run a moment early on another host.
    due_by = now + timedelta(seconds=2)
    if connection.vendor == "postgresql":
        mails = list(
            OutgoingMail.objects.raw(
                _CLAIM_SQL, [now, token, due_by, fill, mail_ids, token, mail_ids, mail_ids, settings.MAIL_BATCH_SIZE]
            )
        )
    else:
        mails = _claim_locked(mail_ids=mail_ids, token=token, fill=fill, now=now, due_by=due_by)
    mails.sort(key=lambda mail: mail.pk)
    prefetch_related_objects(mails, "attachments")
    return mails


_TABLE = OutgoingMail._meta.db_table
_CLAIM_SQL = f"""
    UPDATE {_TABLE} SET status = 'sending', claimed_at = %s, claimed_by = %s
    WHERE id IN (
        SELECT id FROM {_TABLE}
        WHERE (status = 'pending' AND next_attempt_at <= %s AND (%s OR id = ANY(%s::bigint[])))
           OR (status = 'sending' AND claimed_by = %s AND id = ANY(%s::bigint[]))
        ORDER BY id = ANY(%s::bigint[]) DESC, id
        LIMIT %s
        FOR UPDATE SKIP LOCKED
    )
    RETURNING *
"""  # noqa: S608 (no user input)


def _claim_locked(*, mail_ids: list[int], token: str, fill: bool, now, due_by) -> list[OutgoingMail]:
    """The claim on other databases: the due rows locked, marked, then read (SQLite holds the write lock meanwhile)."""
    due = Q(status=OutgoingMail.Status.PENDING, next_attempt_at__lte=due_by)
    ours = Q(status=OutgoingMail.Status.SENDING, claimed_by=token)
    batch = settings.MAIL_BATCH_SIZE
    with transaction.atomic():
        locked = OutgoingMail.objects.select_for_update(skip_locked=True).order_by("pk")
        claimed = list(locked.filter(due | ours, pk__in=mail_ids).values_list("pk", flat=True)[:batch])
        if fill and len(claimed) < batch:
            # Send whatever else is due over the same connection.
            claimed += locked.filter(due).exclude(pk__in=claimed).values_list("pk", flat=True)[: batch - len(claimed)]
        if not claimed:
            return []
        OutgoingMail.objects.filter(pk__in=claimed).update(
            status=OutgoingMail.Status.SENDING, claimed_at=now, claimed_by=token
        )
        return list(OutgoingMail.objects.filter(pk__in=claimed))


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


# How long a message accepted by the SMTP server may wait for its row to be
# marked sent: the marks of the messages accepted meanwhile go in one UPDATE.
MARK_SENT_WITHIN_SECONDS = 0.1


class _SentMarks:
    """
    The rows whose message the SMTP server accepted, marked sent together: at the latest before the next message
    once MARK_SENT_WITHIN_SECONDS have passed since the first, and before anything else touches the rows.

    An UPDATE per message was a database round trip as long as a third of the SMTP exchange. The price is the
    window of a crash: what was accepted in the last MARK_SENT_WITHIN_SECONDS may go again (see mail/services/).
    """

    def __init__(self):
        self.ids, self.since = [], 0.0

    def add(self, mail: OutgoingMail) -> None:
        if not self.ids:
            self.since = time.monotonic()
        self.ids.append(mail.pk)

    def due(self) -> bool:
        return bool(self.ids) and time.monotonic() - self.since >= MARK_SENT_WITHIN_SECONDS

    def flush(self) -> None:
        if not self.ids:
            return
        OutgoingMail.objects.filter(pk__in=self.ids, status=OutgoingMail.Status.SENDING).update(
            status=OutgoingMail.Status.SENT,
            attempts=F("attempts") + 1,
            sent_at=timezone.now(),
            last_error="",
            claimed_by="",
        )
        self.ids = []


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
    mails = _claim_rows(mail_ids=mail_ids, token=token, fill=fill)
    if not mails:
        return DeliveryResult(sent=0, retry_ids=[], retry_in=0)
    claimed = [mail.pk for mail in mails]
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


@dataclass(frozen=True)
class _Prepared:
    """A message ready to go: for Django's SMTP backend, also its envelope and bytes, as the backend makes them."""

    message: EmailMessage
    sender: str = ""
    recipients: tuple[str, ...] = ()
    data: bytes = b""


@functools.lru_cache(maxsize=16)
def _sender(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


# A bare ASCII address of dot-atoms: sanitize_address returns it as it is,
# after parsing it for 40 us.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")


def _recipient(address: str, encoding: str) -> str:
    return address if _PLAIN_ADDRESS.fullmatch(address) else sanitize_address(address, encoding)


def _prepare(mail: OutgoingMail, smtp) -> _Prepared:
    """Build a row's message, and for Django's SMTP backend its envelope and bytes, as `send_messages` would."""
    message = build_message(mail, smtp)
    if not isinstance(smtp, SMTPBackend):
        return _Prepared(message)
    encoding = message.encoding or settings.DEFAULT_CHARSET
    return _Prepared(
        message,
        _sender(message.from_email, encoding),
        tuple(_recipient(address, encoding) for address in message.recipients()),
        message_bytes(message.message()),
    )


def _transmit(smtp, prepared: _Prepared) -> None:
    """Send a prepared message over the open connection: what the backend's send_messages does, minus building it."""
    if not isinstance(smtp, SMTPBackend):
        smtp.send_messages([prepared.message])
    elif prepared.recipients:
        smtp.connection.sendmail(prepared.sender, list(prepared.recipients), prepared.data)


def _send_claimed(smtp, mails: list[OutgoingMail], *, claimed: list[int], token: str) -> tuple[int, list[int], list]:
    """Send claimed rows over an open connection, renewing the claim as it goes; return sent, retries and delays."""
    sent, retry_ids, delays = 0, [], []
    held, renewed_at, marks = set(claimed), time.monotonic(), _SentMarks()
    with _commits_without_flush():
        try:
            for index, mail in enumerate(mails):
                if marks.due():
                    marks.flush()
                if time.monotonic() - renewed_at >= _lease_renewal_seconds():
                    marks.flush()
                    held = _renew_claim(mail_ids=[m.pk for m in mails[index:]], token=token)
                    renewed_at = time.monotonic()
                if mail.pk not in held:
                    # The lease ran out (this sender stalled) and the drain gave the row to another sender.
                    logger.warning("E-mail %s: its claim was released while waiting; another sender has it.", mail.pk)
                    continue
                try:
                    _transmit(smtp, _prepare(mail, smtp))
                except Exception as error:
                    marks.flush()
                    delay = _record_failure(mail, error)
                    if delay is not None:
                        retry_ids.append(mail.pk)
                        delays.append(delay)
                    if _connection_lost(error):
                        # The connection is gone: the rest of the batch waits too.
                        rest = [m.pk for m in mails[index + 1 :]]
                        _release(rest, delay or 0)
                        retry_ids += rest
                        break
                    continue
                marks.add(mail)
                sent += 1
        finally:
            marks.flush()
    return sent, retry_ids, delays
