"""
A private PostgreSQL cluster restarted under load: requests fail only while it is down, and no registration is
left half-written. The cluster is the test's own (initdb in a temporary folder, its own port); the machine's
PostgreSQL is never touched.
"""

import http.cookiejar
import os
import re
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from conftest import ROOT, require_service, run_in_project
from harness import Gunicorn, PrivatePostgres, wait_until


@pytest.fixture
def cluster():
    require_service("PostgreSQL binaries", PrivatePostgres.available(), "install postgresql")
    cluster = PrivatePostgres().start()
    yield cluster
    cluster.remove()


class Browser:
    """A visitor with cookies: gets the form (and its CSRF token), then posts registrations."""

    def __init__(self, port):
        self.port = port
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.token = None

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, ""
        except OSError:
            return 0, ""

    def post(self, n):
        if self.token is None:
            status, page = self._open(f"http://127.0.0.1:{self.port}/aanmelden/")
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            if not match:
                return status or 0
            self.token = match[1]
        data = urllib.parse.urlencode(
            {
                "path": "new",
                "board_name": f"Stichting {n}",
                "board_kind": "bestuur",
                "bestuursnummer": f"{10000 + n:05d}",
                "sector": "po",
                "contact_name": "Contact",
                "contact_email": f"c{n}@bestuur.example.nl",
                "contact_phone": "0301234567",
                "expected_participants": "14",
                "privacy_consent": "on",
                "submission_key": f"restart-{n}",
                "csrfmiddlewaretoken": self.token,
            }
        ).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/aanmelden/", data=data)
        status, _page = self._open(request)
        # urllib follows the redirect to the thank-you page: 200 there means the POST answered 302.
        return 302 if status == 200 else status


@pytest.mark.slow
def test_a_database_restart_under_load_fails_requests_only_while_it_is_down_and_writes_nothing_by_half(cluster):
    env = {
        **os.environ,
        "DATABASE_URL": cluster.url,
        "DEBUG": "false",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "REGISTRATION_RATE_LIMIT": "100000",
        "CELERY_BROKER_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "ERROR",
        "CONN_MAX_AGE": "60",
        "CSRF_COOKIE_SECURE": "false",
        "SESSION_COOKIE_SECURE": "false",
    }
    run_in_project("from django.core.management import call_command; call_command('migrate', verbosity=0)", env)
    static = tempfile.mkdtemp(prefix="verbindend-static-")
    env["STATIC_ROOT"] = static
    run_in_project(
        "from django.core.management import call_command\n"
        "call_command('collectstatic', verbosity=0, interactive=False)",
        env,
    )
    server = Gunicorn("verbindend.wsgi", env=env, cwd=ROOT, workers=2, ready_path="/health/").start()
    port = server.port
    results = []  # (time, status)
    stop = threading.Event()

    def load(offset):
        browser, n = Browser(port), offset
        while not stop.is_set() and n < offset + 2000:
            results.append((time.monotonic(), browser.post(n)))
            n += 1

    try:
        try:
            wait_until(lambda: Browser(port).post(9999) == 302, timeout=30, message="gunicorn up")
        except AssertionError:
            status = Browser(port).post(9998)
            raise AssertionError(f"status {status}; " + server.output()[-3000:]) from None
        threads = [threading.Thread(target=load, args=(i * 2000,)) for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        down = time.monotonic()
        cluster.stop()
        time.sleep(1)
        cluster.start()
        up = time.monotonic()
        time.sleep(4)
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        server.stop()
        shutil.rmtree(static, ignore_errors=True)

    failures_after = [t for t, status in results if status != 302 and t > up + 1.5]
    assert any(status == 302 for t, status in results if t < down), "no load before the restart"
    assert any(status == 302 for t, status in results if t > up + 1.5), "no recovery after the restart"
    assert not failures_after, f"{len(failures_after)} requests failed after the database was back"
    # Nothing half-written: every registration has its two e-mails and its consent.
    check = run_in_project(
        "from cohorts.models import Registration\nfrom mail.models import OutgoingMail\n"
        "from privacy.models import Consent\n"
        "print(Registration.objects.count(), OutgoingMail.objects.count(), Consent.objects.count())",
        env,
    )
    registrations, mails, consents = map(int, check.split())
    assert registrations > 0
    assert (mails, consents) == (2 * registrations, registrations)
