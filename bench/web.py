"""
The web benchmarks' server and clients: the project under gunicorn with a bare view beside it, a minimal HTTP
client, many clients at once, and the CPU each part of the system spent meanwhile.
"""

import atexit
import itertools
import os
import re
import secrets
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.common import ROOT, percentile, scratch_folder, timed
from harness import Gunicorn

BARE = "/bench/bare/"
TIMEOUT = 30
# Four sync workers: what README.md runs in production (`gunicorn verbindend.wsgi --workers 4`). A sync worker serves
# one request per process, so requests never share a GIL, and four processes on these two cores keep both busy while
# some wait on PostgreSQL or Redis. Two gthread workers of four threads measured the same within the noise.
GUNICORN_WORKERS = 4
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "LOG_LEVEL": "WARNING",
    # Every client comes from 127.0.0.1: at the production limit all but the first ten registrations would get a 429.
    "REGISTRATION_RATE_LIMIT": "1000000",
}


def bare_view(request):
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def make_application():
    """The project's WSGI application with the bare view at /bench/bare/, in gunicorn's workers only."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from django.urls import clear_url_caches, path

    import verbindend.urls

    verbindend.urls.urlpatterns.append(path(BARE.strip("/") + "/", bare_view, name="bench-bare"))
    clear_url_caches()
    return application


def server_environment(**extra):
    """Production-like settings for this process and the server (call before setup_django)."""
    os.environ.update(SERVER_ENV, STATIC_ROOT=scratch_folder("verbindend-bench-static-"), **extra)


def start_server(scratch: str) -> Gunicorn:
    """collectstatic, then gunicorn as production runs it (stopped at exit)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    options = ["--worker-class", "sync", "--log-level", "warning", "--no-control-socket"]
    server = Gunicorn(
        "bench.web:make_application()",
        env=dict(os.environ),
        cwd=ROOT,
        workers=GUNICORN_WORKERS,
        options=options,
        ready_path=BARE,
        log=os.path.join(scratch, "gunicorn.log"),
    )
    atexit.register(server.stop)
    return server.start()


def log_summary(server: Gunicorn) -> str:
    """The records the server logged at WARNING or above, counted by message."""
    counts: dict[str, int] = {}
    for match in re.finditer(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)$", server.output(), re.MULTILINE):
        key = f"{match[1]} {match[2][:120]}"
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return "nothing at WARNING or above"
    frequent = "; ".join(f"{n} x {text!r}" for text, n in sorted(counts.items(), key=lambda item: -item[1])[:3])
    return f"{sum(counts.values())} records at WARNING or above: {frequent}"


# --- A minimal HTTP client ---------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, [""])[0]

    def excerpt(self) -> str:
        text = self.body.decode("utf-8", "replace")
        text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
        return f"HTTP {self.status} {self.header('location')} {text[:300]!r}"


def _dechunk(payload: bytes) -> bytes:
    out, rest = [], payload
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


class Client:
    """One visitor: its own cookies, plain HTTP/1.1 over a new connection per request (as sync workers close it)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict | None = None) -> Response:
        body = urlencode(fields).encode() if fields is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: close"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        if fields is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        chunks = []
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        head, _, payload = b"".join(chunks).partition(b"\r\n\r\n")
        if not head:
            raise ConnectionError("the server closed the connection without an answer")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, list[str]] = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if "chunked" in headers.get("transfer-encoding", [""])[0].lower():
            payload = _dechunk(payload)
        elif "content-length" in headers and int(headers["content-length"][0]) != len(payload):
            raise ConnectionError(f"short answer: {len(payload)} of {headers['content-length'][0]} bytes")
        for cookie in headers.get("set-cookie", []):
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return Response(int(status_line.split(" ", 2)[1]), headers, payload)


def get_bare(client: Client, state=None) -> str | None:
    response = client.request("GET", BARE)
    return None if response.status == 200 and response.body == b"ok" else response.excerpt()


# --- Many clients at once --------------------------------------------------------------------


@dataclass
class Result:
    """One kind of request: its latencies and problems, and (where measured alone) the seconds it took."""

    name: str
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies, q)

    def percentiles(self, *qs) -> str:
        return ", ".join(f"p{q} {self.percentile(q / 100):,.1f} ms" for q in qs)


class Results(dict):
    def __missing__(self, kind: str) -> Result:
        self[kind] = Result(kind)
        return self[kind]


def problem_of(call) -> str | None:
    """What `call()` says was wrong (None: the expected answer), an exception included."""
    try:
        return call()
    except Exception as exception:
        return f"{type(exception).__name__}: {exception}"


def drive(port: int, visits: list, results: Results, *, threads: int, prepare=None) -> float:
    """
    Make the visits from `threads` clients at once, into `results`; return the seconds from when every client is
    ready (after `prepare(client)`, untimed) to when the last is done. A visit is called as
    visit(client, state, record), with what prepare returned, and calls record(kind, call) for each request.
    """
    tickets = itertools.count()  # next() on a count is atomic in CPython
    lock = threading.Lock()
    finished, began = [0.0] * threads, []
    barrier = threading.Barrier(threads, action=lambda: began.append(time.perf_counter()))

    def record(kind: str, call) -> bool:
        latency, problem = timed(lambda: problem_of(call))
        with lock:
            results[kind].latencies.append(latency)
            if problem:
                results[kind].errors.append(problem)
        return problem is None

    def serve(index: int):
        client, state, ready = Client(port), {}, True
        if prepare:  # None from the call: no problem
            ready = record("setup", lambda: state.update(value=prepare(client)))
        barrier.wait()
        while ready and (ticket := next(tickets)) < len(visits):
            visits[ticket](client, state.get("value"), record)
        finished[index] = time.perf_counter()

    pool = [threading.Thread(target=serve, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return max(finished) - began[0]


# --- CPU -------------------------------------------------------------------------------------


def machine_jiffies() -> tuple[int, int]:
    """Busy and total jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


class CpuMeter:
    """
    CPU seconds of each part of the system, from /proc, summed over the stretches measured: gunicorn's processes,
    the PostgreSQL backends of the scratch database, the Celery worker's processes, this load generator, and the
    rest of the machine (Redis, the SMTP sink, the kernel, any neighbour). A process that ended in between is not
    counted.
    """

    PARTS = ("gunicorn", "PostgreSQL", "Celery", "load generator", "other processes")

    def __init__(self, server, worker=None):
        self.roots = {"gunicorn": server.pid, "Celery": worker.pid if worker else None}
        self.database = f" {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]} "
        self.seconds = dict.fromkeys(self.PARTS, 0.0)
        self.busy = self.jiffies = 0

    @staticmethod
    def _processes() -> dict[int, tuple[int, str, float]]:
        """Every process: pid -> (parent pid, command line, CPU seconds)."""
        tick, found = os.sysconf("SC_CLK_TCK"), {}
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    fields = stat.read().rsplit(")", 1)[1].split()
                    command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError):
                continue  # gone meanwhile
            found[int(entry)] = (int(fields[1]), command, (int(fields[11]) + int(fields[12])) / tick)
        return found

    def _sample(self) -> dict[str, float]:
        processes, sample = self._processes(), {}
        for part, root in self.roots.items():
            tree = {root}
            for pid, (parent, _command, _cpu) in sorted(processes.items()):
                if parent in tree:
                    tree.add(pid)
            sample[part] = sum(processes[pid][2] for pid in tree if pid in processes)
        sample["PostgreSQL"] = sum(cpu for _, command, cpu in processes.values() if self.database in command)
        sample["load generator"] = time.process_time()
        sample["busy"], sample["jiffies"] = machine_jiffies()
        return sample

    @contextmanager
    def measuring(self):
        before = self._sample()
        yield
        used = {part: value - before[part] for part, value in self._sample().items()}
        for part in self.PARTS[:-1]:
            self.seconds[part] += used[part]
        self.busy, self.jiffies = self.busy + used["busy"], self.jiffies + used["jiffies"]
        self.seconds["other processes"] += used["busy"] / os.sysconf("SC_CLK_TCK") - sum(
            used[part] for part in self.PARTS[:-1]
        )

    def per_request(self, requests: int) -> str:
        parts = ", ".join(f"{part} {self.seconds[part] / requests * 1000:.1f} ms" for part in self.PARTS)
        return f"machine {self.busy / self.jiffies:.0%} busy; CPU per request: {parts}"
