"""
The trainer's side: admin pages and the reminder run, in one process against
the scratch database (see common.setup_django), each against a baseline
measured in the same run.

1. The course run changelist (/admin/cohorts/cohort/) with 500 course runs
   (a registration, three participants and six days each) against the
   admin's own user changelist (/admin/auth/user/) with 500 users.
   Target: ratio <= 2.
2. The attendance page of a course run with 30 enrolled participants x 6
   days (an attendance row in every cell), against the same user
   changelist; target: ratio <= 2. Measured twice: while it is the only run
   in the database, and again (in fewer rounds) once the 500 runs of (1)
   exist, because the page offers every other run's matching day as a
   make-up option. Also a POST that saves the whole grid (all 180 cells
   changed); it has no target.
3. The reminder run (cohorts.services.send_due_reminders) at a fixed moment
   when 100 confirmed runs with 30 enrolled participants each have a day
   within the 7-day window: the first run queues 3,000 reminders, against one
   plain query of the same participant and day rows (and, for scale, that
   query plus a plain bulk insert of 3,000 outbox rows of the same size); the
   second run finds everything queued and must take a handful of queries.

Requests go through django.test.Client (the full middleware stack, no HTTP
server) as a superuser, with DEBUG off; requests of a page and of its
baseline alternate, so that other load on this shared machine weighs on both
alike. Times are medians (and p90) of 30 requests after 5 untimed ones;
queries are counted with CaptureQueriesContext, BEGIN and COMMIT included.
No e-mail is sent: mail.services.enqueue_delivery, which only hands queued
rows to Celery after commit, is replaced by a no-op in this process; the
outbox rows are still rendered and written as in production.
"""

import datetime
import math
import statistics
import time
import uuid
import warnings
from collections import Counter, deque
from zoneinfo import ZoneInfo

from common import cleanup, setup_django

WARMUP = 5  # untimed requests of each kind before measuring
REQUESTS = 30  # timed requests of each kind
GRID_ROUNDS_WITH_OTHERS = 10  # the attendance page once 500 other runs exist takes seconds
FETCH_ROUNDS = 5
LIST_COHORTS = 500
LIST_USERS = 500
GRID_PARTICIPANTS = 30
REMINDER_COHORTS = 100
REMINDER_PARTICIPANTS = 30  # per course run
PAGE_TARGET = 2.0
NO_OP_TARGET = 10  # queries of a reminder run that finds nothing to queue
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The reminder run's moment: day 1 of the reminder runs is four days later,
# so its 7-day window is due and its 1-day window is not.
REMINDER_NOW = datetime.datetime(2028, 3, 6, 12, 0, tzinfo=AMSTERDAM)
REMINDER_DAY_ONE = datetime.date(2028, 3, 10)


def main():
    scratch = setup_django()
    try:
        run()
    finally:
        cleanup(scratch)


# --- Measuring -------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))] * 1000


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def kinds(queries) -> str:
    counts = Counter(query["sql"].split(None, 1)[0].upper() for query in queries)
    return ", ".join(f"{count} {verb}" for verb, count in counts.most_common())


def timed(request, expect: int) -> float:
    started = time.perf_counter()
    response = request()
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise RuntimeError(f"HTTP {response.status_code} instead of {expect}: {response.content[:300]!r}")
    return elapsed


def interleaved(requests: dict, *, warmup: int = WARMUP, rounds: int = REQUESTS) -> dict[str, list[float]]:
    """Time each (request, expected status) in turn, `rounds` times after `warmup` untimed turns."""
    for _ in range(warmup):
        for request, expect in requests.values():
            timed(request, expect)
    samples = {name: [] for name in requests}
    for _ in range(rounds):
        for name, (request, expect) in requests.items():
            samples[name].append(timed(request, expect))
    return samples


def captured(request, expect: int):
    """The queries and the response of one request, untimed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = request()
    if response.status_code != expect:
        raise RuntimeError(f"HTTP {response.status_code} instead of {expect}: {response.content[:300]!r}")
    return queries.captured_queries, response


def compare(name: str, samples: list[float], baseline: list[float], queries, baseline_queries):
    ratio = median_ms(samples) / median_ms(baseline)
    verdict = "" if ratio <= PAGE_TARGET else " BELOW TARGET"
    print(
        f"{name}: {median_ms(samples):.1f} ms median (p90 {percentile(samples, 0.9):.1f}) against "
        f"the user changelist ({LIST_USERS} users) at {median_ms(baseline):.1f} ms (p90 "
        f"{percentile(baseline, 0.9):.1f}): ratio {ratio:.2f} (target <= {PAGE_TARGET}){verdict}; "
        f"queries {len(queries)} vs {len(baseline_queries)}"
    )


# --- Data ------------------------------------------------------------------------------------


def make_cohorts(*, prefix, count, participants, statuses, first_date, days_apart, trainer, programme_days, spread=1):
    """
    Bulk-create `count` course runs, each with a board, a registration, its participants and a day per programme day.

    Run n's days start `spread` x n days after `first_date`, `days_apart` days apart.
    """
    from django.utils import timezone

    from cohorts.models import Board, Cohort, CourseDay, Participant, Registration

    programme = programme_days[0].programme
    now = timezone.now()
    boards = Board.objects.bulk_create(
        Board(name=f"Stichting {prefix} {n}", sector="po", place="Utrecht") for n in range(count)
    )
    cohorts = Cohort.objects.bulk_create(
        Cohort(
            programme=programme,
            code=f"{prefix}-{n + 1:04d}",
            status=statuses[n % len(statuses)],
            trainer=trainer,
            venue="Zaal De Eik",
            place="Utrecht",
            created_at=now - datetime.timedelta(minutes=n),
        )
        for n in range(count)
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            board=board,
            cohort=cohort,
            status=Registration.Status.PLACED,
            contact_name="Fatima el Amrani",
            contact_email=f"contact{n}@{prefix.lower()}.example.nl",
            expected_participants=participants,
            privacy_consent_at=now,
            submission_key=uuid.uuid4().hex,
        )
        for n, (board, cohort) in enumerate(zip(boards, cohorts, strict=True))
    )
    Participant.objects.bulk_create(
        Participant(
            registration=registration,
            cohort=registration.cohort,
            first_name=f"Anne{p}",
            tussenvoegsel="van der",
            last_name=f"Berg{n}",
            email=f"leider{n}-{p}@{prefix.lower()}.example.nl",
            role=Participant.Role.DIRECTEUR,
            school="OBS De Regenboog",
            brin="16SW",
        )
        for n, registration in enumerate(registrations)
        for p in range(participants)
    )
    CourseDay.objects.bulk_create(
        CourseDay(
            cohort=cohort,
            programme_day=day,
            date=first_date + datetime.timedelta(days=spread * n + days_apart * index),
            start_time=datetime.time(9, 0),
            end_time=datetime.time(16, 30),
        )
        for n, cohort in enumerate(cohorts)
        for index, day in enumerate(programme_days)
    )
    return cohorts


# --- The benchmark ---------------------------------------------------------------------------


def run():
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import override_settings

    import mail.services
    from cohorts.tests.factories import seeded_programme

    # Never hand the rows to Celery (see the module's docstring).
    mail.services.enqueue_delivery = lambda *, mail_ids: True
    override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,
        # As conftest.py: the source files, no collectstatic (so WhiteNoise has no STATIC_ROOT to serve).
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    warnings.filterwarnings("ignore", message="No directory at")

    started = time.perf_counter()
    programme = seeded_programme()
    programme_days = list(programme.days.order_by("number"))
    trainer = User.objects.create_superuser("trainer", "trainer@example.nl", "bench-password-not-used")
    password = make_password("bench-password-not-used")
    User.objects.bulk_create(
        User(
            username=f"user{n:03d}",
            email=f"user{n:03d}@example.nl",
            first_name=f"Voornaam{n}",
            last_name=f"Achternaam{n}",
            password=password,
            is_staff=n % 10 == 0,
        )
        for n in range(LIST_USERS - 1)
    )
    client = Client()
    client.force_login(trainer)
    get_users = (lambda: client.get("/admin/auth/user/"), 200)
    users_queries, _response = captured(*get_users)
    print(f"   ({User.objects.count()} users made in {time.perf_counter() - started:.1f} s)")

    # 2. The attendance page and its POST, while its course run is the only one.
    grid = attendance_grid(client, trainer, programme_days)
    samples = interleaved({"users": get_users, "grid": grid["get"], "post": grid["post"]})
    grid_queries, _response = captured(*grid["get"])
    post_queries, _response = captured(*grid["post"])
    grid["check"]()
    compare(
        f"attendance page ({GRID_PARTICIPANTS} x {len(programme_days)}, the only course run)",
        samples["grid"],
        samples["users"],
        grid_queries,
        users_queries,
    )
    post = samples["post"]
    print(
        f"attendance POST saving all {grid['cells']} cells: {median_ms(post):.1f} ms median "
        f"(p90 {percentile(post, 0.9):.1f}), {median_ms(post) / median_ms(samples['users']):.2f} x the user "
        f"changelist; queries {len(post_queries)} ({kinds(post_queries)})"
    )

    # 1. The course run changelist.
    started = time.perf_counter()
    make_cohorts(
        prefix="LIST",
        count=LIST_COHORTS,
        participants=3,
        statuses=["planned", "confirmed", "running", "completed", "requested"],
        first_date=datetime.date(2025, 9, 1),
        days_apart=14,
        trainer=trainer,
        programme_days=programme_days,
    )
    print(f"   ({LIST_COHORTS} course runs made in {time.perf_counter() - started:.1f} s)")
    get_cohorts = (lambda: client.get("/admin/cohorts/cohort/"), 200)
    samples = interleaved({"cohorts": get_cohorts, "users": get_users})
    cohorts_queries, cohorts_page = captured(*get_cohorts)
    users_queries, users_page = captured(*get_users)
    compare(
        f"cohort changelist ({LIST_COHORTS} cohorts)",
        samples["cohorts"],
        samples["users"],
        cohorts_queries,
        users_queries,
    )
    print(
        f"   (queries: {kinds(cohorts_queries)} vs {kinds(users_queries)}; pages of "
        f"{len(cohorts_page.content) / 1024:.0f} and {len(users_page.content) / 1024:.0f} KiB)"
    )

    # 2, again, now that other course runs exist: every cell offers their matching days as make-ups.
    # Fewer rounds: this page takes seconds.
    samples = interleaved({"users": get_users, "grid": grid["get"]}, warmup=1, rounds=GRID_ROUNDS_WITH_OTHERS)
    grid_queries, grid_page = captured(*grid["get"])
    compare(
        f"attendance page ({GRID_PARTICIPANTS} x {len(programme_days)}, {LIST_COHORTS} other course runs)",
        samples["grid"],
        samples["users"],
        grid_queries,
        users_queries,
    )
    print(
        f"   ({GRID_ROUNDS_WITH_OTHERS} rounds; a page of {len(grid_page.content) / 1024:,.0f} KiB, "
        f"{grid['options']()} make-up options in each of its {grid['cells']} cells)"
    )

    # 3. The reminder run.
    reminders(trainer, programme_days)


def attendance_grid(client, trainer, programme_days) -> dict:
    """A course run with an attendance row in every cell; its page's GET, and a POST that changes every cell."""
    from django.urls import reverse
    from django.utils import timezone

    from cohorts.models import Attendance, CourseDay

    cohort = make_cohorts(
        prefix="GRID",
        count=1,
        participants=GRID_PARTICIPANTS,
        statuses=["running"],
        first_date=datetime.date(2026, 1, 12),
        days_apart=14,
        trainer=trainer,
        programme_days=programme_days,
    )[0]
    cells = [
        (p, d)
        for p in cohort.participants.values_list("pk", flat=True)
        for d in cohort.days.values_list("pk", flat=True)
    ]
    Attendance.objects.bulk_create(
        Attendance(
            participant_id=participant,
            course_day_id=day,
            status="present",
            recorded_by=trainer,
            recorded_at=timezone.now(),
        )
        for participant, day in cells
    )
    url = reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    state = {"status": "present"}

    def post():
        # Present and absent in turn, so that every POST changes every cell.
        state["status"] = "absent" if state["status"] == "present" else "present"
        data = {}
        for participant, day in cells:
            data[f"s-{participant}-{day}"] = state["status"]
            data[f"m-{participant}-{day}"] = ""
            data[f"n-{participant}-{day}"] = ""
        return client.post(url, data)

    def check():
        found = Counter(Attendance.objects.filter(course_day__cohort=cohort).values_list("status", flat=True))
        if found != {state["status"]: len(cells)}:
            raise RuntimeError(f"the attendance POST did not save every cell: {dict(found)}")

    def options() -> int:
        day = cohort.days.first()
        return CourseDay.objects.exclude(cohort=cohort).filter(programme_day_id=day.programme_day_id).count()

    return {
        "get": (lambda: client.get(url), 200),
        "post": (post, 302),
        "check": check,
        "options": options,
        "cells": len(cells),
    }


def reminders(trainer, programme_days):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cohorts.models import Participant
    from cohorts.services.reminders import send_due_reminders
    from mail.models import OutgoingMail

    started = time.perf_counter()
    make_cohorts(
        prefix="REM",
        count=REMINDER_COHORTS,
        participants=REMINDER_PARTICIPANTS,
        statuses=["confirmed"],
        first_date=REMINDER_DAY_ONE,
        days_apart=14,  # only day 1 is within the 7-day window
        trainer=trainer,
        programme_days=programme_days,
        spread=0,
    )
    expected = REMINDER_COHORTS * REMINDER_PARTICIPANTS
    print(
        f"   ({REMINDER_COHORTS} confirmed course runs with {expected:,} participants made in "
        f"{time.perf_counter() - started:.1f} s)"
    )
    today = timezone.localdate(REMINDER_NOW, AMSTERDAM)

    def plain_fetch():
        """The participant and day rows the reminders are about, in one plain query."""
        return list(
            Participant.objects.filter(
                cohort__status="confirmed",
                status="enrolled",
                cohort__days__date__gte=today,
                cohort__days__date__lte=today + datetime.timedelta(days=7),
            ).values_list(
                "pk",
                "email",
                "language",
                "access_key",
                "cohort__code",
                "cohort__days__pk",
                "cohort__days__date",
                "cohort__days__start_time",
            )
        )

    fetches = []
    for _ in range(FETCH_ROUNDS + 1):  # the first untimed
        begun = time.perf_counter()
        rows = plain_fetch()
        fetches.append(time.perf_counter() - begun)
    if len(rows) != expected:
        raise RuntimeError(f"the plain query found {len(rows)} rows, expected {expected}")
    fetch = statistics.median(fetches[1:])

    # Django keeps the last 9,000 queries only; the first run makes more.
    connection.queries_log = deque(maxlen=100_000)
    with CaptureQueriesContext(connection) as first:
        begun = time.perf_counter()
        queued = send_due_reminders(now=REMINDER_NOW)
        first_elapsed = time.perf_counter() - begun
    written = OutgoingMail.objects.filter(key__startswith="reminder:").count()
    # Each run's one board contact gets a copy about their leaders too.
    if queued != expected + REMINDER_COHORTS or written != expected:
        raise RuntimeError(f"the first reminder run queued {queued} ({written} rows), expected {expected} + copies")

    with CaptureQueriesContext(connection) as second:
        begun = time.perf_counter()
        again = send_due_reminders(now=REMINDER_NOW)
        second_elapsed = time.perf_counter() - begun
    if again:
        raise RuntimeError(f"the second reminder run queued {again} more")

    # For scale: the same query plus a plain bulk insert of as many outbox rows of the same size.
    sample = OutgoingMail.objects.filter(key__startswith="reminder:").first()
    begun = time.perf_counter()
    OutgoingMail.objects.bulk_create(
        OutgoingMail(
            key=f"baseline:{row[0]}:{row[5]}",
            to=[row[1]],
            subject=sample.subject,
            body_text=sample.body_text,
            body_html=sample.body_html,
            language=row[2],
            template=sample.template,
            message_id=sample.message_id.replace("@", f".{n}@"),
        )
        for n, row in enumerate(plain_fetch())
    )
    fetch_and_insert = time.perf_counter() - begun
    OutgoingMail.objects.filter(key__startswith="baseline:").delete()

    first_queries = first.captured_queries
    print(
        f"reminder run queuing {queued:,} reminders: {first_elapsed * 1000:,.0f} ms "
        f"({first_elapsed / queued * 1000:.2f} ms each) against one plain query of the same {len(rows):,} "
        f"participant+day rows at {fetch * 1000:.1f} ms: ratio {first_elapsed / fetch:,.0f}; "
        f"queries {len(first_queries):,} ({kinds(first_queries)})"
    )
    print(
        f"   (for scale: that query plus a plain bulk insert of {len(rows):,} outbox rows of the same size "
        f"took {fetch_and_insert * 1000:,.0f} ms; ratio {first_elapsed / fetch_and_insert:.1f})"
    )
    second_queries = second.captured_queries
    verdict = "" if len(second_queries) <= NO_OP_TARGET else " BELOW TARGET"
    print(
        f"second reminder run (everything queued already): {second_elapsed * 1000:.1f} ms, "
        f"queries {len(second_queries)} ({kinds(second_queries)}) (target <= {NO_OP_TARGET}){verdict}"
    )


if __name__ == "__main__":
    main()
