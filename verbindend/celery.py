"""The Celery application: `celery -A verbindend worker` and `celery -A verbindend beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")

app = Celery("verbindend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _keep_in_process_tasks_in_process(sender, source, **kwargs):
    # Without a broker (the embedded default) every task runs in-process, yet
    # Celery still takes a producer from its pool to choose the serializer.
    # With no broker URL that producer's connection is Celery's default, AMQP
    # on localhost, and kombu warns of the missing host on every task. The
    # in-memory transport keeps that producer inside the process too; it
    # ignores the host, but kombu warns without one.
    if source.task_always_eager and not source.broker_url:
        source.broker_url = "memory://localhost/"
