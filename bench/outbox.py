"""
Outbox throughput: 1,000 queued e-mails delivered to a local SMTP sink by one sender, against plain smtplib sending
the same 1,000 over one connection in the same run. The sender is a Celery worker as production runs it (two
processes) fed by the drain when a Redis broker answers; without one, the same delivery code runs in-process.
"""

import os
import smtplib

from bench.common import TARGETS, celery_worker, report, setup_django, timed, wait_for_outbox
from harness import SinkSMTP

COUNT = 1000
TARGET = 0.8


def warm_broker_connection():
    """Connect to the broker and declare its queues, as the drain's worker process has long done in production:
    otherwise the first task this fresh process sends takes 0.2 s, a tenth of the figure."""
    from celery import current_app

    with current_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection()
        for queue in current_app.amqp.queues.values():
            producer.maybe_declare(queue)


def main():
    scratch = setup_django()
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives

    from mail.models import OutgoingMail
    from mail.services.delivery import deliver_mails
    from mail.services.queueing import render_email, requeue_due_mail

    with SinkSMTP(log=os.path.join(scratch, "smtp.log")) as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.MAIL_DRAIN_GRACE_SECONDS = "127.0.0.1", sink.port, 0
        subject, text, html = render_email(template="mail/test", context={}, language="nl")
        addresses, sender = [f"leider{n}@example.nl" for n in range(COUNT)], settings.DEFAULT_FROM_EMAIL

        # Baseline: the same messages, built the same way, over one connection.
        messages = [EmailMultiAlternatives(subject, text, sender, [to]) for to in addresses]
        for message in messages:
            message.attach_alternative(html, "text/html")
        messages = [message.message().as_bytes(linesep="\r\n") for message in messages]

        def plain():
            with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
                for to, message in zip(addresses, messages, strict=True):
                    smtp.sendmail(sender, [to], message)

        baseline = COUNT / timed(plain)[0]
        mail = {"subject": subject, "body_text": text, "body_html": html, "language": "nl", "template": "mail/test"}
        OutgoingMail.objects.bulk_create(
            OutgoingMail(key=f"bench:{n}", to=[to], message_id=f"<bench-{n}@verbindend>", **mail)
            for n, to in enumerate(addresses)
        )

        def send_in_process():
            while deliver_mails(mail_ids=[], fill=True).sent:
                pass

        with celery_worker(scratch, EMAIL_URL=f"smtp://127.0.0.1:{sink.port}", MAIL_DRAIN_GRACE_SECONDS="0") as worker:
            if worker:
                name = "one Celery worker (2 processes)"
                warm_broker_connection()
                elapsed = timed(requeue_due_mail)[0] + wait_for_outbox(OutgoingMail.objects.all())[2]
            else:
                name = "in-process sender (no broker configured)"
                elapsed = timed(send_in_process)[0]
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == COUNT
    figure, rate = f"outbox delivery of {COUNT} e-mails by {name}", COUNT / elapsed
    text = f"{rate:,.1f} messages/s against plain smtplib over one connection at {baseline:,.1f} messages/s"
    report(figure, f"{text}: ratio {rate / baseline:.2f}", rate / baseline, ">=", TARGET)
    TARGETS.finish()


if __name__ == "__main__":
    main()
