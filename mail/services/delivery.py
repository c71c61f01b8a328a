"""Claim due outbox rows under a lease, send them over one SMTP connection, and record each outcome."""

import logging
import random
import smtplib
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import OutgoingMail
from .mime import build_message

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
                smtp.send_messages([build_message(mail, smtp)])
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
