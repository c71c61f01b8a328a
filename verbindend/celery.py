"""The Celery application: `celery -A verbindend worker` and `celery -A verbindend beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")

app = Celery("verbindend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
