"""
The outbox against the real services, as in production: PostgreSQL, Redis, a
Celery worker in its own processes and a real SMTP server. CI runs these; a
machine without the services skips them, saying so.
"""

import threading
import time

import pytest
import redis
from django.db import connection

from conftest import require_service, run_in_project, shared_redis_url
from harness import wait_until
from mail.models import OutgoingMail
from mail.services.delivery import deliver_mails
from mail.services.queueing import render_email, requeue_due_mail

QUEUE_FIVE = """
from django.db import transaction
from mail.services.queueing import queue_email
for n in range(5):
    with transaction.atomic():
        queue_email(to=f"leider{n}@example.nl", template="mail/test", context={}, key=f"outage:{n}")
print("queued")
"""


def make_row(key="row-1", to="schoolleider@example.nl"):
    """A committed pending row whose own task was never enqueued."""
    subject, text, html = render_email(template="mail/test", context={}, language="nl")
    return OutgoingMail.objects.create(
        key=key,
        to=[to],
        subject=subject,
        body_text=text,
        body_html=html,
        language="nl",
        template="mail/test",
        message_id=f"<{key}@verbindend.test>",
    )


def sent_count():
    return OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count()


def broker_holds_nothing(url: str) -> bool:
    """Return whether the broker has no task left: none waiting in a queue, none taken and not yet acknowledged."""
    broker = redis.Redis.from_url(url)
    # A queue is a list per priority, named after it ("celery", "celery\x06\x163", ...).
    waiting = sum(broker.llen(key) for key in broker.scan_iter("celery*") if broker.type(key) == b"list")
    # send_mail acknowledges late: a task being run stays here until it has finished.
    return waiting == 0 and broker.hlen("unacked") == 0


def test_real_worker_delivers_a_queued_message(service_env, smtp_server, celery_worker_factory):
    broker = shared_redis_url(db=3)
    celery_worker_factory(broker)
    output = run_in_project(
        "from django.core.management import call_command; call_command('send_test_mail', 'bestuur@example.nl')",
        {**service_env, "CELERY_BROKER_URL": broker},
    )
    assert "E-mail" in output
    wait_until(lambda: len(smtp_server.messages) == 1, message="the message at the SMTP server")
    assert smtp_server.messages[0]["To"] == "bestuur@example.nl"
    row = OutgoingMail.objects.get()
    assert row.status == OutgoingMail.Status.SENT
    assert row.attempts == 1


def test_row_enqueued_five_times_at_once_with_the_drain_is_delivered_once(
    service_env, smtp_server, celery_worker_factory
):
    broker = shared_redis_url(db=3)
    celery_worker_factory(broker, concurrency=2)
    row = make_row()
    run_in_project(
        f"""
import threading
from mail.services.queueing import requeue_due_mail
from mail.tasks import send_mail
threads = [threading.Thread(target=send_mail.delay, args=([{row.pk}],)) for _ in range(5)]
threads.append(threading.Thread(target=requeue_due_mail))
[t.start() for t in threads]
[t.join() for t in threads]
""",
        {**service_env, "CELERY_BROKER_URL": broker},
    )
    wait_until(lambda: sent_count() == 1, message="the row sent")
    # The other deliveries ran to their end: the broker holds none of them any more, twice over, in case one
    # was on its way from the queue to the worker at the first look.
    wait_until(lambda: broker_holds_nothing(broker), message="every task done", timeout=30)
    time.sleep(0.5)
    assert broker_holds_nothing(broker)
    assert len(smtp_server.messages) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_worker_retries_a_451_and_delivers_once(service_env, smtp_server, celery_worker_factory):
    broker = shared_redis_url(db=3)
    celery_worker_factory(broker)
    smtp_server.fail_next = 2
    run_in_project(
        "from django.core.management import call_command; call_command('send_test_mail', 'bestuur@example.nl')",
        {**service_env, "CELERY_BROKER_URL": broker},
    )
    wait_until(lambda: sent_count() == 1, message="the row sent after two refusals")
    row = OutgoingMail.objects.get()
    assert row.attempts == 3
    assert len(smtp_server.messages) == 1


def test_broker_down_keeps_every_row_and_the_drain_sends_each_once(
    service_env, smtp_server, private_redis, celery_worker_factory
):
    private_redis.stop()
    started = time.monotonic()
    output = run_in_project(QUEUE_FIVE, {**service_env, "CELERY_BROKER_URL": private_redis.url})
    assert "queued" in output
    assert time.monotonic() - started < 20, "queuing must not hang while the broker is down"
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING).count() == 5
    time.sleep(1)
    assert smtp_server.messages == []

    private_redis.start()
    celery_worker_factory(private_redis.url)
    run_in_project(
        "from mail.services.queueing import requeue_due_mail; print(requeue_due_mail())",
        {**service_env, "CELERY_BROKER_URL": private_redis.url},
    )
    wait_until(lambda: sent_count() == 5, message="all five rows sent")
    time.sleep(0.5)
    recipients = sorted(message["To"] for message in smtp_server.messages)
    assert recipients == [f"leider{n}@example.nl" for n in range(5)]


def test_concurrent_senders_on_postgresql_send_a_row_once(transactional_db, smtp_server):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    rows = [make_row(key=f"row-{n}", to=f"leider{n}@example.nl") for n in range(20)]
    barrier = threading.Barrier(6)
    errors = []

    def sender(target):
        try:
            barrier.wait()
            target()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    targets = [lambda: deliver_mails(mail_ids=[r.pk for r in rows]) for _ in range(5)]
    targets.append(requeue_due_mail)
    threads = [threading.Thread(target=sender, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Whatever the drain enqueued ran in-process (eager) as well.
    assert sent_count() == 20
    recipients = sorted(message["To"] for message in smtp_server.messages)
    assert recipients == sorted(f"leider{n}@example.nl" for n in range(20))


@pytest.mark.django_db
def test_negative_control_without_the_claim_a_row_is_sent_twice(smtp_server):
    """Proves the test above can fail: two senders that skip the claim both send."""
    from django.core.mail import get_connection

    from mail.services.mime import build_message

    row = make_row()
    for _ in range(2):
        with get_connection() as smtp:
            smtp.send_messages([build_message(row, smtp)])
    assert len(smtp_server.messages) == 2
