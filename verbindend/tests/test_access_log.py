"""
No personal link reaches any log: gunicorn started as the Procfile starts it, asked for every tokened URL.

Each answer kind is asked for (200, 302, 403, 404, 405 and a 500 with its
traceback, the database taken away), with the key also in a Referer and in
a query string; then gunicorn's output, access log, error log and Django's
request logging together, is read for any part of any key.
"""

import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from harness import Process, free_port, http_ok

ROOT = Path(__file__).resolve().parents[2]

MAKE_DATA = """
from cohorts.services import calendars, links
from cohorts.tests.factories import RawParticipantFactory, RawRegistrationFactory
from django.contrib.auth.models import User

registration = RawRegistrationFactory()
participant = RawParticipantFactory(registration=registration)
trainer = User.objects.create_user("jan", password="x-secret-123", is_staff=True)
for url in (
    links.board_page_url(registration),
    links.enrolment_url(registration),
    links.participant_page_url(participant),
    calendars.calendar_feed_url(trainer),
):
    print("URL", url)
print("PARTICIPANT", participant.pk)
"""


def web_command() -> str:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))["web"]


def request(url, *, method="GET", data=None, headers=None) -> int:
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})  # noqa: S310 (our http URL)
    try:
        with urllib.request.urlopen(req, timeout=20) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError:
        return 0  # not answering (yet)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def server(tmp_path):
    port = free_port()
    database = tmp_path / "db.sqlite3"
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "DEBUG": "false",
        "SECRET_KEY": "access-log-test-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "LOG_LEVEL": "INFO",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "collectstatic", "--no-input"], cwd=ROOT, env=env, check=True, capture_output=True)
    made = subprocess.run(
        [*manage, "shell", "-c", MAKE_DATA], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    urls = [line.split(" ", 1)[1] for line in made.splitlines() if line.startswith("URL ")]
    participant = next(line.split()[1] for line in made.splitlines() if line.startswith("PARTICIPANT "))
    log_path = tmp_path / "web.log"
    command = ["bash", "-c", f"exec {web_command()}"]
    ready = http_ok(f"http://127.0.0.1:{port}/health/")
    with Process(command, name="gunicorn", env=env, cwd=ROOT, log=log_path, ready=ready, timeout=30):
        yield {
            "base": f"http://127.0.0.1:{port}",
            "urls": urls,
            "participant": participant,
            "database": database,
            "log": log_path,
        }


@pytest.mark.slow
def test_no_personal_link_reaches_the_log(server):
    base, urls = server["base"], server["urls"]
    board, enrolment, participant, calendar = (url.removeprefix(base) for url in urls)
    keys = [url.rstrip("/").rsplit("/", 1)[1] for url in urls]
    token = keys[2]
    pages = [
        board,
        f"{board}gegevens/?format=json",
        f"{board}deelnemer/{server['participant']}/",
        enrolment,
        f"{enrolment}bedankt/",
        participant,
        f"{participant}rooster.ics",
        f"{participant}mijn-gegevens/?format=json",
        f"{participant}certificaat/999/",
        calendar,
    ]
    statuses = []
    opener = urllib.request.build_opener(NoRedirect)
    for page in pages:
        statuses.append(request(base + page))
        mistyped = page
        for key in keys:
            mistyped = mistyped.replace(key, key[:-3] + "xyz")
        statuses.append(request(base + mistyped))  # a mistyped key: 404
    statuses.append(request(base + board, method="OPTIONS"))  # 405: the page takes GET and POST
    statuses.append(request(base + board, method="POST", data=b"action=withdraw"))  # 403, no CSRF token
    statuses.append(request(f"{base}/health/?next=%2Fbestuur%2F{token.replace(':', '%3A')}%2F"))
    statuses.append(request(f"{base}/static/css/site.css", headers={"Referer": base + participant}))
    try:
        opener.open(base + board.rstrip("/"), timeout=20)  # the slash appended: a redirect
    except urllib.error.HTTPError as error:
        statuses.append(error.code)
    # A 500 with a traceback: the database is taken away (SQLite makes an empty one on the next request).
    server["database"].rename(server["database"].with_suffix(".gone"))
    statuses.append(request(base + participant))
    statuses.append(request(base + f"{board}gegevens/?format=json"))
    time.sleep(0.5)

    assert {200, 301, 403, 404, 405, 500} <= set(statuses), statuses
    log = server["log"].read_text(errors="replace")
    assert "Internal Server Error: /deelnemer/[link]/" in log  # Django's request logging was captured
    assert "Traceback" in log
    assert '"GET /bestuur/[link]/ HTTP/1.1" 200' in log  # and gunicorn's access log
    assert '"OPTIONS /bestuur/[link]/ HTTP/1.1" 405' in log
    for key in keys:
        for part in key.split(":"):
            assert part not in log, f"a key's part {part} is in the log:\n{log}"
    assert shlex.split(web_command())[0] == "gunicorn"
