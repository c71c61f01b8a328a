"""
Project-wide test setup.

Most tests run anywhere, on the embedded default. Tests about the real
services (PostgreSQL, Redis, a Celery worker) ask for them through
`require_service`: on a developer's machine without the service they are
skipped with the reason, in CI (CI=true) they fail, so a silently wrong
configuration cannot pass.
"""

import contextlib
import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from harness import CeleryWorker, PrivateRedis, RecordingSMTP

IN_CI = os.environ.get("CI", "").lower() == "true"

SERVICE_SKIP = "needs a service: "


def require_service(name: str, available: bool, how: str) -> None:
    """Fail in CI, skip elsewhere, when a service a test is about is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not in use: {how}", pytrace=False)
    pytest.skip(f"{SERVICE_SKIP}{name} ({how})")


# --- Parallel runs (pytest-xdist) ---------------------------------------------
# Each worker has its own test database (pytest-django names it after the worker) and its own block of the shared
# Redis's sixteen databases: the cache is flushed before every test and a broker's queue is read by whichever
# worker listens, so two workers must never share one.
REDIS_DATABASES_PER_WORKER = 8


def _worker_index() -> int:
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))


def _redis_database(url: str, number: int) -> str:
    return url.rsplit("/", 1)[0] + f"/{number}"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # The longest first: the browser tests' group (one worker runs it whole) and the tests marked slow. Left in
    # collection order, the browser tests came last, and one worker ran them while the other stood idle.
    def weight(item) -> int:
        group = item.get_closest_marker("xdist_group")
        return 0 if group else 1 if item.get_closest_marker("slow") else 2

    items.sort(key=weight)


def pytest_configure(config):
    index = _worker_index()
    if index == 0:
        return
    redis_urls = {name: os.environ.get(name, "") for name in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL")}
    if not any(url.startswith("redis://") for url in redis_urls.values()):
        return
    if (index + 1) * REDIS_DATABASES_PER_WORKER > 16:
        raise pytest.UsageError("Against a shared Redis the suite runs on at most two workers (-n 2).")
    # The worker's subprocesses (Celery workers, gunicorn) read the environment; this process reads the settings.
    offset = index * REDIS_DATABASES_PER_WORKER
    for name, url in redis_urls.items():
        if url.startswith("redis://"):
            os.environ[name] = _redis_database(url, offset + int(url.rsplit("/", 1)[1] or 0))
    from django.test.utils import override_settings

    from verbindend.celery import app

    overrides = {"CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"]} if redis_urls["CELERY_BROKER_URL"] else {}
    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        location = settings.CACHES["default"]["LOCATION"]
        overrides["CACHES"] = {
            "default": {
                **settings.CACHES["default"],
                "LOCATION": _redis_database(location, offset + int(location.rsplit("/", 1)[1] or 0)),
            }
        }
    override_settings(**overrides).enable()
    if "CELERY_BROKER_URL" in overrides:
        app.conf.broker_url = overrides["CELERY_BROKER_URL"]


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    return [
        f"verbindend: database {database['ENGINE'].rsplit('.', 1)[-1]}, "
        f"broker {'redis' if settings.CELERY_BROKER_URL else 'none (eager)'}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, CI={IN_CI}"
    ]


def pytest_terminal_summary(terminalreporter):
    # Read from the reports, not from this process: under pytest-xdist the tests ran in the workers.
    reasons = [
        report.longrepr[2] for report in terminalreporter.stats.get("skipped", []) if isinstance(report.longrepr, tuple)
    ]
    names = sorted(
        {
            reason.removeprefix("Skipped: ").removeprefix(SERVICE_SKIP).split(" (")[0]
            for reason in reasons
            if SERVICE_SKIP in reason
        }
    )
    if names:
        count = sum(SERVICE_SKIP in reason for reason in reasons)
        terminalreporter.write_line(
            f"{count} service test(s) skipped because these services are not configured here: "
            f"{', '.join(names)}. CI runs them; see README.md, 'Tests against the real services'.",
            yellow=True,
        )


@contextlib.contextmanager
def eager_celery():
    """Run tasks in-process, as on the embedded default."""
    from verbindend.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture(autouse=True)
def _eager_celery():
    """Every test's tasks run in-process; worker tests use subprocesses."""
    with eager_celery():
        yield


@pytest.fixture(autouse=True)
def _language_of_the_next_test():
    yield
    # A page served in English leaves this thread's language English; the next test starts in the default again.
    from django.utils import translation

    translation.deactivate()


def settings_for_tests() -> dict:
    """The settings every test runs with (a fixture of a wider scope applies them itself)."""
    from django.conf import settings

    return {
        # Production's HTTPS redirect is proven by the deploy check; the test client speaks plain HTTP.
        "SECURE_SSL_REDIRECT": False,
        # The manifest storage of production needs `collectstatic`; tests read the source files directly.
        "STORAGES": {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    }


@pytest.fixture(autouse=True)
def _test_settings(settings):
    for name, value in settings_for_tests().items():
        setattr(settings, name, value)
    # Rate-limit counters and the like must not leak from one test into the next.
    from django.core.cache import cache

    cache.clear()


# A Monday morning in March 2027, outside the school holidays and before the clocks go forward: the moment the
# tests that read "today" live in, whatever day they are run on.
FIXED_NOW = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def fixed_clock():
    """Stop the clock at FIXED_NOW for the test; move it on with the traveller this returns."""
    with time_machine.travel(FIXED_NOW, tick=False) as traveller:
        yield traveller


# --- Real services for the tests that are about them -------------------------
# The processes themselves are the harness's (harness/), which the benchmarks start too.

ROOT = Path(__file__).resolve().parent


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on 127.0.0.1 that Django's e-mail backend sends to."""
    server = RecordingSMTP().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield server
    server.stop()


@pytest.fixture
def private_redis():
    require_service("redis-server", bool(shutil.which("redis-server")), "install redis-server")
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


def shared_redis_url(db: int) -> str:
    """The machine's Redis (CI's), on a database number of the test's own (0-7, within this worker's block), flushed."""
    import redis

    assert 2 <= db < REDIS_DATABASES_PER_WORKER, "0 and 1 are the broker's and the cache's"
    base = settings.CELERY_BROKER_URL or os.environ.get("REDIS_URL", "")
    require_service("Redis", base.startswith("redis://"), "set CELERY_BROKER_URL=redis://...")
    url = _redis_database(base, _worker_index() * REDIS_DATABASES_PER_WORKER + db)
    redis.Redis.from_url(url).flushdb()
    return url


def _flushes_the_database(item) -> bool:
    """Whether pytest-django empties the database after this test (a transactional test) instead of rolling back."""
    marker = item.get_closest_marker("django_db")
    marked = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return marked or bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    # A transactional test ends with the tables emptied, the migrations' seeds included (the programme, its
    # accreditations, the privacy statement, the staff groups). Put them back at once, with the same ids each
    # time, so that every test starts from the same database, whichever ran before it on its worker.
    try:
        return (yield)
    finally:
        if nextitem is not None and _flushes_the_database(item):  # after the last one the database is dropped
            from pytest_django.plugin import blocking_manager_key

            with item.config.stash[blocking_manager_key].unblock():
                empty_with_the_same_ids()
                _reseed()


def empty_with_the_same_ids():
    """
    Empty the database and restart its ids, so that the content types and permissions that migrate's signal makes
    again get the same ids each time: processes that outlive a test (the browser tests' stack) cache them.
    """
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0, reset_sequences=True)


def _reseed():
    """Run the data migrations' seeds again: a transactional test before this one flushed the database."""
    from importlib import import_module

    from django.apps import apps as django_apps

    for migration, function in (
        ("programme.migrations.0002_seed_verbindend_leiderschap", "seed"),
        ("programme.migrations.0004_correct_brochure_typos", "correct"),
        ("programme.migrations.0005_certification_in_the_registers_words", "forwards"),
        ("privacy.migrations.0002_first_statement", "seed"),
        ("registry.migrations.0012_register_themes", "seed"),
        ("registry.migrations.0007_seed_register_rules", "seed"),
        ("billing.migrations.0002_seed_provider_and_price", "seed"),
        ("verbindend.migrations.0001_staff_groups", "create_groups"),
        ("verbindend.migrations.0002_office_erases", "grant"),
        ("verbindend.migrations.0003_outbox_for_the_office_only", "take_from_trainer"),
        ("registry.migrations.0008_register_rules_for_the_office", "grant"),
        ("registry.migrations.0011_register_runs_for_the_office", "grant"),
        ("cohorts.migrations.0013_final_assignment_approval", "grant_trainers"),
        ("cohorts.migrations.0014_run_message", "grant"),
        ("billing.migrations.0005_billing_for_the_office", "grant"),
        ("billing.migrations.0007_offers_for_trainer_and_office", "grant"),
        ("billing.migrations.0010_payments_for_the_office", "grant"),
        ("evaluations.migrations.0002_seed_forms", "seed"),
        ("evaluations.migrations.0003_evaluations_for_staff", "grant"),
        ("materials.migrations.0002_materials_for_the_trainer", "grant"),
    ):
        # The staff-group migrations mark each app's models module while they create permissions; put the real
        # ones back afterwards.
        models_modules = {config: config.models_module for config in django_apps.get_app_configs()}
        try:
            getattr(import_module(migration), function)(django_apps, None)
        finally:
            for config, module in models_modules.items():
                config.models_module = module


def service_environment(smtp_port: int) -> dict:
    """Environment for subprocesses (workers, commands) that share the test database and an SMTP server."""
    from django.db import connection

    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "MAIL_RETRY_BASE_SECONDS": "0.2",
        "MAIL_RETRY_MAX_SECONDS": "1",
        "MAIL_DRAIN_GRACE_SECONDS": "0",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def service_env(transactional_db, smtp_server):
    """Environment for subprocesses that share the test's database and SMTP server."""
    return service_environment(smtp_server.port)


def celery_worker(env, concurrency=2) -> CeleryWorker:
    """A Celery worker of the project, not yet started, with the environment of the test's services."""
    return CeleryWorker("verbindend", env=env, cwd=ROOT, concurrency=concurrency)


@pytest.fixture
def celery_worker_factory(service_env):
    workers = []

    def start(broker_url, concurrency=2):
        worker = celery_worker({**service_env, "CELERY_BROKER_URL": broker_url}, concurrency).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def run_in_project(code: str, env: dict, timeout: float = 60) -> str:
    """Run Python code with Django set up in a separate process; return its output."""
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "verbindend.settings"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    # Certificates are written to MEDIA_ROOT, materials and final assignments to PRIVATE_FILES_ROOT; never into
    # the project.
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    settings.PRIVATE_FILES_ROOT = tmp_path_factory.mktemp("private")
