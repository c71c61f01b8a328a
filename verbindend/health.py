"""
Health endpoints: /health/ for a load balancer (the process answers), /health/ready/ for a monitor (the
database, the cache, the broker and the outbox). They answer JSON, no personal data, and never redirect.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

# An e-mail pending longer than this means the workers or the broker are stuck.
OUTBOX_STALE_SECONDS = 15 * 60


@never_cache
def live(request):
    return JsonResponse({"status": "ok"})


def _check(name, function, checks):
    started = time.perf_counter()
    try:
        detail = function()
    except Exception as error:  # A health check reports every failure, whatever it is.
        checks[name] = {"ok": False, "error": type(error).__name__}
        return False
    checks[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1), **(detail or {})}
    return True


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache():
    cache.set("health-probe", "ok", 10)
    if cache.get("health-probe") != "ok":
        raise RuntimeError("cache did not keep a value")


def _broker():
    if not settings.CELERY_BROKER_URL:
        return {"mode": "in-process"}
    from verbindend.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, timeout=2)
    return {}


def _outbox():
    from mail.models import OutgoingMail

    oldest = (
        OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    age = (timezone.now() - oldest).total_seconds() if oldest else 0
    if age > OUTBOX_STALE_SECONDS:
        raise RuntimeError("e-mail waiting too long")
    return {"oldest_pending_seconds": round(age)}


@never_cache
def ready(request):
    checks = {}
    ok = all(
        [
            _check("database", _database, checks),
            _check("cache", _cache, checks),
            _check("broker", _broker, checks),
        ]
    )
    if checks["database"]["ok"]:
        ok = _check("outbox", _outbox, checks) and ok
    return JsonResponse({"status": "ok" if ok else "failing", "checks": checks}, status=200 if ok else 503)
