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


class CeleryWorker:
    """
    A Celery worker as production runs it (`celery -A verbindend worker`),
    two processes on these two-core machines; ready when it answers a ping.
    """

    CONCURRENCY = 2

    def __init__(self, env: dict, log_path: str | None = None):
        self.log_path = log_path
        # Closed in stop(); without a path the worker writes to this terminal.
        self.log = open(log_path, "w") if log_path else None  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "verbindend",
                "worker",
                "--concurrency",
                str(self.CONCURRENCY),
                "-l",
                os.environ.get("BENCH_WORKER_LOG", "WARNING"),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT if self.log else None,
        )
        from verbindend.celery import app

        while not app.control.ping(timeout=0.5):
            if self.process.poll() is not None:
                raise RuntimeError("the Celery worker stopped")

    def tail(self, lines: int = 40) -> str:
        if not self.log_path:
            return ""
        self.log.flush()
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def stop(self):
        self.process.terminate()
        self.process.wait()
        if self.log:
            self.log.close()


def report(name: str, measured: float, baseline: float, unit: str, target: str, higher_is_better: bool = True):
    ratio = measured / baseline if baseline else float("nan")
    print(f"{name}: {measured:,.1f} {unit} against a baseline of {baseline:,.1f} {unit}: ratio {ratio:.2f} ({target})")


def cleanup(path: str):
    shutil.rmtree(path, ignore_errors=True)
