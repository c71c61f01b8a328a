"""What the benchmarks share: the targets that decide the run, scratch services, measuring, and bulk data."""

import atexit
import datetime
import itertools
import operator
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter, deque
from pathlib import Path

from harness import answers, scratch_database

ROOT = Path(__file__).resolve().parent.parent
MISSED = "target missed: "  # how a benchmark's last lines name each missed target, for bench/run.py
CHECKED = "targets checked: "  # a benchmark's last line; one that never gets there, or checked none, failed
OPERATORS = {">=": operator.ge, "<=": operator.le, "<": operator.lt, "==": operator.eq}


# --- Targets ---------------------------------------------------------------------------------


class Targets:
    """The figures that have a target: each checked where it is printed; `finish()` fails the run if one missed."""

    def __init__(self):
        self.missed: list[str] = []
        self.checked = 0

    def check(self, figure: str, value: float, op: str, limit: float, unit: str = "") -> str:
        """The target to print beside `value`, marked MISSED (and remembered) when `value` does not meet it."""
        unit = f" {unit}" if unit else ""
        self.checked += 1
        if OPERATORS[op](value, limit):
            return f"(target {op} {limit:g}{unit})"
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        self.missed.append(f"{figure}: {shown}{unit} (target {op} {limit:g}{unit})")
        return f"(target {op} {limit:g}{unit}) MISSED"

    def finish(self):
        """Name every missed target, say how many were checked, and exit non-zero if one missed."""
        for missed in self.missed:
            print(MISSED + missed, flush=True)
        print(f"{CHECKED}{self.checked}", flush=True)
        sys.exit(1 if self.missed else 0)


TARGETS = Targets()
target = TARGETS.check


def report(figure: str, text: str, value: float, op: str, limit: float, unit: str = "", rest: str = ""):
    """Print `figure: text`, then the target of `value` beside it, then `rest`."""
    print(f"{figure}: {text} {target(figure, value, op, limit, unit)}{rest}", flush=True)


def report_ratio(figure: str, value: float, baseline: float, against: str, unit: str, limit: float, rest: str = ""):
    """Print a rate against its baseline's, and their ratio beside its target (at least `limit`)."""
    ratio = value / baseline
    text = f"{value:,.1f} {unit} against {against} at {baseline:,.1f} {unit}: ratio {ratio:.2f}"
    report(figure, text, ratio, ">=", limit, rest=rest)


def versus(figure: str, samples: list, baseline: list, against: str, op: str, limit: float, rest: str = ""):
    """Print the medians (and p90s) of `samples` and of their baseline, and the ratio of the medians."""
    ratio = median_ms(samples) / median_ms(baseline)
    text = f"{median_p90(samples)} against {against} at {median_p90(baseline)}: ratio {ratio:.2f}"
    report(figure, text, ratio, op, limit, rest=rest)


# --- Scratch services ------------------------------------------------------------------------


def scratch_folder(prefix: str = "verbindend-bench-") -> str:
    """A temporary folder, removed at exit."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def setup_django() -> str:
    """
    Point Django at scratch services, migrate, and return a scratch folder; all are removed at exit.

    A scratch database on PostgreSQL when DATABASE_URL names it or one answers on 127.0.0.1:5432, and a Redis broker
    when CELERY_BROKER_URL is set or one answers on 127.0.0.1:6379 (database 15); SQLite and in-process otherwise.
    """
    import django
    from django.core.management import call_command
    from django.db import connection, connections

    scratch, configured = scratch_folder(), os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgres") or (not configured and answers(5432)):
        server = configured or "postgres://postgres@127.0.0.1:5432/postgres"
        url, drop = scratch_database(server, f"verbindend_bench_{os.getpid()}")
        os.environ["DATABASE_URL"] = url
        atexit.register(lambda: (connections.close_all(), drop()))
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    if not os.environ.get("CELERY_BROKER_URL") and answers(6379, b"PING\r\n", b"+PONG"):
        os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/15"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbindend.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    django.setup()
    call_command("migrate", verbosity=0)
    connection.queries_log = deque(maxlen=100_000)  # Django keeps 9,000; the reminder run makes more
    print(f"   (database: {connection.vendor}; broker: {os.environ.get('CELERY_BROKER_URL') or 'none'})", flush=True)
    return scratch


def in_process(**settings):
    """
    Settings for a benchmark of code in this process: static files from the source, as in the tests, and no
    hand-off to Celery (mail.services.queueing.enqueue_delivery a no-op: the outbox rows are still rendered and
    written).
    """
    from django.test.utils import override_settings

    import mail.services.queueing

    mail.services.queueing.enqueue_delivery = lambda *, mail_ids: True
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, **settings).enable()
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise's, for the STATIC_ROOT not collected


# --- Measuring -------------------------------------------------------------------------------


def timed(call) -> tuple[float, object]:
    """The seconds `call()` took, and what it returned."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def captured(call) -> tuple[list, object]:
    """The queries `call()` made (BEGIN and COMMIT included), and what it returned."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = call()
    return queries.captured_queries, result


def kinds(queries) -> str:
    counts = Counter(query["sql"].split(None, 1)[0].upper() for query in queries)
    return ", ".join(f"{count} {verb}" for verb, count in counts.most_common())


def percentile(samples: list[float], percent: int) -> float:
    """The `percent`th percentile of seconds, in milliseconds."""
    if len(samples) < 2:
        return samples[0] * 1000 if samples else float("nan")
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1] * 1000


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def median_p90(samples: list[float]) -> str:
    return f"{median_ms(samples):.1f} ms median (p90 {percentile(samples, 90):.1f})"


def interleaved(calls: dict, *, warmup: int, rounds: int) -> dict[str, list[float]]:
    """The seconds of each call, taking turns `rounds` times after `warmup` untimed turns, so that other load on the
    machine weighs on each alike."""
    samples = {name: [] for name in calls}
    for turn in range(warmup + rounds):
        for name, call in calls.items():
            seconds, _result = timed(call)
            if turn >= warmup:
                samples[name].append(seconds)
    return samples


# --- Bulk data -------------------------------------------------------------------------------


BOARD_NUMBERS = itertools.count(10000)  # unique five-digit bestuursnummers (next() on a count is atomic in CPython)


def board_number() -> str:
    return str(next(BOARD_NUMBERS))


def bulk_runs(*, prefix, count, participants, statuses, first_date, programme_days, trainer=None, spread=1):
    """
    `count` course runs made in bulk, each with a board, a placed registration, its participants and a day per
    programme day, 14 days apart; run n has status n of `statuses` (in turn), and its days start `spread` x n days
    after `first_date`.
    """
    from django.utils import timezone

    from cohorts.models import Board, Cohort, CourseDay, Participant, Registration

    now, tag, minutes = timezone.now(), prefix.lower(), datetime.timedelta(minutes=1)
    boards = Board.objects.bulk_create(
        Board(name=f"Stichting {prefix} {n}", bestuursnummer=board_number(), sector="po") for n in range(count)
    )
    run = {"programme": programme_days[0].programme, "trainer": trainer, "venue": "Zaal De Eik", "place": "Utrecht"}
    cohorts = Cohort.objects.bulk_create(
        Cohort(code=f"{prefix}-{n + 1:05d}", status=statuses[n % len(statuses)], **run, created_at=now - minutes * n)
        for n in range(count)
    )
    placed = {"status": "placed", "privacy_consent_at": now, "expected_participants": participants}
    contacts = [
        {"contact_name": "Fatima el Amrani", "contact_email": f"contact{n}@{tag}.example.nl"} for n in range(count)
    ]
    registrations = Registration.objects.bulk_create(
        Registration(board=board, cohort=cohort, submission_key=uuid.uuid4().hex, **placed, **contact)
        for board, cohort, contact in zip(boards, cohorts, contacts, strict=True)
    )
    person = {"tussenvoegsel": "van der", "role": "directeur", "school": "OBS De Regenboog", "brin": "16SW"}
    Participant.objects.bulk_create(
        Participant(
            registration=registration,
            cohort=registration.cohort,
            first_name=f"Anne{p}",
            last_name=f"Berg{n}",
            email=f"leider{n}-{p}@{tag}.example.nl",
            **person,
        )
        for n, registration in enumerate(registrations)
        for p in range(participants)
    )
    times = {"start_time": datetime.time(9, 0), "end_time": datetime.time(16, 30)}
    CourseDay.objects.bulk_create(
        CourseDay(cohort=cohort, programme_day=day, date=first_date + datetime.timedelta(spread * n + 14 * i), **times)
        for n, cohort in enumerate(cohorts)
        for i, day in enumerate(programme_days)
    )
    return cohorts


def bulk_attendance(cohort, *, recorded_by=None) -> list[tuple[int, int]]:
    """Every participant of `cohort` present on every day, in bulk; return the (participant, day) cells."""
    from django.utils import timezone

    from cohorts.models import Attendance

    people, days = cohort.participants.values_list("pk", flat=True), cohort.days.values_list("pk", flat=True)
    cells, now = [(p, d) for p in people for d in days], timezone.now()
    Attendance.objects.bulk_create(
        Attendance(participant_id=p, course_day_id=d, status="present", recorded_by=recorded_by, recorded_at=now)
        for p, d in cells
    )
    return cells
