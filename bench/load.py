"""
Load: 200 boards registering and 1,000 participants viewing their pages at once, against gunicorn on PostgreSQL
(bench/web.py) with a Celery worker sending the e-mails; the baseline is as many bare GETs from as many threads, in
four turns each. The data comes first, through the services: 40 confirmed course runs of 25, every other one begun
five weeks ago with the attendance of its days. Then the visitors in a random order from 64 threads: each board GETs
/aanmelden/ and POSTs a valid registration, each participant GETs their page and rooster.ics; any other answer than
the expected one is an error. With 64 in flight and four workers, a request's latency is mostly its wait in
gunicorn's queue. Targets: no error, no e-mail lost.
"""

import datetime
import html
import os
import random
import time
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

from bench import web
from bench.common import ROOT, TARGETS, board_number, percentile, report, setup_django, timed
from bench.registration import PAGE, post_registration, prepare_post
from harness import CeleryWorker, SinkSMTP

BOARDS = 200
PARTICIPANTS = 1000
COHORTS = 40  # of PARTICIPANTS // COHORTS participants each, within the programme's 30
CONCURRENCY = 64  # sixteen for each of gunicorn's four workers: a queue forms, as when many follow one e-mail's link
ROUNDS = 4
DAY = {"start_time": datetime.time(9, 30), "end_time": datetime.time(16, 30), "venue": "Zaal De Eik"}  # of each run
MAIL_WAIT = 120  # seconds to wait for the worker to send the e-mails
KINDS = {
    "form": f"registration GET {PAGE}",
    "post": f"registration POST {PAGE}",
    "page": "participant page GET /deelnemer/<token>/",
    "ics": "participant GET /deelnemer/<token>/rooster.ics",
    "bare": f"bare Django view {web.BARE}",
}


def participant_name(n: int) -> dict:
    """A distinct name for each n, from the demo's first and last names, double-barrelled once those run out."""
    from cohorts.demo_data import FIRST_NAMES, LAST_NAMES

    first = FIRST_NAMES[n % len(FIRST_NAMES)]
    tussenvoegsel, last = LAST_NAMES[(n // len(FIRST_NAMES)) % len(LAST_NAMES)]
    if second := n // (len(FIRST_NAMES) * len(LAST_NAMES)):
        last = f"{last}-{LAST_NAMES[second - 1][1]}"
    return {"first_name": first, "initials": f"{first[0]}.", "tussenvoegsel": tussenvoegsel, "last_name": last}


def create_course_runs() -> list[tuple[str, bytes]]:
    """The course runs, made through the services; each participant's page path and name as the page shows it."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from cohorts.demo_data import SCHOOLS
    from cohorts.models import Attendance, CourseDay, Participant, Registration
    from cohorts.services import attendance, enrolment, links, registrations, runs, scheduling
    from programme.models import Programme

    programme = Programme.objects.get(slug="verbindend-leiderschap")
    days = list(programme.days.order_by("number"))
    schools = [school for board in SCHOOLS.values() for school in board]
    today, per_cohort, pages = timezone.localdate(), PARTICIPANTS // COHORTS, []
    contact = {
        "contact_name": "Marieke de Boer",
        "contact_function": "Bestuurssecretaris",
        "contact_phone": "0301234567",
    }
    wishes = {"kind": Registration.Kind.NEW_COHORT, "expected_participants": per_cohort, "preferred_place": "Utrecht"}
    for c in range(COHORTS):
        number = board_number()
        # A trainer of its own: the runs share their dates, and a trainer cannot be on two course days at once.
        trainer = get_user_model().objects.create_user(f"bench-trainer-{c}", f"trainer{c}@example.nl", is_staff=True)
        board = {"name": f"Stichting Onderwijs {number}", "kind": "bestuur", "bestuursnummer": number, "sector": "po"}
        with transaction.atomic():
            registration = registrations.submit_registration(
                board_data={**board, "place": "Utrecht"},
                registration_data={**contact, **wishes, "contact_email": f"bestuur{number}@example.nl"},
                submission_key=uuid.uuid4().hex,
                language="nl",
                programme=programme,
            )
            cohort = registrations.form_cohort(registrations=[registration], programme=programme, trainer=trainer)
            registration.refresh_from_db()
            rows = [
                {**participant_name(n), "email": f"deelnemer{n}@school.example.nl", "role": Participant.Role.DIRECTEUR}
                | dict(zip(("school", "brin"), schools[n % len(schools)], strict=True))
                for n in range(c * per_cohort, (c + 1) * per_cohort)
            ]
            people = enrolment.enroll_participants(registration=registration, rows=rows)
            # Enrolment closes on day 1, so the days are scheduled after it; every other run began five weeks ago.
            first = today + datetime.timedelta(weeks=-5 if c % 2 else 3)
            for offset, day in enumerate(days):
                date = first + datetime.timedelta(weeks=3 * offset)
                scheduling.save_course_day(
                    day=CourseDay(cohort=cohort, programme_day=day, date=date, **DAY),
                    changed_fields=[],
                    replaying=True,  # the runs that began five weeks ago were scheduled before that
                )
            runs.confirm_cohort(cohort=cohort)
            passed, present = list(cohort.days.filter(date__lt=today)), Attendance.Status.PRESENT
            entries = [attendance.AttendanceEntry(person.pk, day.pk, present) for person in people for day in passed]
            attendance.record_attendance(cohort=cohort, entries=entries, recorded_by=trainer)
        for participant in people:
            path = urlsplit(links.participant_page_url(participant)).path
            pages.append((path, html.escape(participant.full_name).encode()))
    return pages


def wait_for_mail(keys=None) -> tuple[int, int, float]:
    """Wait until the outbox rows (those with these keys, or all) are sent; return (rows, sent, seconds)."""
    from mail.models import OutgoingMail

    rows = OutgoingMail.objects.all() if keys is None else OutgoingMail.objects.filter(key__in=keys)
    started = time.perf_counter()
    while time.perf_counter() - started < MAIL_WAIT and rows.exclude(status=OutgoingMail.Status.SENT).exists():
        time.sleep(0.1)
    return (rows.count(), rows.filter(status=OutgoingMail.Status.SENT).count(), time.perf_counter() - started)


def board(client, _state, record):
    client.cookies.clear()  # a new visitor
    form = {}
    if record(KINDS["form"], lambda: form.update(token=prepare_post(client))):
        record(KINDS["post"], lambda: post_registration(client, form["token"]))


def participant(path: str, name: bytes):
    def page(client):
        response = client.request("GET", path)
        return None if response.status == 200 and name in response.body else web.excerpt(response)

    def calendar(client):
        response = client.request("GET", path + "rooster.ics")
        calendar = response.getheader("content-type", "").startswith("text/calendar")
        ok = response.status == 200 and calendar and response.body.count(b"BEGIN:VEVENT") == 6
        return None if ok else web.excerpt(response)

    def visit(client, _state, record):
        client.cookies.clear()  # a new visitor
        if record(KINDS["page"], lambda: page(client)):
            record(KINDS["ics"], lambda: calendar(client))

    return visit


def bare(client, _state, record):
    record(KINDS["bare"], lambda: web.get_bare(client))


def form(client, _state, record):
    client.cookies.clear()  # a new visitor
    record("form", lambda: prepare_post(client) and None)


def main():
    from bench.registration import scratch_redis

    sink = SinkSMTP().start()
    web.server_environment(EMAIL_URL=f"smtp://127.0.0.1:{sink.port}")
    scratch = setup_django()
    worker = None
    try:
        made, pages = timed(create_course_runs)
        print(f"   ({len(pages)} participants in {COHORTS} confirmed course runs, made in {made:.1f} s)")
        if os.environ.get("CELERY_BROKER_URL"):
            log = os.path.join(scratch, "celery.log")
            worker = CeleryWorker("verbindend", env=dict(os.environ), cwd=ROOT, log=log).start()
            rows, sent, waited = wait_for_mail()
            print(f"   (the worker sent {sent} of the {rows} e-mails of the course runs in {waited:.1f} s)")
            if sent < rows:
                raise SystemExit(f"load: {rows - sent} e-mails of the runs were not sent\n{worker.tail()}")
        run(web.start_server(scratch), pages, worker)
    finally:
        if worker:
            worker.stop()
        sink.stop()
        if redis := scratch_redis():
            redis.flushdb()
    TARGETS.finish()


def run(server, pages: list, worker):
    from cohorts.models import Registration

    warm_up = [[bare] * 200, [form] * 40, [participant(*page) for page in pages[:40]]]
    web.warm_up("load", server, [(visits, None) for visits in warm_up], threads=CONCURRENCY)
    visits = [board] * BOARDS + [participant(*page) for page in pages]
    random.Random(9).shuffle(visits)
    last_registration = Registration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    sender = "a Celery worker (2 processes) sending" if worker else "no broker: e-mail sent in the request"
    print(
        f"   ({BOARDS} boards (GET and POST) and {PARTICIPANTS} participants (page and rooster.ics) in a random order "
        f"from {CONCURRENCY} client threads; {web.SERVER}; {sender}; {os.cpu_count()} CPUs)"
    )
    batches = {"baseline": ([bare] * 2 * len(visits), None), "load": (visits, None)}
    results, elapsed = web.measure(server, batches, rounds=ROUNDS, threads=CONCURRENCY, worker=worker)
    new = list(Registration.objects.filter(pk__gt=last_registration).values_list("pk", flat=True))
    keys = [f"{kind}:{pk}" for pk in new for kind in ("registration-received", "registration-notification")]
    rows, sent, waited = wait_for_mail(keys)

    rates = {name: web.requests(results[name]) / elapsed[name] for name in batches}
    print(
        f"load throughput of {BOARDS} boards and {PARTICIPANTS} participants at once: {rates['load']:,.1f} req/s "
        f"against the bare view at the same {CONCURRENCY} concurrent requests at {rates['baseline']:,.1f} "
        f"req/s: ratio {rates['load'] / rates['baseline']:.2f}"
    )
    every = defaultdict(web.Result, {**results["load"], **results["baseline"]})
    bare_p95 = percentile(every[KINDS["bare"]].latencies, 95)
    for kind in KINDS.values():
        p95 = percentile(every[kind].latencies, 95) / bare_p95
        compared = "" if kind == KINDS["bare"] else f"; p95 {p95:.1f} times the bare view's"
        print(f"   {kind}: {len(every[kind].latencies)} requests, {every[kind].percentiles(50, 95, 99)}{compared}")

    posted = every[KINDS["post"]]
    accepted = len(posted.latencies) - len(posted.errors)
    # Two e-mails for each accepted POST: a registration missing, a row missing or a row not sent is an e-mail lost.
    lost = 2 * max(0, accepted - len(new)) + (len(keys) - sent)
    text = (
        f"{len(new)} registrations for {accepted} accepted POSTs, {rows} outbox rows of {len(keys)}, {sent} sent "
        f"({waited:.1f} s after the load): {lost} lost"
    )
    report("e-mails of the registrations", text, lost, "==", 0)
    web.report_errors("load errors", every, server)
    if lost and worker:
        print(f"--- Celery worker log:\n{worker.tail()}")


if __name__ == "__main__":
    main()
