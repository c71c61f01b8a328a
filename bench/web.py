"""The web benchmarks' server and clients: the project under gunicorn with a bare view beside it, visitors with
cookies of their own, many of them at once, and the CPU each part of the system spent meanwhile."""

import http.client
import itertools
import os
import re
import secrets
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from bench.common import ROOT, percentile, report, scratch_folder, setup_django, timed
from harness import Gunicorn

BARE = "/bench/bare/"
BARE_KIND = f"bare Django view {BARE}"
SETUP = "setup"  # the kind of request of drive()'s untimed preparations
TIMEOUT = 30
# Four sync workers: what README.md runs in production (`gunicorn verbindend.wsgi --workers 4`). A sync worker serves
# one request per process, so requests never share a GIL, and four processes on these two cores keep both busy while
# some wait on PostgreSQL or Redis. Two gthread workers of four threads measured the same within the noise.
GUNICORN_WORKERS = 4
SERVER = f"gunicorn {GUNICORN_WORKERS} sync workers"
SERVER_ENV = {
    **{"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(48), "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING"},
    **{"SECURE_SSL_REDIRECT": "false", "SESSION_COOKIE_SECURE": "false", "CSRF_COOKIE_SECURE": "false"},
    # Every client comes from 127.0.0.1: at the production limit all but the first ten registrations would get a 429.
    "REGISTRATION_RATE_LIMIT": "1000000",
}


def make_application():
    """The project's WSGI application with the bare view at /bench/bare/, in gunicorn's workers only."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()  # first: it sets Django up
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import verbindend.urls

    bare = path(BARE[1:], lambda request: HttpResponse(b"ok", content_type="text/plain"), name="bench-bare")
    verbindend.urls.urlpatterns.append(bare)
    clear_url_caches()
    return application


@contextmanager
def served(**env):
    """gunicorn serving the project as production runs it (after collectstatic), with production-like settings in
    this process and the server (and `env`), on a scratch database; yields the server and the scratch folder. At the
    end the server stops and the scratch Redis database is flushed."""
    from django.core.management import call_command

    os.environ.update(SERVER_ENV, STATIC_ROOT=scratch_folder("verbindend-bench-static-"), **env)
    scratch = setup_django()
    call_command("collectstatic", interactive=False, verbosity=0)
    options = ["--worker-class", "sync", "--log-level", "warning", "--no-control-socket"]
    app, log = "bench.web:make_application()", os.path.join(scratch, "gunicorn.log")
    server = Gunicorn(
        app, env=dict(os.environ), cwd=ROOT, workers=GUNICORN_WORKERS, options=options, ready_path=BARE, log=log
    )
    try:
        with server:
            yield server, scratch
    finally:
        if redis := scratch_redis():
            redis.flushdb()


def scratch_redis():
    """The broker's Redis when it is the scratch database 15 on this machine (flushed at the end), else None."""
    parts = urlsplit(os.environ.get("CELERY_BROKER_URL", ""))
    if parts.scheme != "redis" or parts.hostname not in {"127.0.0.1", "localhost"} or parts.path != "/15":
        return None
    import redis

    return redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


def report_errors(figure: str, results: dict, server: Gunicorn):
    """The errors of every kind of request beside their target of none, the first of each, and the server's log."""
    found = re.findall(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)$", server.output(), re.MULTILINE)
    logged = Counter(f"{level} {text[:120]}" for level, text in found)
    frequent = "; ".join(f"{n} x {text!r}" for text, n in logged.most_common(3))
    said = f"{logged.total()} records at WARNING or above: {frequent}" if logged else "nothing at WARNING or above"
    print(f"   (gunicorn log: {said})")
    errors = {kind: result.errors for kind, result in results.items() if result.errors}
    total = sum(map(len, errors.values()))
    report(figure, f"{total} of {requests(results)} requests", total, "==", 0)
    for kind, errors_of_kind in errors.items():
        print(f"   {len(errors_of_kind)} of {kind}, the first: {errors_of_kind[0]}")
    if total:
        print(f"--- gunicorn log:\n{server.tail()}")


@dataclass
class Client:
    """One visitor: its own cookies and the CSRF token of the form it last read, and a new connection per request (as
    sync workers close it)."""

    port: int
    cookies: dict = field(default_factory=dict)
    token: str = ""

    def request(self, method: str, path: str, fields: dict | None = None) -> http.client.HTTPResponse:
        """The answer, its body read into `body`."""
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        if fields is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with closing(http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)) as connection:
            connection.request(method, path, urlencode(fields) if fields is not None else None, headers)
            response = connection.getresponse()
            response.body = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response


def problem(response, ok: bool) -> str | None:
    """None for an expected answer; else its status, its redirect and the start of its text."""
    if ok:
        return None
    text = response.body.decode("utf-8", "replace")
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
    return f"HTTP {response.status} {response.getheader('location', '')} {text[:300]!r}"


def get(path: str, expected):
    """A request(client) of `path`: None when it answers 200 and `expected(response)`, else its problem."""

    def request(client: Client) -> str | None:
        response = client.request("GET", path)
        return problem(response, response.status == 200 and expected(response))

    return request


get_bare = get(BARE, lambda response: response.body == b"ok")


def visits(kind: str, request, count: int) -> list:
    """`count` visits of one request(client) each, recorded as `kind`, by the same visitor."""
    return [lambda client, record: record(kind, lambda: request(client))] * count


def new_visitor(*steps):
    """A visit by a new visitor (no cookies yet): each step (kind, request(client)) in turn, until one has a problem."""

    def visit(client, record):
        client.cookies.clear()
        for kind, request in steps:
            if not record(kind, lambda request=request: request(client)):
                break

    return visit


@dataclass
class Result:
    """One kind of request: its latencies and problems."""

    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def percentiles(self, *percents) -> str:
        return ", ".join(f"p{q} {percentile(self.latencies, q):,.1f} ms" for q in percents)


def requests(results: dict) -> int:
    """How many requests `results` holds, the untimed visits that prepare a client apart."""
    return sum(len(result.latencies) for kind, result in results.items() if kind != SETUP)


def measure(server: Gunicorn, batches: dict, *, warm_up: list, rounds: int, threads: int, worker=None):
    """First the untimed batches of `warm_up`: a broken page stops the benchmark at once, and every worker is warm
    (templates, connections). Then drive a share of each batch in turn, `rounds` times, so that other load on the
    machine weighs on each alike; print the requests, seconds and CPU of each. A batch is (visits, prepare). Return
    the results of every kind of request, and the requests per second and the CPU meter of each batch."""
    warm = defaultdict(Result)
    for batch, prepare in warm_up:
        drive(server.port, batch, warm, threads=threads, prepare=prepare)
    if problems := [(kind, result.errors[0]) for kind, result in warm.items() if result.errors]:
        raise SystemExit(f"the warm-up failed: {problems[0]}\n--- gunicorn log:\n{server.tail()}")
    results, elapsed = {name: defaultdict(Result) for name in batches}, dict.fromkeys(batches, 0.0)
    meters = {name: CpuMeter(server, worker) for name in batches}
    for n in range(rounds):
        for name, (batch, prepare) in batches.items():
            with meters[name].measuring():
                elapsed[name] += drive(server.port, batch[n::rounds], results[name], threads=threads, prepare=prepare)
    for name, meter in meters.items():
        meter.requests = requests(results[name])
        print(f"   ({name}: {meter.requests} requests in {elapsed[name]:.2f} s; {meter})", flush=True)
    every = defaultdict(Result, {kind: result for each in results.values() for kind, result in each.items()})
    return every, {name: meters[name].requests / elapsed[name] for name in batches}, meters


def drive(port: int, batch: list, results: dict, *, threads: int, prepare=None) -> float:
    """Make the visits from `threads` clients at once, into `results`; return the seconds from when every client is
    ready (after `prepare(client)`, untimed) to when the last is done. A visit(client, record) calls record(kind,
    call) for each request, `call()` returning its problem or None."""
    tickets = itertools.count()  # next() on a count is atomic in CPython
    lock, began = threading.Lock(), []
    barrier = threading.Barrier(threads, action=lambda: began.append(time.perf_counter()))

    def problem_of(call) -> str | None:  # None: the expected answer
        try:
            return call()
        except Exception as exception:
            return f"{type(exception).__name__}: {exception}"

    def record(kind: str, call) -> bool:
        latency, problem = timed(lambda: problem_of(call))
        with lock:
            results[kind].latencies.append(latency)
            if problem:
                results[kind].errors.append(problem)
        return problem is None

    def serve(_index: int) -> float:
        client = Client(port)
        ready = record(SETUP, lambda: prepare(client)) if prepare else True
        barrier.wait()
        while ready and (ticket := next(tickets)) < len(batch):
            batch[ticket](client, record)
        return time.perf_counter()

    with ThreadPoolExecutor(threads) as pool:
        return max(pool.map(serve, range(threads))) - began[0]


class CpuMeter:
    """CPU seconds of each part of the system, from /proc, summed over the stretches measured: gunicorn's and the
    Celery worker's processes (each in a session of its own), the scratch database's PostgreSQL backends, this load
    generator, and the rest (Redis, the SMTP sink, the kernel, any neighbour). A process that ended meanwhile is not
    counted."""

    PARTS = ("gunicorn", "PostgreSQL", "Celery", "load generator", "other processes")
    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, server, worker=None):
        self.sessions = {server.pid: "gunicorn", worker.pid if worker else None: "Celery"}
        self.database = f" {os.environ['DATABASE_URL'].rsplit('/', 1)[-1]} ".encode()
        self.seconds, self.requests = Counter(), 0

    def _sample(self) -> Counter:
        sample = Counter({"load generator": time.process_time()})
        for entry in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                    fields, command = stat.read().rsplit(")", 1)[1].split(), cmdline.read().replace(b"\0", b" ")
            except (OSError, IndexError):
                continue  # gone meanwhile
            part = "PostgreSQL" if self.database in command else self.sessions.get(int(fields[3]))
            sample[part] += (int(fields[11]) + int(fields[12])) / self.TICK
        with open("/proc/stat") as stat:
            jiffies = [int(value) for value in stat.readline().split()[1:]]
        sample["jiffies"], sample["busy"] = sum(jiffies), sum(jiffies) - sum(jiffies[3:5])  # not idle, nor I/O wait
        return sample

    @contextmanager
    def measuring(self):
        before = self._sample()
        yield
        used = self._sample()
        used.subtract(before)
        self.seconds.update(used)
        self.seconds["other processes"] += used["busy"] / self.TICK - sum(used[part] for part in self.PARTS[:-1])

    def ms(self, part: str) -> float:
        """The milliseconds of CPU that `part` spent per request."""
        return self.seconds[part] / self.requests * 1000

    def __str__(self) -> str:
        parts = ", ".join(f"{part} {self.ms(part):.1f} ms" for part in self.PARTS)
        return f"machine {self.seconds['busy'] / self.seconds['jiffies']:.0%} busy; CPU per request: {parts}"
