"""A worker killed with SIGKILL in the middle of sending: after a new worker starts, the e-mail arrives once."""

import os
import signal
import time

from conftest import run_in_project, shared_redis_url, wait_until
from mail.models import OutgoingMail


def test_worker_killed_mid_send_delivers_exactly_once_after_a_new_worker(
    service_env, smtp_server, celery_worker_factory
):
    broker = shared_redis_url(db=4)
    env = {**service_env, "CELERY_BROKER_URL": broker, "MAIL_CLAIM_TIMEOUT_SECONDS": "2"}
    smtp_server.rcpt_delay = 30  # the first send hangs at RCPT, before the server accepts anything
    first = celery_worker_factory(broker)
    run_in_project(
        "from django.core.management import call_command; call_command('send_test_mail', 'bestuur@example.nl')", env
    )
    wait_until(lambda: OutgoingMail.objects.filter(status="sending").exists(), message="the worker sending")
    os.killpg(first.process.pid, signal.SIGKILL)  # the worker and its pool, without warning
    first.process.wait(timeout=10)
    first.process = None
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENDING
    assert smtp_server.messages == []

    smtp_server.rcpt_delay = 0
    celery_worker_factory(broker)
    time.sleep(2.5)  # the dead worker's claim grows older than MAIL_CLAIM_TIMEOUT_SECONDS
    run_in_project("from mail.services import requeue_due_mail; requeue_due_mail()", env)  # as beat does
    wait_until(lambda: OutgoingMail.objects.filter(status="sent").exists(), message="the e-mail sent", timeout=60)
    time.sleep(1)
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["To"] == "bestuur@example.nl"
    assert OutgoingMail.objects.get().attempts == 1
