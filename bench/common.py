"""What the benchmarks share: the targets that decide the run, scratch services, measuring, and bulk data."""

import atexit
import datetime
import itertools
import operator
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter, deque
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from harness import CeleryWorker, answers, scratch_database

ROOT = Path(__file__).resolve().parent.parent
# A benchmark's last lines, read by bench/run.py: each missed target, then how many were checked.
MISSED, CHECKED = "target missed: ", "targets checked: "
ISSUE_TARGET = 1.2  # issuing PDFs (certificates, invoices) against rendering the same ones alone
OPERATORS = {">=": operator.ge, "<=": operator.le, "<": operator.lt, "==": operator.eq}


class Targets:
    """The figures that have a target: each checked where it is printed; `finish()` fails the run if one missed."""

    def __init__(self):
        self.missed, self.checked = [], 0

    def check(self, figure: str, value: float, op: str, limit: float, unit: str = "") -> str:
        """The target to print beside `value`, marked MISSED (and remembered) when `value` does not meet it."""
        self.checked += 1
        unit = f" {unit}" if unit else ""
        wanted = f"(target {op} {limit:g}{unit})"
        if OPERATORS[op](value, limit):
            return wanted
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        self.missed.append(f"{figure}: {shown}{unit} {wanted}")
        return f"{wanted} MISSED"

    def finish(self):
        print(*(MISSED + missed for missed in self.missed), f"{CHECKED}{self.checked}", sep="\n", flush=True)
        sys.exit(1 if self.missed else 0)


TARGETS = Targets()


def report(figure: str, text: str, value: float, op: str, limit: float, unit: str = "", rest: str = ""):
    """Print `figure: text`, then the target of `value` beside it, then `rest`."""
    print(f"{figure}: {text} {TARGETS.check(figure, value, op, limit, unit)}{rest}", flush=True)


def versus(figure: str, samples: list, baseline: list, against: str, op: str, limit: float, rest: str = ""):
    """Print the medians (and p90s) of `samples` and of their baseline, and the ratio of the medians."""
    ratio = median_ms(samples) / median_ms(baseline)
    text = f"{median_p90(samples)} against {against} at {median_p90(baseline)}: ratio {ratio:.2f}"
    report(figure, text, ratio, op, limit, rest=rest)


def issuing_against_rendering(figure: str, issue, baseline, *, render: tuple, count: int, noun: str, rest_is: str):
    """Time `issue()`, each call of `render` (a module and its render function's name) in it timed and its queries
    counted, against `baseline()`, the same `count` renders alone, just before and just after; report the ratio (at
    most ISSUE_TARGET). Return what `issue()` returned, and the max RSS in MB before and after it."""
    module, name = render
    rendering, original, before = [], getattr(module, name), timed(baseline)[0]

    def render_timed(*args, **kwargs):
        seconds, rendered = timed(lambda: original(*args, **kwargs))
        rendering.append(seconds)
        return rendered

    with mock.patch.object(module, name, render_timed):
        rss_before, (queries, (issuing, result)) = max_rss_mb(), captured(lambda: timed(issue))
    rss_after, after = max_rss_mb(), timed(baseline)[0]
    base, rendered = (before + after) / 2, sum(rendering)
    text = (
        f"{issuing * 1000:,.0f} ms ({issuing / count * 1000:.1f} ms each) against {count} single renders of the same "
        f"{noun} at {base * 1000:,.0f} ms (before {before * 1000:,.0f}, after {after * 1000:,.0f}): ratio "
        f"{issuing / base:.2f}"
    )
    rest = f"; queries {len(queries)} ({len(queries) / count:.1f} each: {kinds(queries)})"
    report(figure, text, issuing / base, "<=", ISSUE_TARGET, rest=rest)
    print(
        f"   (of which in {name}: {rendered * 1000:,.0f} ms over {len(rendering)} renders; the rest, {rest_is}: "
        f"{(issuing - rendered) * 1000:,.0f} ms; issuing / its own renders {issuing / rendered:.2f}, which other "
        "load on the machine sways less)"
    )
    return result, rss_before, rss_after


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def scratch_folder(prefix: str = "verbindend-bench-") -> str:
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def setup_django() -> str:
    """Point Django at a scratch database (on PostgreSQL when DATABASE_URL names it or one answers on 127.0.0.1:5432,
    else SQLite), at a Redis broker if CELERY_BROKER_URL names one or one answers on 127.0.0.1:6379 (database 15),
    migrate, and return a scratch folder; all are removed at exit."""
    import django
    from django.core.management import call_command
    from django.db import connection, connections

    scratch, configured = scratch_folder(), os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgres") or (not configured and answers(5432)):
        server = configured or "postgres://postgres@127.0.0.1:5432/postgres"
        os.environ["DATABASE_URL"], drop = scratch_database(server, f"verbindend_bench_{os.getpid()}")
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


@contextmanager
def celery_worker(scratch: str, **env):
    """A Celery worker as production runs it (two processes) with `env` added, when a broker is configured (else
    None), for a `with` block."""
    if not os.environ.get("CELERY_BROKER_URL"):
        yield None
        return
    log = os.path.join(scratch, "celery.log")
    with CeleryWorker("verbindend", env={**os.environ, **env}, cwd=ROOT, log=log) as worker:
        yield worker


def wait_for_outbox(rows, timeout: float = 120) -> tuple[int, int, float]:
    """Wait until these outbox rows are sent, or `timeout` seconds; return how many there are, how many were sent,
    and the seconds waited."""
    from mail.models import OutgoingMail

    started, sent = time.perf_counter(), rows.filter(status=OutgoingMail.Status.SENT)
    while time.perf_counter() - started < timeout and rows.exclude(status=OutgoingMail.Status.SENT).exists():
        time.sleep(0.01)
    return rows.count(), sent.count(), time.perf_counter() - started


def in_process(**settings):
    """Settings for code measured in this process: static files from the source, as in the tests, and no hand-off to
    Celery (enqueue_delivery a no-op: the outbox rows are still rendered and written)."""
    from django.conf import settings as configured
    from django.test.utils import override_settings

    import mail.services.queueing

    mail.services.queueing.enqueue_delivery = lambda *, mail_ids: True
    static = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    override_settings(STORAGES={**configured.STORAGES, **static}, **settings).enable()
    warnings.filterwarnings("ignore", message="No directory at")  # WhiteNoise's, for the STATIC_ROOT not collected


def checked(client, url: str, expect: int = 200, fields=None):
    """A request of `url` by a django.test.Client (a POST of `fields()` if given) that fails on another status."""

    def request():
        response = client.post(url, fields()) if fields else client.get(url)
        if response.status_code != expect:
            raise RuntimeError(f"HTTP {response.status_code} instead of {expect}: {response.content[:300]!r}")
        return response

    return request


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
    """The seconds of each call, in turns (`warmup` untimed first), so that other load weighs on each alike."""
    samples = {name: [] for name in calls}
    for turn in range(warmup + rounds):
        for name, call in calls.items():
            seconds = timed(call)[0]
            if turn >= warmup:
                samples[name].append(seconds)
    return samples


board_number = map(str, itertools.count(10000)).__next__  # unique five-digit bestuursnummers, safe across threads


def programme_days() -> list:
    """The days of the programme that every benchmark's course runs follow, in order."""
    from programme.models import Programme

    return list(Programme.objects.get(slug="verbindend-leiderschap").days.order_by("number"))


def bulk_runs(
    *, prefix, count, participants, statuses, first_date, days=None, trainer=None, spread=1, attended=False, boards=1
):
    """`count` course runs of `days` (the programme's, unless given) in bulk, each with its days 14 days apart and
    1 + n % `boards` boards (run n), each board with a placed registration and its participants; run n has status n
    of `statuses` (in turn), its days start `spread` x n days after `first_date`, and with `attended` everyone was
    present every day (before it, if a date), as the trainer noted."""
    from django.utils import timezone

    from cohorts.models import Attendance, Board, Cohort, CourseDay, Participant, Registration

    days = days or programme_days()
    rows = {model: [] for model in (Board, Cohort, Registration, Participant, CourseDay, Attendance)}  # in this order
    now, tag, day = timezone.now(), prefix.lower(), datetime.timedelta(days=1)
    run = {"programme": days[0].programme, "trainer": trainer, "venue": "Zaal De Eik", "place": "Utrecht"}
    placed = {"status": "placed", "privacy_consent_at": now, "expected_participants": participants}
    # What a board's invoice needs besides its name: a street, postcode and place, and a KvK number.
    invoiced = {"address": "Voorbeeldlaan 1", "postcode": "3511 AB", "place": "Utrecht", "kvk_number": "41234001"}
    person = {"tussenvoegsel": "van der", "role": "directeur", "school": "OBS De Regenboog", "brin": "16SW"}
    times = {"start_time": datetime.time(9, 0), "end_time": datetime.time(16, 30)}
    present = {"status": "present", "recorded_by": trainer, "recorded_at": now}
    for n in range(count):
        status, created_at = statuses[n % len(statuses)], now - datetime.timedelta(minutes=n)
        rows[Cohort].append(cohort := Cohort(code=f"{prefix}-{n + 1:05d}", status=status, created_at=created_at, **run))
        dated = [
            CourseDay(cohort=cohort, programme_day=each, date=first_date + day * (spread * n + 14 * i), **times)
            for i, each in enumerate(days)
        ]
        rows[CourseDay] += dated
        for b in range(1 + n % boards):
            name, contact = f"Stichting {prefix} {n}-{b}", {"contact_name": "Fatima el Amrani", **placed}
            rows[Board].append(board := Board(name=name, bestuursnummer=board_number(), sector="po", **invoiced))
            contact["contact_email"], key = f"contact{n}-{b}@{tag}.example.nl", uuid.uuid4().hex
            rows[Registration].append(
                registration := Registration(board=board, cohort=cohort, submission_key=key, **contact)
            )
            ours = {"registration": registration, "cohort": cohort, "last_name": f"Berg{n}", **person}
            people = [
                Participant(first_name=f"Anne{p}", email=f"leider{n}-{b}-{p}@{tag}.example.nl", **ours)
                for p in range(participants)
            ]
            rows[Participant] += people
            if attended:
                was = [d for d in dated if attended is True or d.date < attended]
                rows[Attendance] += (Attendance(participant=p, course_day=d, **present) for p in people for d in was)
    for model, made in rows.items():  # each row takes its parents' keys, saved just before
        model.objects.bulk_create(made)
    return rows[Cohort]
