import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from conftest import IN_CI, require_service

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "verbindend.example.nl",
    "CSRF_TRUSTED_ORIGINS": "https://verbindend.example.nl",
}


def test_production_settings_pass_the_deploy_check():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_rejects_the_development_key():
    """The negative control: the check above can fail."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_embedded_default_without_environment(monkeypatch):
    """No environment: SQLite in the project, console e-mail, eager tasks, local-memory cache."""
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND, s.CELERY_TASK_ALWAYS_EAGER,"
        " s.CACHES['default']['BACKEND'])"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "verbindend.settings"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [
        "verbindend.sqlite",
        "django.core.mail.backends.console.EmailBackend",
        "True",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_embedded_default_runs_tasks_without_reaching_for_a_broker():
    """In-process tasks take no connection to Celery's default broker (AMQP on localhost), nor warn of one."""
    code = (
        "import django; django.setup()\n"
        "from verbindend.celery import app\n"
        "@app.task\n"
        "def ping():\n"
        "    return 'ran'\n"
        "print(ping.delay().get())\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "verbindend.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "ran"
    assert "hostname" not in result.stdout + result.stderr


@pytest.mark.django_db
def test_ci_runs_on_the_real_services():
    """In CI the suite must run on PostgreSQL, with Redis as broker and cache."""
    if not IN_CI:
        pytest.skip("only meaningful in CI (CI=true)")
    require_service("PostgreSQL", connection.vendor == "postgresql", "DATABASE_URL must point to PostgreSQL")
    require_service("Redis broker", settings.CELERY_BROKER_URL.startswith("redis://"), "set CELERY_BROKER_URL")
    require_service("Redis cache", "RedisCache" in settings.CACHES["default"]["BACKEND"], "set REDIS_URL")
    from django.core.cache import cache

    cache.set("ci-probe", "ok", 10)
    assert cache.get("ci-probe") == "ok"
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_make_prod_check_passes_with_production_settings():
    result = subprocess.run(
        ["make", "-s", "prod-check"],
        cwd=ROOT,
        env={**os.environ, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
