"""
Load: 200 boards registering and 1,000 participants viewing their pages at once, against gunicorn on PostgreSQL
(bench/web.py) with a Celery worker sending the e-mails; the baseline is as many bare GETs from as many threads, in
four turns each. The data: 40 confirmed course runs of 25, half begun five weeks ago with the attendance so far.
Each board GETs /aanmelden/ and POSTs a registration, each participant GETs their page and rooster.ics, in a random
order from 64 threads. With 64 in flight and four workers, a request's latency is mostly its wait in gunicorn's queue.
"""

import datetime
import html
import os
import random
from urllib.parse import urlsplit

from bench import common, web
from bench.registration import GET_KIND, POST_KIND, post_registration, read_form
from harness import SinkSMTP

BOARDS, PARTICIPANTS, COHORTS = 200, 1000, 40  # of PARTICIPANTS // COHORTS participants each, within the 30
CONCURRENCY = 64  # sixteen for each of gunicorn's four workers: a queue forms, as when many follow one e-mail's link
ROUNDS = 4
PAGE_KIND, ICS_KIND = "participant page GET /deelnemer/<token>/", "participant GET /deelnemer/<token>/rooster.ics"
P95_TARGET, CPU_TARGET = 5, 3  # the participant's p95s against the bare view's; ms of gunicorn's CPU per request
BOARD = web.new_visitor((GET_KIND, read_form), (POST_KIND, post_registration))


def create_course_runs() -> list[tuple[str, bytes]]:
    """The course runs, in bulk; each participant's page path and name as the page shows it."""
    from django.utils import timezone

    from cohorts.models import Participant
    from cohorts.services import links

    today, run = timezone.localdate(), {"participants": PARTICIPANTS // COHORTS, "count": COHORTS // 2}
    run["statuses"] = ["confirmed"]
    common.bulk_runs(prefix="BEGUN", first_date=today - datetime.timedelta(weeks=5), attended=today, **run)
    common.bulk_runs(prefix="NEXT", first_date=today + datetime.timedelta(weeks=3), **run)
    people = Participant.objects.order_by("pk")
    return [(urlsplit(links.participant_page_url(p)).path, html.escape(p.full_name).encode()) for p in people]


def participant(path: str, name: bytes):
    """A participant's visit: their page, then their calendar of the six course days."""

    def calendar(response) -> bool:
        is_calendar = response.getheader("content-type", "").startswith("text/calendar")
        return is_calendar and response.body.count(b"BEGIN:VEVENT") == 6

    page = web.get(path, lambda response: name in response.body)
    return web.new_visitor((PAGE_KIND, page), (ICS_KIND, web.get(path + "rooster.ics", calendar)))


def main():
    with SinkSMTP() as sink, web.served(EMAIL_URL=f"smtp://127.0.0.1:{sink.port}") as (server, scratch):
        from mail.models import OutgoingMail

        made, pages = common.timed(create_course_runs)
        print(f"   ({len(pages)} participants in {COHORTS} confirmed course runs, made in {made:.1f} s)")
        with common.celery_worker(scratch) as worker:
            if worker:
                rows, sent, waited = common.wait_for_outbox(OutgoingMail.objects.all())
                print(f"   (the worker sent {sent} of the {rows} e-mails of the course runs in {waited:.1f} s)")
                if sent < rows:
                    raise SystemExit(f"load: {rows - sent} e-mails of the runs were not sent\n{worker.tail()}")
            run(server, pages, worker)
    common.TARGETS.finish()


def run(server, pages: list, worker):
    from cohorts.models import Registration
    from mail.models import OutgoingMail

    last_registration = Registration.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    visits = [BOARD] * BOARDS + [participant(*page) for page in pages]
    random.Random(9).shuffle(visits)
    participants = [participant(*page) for page in pages[:40]]
    warm_up = [web.visits(web.BARE_KIND, web.get_bare, 200), web.visits("form", read_form, 40), participants]
    sender = "a Celery worker (2 processes) sending" if worker else "no broker: e-mail sent in the request"
    print(
        f"   ({BOARDS} boards (GET and POST) and {PARTICIPANTS} participants (page and rooster.ics) in a random order "
        f"from {CONCURRENCY} client threads; {web.SERVER}; {sender}; {os.cpu_count()} CPUs)"
    )
    batches = {"baseline": (web.visits(web.BARE_KIND, web.get_bare, 2 * len(visits)), None), "load": (visits, None)}
    warm_up = [(batch, None) for batch in warm_up]
    every, rates, cpu = web.measure(server, batches, warm_up=warm_up, rounds=ROUNDS, threads=CONCURRENCY, worker=worker)
    new = list(Registration.objects.filter(pk__gt=last_registration).values_list("pk", flat=True))
    keys = [f"{kind}:{pk}" for pk in new for kind in ("registration-received", "registration-notification")]
    rows, sent, waited = common.wait_for_outbox(OutgoingMail.objects.filter(key__in=keys))

    print(
        f"load throughput of {BOARDS} boards and {PARTICIPANTS} participants at once: {rates['load']:,.1f} req/s "
        f"against the bare view at the same {CONCURRENCY} concurrent requests at {rates['baseline']:,.1f} "
        f"req/s: ratio {rates['load'] / rates['baseline']:.2f}"
    )
    bare_p95 = common.percentile(every[web.BARE_KIND].latencies, 95)
    for kind in (GET_KIND, POST_KIND, PAGE_KIND, ICS_KIND, web.BARE_KIND):
        p95 = common.percentile(every[kind].latencies, 95) / bare_p95
        text = f"{len(every[kind].latencies)} requests, {every[kind].percentiles(50, 95, 99)}"
        text += f"; p95 {p95:.1f} times the bare view's" if kind != web.BARE_KIND else ""
        if kind in (PAGE_KIND, ICS_KIND):
            common.report(kind, text, p95, "<=", P95_TARGET)
        else:
            print(f"   {kind}: {text}")
    gunicorn = cpu["load"].ms("gunicorn")
    common.report("gunicorn CPU per request under load", f"{gunicorn:.1f} ms", gunicorn, "<=", CPU_TARGET, "ms")

    posted = every[POST_KIND]
    accepted = len(posted.latencies) - len(posted.errors)
    # Two e-mails for each accepted POST: a registration missing, a row missing or a row not sent is an e-mail lost.
    lost = 2 * max(0, accepted - len(new)) + (len(keys) - sent)
    text = (
        f"{len(new)} registrations for {accepted} accepted POSTs, {rows} outbox rows of {len(keys)}, {sent} sent "
        f"({waited:.1f} s after the load): {lost} lost"
    )
    common.report("e-mails of the registrations", text, lost, "==", 0)
    web.report_errors("load errors", every, server)
    if lost and worker:
        print(f"--- Celery worker log:\n{worker.tail()}")


if __name__ == "__main__":
    main()
