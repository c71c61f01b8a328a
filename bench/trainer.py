"""
The trainer's admin pages in one process (django.test.Client, as a superuser, DEBUG off), each in turns with the user
changelist of 500 users: the course run changelist with 500 runs, and the attendance page of a run of 30 x 6 days
(alone, and beside the 500 runs, each offering a make-up day in every cell) with a POST changing all 180 cells.
"""

import datetime
import time
from collections import Counter

from bench import common
from bench.common import captured, checked, interleaved, kinds, median_ms, median_p90

WARMUP, REQUESTS, PAGE_TARGET = 5, 30, 2.0
LIST_COHORTS = LIST_USERS = 500
GRID_PARTICIPANTS = 30


def main():
    common.setup_django()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.test import Client

    from cohorts.models import CourseDay

    common.in_process(DEBUG=False, ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False)
    started, days = time.perf_counter(), common.programme_days()
    trainer = User.objects.create_superuser("trainer", "trainer@example.nl", "bench-password-not-used")
    password = make_password("bench-password-not-used")
    names = [{"first_name": f"Voornaam{n}", "last_name": f"Achternaam{n}"} for n in range(LIST_USERS - 1)]
    User.objects.bulk_create(
        User(username=f"user{n:03d}", email=f"user{n:03d}@example.nl", password=password, is_staff=n % 10 == 0, **name)
        for n, name in enumerate(names)
    )
    client = Client()
    client.force_login(trainer)
    users = checked(client, "/admin/auth/user/")
    users_queries, users_page = captured(users)
    print(f"   ({User.objects.count()} users made in {time.perf_counter() - started:.1f} s)")
    changelist = f"the user changelist ({LIST_USERS} users)"

    def against_users(figure: str, page, *, warmup=WARMUP, rounds=REQUESTS, **others) -> dict:
        """Time `page` (and `others`) in turns with the user changelist, print it against that; return the samples."""
        samples = interleaved({"users": users, "page": page, **others}, warmup=warmup, rounds=rounds)
        queries, response = captured(page)
        rest = (
            f"; queries {len(queries)} vs {len(users_queries)} ({kinds(queries)} vs {kinds(users_queries)}); "
            f"pages of {len(response.content) / 1024:,.0f} and {len(users_page.content) / 1024:,.0f} KiB"
        )
        common.versus(figure, samples["page"], samples["users"], changelist, "<=", PAGE_TARGET, rest=rest)
        return samples

    grid, cells, get, post, check = attendance_grid(client, trainer, days)
    shape = f"{GRID_PARTICIPANTS} x {len(days)}"
    samples = against_users(f"attendance page ({shape}, the only course run)", get, post=post)
    post_queries = captured(post)[0]
    check()
    times = median_ms(samples["post"]) / median_ms(samples["users"])
    print(
        f"attendance POST saving all {cells} cells: {median_p90(samples['post'])}, {times:.2f} x the user changelist; "
        f"queries {len(post_queries)} ({kinds(post_queries)})"
    )

    statuses = ["planned", "confirmed", "running", "completed", "requested"]
    run = {"statuses": statuses, "first_date": datetime.date(2025, 9, 1), "trainer": trainer, "days": days}
    seconds = common.timed(lambda: common.bulk_runs(prefix="LIST", count=LIST_COHORTS, participants=3, **run))[0]
    print(f"   ({LIST_COHORTS} course runs made in {seconds:.1f} s)")
    against_users(f"cohort changelist ({LIST_COHORTS} cohorts)", checked(client, "/admin/cohorts/cohort/"))

    against_users(f"attendance page ({shape}, {LIST_COHORTS} other course runs)", get, warmup=1, rounds=10)
    options = CourseDay.objects.filter(programme_day=days[0]).exclude(cohort=grid).count()
    print(f"   (10 rounds; {options} make-up options in each of its {cells} cells)")
    common.TARGETS.finish()


def attendance_grid(client, trainer, days):
    """A course run with a row in every cell; the cells, its page's GET, a POST changing every cell, and a check."""
    from django.urls import reverse

    from cohorts.models import Attendance

    run = {"statuses": ["running"], "first_date": datetime.date(2026, 1, 12), "days": days, "attended": True}
    cohort = common.bulk_runs(prefix="GRID", count=1, participants=GRID_PARTICIPANTS, trainer=trainer, **run)[0]
    rows, state = Attendance.objects.filter(course_day__cohort=cohort), {"status": "present"}
    cells = list(rows.values_list("participant", "course_day"))

    def fields():
        # Present and absent in turn, so that every POST changes every cell.
        state["status"] = "absent" if state["status"] == "present" else "present"
        blank = {f"{field}-{p}-{d}": "" for p, d in cells for field in "mn"}
        return {**blank, **{f"s-{p}-{d}": state["status"] for p, d in cells}}

    def check():
        found = Counter(rows.values_list("status", flat=True))
        if found != {state["status"]: len(cells)}:
            raise RuntimeError(f"the attendance POST did not save every cell: {dict(found)}")

    url = reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    return cohort, len(cells), checked(client, url), checked(client, url, 302, fields), check


if __name__ == "__main__":
    main()
