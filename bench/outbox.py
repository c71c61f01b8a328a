"""
Outbox throughput: 1,000 queued e-mails delivered to a local SMTP server by
one sender, against plain smtplib sending the same 1,000 over one connection
in the same run. Target: ratio >= 0.5.

The sender is a real Celery worker as production runs it (`celery -A
verbindend worker`, two processes on these two-core machines) fed by the
drain, when a Redis broker answers (CELERY_BROKER_URL, or a local Redis);
without one, the same delivery code runs in-process, in one thread.
"""

import os
import smtplib
import time

from common import CeleryWorker, SinkSMTPServer, cleanup, report, setup_django

COUNT = 1000


def main():
    scratch = setup_django()
    sink = SinkSMTPServer()
    try:
        run(sink)
    finally:
        sink.stop()
        cleanup(scratch)


def run(sink):
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from mail.models import OutgoingMail
    from mail.services import deliver_mails, render_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    subject, text, html = render_email(template="mail/test", context={}, language="nl")

    # Baseline: the same messages, built the same way, over one connection.
    messages = []
    for n in range(COUNT):
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [f"leider{n}@example.nl"])
        message.attach_alternative(html, "text/html")
        messages.append(message.message().as_bytes(linesep="\r\n"))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        for n, message in enumerate(messages):
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, [f"leider{n}@example.nl"], message)
    baseline = COUNT / (time.perf_counter() - started)

    OutgoingMail.objects.bulk_create(
        OutgoingMail(
            key=f"bench:{n}",
            to=[f"leider{n}@example.nl"],
            subject=subject,
            body_text=text,
            body_html=html,
            language="nl",
            template="mail/test",
            message_id=f"<bench-{n}@verbindend>",
        )
        for n in range(COUNT)
    )
    broker = os.environ.get("CELERY_BROKER_URL", "")
    started = time.perf_counter()
    if broker:
        sender = "one Celery worker (2 processes)"
        worker = CeleryWorker(
            {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}", "MAIL_DRAIN_GRACE_SECONDS": "0"}
        )
        try:
            from mail.services import requeue_due_mail

            settings.MAIL_DRAIN_GRACE_SECONDS = 0
            started = time.perf_counter()
            requeue_due_mail()
            while OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).exists():
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
        finally:
            worker.stop()
    else:
        sender = "in-process sender (no broker configured)"
        while deliver_mails(mail_ids=[], fill=True).sent:
            pass
        elapsed = time.perf_counter() - started
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == COUNT
    report(
        f"outbox delivery of {COUNT} e-mails by {sender}",
        COUNT / elapsed,
        baseline,
        "messages/s",
        "target >= 0.5 of plain smtplib over one connection",
    )


if __name__ == "__main__":
    main()
