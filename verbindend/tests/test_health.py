import json
import logging

import pytest
from django.utils import timezone

from mail.models import OutgoingMail
from verbindend.logs import JsonFormatter

pytestmark = pytest.mark.django_db


def test_live_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")
    assert response.json() == {"status": "ok"}


def test_ready_checks_database_cache_broker_and_outbox(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert all(check["ok"] for check in checks.values())
    assert set(checks) == {"database", "cache", "broker", "outbox"}
    assert checks["outbox"]["oldest_pending_seconds"] == 0


def test_ready_fails_when_e_mail_is_stuck(client):
    OutgoingMail.objects.create(
        key="stuck",
        to=["x@example.nl"],
        subject="s",
        body_text="t",
        language="nl",
        template="t",
        created_at=timezone.now() - timezone.timedelta(hours=1),
    )
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"] == {"ok": False, "error": "RuntimeError"}


def test_ready_fails_when_the_broker_is_away(client, settings, monkeypatch):
    from harness import free_port
    from verbindend.celery import app

    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    # Celery reads the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    previous = app.conf.broker_url
    settings.CELERY_BROKER_URL = app.conf.broker_url = unreachable
    try:
        response = client.get("/health/ready/")
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False


def test_health_is_never_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/").status_code == 200


def test_json_log_lines():
    record = logging.LogRecord("mail.services", logging.WARNING, __file__, 1, "E-mail %s failed", (42,), None)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["level"] == "WARNING" and entry["message"] == "E-mail 42 failed" and entry["logger"] == "mail.services"
