"""Demo data for the outbox: one e-mail sent, one that failed, so the admin shows both."""

from django.db import transaction
from django.utils import timezone

from .models import OutgoingMail
from .services import queue_email


def load(stdout) -> None:
    with transaction.atomic():
        queue_email(to="bestuur@example.nl", template="mail/test", context={}, key="demo:test-sent")
        failed = queue_email(
            to="onbereikbaar@example.nl", template="mail/test", context={}, key="demo:test-failed", language="en"
        )
    OutgoingMail.objects.filter(pk=failed.pk).update(
        status=OutgoingMail.Status.FAILED,
        attempts=8,
        last_error="SMTPRecipientsRefused: {'onbereikbaar@example.nl': (450, b'4.2.0 Mailbox unavailable')}",
        next_attempt_at=timezone.now(),
    )
    stdout.write(f"Outbox: {OutgoingMail.objects.count()} e-mails (one failed, to retry from the admin)")
