"""Demo data for the outbox: one test e-mail sent, one that failed, so the admin shows both."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from .models import OutgoingMail
from .services.queueing import queue_email


def load(*, trainer) -> bool:
    if OutgoingMail.objects.filter(key="demo:test-failed").exists():
        return False
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
    return True


def report(stdout) -> None:
    outbox = OutgoingMail.objects.all()
    stdout.write(
        f"Outbox: {outbox.count()} e-mails; {outbox.filter(status=OutgoingMail.Status.SENT).count()} sent (to memory: "
        f"the demo sends nothing out), {outbox.filter(status=OutgoingMail.Status.FAILED).count()} failed (retry it "
        "from the admin)"
    )


def links() -> list[tuple[str, str]]:
    return [
        ("The outbox, every e-mail the story sent", settings.SITE_URL + reverse("admin:mail_outgoingmail_changelist"))
    ]
