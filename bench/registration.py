"""
The public registration form under gunicorn: requests per second and p50/p99
latency of GET /aanmelden/ and of a valid POST to it (a new board, a
registration, two outbox rows and one Celery task carrying both published to
Redis), each against a bare Django view served by the same gunicorn, through
the same middleware, in the same run. Targets: GET ratio >= 0.3, POST ratio
>= 0.08, POST p99 < 100 ms at 16 concurrent clients.

The server is production-like: DEBUG off, the manifest static storage (after
collectstatic into a temporary folder), PostgreSQL in a scratch database and
Redis database 15 as the broker when they answer (see common.setup_django).
No Celery worker runs: the tasks wait in Redis, which is flushed at the end.

The bare view is not in the project's URLconf: gunicorn loads this module's
`make_application()`, which appends /bench/bare/ to verbindend.urls in the
worker process only.

The load generator is 16 threads in this process, each a client with its own
cookies, speaking plain HTTP/1.1 over a new connection per request (gunicorn's
sync workers close the connection after every response anyway). The three
measurements take turns in four rounds, so that other load on the machine
weighs on the view and its baseline alike.
"""

import base64
import itertools
import json
import logging
import math
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from common import ROOT, cleanup, free_port, setup_django

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = 16
BARE_REQUESTS = 3000
GET_REQUESTS = 2000
POST_REQUESTS = 600
WARMUP_PER_CLIENT = 5  # per client and measurement, not timed
ROUNDS = 4  # the three measurements take turns, see run()
TIMEOUT = 30
PAGE = "/aanmelden/"
# The GET serves the form's cached rendering with each visitor's own CSRF
# token and submission key around it (issue 13): as fast as the cache made it.
GET_TARGET = 0.3
THANKS = "/aanmelden/bedankt/"
BARE = "/bench/bare/"

# Four sync workers: what README.md runs in production (`gunicorn
# verbindend.wsgi --workers 4`, gunicorn's default sync worker class). A sync
# worker serves one request per process, so requests never share a GIL, and
# four processes on these two cores keep both cores busy while some workers
# wait on PostgreSQL or Redis. Two gthread workers with four threads each
# measured the same within the noise of this shared machine, so the benchmark
# keeps what production runs.
GUNICORN_WORKERS = 4

SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(48),  # 64 characters
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "LOG_LEVEL": "WARNING",
    "REGISTRATION_RATE_LIMIT": "1000000",  # the rate limit must not interfere
}


# --- The application gunicorn serves -----------------------------------------------------------


def bare_view(request):
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def make_application():
    """The project's WSGI application, with the bare view at /bench/bare/ (in this process only)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from django.urls import clear_url_caches, path

    import verbindend.urls

    verbindend.urls.urlpatterns.append(path(BARE.strip("/") + "/", bare_view, name="bench-bare"))
    clear_url_caches()
    return application


# --- A minimal HTTP client -------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, [""])[0]


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
    """One visitor: its own cookies, a new connection per request."""

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
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        chunks = []
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as sock:
            sock.sendall(data)
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


def _excerpt(response: Response) -> str:
    text = response.body.decode("utf-8", "replace")
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
    return f"HTTP {response.status} {response.header('location')} {text[:300]!r}"


# --- The three kinds of request --------------------------------------------------------------


class Numbers:
    """Unique 5-digit bestuursnummers, so that every POST inserts a new board."""

    def __init__(self):
        self._numbers = iter(random.sample(range(10000, 100000), 90000))
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return str(next(self._numbers))


NUMBERS = Numbers()


def registration_fields(csrf_token: str) -> dict:
    number = NUMBERS.next()
    return {
        "path": "new",
        "board_name": f"Stichting Bench {number}",
        "board_kind": "bestuur",
        "bestuursnummer": number,
        "swv_code": "",
        "sector": "po",
        "board_place": "Utrecht",
        "contact_name": "Bea Bench",
        "contact_function": "bestuurder",
        "contact_email": f"bestuur{number}@example.nl",
        "contact_phone": "0301234567",
        "expected_participants": "14",
        "preferred_period": "voorjaar 2027",
        "preferred_place": "Utrecht",
        "remarks": "Aangemeld door de benchmark.",
        "privacy_consent": "on",
        "website": "",
        "submission_key": uuid.uuid4().hex,
        "csrfmiddlewaretoken": csrf_token,
    }


def get_bare(client: Client, state) -> str | None:
    response = client.request("GET", BARE)
    return None if response.status == 200 and response.body == b"ok" else _excerpt(response)


def get_page(client: Client, state) -> str | None:
    response = client.request("GET", PAGE)
    return None if response.status == 200 and b"csrfmiddlewaretoken" in response.body else _excerpt(response)


def prepare_post(client: Client) -> str:
    """Visit the form once, as a person would, for the CSRF cookie and the form's token."""
    response = client.request("GET", PAGE)
    # The token a browser sends is the registration form's own, and of several
    # inputs of that name Django reads the last: a token cached inside the
    # form's rendering (another visitor's) would be the one sent, and refused.
    form = re.search(rb'<form [^>]*class="registration-form".*?</form>', response.body, re.DOTALL)
    tokens = re.findall(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form[0]) if form else []
    if response.status != 200 or not tokens or "csrftoken" not in client.cookies:
        raise RuntimeError(f"no CSRF token on {PAGE}: {_excerpt(response)}")
    return tokens[-1].decode()


def post_registration(client: Client, csrf_token: str) -> str | None:
    response = client.request("POST", PAGE, registration_fields(csrf_token))
    if response.status == 302 and response.header("location").endswith(THANKS):
        return None
    return _excerpt(response)


# --- Measuring -------------------------------------------------------------------------------


def _cpu_busy() -> tuple[float, float]:
    """Busy and total jiffies of the whole machine, from /proc/stat."""
    try:
        with open("/proc/stat") as stat:
            values = [int(value) for value in stat.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


@dataclass
class Result:
    """One kind of request, summed over the rounds."""

    name: str
    requests: int = 0
    accepted: int = 0  # answered as expected, warm-ups included
    elapsed: float = 0.0
    latencies: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    client_cpu: float = 0.0  # seconds of CPU this process used while measuring
    busy_jiffies: float = 0.0
    all_jiffies: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def client_cores(self) -> float:
        return self.client_cpu / self.elapsed if self.elapsed else 0.0

    @property
    def machine_busy(self) -> float:
        return self.busy_jiffies / self.all_jiffies if self.all_jiffies else 0.0

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))] * 1000


def measure(result: Result, port: int, total: int, one, prepare=lambda client: None) -> Result:
    """
    Add `total` requests from CLIENTS concurrent clients to `result`.

    Each client first runs `prepare` and WARMUP_PER_CLIENT requests, untimed;
    the clock starts when all clients are ready and stops when the last one
    is done.
    """
    tickets = itertools.count()  # next() on a count is atomic in CPython
    latencies = [[] for _ in range(CLIENTS)]
    finished = [0.0] * CLIENTS
    started = {}
    lock = threading.Lock()

    def outcome(problem: str | None, stage: str = ""):
        with lock:
            if problem:
                result.errors.append(stage + problem)
            else:
                result.accepted += 1

    def begin():
        started["time"], started["cpu"], started["busy"] = time.perf_counter(), time.process_time(), _cpu_busy()

    barrier = threading.Barrier(CLIENTS, action=begin)

    def attempt(client, state) -> str | None:
        try:
            return one(client, state)
        except Exception as exception:
            return f"{type(exception).__name__}: {exception}"

    def run_client(index: int):
        client, state, ready = Client(port), None, True
        try:
            state = prepare(client)
        except Exception as exception:
            outcome(str(exception), "setup: ")
            ready = False
        for _ in range(WARMUP_PER_CLIENT if ready else 0):
            outcome(attempt(client, state), "warm-up: ")
        barrier.wait()
        own = latencies[index]
        while ready and next(tickets) < total:
            begun = time.perf_counter()
            problem = attempt(client, state)
            own.append(time.perf_counter() - begun)
            outcome(problem)
        finished[index] = time.perf_counter()

    threads = [threading.Thread(target=run_client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed += max(finished) - started["time"]
    result.client_cpu += time.process_time() - started["cpu"]
    busy, all_jiffies = _cpu_busy()
    result.busy_jiffies += busy - started["busy"][0]
    result.all_jiffies += all_jiffies - started["busy"][1]
    for own in latencies:
        result.latencies += own
    result.requests = len(result.latencies)
    return result


# --- The server ------------------------------------------------------------------------------


class Gunicorn:
    def __init__(self, env: dict, log_path: str):
        self.port = free_port()
        self.log_path = log_path
        self.log = open(log_path, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "registration:make_application()",
                "--chdir",
                str(ROOT),
                "--pythonpath",
                HERE,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(GUNICORN_WORKERS),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--no-control-socket",
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        client, deadline = Client(self.port), time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{self.tail()}")
            try:
                if client.request("GET", BARE).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{self.tail()}")

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        with open(self.log_path, errors="replace") as log:
            return "".join(log.readlines()[-lines:])

    def log_summary(self) -> str:
        """The records the server logged at WARNING or above, counted by message."""
        self.log.flush()
        counts: dict[str, int] = {}
        with open(self.log_path, errors="replace") as log:
            for entry in log:
                match = re.match(r"\S+ \S+ (WARNING|ERROR|CRITICAL) (.*)", entry)
                if match:
                    key = f"{match[1]} {match[2][:120]}"
                    counts[key] = counts.get(key, 0) + 1
        if not counts:
            return "nothing at WARNING or above"
        frequent = "; ".join(f"{n} x {text!r}" for text, n in sorted(counts.items(), key=lambda item: -item[1])[:3])
        return f"{sum(counts.values())} records at WARNING or above: {frequent}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# --- Redis -----------------------------------------------------------------------------------


def _scratch_redis():
    """The broker's Redis client when it is the scratch database 15 on this machine, else None."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    parts = urlsplit(broker)
    if parts.scheme != "redis" or parts.hostname not in {"127.0.0.1", "localhost"} or parts.path != "/15":
        return None
    import redis

    return redis.Redis.from_url(broker)


def queued_tasks(client) -> tuple[int, int]:
    """Celery messages waiting in the broker's queues (lists named celery...), and the e-mails they carry."""
    if client is None:
        return 0, 0
    tasks = mails = 0
    for key in client.scan_iter("celery*"):
        if client.type(key) != b"list":
            continue
        for raw in client.lrange(key, 0, -1):
            message = json.loads(raw)
            tasks += 1
            if message["headers"].get("task") == "mail.tasks.send_mail":
                args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
                mails += len(args[0])  # send_mail(mail_ids)
    return tasks, mails


# --- The benchmark ---------------------------------------------------------------------------


def count_queries() -> str:
    """Queries of one GET and one valid POST, in this process (the same code the server runs)."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    # The server's log is summarised at the end; here the same records would only repeat it.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        client = DjangoClient(HTTP_HOST="127.0.0.1")
        client.get(PAGE)
        with CaptureQueriesContext(connection) as get_queries:
            response = client.get(PAGE)
        assert response.status_code == 200, f"in-process GET {PAGE}: HTTP {response.status_code}"
        with CaptureQueriesContext(connection) as post_queries:
            response = client.post(PAGE, registration_fields("unchecked"))
        assert response.status_code == 302, f"in-process POST {PAGE}: HTTP {response.status_code}"
    finally:
        root.setLevel(level)

    def kinds(queries) -> str:
        counts: dict[str, int] = {}
        for query in queries:
            verb = query["sql"].split(None, 1)[0].upper()
            counts[verb] = counts.get(verb, 0) + 1
        return ", ".join(f"{count} {verb}" for verb, count in counts.items())

    if os.environ.get("BENCH_VERBOSE"):
        for label, queries in (("GET", get_queries), ("POST", post_queries)):
            for query in queries:
                print(f"   {label} {query['sql'][:200]}")
    return (
        f"GET {PAGE} {len(get_queries)} ({kinds(get_queries)}); valid POST {len(post_queries)} ({kinds(post_queries)})"
    )


def line(result: Result, bare: Result, target: float) -> str:
    ratio = result.rate / bare.rate if bare.rate else float("nan")
    verdict = "" if ratio >= target else " BELOW TARGET"
    return (
        f"{result.name}: {result.rate:,.1f} req/s against a bare view at {bare.rate:,.1f} req/s: "
        f"ratio {ratio:.2f} (target >= {target}){verdict}; "
        f"p50 {result.percentile(0.5):.1f} ms, p99 {result.percentile(0.99):.1f} ms"
    )


def main():
    static_root = tempfile.mkdtemp(prefix="verbindend-bench-static-")
    os.environ.update(SERVER_ENV, STATIC_ROOT=static_root)
    scratch = setup_django()
    redis_client = _scratch_redis()
    server = None
    try:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        print(f"   (queries per request: {count_queries()})")
        queued_before = queued_tasks(redis_client)
        server = Gunicorn(dict(os.environ), os.path.join(scratch, "gunicorn.log"))
        failed = run(server, redis_client, queued_before)
    finally:
        if server is not None:
            server.stop()
        if redis_client is not None:
            redis_client.flushdb()
            redis_client.close()
        cleanup(static_root)
        cleanup(scratch)
    sys.exit(1 if failed else 0)


def run(server: Gunicorn, redis_client, queued_before: tuple[int, int]) -> bool:
    port = server.port
    # Preflight: one GET and one POST, so that a broken page fails at once and says why.
    client = Client(port)
    for problem in (get_page(client, None), post_registration(client, prepare_post(client))):
        if problem:
            print(f"registration: the form does not work: {problem}\n--- gunicorn log:\n{server.tail()}")
            return True
    # Warm every worker: templates compiled, database and broker connections open.
    measure(Result("warm-up"), port, 200, get_bare)
    measure(Result("warm-up"), port, 100, get_page)

    # The three kinds in turns, each a third of its requests per round, so
    # that a neighbour's load on this shared machine weighs on all three
    # alike instead of on whichever happened to run at that moment.
    bare = Result(f"bare Django view {BARE}")
    page = Result(f"registration GET {PAGE}")
    posted = Result(f"registration POST {PAGE}")
    for _round in range(ROUNDS):
        measure(bare, port, BARE_REQUESTS // ROUNDS, get_bare)
        measure(page, port, GET_REQUESTS // ROUNDS, get_page)
        measure(posted, port, POST_REQUESTS // ROUNDS, post_registration, prepare_post)

    print(
        f"   ({CLIENTS} clients, gunicorn {GUNICORN_WORKERS} sync workers, {os.cpu_count()} CPUs; "
        f"{ROUNDS} rounds of {BARE_REQUESTS // ROUNDS} bare GETs, {GET_REQUESTS // ROUNDS} GETs "
        f"and {POST_REQUESTS // ROUNDS} POSTs)"
    )
    for result in (bare, page, posted):
        print(
            f"   ({result.name}: {result.requests} requests in {result.elapsed:.2f} s; "
            f"load generator {result.client_cores:.2f} cores, machine {result.machine_busy:.0%} busy)"
        )
    print(line(page, bare, GET_TARGET))
    print(line(posted, bare, 0.08))
    p99 = posted.percentile(0.99)
    print(f"POST p99 at {CLIENTS} clients: {p99:.1f} ms (target < 100 ms){'' if p99 < 100 else ' BELOW TARGET'}")

    if redis_client is not None:
        # Every accepted POST (preflight and warm-up included) publishes one
        # task carrying its two e-mails.
        posts = 1 + posted.accepted
        tasks, mails = queued_tasks(redis_client)
        tasks, mails = tasks - queued_before[0], mails - queued_before[1]
        verdict = "" if (tasks, mails) == (posts, 2 * posts) else " MISMATCH"
        print(
            f"   (Celery tasks waiting in Redis: {tasks} carrying {mails} e-mails, "
            f"expected {posts} carrying {2 * posts}{verdict})"
        )
    elif os.environ.get("CELERY_BROKER_URL"):
        print("   (the broker is not the scratch Redis database 15: the queued tasks were not counted)")
    else:
        print("   (no Redis broker: the e-mail tasks ran in-process in the request)")

    print(f"   (gunicorn log: {server.log_summary()})")
    errors = {result.name: result.errors for result in (bare, page, posted)}
    print("errors: " + ", ".join(f"{name} {len(found)}" for name, found in errors.items()))
    failed = False
    for name, found in errors.items():
        if found:
            failed = True
            print(f"   first error of {name}: {found[0]}")
    if failed:
        print(f"--- gunicorn log:\n{server.tail()}")
    return failed


if __name__ == "__main__":
    main()
