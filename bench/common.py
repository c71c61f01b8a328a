"""Helpers for the benchmarks: a scratch database, local servers, timing."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(host: str, port: int, probe: bytes = b"", expect: bytes = b"") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            if probe:
                sock.sendall(probe)
                return sock.recv(16).startswith(expect)
            return True
    except OSError:
        return False


def _scratch_postgres() -> str:
    """A fresh database next to DATABASE_URL's (or on local PostgreSQL), dropped at exit."""
    import atexit
    from urllib.parse import urlsplit

    import psycopg2

    base = os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    name = f"verbindend_bench_{os.getpid()}"
    admin = psycopg2.connect(base.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        from django.db import connections

        connections.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    atexit.register(drop)
    return parts._replace(path=f"/{name}").geturl()


def setup_django() -> str:
    """
    Point Django at scratch services, migrate, and return a scratch folder.

    Production-like where possible: PostgreSQL when DATABASE_URL names it or
    one answers on 127.0.0.1:5432, and a Redis broker when CELERY_BROKER_URL
    is set or one answers on 127.0.0.1:6379; SQLite and in-process otherwise.
    """
    sys.path.insert(0, str(ROOT))
    scratch = tempfile.mkdtemp(prefix="verbindend-bench-")
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgres") or (not configured and _answers("127.0.0.1", 5432)):
        os.environ["DATABASE_URL"] = _scratch_postgres()
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    if not os.environ.get("CELERY_BROKER_URL") and _answers("127.0.0.1", 6379, b"PING\r\n", b"+PONG"):
        os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    broker = os.environ.get("CELERY_BROKER_URL", "") or "none"
    print(f"   (database: {connection.vendor}; broker: {broker})")
    return scratch


class SinkSMTPServer:
    """aiosmtpd's Sink in its own process: accepts everything, keeps nothing."""

    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}", "-c", "aiosmtpd.handlers.Sink"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the SMTP sink did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def report(name: str, measured: float, baseline: float, unit: str, target: str, higher_is_better: bool = True):
    ratio = measured / baseline if baseline else float("nan")
    print(f"{name}: {measured:,.1f} {unit} against a baseline of {baseline:,.1f} {unit}: ratio {ratio:.2f} ({target})")


def cleanup(path: str):
    shutil.rmtree(path, ignore_errors=True)
