"""
The product as it runs in production, driven by a real browser.

`stack` starts the three processes of the Procfile (gunicorn, a Celery worker
and Celery beat) against the test's PostgreSQL database, Redis and a local
SMTP server; `browser` is Debian's Chromium driven by Playwright, never a
downloaded browser. Screenshots go to E2E_SCREENSHOTS (`make e2e` sets it and
names it at the end) or to a temporary folder.
"""

import os
import secrets
from pathlib import Path

import pytest

from conftest import require_service, shared_redis_url
from harness import RecordingSMTP, free_port

from .helpers import AXE, OPEN_PAGES, Stack

CHROMIUM = Path("/usr/bin/chromium")
# The machine's network is closed: without these Chromium keeps trying to reach Google's services.
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    require_service("Chromium", CHROMIUM.exists(), "apt-get install chromium")
    require_service("axe-core", AXE.exists(), "make e2e-deps (npm ci in verbindend/tests/browser)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - requirements.txt installs it
        require_service("Playwright", False, "pip install -r requirements.txt")
    # Playwright's sync API keeps an event loop in this thread; the test's own database calls are
    # ordinary synchronous ones, which Django would otherwise refuse next to a running loop.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def running_stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """
    The production processes, started once for the browser tests: booting gunicorn, a worker and beat costs more
    than most tests. Each test gets them through `stack`, which gives it an empty database, inbox and cache.
    Stopped as soon as the tests of this folder are done: its beat and worker would otherwise go on draining the
    outbox and the certificate requests of whatever test runs next on the same database.
    """
    from conftest import service_environment

    folder = tmp_path_factory.mktemp("stack")
    smtp = RecordingSMTP().start()
    port = free_port()
    with django_db_blocker.unblock():
        environment = service_environment(smtp.port)
    env = {
        **environment,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "CELERY_CONCURRENCY": "2",
        "CELERY_BEAT_SCHEDULE": str(folder / "celerybeat-schedule"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{port}",
        # Plain HTTP on the loopback: production's HTTPS-only cookies and redirect are proven by the deploy check.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "PRIVATE_FILES_ROOT": str(folder / "private"),
        "CELERY_BROKER_URL": shared_redis_url(7),
        "REDIS_URL": shared_redis_url(6),
        "LOG_LEVEL": "INFO",
    }
    with django_db_blocker.unblock():
        from conftest import _reseed, empty_with_the_same_ids

        empty_with_the_same_ids()  # as after each of its tests (conftest.py), before the processes cache an id
        _reseed()
    stack = Stack(env, smtp, folder)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        smtp.stop()


@pytest.fixture
def stack(running_stack, transactional_db):
    """The running stack, for one test: the database emptied after it (and seeded again), the inbox and cache too."""
    running_stack.begin_test()
    return running_stack


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("E2E_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def pytest_collection_modifyitems(items):
    # One worker runs every test of the running stack (make test distributes by these groups), so it starts once.
    for item in items:
        if "stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("stack"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed and OPEN_PAGES:
        folder = item.funcargs.get("screenshots")
        for number, page in enumerate(OPEN_PAGES, start=1):
            if folder and not page.is_closed():
                page.screenshot(path=folder / f"failure-{item.name}-{number}.png", full_page=True)
                report.sections.append((f"page {number}", page.url))
    if report.when == "teardown":
        OPEN_PAGES.clear()
    return report
