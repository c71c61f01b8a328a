"""
Project-wide test setup.

Most tests run anywhere, on the embedded default. Tests about the real
services (PostgreSQL, Redis, a Celery worker) ask for them through
`require_service`: on a developer's machine without the service they are
skipped with the reason, in CI (CI=true) they fail, so a silently wrong
configuration cannot pass.
"""

import os

import pytest
from django.conf import settings

IN_CI = os.environ.get("CI", "").lower() == "true"

_skipped_services: list[str] = []


def require_service(name: str, available: bool, how: str) -> None:
    """Fail in CI, skip elsewhere, when a service a test is about is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{name} is required in CI but is not in use: {how}", pytrace=False)
    _skipped_services.append(name)
    pytest.skip(f"needs {name} ({how})")


@pytest.fixture
def postgres(db):
    """Require that the test database is PostgreSQL."""
    from django.db import connection

    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    return connection


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    return [
        f"verbindend: database {database['ENGINE'].rsplit('.', 1)[-1]}, "
        f"broker {'redis' if settings.CELERY_BROKER_URL else 'none (eager)'}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}, CI={IN_CI}"
    ]


def pytest_terminal_summary(terminalreporter):
    if _skipped_services:
        names = ", ".join(sorted(set(_skipped_services)))
        terminalreporter.write_line(
            f"{len(_skipped_services)} service test(s) skipped because these services are not configured here: "
            f"{names}. CI runs them; see README.md, 'Tests against the real services'.",
            yellow=True,
        )


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Production's HTTPS redirect is proven by the deploy check; the test
    # client speaks plain HTTP.
    settings.SECURE_SSL_REDIRECT = False
    # The manifest storage of production needs `collectstatic`; tests read
    # the source files directly.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
