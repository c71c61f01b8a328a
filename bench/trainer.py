"""
The trainer's side, in one process (django.test.Client, the full middleware stack, as a superuser, DEBUG off): pages
against the admin's user changelist with 500 users, in turns, medians of 30 requests after 5 untimed.

1. The course run changelist with 500 course runs (a registration, three participants and six days each).
2. The attendance page of a run of 30 participants x 6 days (a row in every cell), while it is the only run and again
   once the runs of (1) exist (each cell offers their matching day as a make-up); a POST changing all 180 cells.
3. The reminder run when 100 confirmed runs of 30 have a day within the 7-day window: the first queues 3,000
   reminders, against one plain query of the same participant and day rows; the second finds everything queued.
   No e-mail is sent (see common.in_process).
"""

import datetime
import statistics
import time
from collections import Counter
from zoneinfo import ZoneInfo

from bench.common import (
    TARGETS,
    bulk_attendance,
    bulk_runs,
    captured,
    in_process,
    interleaved,
    kinds,
    median_ms,
    median_p90,
    report,
    setup_django,
    timed,
    versus,
)

WARMUP, REQUESTS = 5, 30
LIST_COHORTS = LIST_USERS = 500
GRID_PARTICIPANTS = 30
REMINDER_COHORTS, REMINDER_PARTICIPANTS = 100, 30
PAGE_TARGET = 2.0
NO_OP_TARGET = 10  # queries of a reminder run that finds nothing to queue
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Day 1 of the reminder runs is four days after the run: its 7-day window is due and its 1-day window is not.
REMINDER_NOW = datetime.datetime(2028, 3, 6, 12, 0, tzinfo=AMSTERDAM)
REMINDER_DAY_ONE = datetime.date(2028, 3, 10)


def getter(client, url: str, expect: int = 200, fields: dict | None = None):
    """A request of `url` (a POST of `fields` if given) that fails on any other status than `expect`."""

    def request():
        response = client.post(url, fields()) if fields else client.get(url)
        if response.status_code != expect:
            raise RuntimeError(f"HTTP {response.status_code} instead of {expect}: {response.content[:300]!r}")
        return response

    return request


def made(what: str, started: float):
    print(f"   ({what} made in {time.perf_counter() - started:.1f} s)", flush=True)


def main():
    setup_django()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.test import Client

    from cohorts.tests.factories import seeded_programme

    in_process(DEBUG=False, ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False)
    started = time.perf_counter()
    days = list(seeded_programme().days.order_by("number"))
    trainer = User.objects.create_superuser("trainer", "trainer@example.nl", "bench-password-not-used")
    password = make_password("bench-password-not-used")
    names = [{"first_name": f"Voornaam{n}", "last_name": f"Achternaam{n}"} for n in range(LIST_USERS - 1)]
    User.objects.bulk_create(
        User(username=f"user{n:03d}", email=f"user{n:03d}@example.nl", password=password, is_staff=n % 10 == 0, **name)
        for n, name in enumerate(names)
    )
    client = Client()
    client.force_login(trainer)
    users = getter(client, "/admin/auth/user/")
    users_queries, users_page = captured(users)
    changelist = f"the user changelist ({LIST_USERS} users)"
    made(f"{User.objects.count()} users", started)

    def against_users(figure: str, samples: dict, page: str, queries: list):
        rest = f"; queries {len(queries)} vs {len(users_queries)}"
        versus(figure, samples[page], samples["users"], changelist, "<=", PAGE_TARGET, rest=rest)

    # 2. The attendance page and its POST, while its course run is the only one.
    grid = attendance_grid(client, trainer, days)
    samples = interleaved({"users": users, "grid": grid["get"], "post": grid["post"]}, warmup=WARMUP, rounds=REQUESTS)
    post_queries, _page = captured(grid["post"])
    grid["check"]()
    shape = f"{GRID_PARTICIPANTS} x {len(days)}"
    against_users(f"attendance page ({shape}, the only course run)", samples, "grid", captured(grid["get"])[0])
    post, times = samples["post"], median_ms(samples["post"]) / median_ms(samples["users"])
    print(
        f"attendance POST saving all {grid['cells']} cells: {median_p90(post)}, {times:.2f} x the user changelist; "
        f"queries {len(post_queries)} ({kinds(post_queries)})"
    )

    # 1. The course run changelist.
    started, statuses = time.perf_counter(), ["planned", "confirmed", "running", "completed", "requested"]
    run = {"statuses": statuses, "first_date": datetime.date(2025, 9, 1), "trainer": trainer, "programme_days": days}
    bulk_runs(prefix="LIST", count=LIST_COHORTS, participants=3, **run)
    made(f"{LIST_COHORTS} course runs", started)
    cohorts = getter(client, "/admin/cohorts/cohort/")
    samples = interleaved({"cohorts": cohorts, "users": users}, warmup=WARMUP, rounds=REQUESTS)
    cohorts_queries, cohorts_page = captured(cohorts)
    against_users(f"cohort changelist ({LIST_COHORTS} cohorts)", samples, "cohorts", cohorts_queries)
    print(
        f"   (queries: {kinds(cohorts_queries)} vs {kinds(users_queries)}; pages of "
        f"{len(cohorts_page.content) / 1024:.0f} and {len(users_page.content) / 1024:.0f} KiB)"
    )

    # 2, again, now that other course runs exist; ten rounds, as this page takes seconds.
    samples = interleaved({"users": users, "grid": grid["get"]}, warmup=1, rounds=10)
    grid_queries, grid_page = captured(grid["get"])
    against_users(f"attendance page ({shape}, {LIST_COHORTS} other course runs)", samples, "grid", grid_queries)
    print(
        f"   (10 rounds; a page of {len(grid_page.content) / 1024:,.0f} KiB, {grid['options']()} make-up options "
        f"in each of its {grid['cells']} cells)"
    )

    reminders(trainer, days)  # 3.
    TARGETS.finish()


def attendance_grid(client, trainer, days) -> dict:
    """A course run with an attendance row in every cell; its page's GET, and a POST that changes every cell."""
    from django.urls import reverse

    from cohorts.models import Attendance, CourseDay

    run = {"statuses": ["running"], "first_date": datetime.date(2026, 1, 12), "programme_days": days}
    cohort = bulk_runs(prefix="GRID", count=1, participants=GRID_PARTICIPANTS, trainer=trainer, **run)[0]
    cells, state = bulk_attendance(cohort, recorded_by=trainer), {"status": "present"}

    def fields():
        # Present and absent in turn, so that every POST changes every cell.
        state["status"] = "absent" if state["status"] == "present" else "present"
        blank = {f"{field}-{p}-{d}": "" for p, d in cells for field in "mn"}
        return {**blank, **{f"s-{p}-{d}": state["status"] for p, d in cells}}

    def check():
        found = Counter(Attendance.objects.filter(course_day__cohort=cohort).values_list("status", flat=True))
        if found != {state["status"]: len(cells)}:
            raise RuntimeError(f"the attendance POST did not save every cell: {dict(found)}")

    def options() -> int:
        day = cohort.days.first()
        return CourseDay.objects.exclude(cohort=cohort).filter(programme_day_id=day.programme_day_id).count()

    url = reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    post = getter(client, url, 302, fields)
    return {"get": getter(client, url), "post": post, "check": check, "options": options, "cells": len(cells)}


def reminders(trainer, days):
    from django.utils import timezone

    from cohorts.models import Participant
    from cohorts.services.reminders import send_due_reminders
    from mail.models import OutgoingMail

    started, expected = time.perf_counter(), REMINDER_COHORTS * REMINDER_PARTICIPANTS
    run = {"statuses": ["confirmed"], "first_date": REMINDER_DAY_ONE, "trainer": trainer, "programme_days": days}
    bulk_runs(prefix="REM", count=REMINDER_COHORTS, participants=REMINDER_PARTICIPANTS, spread=0, **run)
    made(f"{REMINDER_COHORTS} confirmed course runs with {expected:,} participants", started)
    today = timezone.localdate(REMINDER_NOW, AMSTERDAM)

    def plain_fetch():
        """The participant and day rows the reminders are about, in one plain query."""
        window = {"cohort__days__date__gte": today, "cohort__days__date__lte": today + datetime.timedelta(days=7)}
        fields = ["email", "language", "access_key", "cohort__code", "cohort__days__pk", "cohort__days__date"]
        rows = Participant.objects.filter(cohort__status="confirmed", status="enrolled", **window)
        return list(rows.values_list("pk", *fields, "cohort__days__start_time"))

    fetches = [timed(plain_fetch) for _ in range(6)]  # the first untimed
    if len(rows := fetches[-1][1]) != expected:
        raise RuntimeError(f"the plain query found {len(rows)} rows, expected {expected}")
    fetch = statistics.median(seconds for seconds, _rows in fetches[1:])
    first, (first_elapsed, queued) = captured(lambda: timed(lambda: send_due_reminders(now=REMINDER_NOW)))
    written = OutgoingMail.objects.filter(key__startswith="reminder:").count()
    # Each run's one board contact gets a copy about their leaders too.
    if queued != expected + REMINDER_COHORTS or written != expected:
        raise RuntimeError(f"the first reminder run queued {queued} ({written} rows), expected {expected} + copies")
    second, (second_elapsed, again) = captured(lambda: timed(lambda: send_due_reminders(now=REMINDER_NOW)))
    if again:
        raise RuntimeError(f"the second reminder run queued {again} more")
    print(
        f"reminder run queuing {queued:,} reminders: {first_elapsed * 1000:,.0f} ms "
        f"({first_elapsed / queued * 1000:.2f} ms each) against one plain query of the same {len(rows):,} "
        f"participant+day rows at {fetch * 1000:.1f} ms: ratio {first_elapsed / fetch:,.0f}; "
        f"queries {len(first):,} ({kinds(first)})"
    )
    figure = "second reminder run (everything queued already)"
    text = f"{second_elapsed * 1000:.1f} ms, queries {len(second)} ({kinds(second)})"
    report(figure, text, len(second), "<=", NO_OP_TARGET)


if __name__ == "__main__":
    main()
