"""
Load: 200 boards registering and 1,000 participants viewing their pages at once, against gunicorn on PostgreSQL
(bench/web.py), with a Celery worker sending the e-mails. Reported: throughput, p50/p95/p99 per kind of request and
CPU per request of each part, against the bare view on the same server. Targets: zero errors, no e-mail lost.

The data comes first, through the services: 40 course runs, each formed for one board's registration, its six days
scheduled, 25 participants enrolled and confirmed; every other run began five weeks ago and has the attendance of its
first two days. The worker sends the e-mails this makes before the load starts. Then 1,200 visitors in a random
order from 64 threads (64 requests in flight): each board GETs /aanmelden/ and POSTs a valid registration (302 to the
thank-you page); each participant GETs their page (200 with their name) and rooster.ics (200, their six days). Any
other answer, a timeout or a connection error is an error. With 64 in flight and four workers, a request's latency
is mostly its wait in gunicorn's queue. The baseline is as many bare GETs from as many threads; load and baseline
take turns in four rounds.
"""

import datetime
import html
import os
import random
import time
import uuid
from urllib.parse import urlsplit

from bench import web
from bench.common import ROOT, TARGETS, board_number, setup_django, target
from bench.registration import PAGE, post_registration, prepare_post
from harness import CeleryWorker, SinkSMTP

BOARDS = 200
PARTICIPANTS = 1000
COHORTS = 40  # of PARTICIPANTS // COHORTS participants each, within the programme's 30
CONCURRENCY = 64  # sixteen for each of gunicorn's four workers: a queue forms, as when many follow one e-mail's link
ROUNDS = 4
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
    from cohorts.demo import FIRST_NAMES, LAST_NAMES

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

    from cohorts.demo import SCHOOLS
    from cohorts.models import Attendance, CourseDay, Participant, Registration
    from cohorts.services import attendance, enrolment, links, registrations, runs, scheduling
    from programme.models import Programme

    programme = Programme.objects.get(slug="verbindend-leiderschap")
    days = list(programme.days.order_by("number"))
    schools = [school for board in SCHOOLS.values() for school in board]
    today, per_cohort, pages = timezone.localdate(), PARTICIPANTS // COHORTS, []
    for c in range(COHORTS):
        number = board_number()
        # A trainer of its own: the runs share their dates, and a trainer cannot be on two course days at once.
        trainer = get_user_model().objects.create_user(f"bench-trainer-{c}", f"trainer{c}@example.nl", is_staff=True)
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
            for n in range(c * per_cohort, (c + 1) * per_cohort):
                school, brin = schools[n % len(schools)]
                role = Participant.Role.DIRECTEUR
                rows.append({**participant_name(n), "email": f"deelnemer{n}@school.example.nl", "role": role})
                rows[-1].update(school=school, brin=brin)
            people = enrolment.enroll_participants(registration=registration, rows=rows)
            # Enrolment closes on day 1, so the days are scheduled after it; every other run began five weeks ago.
            first = today + datetime.timedelta(weeks=-5 if c % 2 else 3)
            for offset, day in enumerate(days):
                scheduling.save_course_day(
                    day=CourseDay(
                        cohort=cohort,
                        programme_day=day,
                        date=first + datetime.timedelta(weeks=3 * offset),
                        start_time=datetime.time(9, 30),
                        end_time=datetime.time(16, 30),
                        venue="Zaal De Eik",
                    ),
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
    return rows.count(), rows.filter(status=OutgoingMail.Status.SENT).count(), time.perf_counter() - started


# --- The visitors: each with cookies of its own ------------------------------------------------


def board(port: int):
    def visit(_client, _state, record):
        client, form = web.Client(port), {}
        if record(KINDS["form"], lambda: form.update(token=prepare_post(client))):
            record(KINDS["post"], lambda: post_registration(client, form["token"]))

    return visit


def participant(port: int, path: str, name: bytes):
    def page(client):
        response = client.request("GET", path)
        return None if response.status == 200 and name in response.body else response.excerpt()

    def calendar(client):
        response = client.request("GET", path + "rooster.ics")
        calendar = response.header("content-type").startswith("text/calendar")
        ok = response.status == 200 and calendar and response.body.count(b"BEGIN:VEVENT") == 6
        return None if ok else response.excerpt()

    def visit(_client, _state, record):
        client = web.Client(port)
        if record(KINDS["page"], lambda: page(client)):
            record(KINDS["ics"], lambda: calendar(client))

    return visit


def bare(client, _state, record):
    record(KINDS["bare"], lambda: web.get_bare(client))


# --- The benchmark ---------------------------------------------------------------------------


def main():
    sink = SinkSMTP().start()
    web.server_environment(EMAIL_URL=f"smtp://127.0.0.1:{sink.port}")
    scratch = setup_django()
    worker = None
    try:
        started = time.perf_counter()
        pages = create_course_runs()
        made = time.perf_counter() - started
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
        flush_scratch_redis()
    TARGETS.finish()


def flush_scratch_redis():
    from bench.registration import scratch_redis

    if client := scratch_redis():
        client.flushdb()


def run(server, pages: list, worker):
    from cohorts.models import Registration

    port = server.port
    # Untimed: every worker warmed up on the bare view, the form and a few participants' pages.
    warm_up = web.Results()
    web.drive(port, [bare] * 200, warm_up, threads=CONCURRENCY)

    def form(_client, _state, record):
        record("form", lambda: prepare_post(web.Client(port)) and None)

    web.drive(port, [form] * 40, warm_up, threads=CONCURRENCY)
    web.drive(port, [participant(port, *p) for p in pages[:40]], warm_up, threads=CONCURRENCY)
    if problems := [(kind, result.errors[0]) for kind, result in warm_up.items() if result.errors]:
        raise SystemExit(f"load: the warm-up failed: {problems[0]}\n--- gunicorn log:\n{server.tail()}")

    visits = [board(port)] * BOARDS + [participant(port, *p) for p in pages]
    random.Random(9).shuffle(visits)
    requests = 2 * BOARDS + 2 * len(pages)
    last_registration = Registration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    results, baseline = web.Results(), web.Results()
    load_cpu, bare_cpu = web.CpuMeter(server, worker), web.CpuMeter(server, worker)
    elapsed = bare_elapsed = 0.0
    for n in range(ROUNDS):
        with bare_cpu.measuring():
            bare_elapsed += web.drive(port, [bare] * (requests // ROUNDS), baseline, threads=CONCURRENCY)
        with load_cpu.measuring():
            elapsed += web.drive(port, visits[n::ROUNDS], results, threads=CONCURRENCY)
    new = list(Registration.objects.filter(pk__gt=last_registration).values_list("pk", flat=True))
    keys = [f"{kind}:{pk}" for pk in new for kind in ("registration-received", "registration-notification")]
    mail = wait_for_mail(keys)
    report(server, worker, results, baseline, elapsed, bare_elapsed, (load_cpu, bare_cpu), (new, keys, *mail))


def report(server, worker, results, baseline, elapsed, bare_elapsed, meters, mail):
    bare_result = baseline[KINDS["bare"]]
    done, baseline_done = sum(len(r.latencies) for r in results.values()), len(bare_result.latencies)
    sender = "a Celery worker (2 processes) sending" if worker else "no broker: e-mail sent in the request"
    print(
        f"   ({BOARDS} boards (GET and POST) and {PARTICIPANTS} participants (page and rooster.ics) in a random order "
        f"from {CONCURRENCY} client threads; gunicorn {web.GUNICORN_WORKERS} sync workers; {sender}; "
        f"{os.cpu_count()} CPUs)"
    )
    print(f"   (load: {done} requests in {elapsed:.2f} s; baseline: {baseline_done} in {bare_elapsed:.2f} s)")
    print(f"   (load: {meters[0].per_request(done)})")
    print(f"   (baseline: {meters[1].per_request(baseline_done)})")
    print(
        f"load throughput of {BOARDS} boards and {PARTICIPANTS} participants at once: {done / elapsed:,.1f} req/s "
        f"against the bare view at the same {CONCURRENCY} concurrent requests at {baseline_done / bare_elapsed:,.1f} "
        f"req/s: ratio {done / elapsed / (baseline_done / bare_elapsed):.2f}"
    )
    bare_p95 = bare_result.percentile(0.95)
    for kind in KINDS.values():
        result = (baseline if kind == KINDS["bare"] else results)[kind]
        compared = (
            "" if kind == KINDS["bare"] else f"; p95 {result.percentile(0.95) / bare_p95:.1f} times the bare view's"
        )
        print(f"   {kind}: {len(result.latencies)} requests, {result.percentiles(50, 95, 99)}{compared}")

    new, keys, rows, sent, waited = mail
    posted = results[KINDS["post"]]
    accepted = len(posted.latencies) - len(posted.errors)
    # Two e-mails for each accepted POST: a registration missing, a row missing or a row not sent is an e-mail lost.
    lost = 2 * max(0, accepted - len(new)) + (len(keys) - sent)
    print(
        f"e-mails of the registrations: {len(new)} registrations for {accepted} accepted POSTs, {rows} outbox rows of "
        f"{len(keys)}, {sent} sent ({waited:.1f} s after the load): {lost} lost {target('e-mails lost', lost, '==', 0)}"
    )
    print(f"   (gunicorn log: {web.log_summary(server)})")
    errors = {kind: result.errors for kind, result in {**results, **baseline}.items() if result.errors}
    total = sum(len(found) for found in errors.values())
    print(f"errors: {total} of {done + baseline_done} requests {target('load errors', total, '==', 0)}")
    for kind, found in errors.items():
        print(f"   {len(found)} of {kind}, the first: {found[0]}")
    if total:
        print(f"--- gunicorn log:\n{server.tail()}")
    if lost and worker:
        print(f"--- Celery worker log:\n{worker.tail()}")


if __name__ == "__main__":
    main()
