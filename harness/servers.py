"""Celery workers, gunicorn, and PostgreSQL and Redis servers of the caller's own."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

from .process import Process, answers, free_port, http_ok


class CeleryWorker(Process):
    """`celery -A <app> worker` as production runs it, under a name of its own; ready when it logs so."""

    def __init__(self, app: str, *, env: dict, cwd=None, concurrency: int = 2, log=None):
        command = [sys.executable, "-m", "celery", "-A", app, "worker", "--concurrency", str(concurrency)]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"]
        command += ["-n", f"worker{free_port()}@%h"]
        super().__init__(command, name="Celery worker", env=env, cwd=cwd, log=log)

    def is_ready(self) -> bool:
        return " ready." in self.output()


class Gunicorn(Process):
    """gunicorn serving `app` on a free port (`url`); ready when `ready_path` answers 200."""

    def __init__(self, app: str, *, env: dict, cwd=None, workers: int = 2, options=(), ready_path="/", log=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}"]
        command += ["--workers", str(workers), *options]
        super().__init__(command, name="gunicorn", env=env, cwd=cwd, log=log, ready=http_ok(self.url + ready_path))


class PrivateRedis(Process):
    """A redis-server of the caller's own on its own port, keeping nothing on disk: a shared one is never touched."""

    def __init__(self, log=None):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        super().__init__([*command, "--save", "", "--appendonly", "no"], name="redis-server", log=log, timeout=10)

    def is_ready(self) -> bool:
        return answers(self.port, b"PING\r\n", b"+PONG")


def postgres_binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


class PrivatePostgres:
    """
    A PostgreSQL cluster of the caller's own (initdb in a temporary folder, its own port, trust authentication,
    fsync off), run as the postgres user when the caller is root. `url` names its postgres database.
    """

    def __init__(self):
        self.port = free_port()
        self.folder = tempfile.mkdtemp(prefix="pg-")
        self.data = os.path.join(self.folder, "data")
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        return bool(postgres_binary("initdb") and postgres_binary("pg_ctl"))

    def _run(self, binary, *arguments, check=True):
        command = [*self.as_postgres, postgres_binary(binary), *arguments]
        subprocess.run(command, check=check, capture_output=True, timeout=120)  # noqa: S603

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.folder, "log"), "-o", options, "start")
        return self

    def stop(self):
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop", check=False)

    def remove(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def scratch_database(server_url: str, name: str):
    """Create database `name` on the PostgreSQL server of `server_url`; return its URL and a function that drops it."""
    from urllib.parse import urlsplit

    import psycopg2

    admin = psycopg2.connect(server_url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()

    return urlsplit(server_url)._replace(path=f"/{name}").geturl(), drop
