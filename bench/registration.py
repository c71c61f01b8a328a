"""
The public registration form under gunicorn (bench/web.py): requests per second and p50/p99 of GET /aanmelden/ and
of a valid POST to it (a new board, a registration, two outbox rows and one Celery task carrying both, published to
Redis), each against the bare view on the same server, from 16 clients at once. No Celery worker runs: the tasks
wait in Redis database 15, counted and flushed at the end. The three kinds take turns in four rounds, so that
other load on this shared machine weighs on each alike.
"""

import base64
import json
import os
import re
import statistics
import uuid
from urllib.parse import urlsplit

from bench import web
from bench.common import TARGETS, board_number, captured, kinds, median_ms, setup_django, target, timed

CLIENTS = 16
REQUESTS = {"bare": 3000, "GET": 2000, "POST": 600}
ROUNDS = 4
PAGE = "/aanmelden/"
THANKS = "/aanmelden/bedankt/"
# The GET serves the form's cached rendering with each visitor's own CSRF token and submission key around it.
TARGETS_OF = {"GET": 0.3, "POST": 0.08}
P99_TARGET = 100  # ms, of the POST


def registration_fields(csrf_token: str) -> dict:
    number = board_number()
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


def get_page(client, state=None) -> str | None:
    response = client.request("GET", PAGE)
    return None if response.status == 200 and b"csrfmiddlewaretoken" in response.body else response.excerpt()


def prepare_post(client) -> str:
    """Visit the form once, as a person would, for the CSRF cookie and the form's token."""
    response = client.request("GET", PAGE)
    # Of several inputs of that name Django reads the last: the form's own, not one cached inside its rendering.
    form = re.search(rb'<form [^>]*class="registration-form".*?</form>', response.body, re.DOTALL)
    tokens = re.findall(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form[0]) if form else []
    if response.status != 200 or not tokens or "csrftoken" not in client.cookies:
        raise RuntimeError(f"no CSRF token on {PAGE}: {response.excerpt()}")
    return tokens[-1].decode()


def post_registration(client, csrf_token: str) -> str | None:
    response = client.request("POST", PAGE, registration_fields(csrf_token))
    if response.status == 302 and response.header("location").endswith(THANKS):
        return None
    return response.excerpt()


KINDS = {  # kind: (name, request(client, state), prepare(client) for the state, untimed)
    "bare": (f"bare Django view {web.BARE}", web.get_bare, None),
    "GET": (f"registration GET {PAGE}", get_page, None),
    "POST": (f"registration POST {PAGE}", post_registration, prepare_post),
}


def visits(kind: str, count: int) -> list:
    name, request, _prepare = KINDS[kind]
    return [lambda client, state, record: record(name, lambda: request(client, state))] * count


def in_process_figures():
    """
    In this process (the same code the server runs): the queries of one GET and one valid POST, and the time of a
    valid POST for a board already known against one for a new board, 20 of each in turn after 5 untimed: a gross
    difference would tell a visitor which boards have registered.
    """
    import logging

    from django.test import Client as DjangoClient

    logging.disable(logging.WARNING)  # the server's log is summed up at the end
    client = DjangoClient(HTTP_HOST="127.0.0.1")
    client.get(PAGE)
    get_queries, get = captured(lambda: client.get(PAGE))
    known = registration_fields("unchecked")
    post_queries, post = captured(lambda: client.post(PAGE, known))
    assert (get.status_code, post.status_code) == (200, 302), (get.status_code, post.status_code)
    print(
        f"   (queries per request: GET {PAGE} {len(get_queries)} ({kinds(get_queries)}); "
        f"valid POST {len(post_queries)} ({kinds(post_queries)}))"
    )
    samples = {"known": [], "new": []}
    for turn in range(25):
        for kind, fields in (
            ("known", {**known, "submission_key": uuid.uuid4().hex}),
            ("new", registration_fields("")),
        ):
            seconds, response = timed(lambda fields=fields: client.post(PAGE, fields))
            assert response.status_code == 302, response.status_code
            samples[kind] += [seconds] if turn >= 5 else []
    logging.disable(logging.NOTSET)
    ratio = statistics.median(samples["known"]) / statistics.median(samples["new"])
    figure = "a valid POST for a known board against one for a new board, in this process"
    print(
        f"{figure}: {median_ms(samples['known']):.1f} ms against {median_ms(samples['new']):.1f} ms (medians): "
        f"ratio {ratio:.2f} {target(figure, ratio, '>=', 0.5)} {target(figure, ratio, '<=', 2)}"
    )


def scratch_redis():
    """The broker's Redis when it is the scratch database 15 on this machine (flushed at the end), else None."""
    parts = urlsplit(os.environ.get("CELERY_BROKER_URL", ""))
    if parts.scheme != "redis" or parts.hostname not in {"127.0.0.1", "localhost"} or parts.path != "/15":
        return None
    import redis

    return redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])


def queued_tasks(client) -> tuple[int, int]:
    """Celery messages waiting in the broker's queues (lists named celery...), and the e-mails they carry."""
    tasks = mails = 0
    for key in client.scan_iter("celery*"):
        for raw in client.lrange(key, 0, -1) if client.type(key) == b"list" else []:
            message = json.loads(raw)
            tasks += 1
            if message["headers"].get("task") == "mail.tasks.send_mail":
                mails += len(json.loads(base64.b64decode(message["body"]))[0][0])  # send_mail(mail_ids)
    return tasks, mails


def main():
    web.server_environment()
    scratch = setup_django()
    from cohorts.models import Registration

    redis_client = scratch_redis()
    try:
        server = web.start_server(scratch)  # after collectstatic, which the pages in this process need too
        in_process_figures()
        before = (Registration.objects.count(), *queued_tasks(redis_client)) if redis_client else None
        results = measure(server)
        report(server, results)
        if redis_client:
            check_queued(redis_client, before, Registration.objects.count())
        else:
            print("   (the broker is not the scratch Redis database 15 here: the queued tasks were not counted)")
    finally:
        if redis_client:
            redis_client.flushdb()
    TARGETS.finish()


def measure(server) -> web.Results:
    # Untimed: a broken page fails at once, and every worker is warm (templates, connections).
    warm_up = web.Results()
    for kind, count in (("bare", 200), ("GET", 100), ("POST", CLIENTS * 5)):
        web.drive(server.port, visits(kind, count), warm_up, threads=CLIENTS, prepare=KINDS[kind][2])
    problems = [(kind, result.errors[0]) for kind, result in warm_up.items() if result.errors]
    if problems:
        raise SystemExit(f"registration: the form does not work: {problems[0]}\n--- gunicorn log:\n{server.tail()}")
    results, meters = web.Results(), {kind: web.CpuMeter(server) for kind in KINDS}
    for _round in range(ROUNDS):
        for kind, (name, _request, prepare) in KINDS.items():
            with meters[kind].measuring():
                count = REQUESTS[kind] // ROUNDS
                results[name].elapsed += web.drive(
                    server.port, visits(kind, count), results, threads=CLIENTS, prepare=prepare
                )
    rounds = ", ".join(f"{REQUESTS[kind] // ROUNDS} {kind}" for kind in KINDS)
    print(
        f"   ({CLIENTS} clients, gunicorn {web.GUNICORN_WORKERS} sync workers, {os.cpu_count()} CPUs; "
        f"{ROUNDS} rounds of {rounds})"
    )
    for kind, (name, _request, _prepare) in KINDS.items():
        done = len(results[name].latencies)
        print(f"   ({name}: {done} requests in {results[name].elapsed:.2f} s; {meters[kind].per_request(done)})")
    return results


def report(server, results: web.Results):
    bare = results[KINDS["bare"][0]]
    for kind, limit in TARGETS_OF.items():
        result = results[KINDS[kind][0]]
        ratio = result.rate / bare.rate
        print(
            f"{result.name}: {result.rate:,.1f} req/s against a bare view at {bare.rate:,.1f} req/s: "
            f"ratio {ratio:.2f} {target(f'{result.name} ratio', ratio, '>=', limit)}; {result.percentiles(50, 99)}"
        )
    p99 = results[KINDS["POST"][0]].percentile(0.99)
    figure = f"POST p99 at {CLIENTS} clients"
    print(f"{figure}: {p99:.1f} ms {target(figure, p99, '<', P99_TARGET, 'ms')}")
    print(f"   (gunicorn log: {web.log_summary(server)})")
    errors = sum(len(result.errors) for result in results.values())
    print(
        f"errors: {', '.join(f'{name} {len(result.errors)}' for name, result in results.items())} "
        f"{target('registration errors', errors, '==', 0)}"
    )
    for name, result in results.items():
        if result.errors:
            print(f"   first error of {name}: {result.errors[0]}")
    if errors:
        print(f"--- gunicorn log:\n{server.tail()}")


def check_queued(redis_client, before: tuple[int, int, int], registrations: int):
    """Every registration accepted since `before` published one task carrying its two e-mails."""
    posts = registrations - before[0]
    tasks, mails = (now - then for now, then in zip(queued_tasks(redis_client), before[1:], strict=True))
    figure = "Celery tasks and e-mails waiting in Redis beyond those expected"
    missing = abs(tasks - posts) + abs(mails - 2 * posts)
    print(
        f"   (Celery tasks waiting in Redis: {tasks} carrying {mails} e-mails, expected {posts} carrying {2 * posts}) "
        f"{target(figure, missing, '==', 0)}"
    )


if __name__ == "__main__":
    main()
