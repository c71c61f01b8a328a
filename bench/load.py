"""
Load: 200 boards registering and 1,000 participants viewing their pages at
the same time, against gunicorn on PostgreSQL, with a Celery worker sending
the e-mails. Reported: throughput, p50/p95/p99 latency per kind of request
and errors, against a bare Django view on the same server in the same run.
Target: zero errors, and not one e-mail of a registration lost.

The data comes first, through the services as in real use: 40 course runs,
each formed for one board's registration, with its six days scheduled, 25
participants enrolled and the run confirmed (the programme takes at most 30
per run, so 1,000 participants need at least 34 runs). Every other run began
five weeks ago and has the attendance of its first two days recorded. The
worker sends the e-mails this produces before the load starts.

Then, at once, 1,200 visitors in a random order: each board GETs
/aanmelden/ (for the CSRF cookie and token) and POSTs a valid registration
of a new board (expected: 302 to the thank-you page); each participant GETs
their page (expected: 200 with their own name) and their rooster.ics
(expected: 200, a calendar with their six days). 64 threads in this
process (CONCURRENCY) serve the visitors, so 64 requests are in flight at
any moment; each visitor has its own cookies and every request its own
connection (see registration.Client). An answer other than the expected
one, a timeout (30 s) or a connection error is an error. With 64 requests
in flight and four workers serving one each, a request's latency is mostly
its wait in gunicorn's queue: it follows from the throughput (Little's law)
more than from the view.

The baseline is as many GETs of the bare view (/bench/bare/, see
registration.make_application) from as many threads on the same gunicorn.
The load and the baseline take turns in four rounds, a quarter of each per
round, so that other load on this shared machine weighs on both alike; the
64 requests in flight are the same in every round.

The server, its four sync workers and its production-like settings are
registration.py's; a Celery worker (two processes) and an SMTP sink run
beside it when a Redis broker answers. Without a broker the e-mails are sent
in the request, as the settings do then.
"""

import datetime
import html
import itertools
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit

from common import CeleryWorker, SinkSMTPServer, cleanup, report, setup_django
from registration import (
    BARE,
    GUNICORN_WORKERS,
    NUMBERS,
    PAGE,
    SERVER_ENV,
    Client,
    Gunicorn,
    Result,
    _cpu_busy,
    _excerpt,
    _scratch_redis,
    get_bare,
    post_registration,
    prepare_post,
)

BOARDS = 200
PARTICIPANTS = 1000
COHORTS = 40  # of PARTICIPANTS // COHORTS participants each, within the programme's 30
# Requests in flight at once: sixteen for each of gunicorn's four workers,
# so that a queue forms in front of the server and the run measures it
# saturated, as when many people follow the same e-mail's link at once.
CONCURRENCY = 64
ROUNDS = 4  # the load and its baseline take turns, see run()
MAIL_WAIT = 120  # seconds to wait for the worker to send the e-mails


# --- The data --------------------------------------------------------------------------------


def participant_name(n: int) -> dict:
    """A distinct name for each n, from the demo's first and last names, double-barrelled once those run out."""
    from cohorts.demo import FIRST_NAMES, LAST_NAMES

    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    tussenvoegsel, last = LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
    second = n // (len(FIRST_NAMES) * len(LAST_NAMES))
    if second:
        last = f"{last}-{LAST_NAMES[second - 1][1]}"
    return {"first_name": first, "initials": f"{first[0]}.", "tussenvoegsel": tussenvoegsel, "last_name": last}


def create_course_runs() -> list[tuple[str, bytes]]:
    """
    Make the course runs and their participants through the services; return
    each participant's page path and their name as the page shows it.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from cohorts.demo import SCHOOLS
    from cohorts.models import Attendance, CourseDay, Participant, Registration
    from cohorts.services import attendance, enrolment, links, registrations, runs, scheduling
    from programme.models import Programme

    programme = Programme.objects.get(slug="verbindend-leiderschap")
    days = list(programme.days.order_by("number"))
    schools = [school for board in SCHOOLS.values() for school in board]
    trainer = get_user_model().objects.create_user("bench-trainer", "trainer@example.nl", is_staff=True)
    today = timezone.localdate()
    per_cohort = PARTICIPANTS // COHORTS
    pages = []
    for c in range(COHORTS):
        number = NUMBERS.next()
        with transaction.atomic():
            registration = registrations.submit_registration(
                board_data={
                    "name": f"Stichting Onderwijs {number}",
                    "kind": "bestuur",
                    "bestuursnummer": number,
                    "sector": "po",
                    "place": "Utrecht",
                },
                registration_data={
                    "kind": Registration.Kind.NEW_COHORT,
                    "contact_name": "Marieke de Boer",
                    "contact_function": "Bestuurssecretaris",
                    "contact_email": f"bestuur{number}@example.nl",
                    "contact_phone": "0301234567",
                    "expected_participants": per_cohort,
                    "preferred_place": "Utrecht",
                },
                submission_key=uuid.uuid4().hex,
                language="nl",
                programme=programme,
            )
            cohort = registrations.form_cohort(registrations=[registration], programme=programme, trainer=trainer)
            registration.refresh_from_db()
            rows = []
            for k in range(per_cohort):
                n = c * per_cohort + k
                school, brin = schools[n % len(schools)]
                rows.append(
                    {
                        **participant_name(n),
                        "email": f"deelnemer{n}@school.example.nl",
                        "role": Participant.Role.DIRECTEUR,
                        "school": school,
                        "brin": brin,
                    }
                )
            people = enrolment.enroll_participants(registration=registration, rows=rows)
            # Enrolment closes on day 1, so the days are scheduled after it;
            # every other run began five weeks ago.
            first = today + datetime.timedelta(weeks=-5 if c % 2 else 3)
            for offset, day in enumerate(days):
                scheduling.save_course_day(
                    day=CourseDay(
                        cohort=cohort,
                        programme_day=day,
                        date=first + datetime.timedelta(weeks=3 * offset),
                        start_time=datetime.time(9, 30),
                        end_time=datetime.time(16, 30),
                    ),
                    changed_fields=[],
                    replaying=True,  # the runs that began five weeks ago were scheduled before that
                )
            runs.confirm_cohort(cohort=cohort)
            passed = cohort.days.filter(date__lt=today)
            attendance.record_attendance(
                cohort=cohort,
                entries=[
                    attendance.AttendanceEntry(participant.pk, day.pk, Attendance.Status.PRESENT)
                    for participant in people
                    for day in passed
                ],
                recorded_by=trainer,
            )
        for participant in people:
            path = urlsplit(links.participant_page_url(participant)).path
            pages.append((path, html.escape(participant.full_name).encode()))
    return pages


def wait_for_mail(keys=None) -> tuple[int, int, float]:
    """Wait until the outbox rows (those with these keys, or all) are sent; return (rows, sent, seconds)."""
    from mail.models import OutgoingMail

    rows = OutgoingMail.objects.all() if keys is None else OutgoingMail.objects.filter(key__in=keys)
    started = time.perf_counter()
    while time.perf_counter() - started < MAIL_WAIT:
        if not rows.exclude(status=OutgoingMail.Status.SENT).exists():
            break
        time.sleep(0.1)
    return rows.count(), rows.filter(status=OutgoingMail.Status.SENT).count(), time.perf_counter() - started


class CpuMeter:
    """
    CPU seconds of each part of the system, from /proc, summed over the
    stretches measured: gunicorn's processes, the PostgreSQL backends of the
    scratch database, the Celery worker's processes, this load generator, and
    everything else on the machine: Redis, the SMTP sink, the kernel and any
    neighbour on a shared machine. A process that ended in between is not
    counted.
    """

    PARTS = ("gunicorn", "PostgreSQL", "Celery", "load generator", "other processes")

    def __init__(self, server_pid: int, worker_pid: int | None, database: str):
        self.roots = {"gunicorn": server_pid, "Celery": worker_pid}
        self.database = database
        self.seconds = dict.fromkeys(self.PARTS, 0.0)

    @staticmethod
    def _processes() -> dict[int, tuple[int, str, float]]:
        """Every process: pid -> (parent pid, command line, CPU seconds)."""
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
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
        processes = self._processes()
        sample = {}
        for part, root in self.roots.items():
            tree = {root}
            for pid, (parent, _command, _cpu) in sorted(processes.items()):
                if parent in tree:
                    tree.add(pid)
            sample[part] = sum(processes[pid][2] for pid in tree if pid in processes)
        backend = f" {self.database} "
        sample["PostgreSQL"] = sum(cpu for _, command, cpu in processes.values() if backend in command)
        sample["load generator"] = time.process_time()
        busy, _ = _cpu_busy()
        sample["machine"] = busy / os.sysconf("SC_CLK_TCK")
        return sample

    @contextmanager
    def measuring(self):
        before = self._sample()
        yield
        after = self._sample()
        used = {part: after[part] - before[part] for part in after}
        for part in self.PARTS[:-1]:
            self.seconds[part] += used[part]
        self.seconds["other processes"] += used["machine"] - sum(used[part] for part in self.PARTS[:-1])

    def per_request(self, requests: int) -> str:
        return ", ".join(f"{part} {self.seconds[part] / requests * 1000:.1f} ms" for part in self.PARTS)


# --- The visitors ----------------------------------------------------------------------------

REGISTRATION_GET = f"registration GET {PAGE}"
REGISTRATION_POST = f"registration POST {PAGE}"
PARTICIPANT_PAGE = "participant page GET /deelnemer/<token>/"
PARTICIPANT_ICS = "participant GET /deelnemer/<token>/rooster.ics"
BARE_VIEW = f"bare Django view {BARE}"


def timed(record, kind: str, call) -> bool:
    """Run one request, `call`, which returns a problem or None; record its latency and outcome under `kind`."""
    begun = time.perf_counter()
    try:
        problem = call()
    except Exception as exception:
        problem = f"{type(exception).__name__}: {exception}"
    record(kind, time.perf_counter() - begun, problem)
    return problem is None


def board(port: int, record) -> None:
    client, form = Client(port), {}

    def get_form():
        form["token"] = prepare_post(client)

    if timed(record, REGISTRATION_GET, get_form):
        timed(record, REGISTRATION_POST, lambda: post_registration(client, form["token"]))


def participant(port: int, record, path: str, name: bytes) -> None:
    client = Client(port)

    def page():
        response = client.request("GET", path)
        return None if response.status == 200 and name in response.body else _excerpt(response)

    def calendar():
        response = client.request("GET", path + "rooster.ics")
        ok = (
            response.status == 200
            and response.header("content-type").startswith("text/calendar")
            and response.body.count(b"BEGIN:VEVENT") == 6
        )
        return None if ok else _excerpt(response)

    if timed(record, PARTICIPANT_PAGE, page):
        timed(record, PARTICIPANT_ICS, calendar)


def bare(port: int, record) -> None:
    client = Client(port)
    timed(record, BARE_VIEW, lambda: get_bare(client, None))


def drive(visits: list, results: dict) -> float:
    """Serve the visits from CONCURRENCY threads, adding to `results`; return the seconds from first to last."""
    tickets = itertools.count()  # next() on a count is atomic in CPython
    lock = threading.Lock()

    def record(kind: str, latency: float, problem: str | None):
        with lock:
            result = results.setdefault(kind, Result(kind))
            result.latencies.append(latency)
            if problem:
                result.errors.append(problem)

    def serve():
        while (ticket := next(tickets)) < len(visits):
            visits[ticket](record)

    threads = [threading.Thread(target=serve, daemon=True) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


# --- The benchmark ---------------------------------------------------------------------------


def main():
    static_root = tempfile.mkdtemp(prefix="verbindend-bench-static-")
    sink = SinkSMTPServer()
    os.environ.update(
        SERVER_ENV,
        # The server sees all 200 boards come from 127.0.0.1: at the
        # production limit (10 registrations per address per hour) all but
        # the first ten would get a 429. In production each board has its own
        # address, so the limit is raised out of the way here.
        REGISTRATION_RATE_LIMIT="1000000",
        STATIC_ROOT=static_root,
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
    )
    scratch = setup_django()
    redis_client = _scratch_redis()
    server = worker = None
    try:
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        started = time.perf_counter()
        pages = create_course_runs()
        print(
            f"   ({len(pages)} participants in {COHORTS} confirmed course runs, made in "
            f"{time.perf_counter() - started:.1f} s)"
        )
        if os.environ.get("CELERY_BROKER_URL"):
            worker = CeleryWorker(dict(os.environ), os.path.join(scratch, "celery.log"))
            rows, sent, waited = wait_for_mail()
            print(f"   (the worker sent {sent} of the {rows} e-mails of the course runs in {waited:.1f} s)")
            if sent < rows:
                print(f"load: {rows - sent} e-mails of the course runs were not sent")
                print(f"--- Celery worker log:\n{worker.tail()}")
                sys.exit(1)  # after the finally below
        server = Gunicorn(dict(os.environ), os.path.join(scratch, "gunicorn.log"))
        failed = run(server, pages, worker)
    finally:
        if server is not None:
            server.stop()
        if worker is not None:
            worker.stop()
        sink.stop()
        if redis_client is not None:
            redis_client.flushdb()
            redis_client.close()
        cleanup(static_root)
        cleanup(scratch)
    sys.exit(1 if failed else 0)


def percentiles(result: Result) -> str:
    return ", ".join(f"p{q} {result.percentile(q / 100):,.1f} ms" for q in (50, 95, 99))


def run(server: Gunicorn, pages: list, worker: CeleryWorker | None) -> bool:
    from cohorts.models import Registration

    port = server.port
    # Untimed: every worker warmed up (templates compiled, connections open)
    # on the bare view, the form and a few participants' pages.
    warm_up: dict = {}
    drive([lambda record: bare(port, record)] * 200, warm_up)
    drive([lambda record: timed(record, "form", lambda: prepare_post(Client(port)) and None)] * 40, warm_up)
    drive([lambda record, p=p: participant(port, record, *p) for p in pages[:40]], warm_up)
    problems = [(kind, error) for kind, result in warm_up.items() for error in result.errors]
    if problems:
        print(f"load: the warm-up failed: {problems[0][0]}: {problems[0][1]}\n--- gunicorn log:\n{server.tail()}")
        return True

    visits = [lambda record: board(port, record)] * BOARDS
    visits += [lambda record, p=p: participant(port, record, *p) for p in pages]
    random.Random(9).shuffle(visits)
    requests = 2 * BOARDS + 2 * len(pages)
    last_registration = Registration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    baseline: dict = {}
    results: dict = {}
    elapsed = bare_elapsed = 0.0
    database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    worker_pid = worker.process.pid if worker else None
    load_cpu = CpuMeter(server.process.pid, worker_pid, database)
    bare_cpu = CpuMeter(server.process.pid, worker_pid, database)
    for n in range(ROUNDS):
        with bare_cpu.measuring():
            bare_elapsed += drive([lambda record: bare(port, record)] * (requests // ROUNDS), baseline)
        with load_cpu.measuring():
            elapsed += drive(visits[n::ROUNDS], results)

    # Every registration the server accepted has its two e-mails, sent.
    new = list(Registration.objects.filter(pk__gt=last_registration).values_list("pk", flat=True))
    keys = [f"{kind}:{pk}" for pk in new for kind in ("registration-received", "registration-notification")]
    rows, sent, waited = wait_for_mail(keys)
    bare_result = baseline[BARE_VIEW]
    done = sum(len(result.latencies) for result in results.values())

    print(
        f"   ({BOARDS} boards (GET and POST) and {len(pages)} participants (page and rooster.ics) in a random "
        f"order from {CONCURRENCY} client threads; gunicorn {GUNICORN_WORKERS} sync workers; "
        f"{'a Celery worker (2 processes) sending' if worker else 'no broker: e-mail sent in the request'}; "
        f"{os.cpu_count()} CPUs)"
    )
    baseline_done = len(bare_result.latencies)
    print(f"   (load: {done} requests in {elapsed:.2f} s; baseline: {baseline_done} in {bare_elapsed:.2f} s)")
    print(f"   (CPU per request of the load: {load_cpu.per_request(done)})")
    print(f"   (CPU per request of the baseline: {bare_cpu.per_request(baseline_done)})")
    report(
        f"load throughput of {BOARDS} boards and {len(pages)} participants at once",
        done / elapsed,
        len(bare_result.latencies) / bare_elapsed,
        "req/s",
        f"bare view at the same {CONCURRENCY} concurrent requests; target: zero errors",
    )
    for kind in (REGISTRATION_GET, REGISTRATION_POST, PARTICIPANT_PAGE, PARTICIPANT_ICS, BARE_VIEW):
        result = (baseline if kind == BARE_VIEW else results).get(kind, Result(kind))
        ratio = result.percentile(0.95) / bare_result.percentile(0.95)
        compared = "" if kind == BARE_VIEW else f"; p95 {ratio:.1f} times the bare view's"
        print(f"   {kind}: {len(result.latencies)} requests, {percentiles(result)}{compared}")

    posted = results.get(REGISTRATION_POST, Result(REGISTRATION_POST))
    accepted = len(posted.latencies) - len(posted.errors)
    # Two e-mails for each accepted POST: a registration missing, a row
    # missing or a row not sent is an e-mail lost.
    lost = 2 * max(0, accepted - len(new)) + (len(keys) - sent)
    print(
        f"e-mails of the registrations: {len(new)} registrations for {accepted} accepted POSTs, "
        f"{rows} outbox rows of {len(keys)}, {sent} sent "
        f"({waited:.1f} s after the load): {lost} lost (target: 0)"
    )

    print(f"   (gunicorn log: {server.log_summary()})")
    errors = {kind: result.errors for kind, result in {**results, **baseline}.items()}
    total = sum(len(found) for found in errors.values())
    print(f"errors: {total} of {done + len(bare_result.latencies)} requests (target: 0)")
    for kind, found in errors.items():
        if found:
            print(f"   {len(found)} of {kind}, the first: {found[0]}")
    if total:
        print(f"--- gunicorn log:\n{server.tail()}")
    if lost and worker:
        print(f"--- Celery worker log:\n{worker.tail()}")
    return bool(total or lost)


if __name__ == "__main__":
    main()
