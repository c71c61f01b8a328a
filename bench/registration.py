"""
The public registration form under gunicorn (bench/web.py): requests per second and p50/p99 of GET /aanmelden/ and
of a valid POST to it (a new board, a registration, two outbox rows and one Celery task carrying both, published to
Redis), each against the bare view on the same server, from 16 clients at once, in four rounds. No Celery worker
runs: the tasks wait in Redis database 15, counted and flushed at the end.
"""

import base64
import json
import logging
import os
import re
import uuid

from bench import common, web

CLIENTS = 16
ROUNDS = 4
PAGE, THANKS = "/aanmelden/", "/aanmelden/bedankt/"
GET_KIND, POST_KIND = f"registration GET {PAGE}", f"registration POST {PAGE}"
# The GET serves the form's cached rendering with each visitor's own CSRF token and submission key around it.
GET_TARGET, POST_TARGET = 0.3, 0.10  # of the rates against the bare view's
P99_TARGET = 80  # ms, of the POST
# The form's fields (board, contact, wishes, consent), apart from those that differ with each registration.
FIELDS = {
    **{"path": "new", "board_kind": "bestuur", "swv_code": "", "sector": "po", "board_place": "Utrecht"},
    **{"contact_name": "Bea Bench", "contact_function": "bestuurder", "contact_phone": "0301234567"},
    **{"expected_participants": "14", "preferred_period": "voorjaar 2027", "preferred_place": "Utrecht"},
    **{"remarks": "Aangemeld door de benchmark.", "privacy_consent": "on", "website": ""},
}


def registration_fields(csrf_token: str) -> dict:
    number = common.board_number()
    unique = {"board_name": f"Stichting Bench {number}", "bestuursnummer": number, "submission_key": uuid.uuid4().hex}
    return {**FIELDS, **unique, "contact_email": f"bestuur{number}@example.nl", "csrfmiddlewaretoken": csrf_token}


get_page = web.get(PAGE, lambda response: b"csrfmiddlewaretoken" in response.body)


def read_form(client) -> str | None:
    """Visit the form, as a person would, for the CSRF cookie and the form's token (kept in `client.token`)."""
    response = client.request("GET", PAGE)
    # Of several inputs of that name Django reads the last: the form's own, not one cached inside its rendering.
    form = re.search(rb'<form [^>]*class="registration-form".*?</form>', response.body, re.DOTALL)
    tokens = re.findall(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form[0]) if form else []
    client.token = tokens[-1].decode() if tokens else ""
    return web.problem(response, response.status == 200 and bool(tokens) and "csrftoken" in client.cookies)


def post_registration(client) -> str | None:
    response = client.request("POST", PAGE, registration_fields(client.token))
    return web.problem(response, response.status == 302 and response.getheader("location", "").endswith(THANKS))


KINDS = {  # kind: request(client), prepare(client) (untimed), requests measured, in the warm-up
    web.BARE_KIND: (web.get_bare, None, 3000, 200),
    GET_KIND: (get_page, None, 2000, 100),
    POST_KIND: (post_registration, read_form, 600, CLIENTS * 5),
}


def in_process_figures():
    """In this process (the code the server runs): the queries of a GET and a valid POST, and the time of a POST for
    a known board against one for a new board, 20 in turn after 5 untimed: a gross difference would tell a visitor
    which boards have registered."""
    from django.test import Client

    logging.disable(logging.WARNING)  # the server's log is summed up at the end
    client = Client(HTTP_HOST="127.0.0.1")
    client.get(PAGE)
    get_queries, known = common.captured(common.checked(client, PAGE))[0], registration_fields("unchecked")
    post_queries = common.captured(common.checked(client, PAGE, 302, lambda: known))[0]
    print(f"   (queries per request: GET {PAGE} {len(get_queries)} ({common.kinds(get_queries)}); "
          f"valid POST {len(post_queries)} ({common.kinds(post_queries)}))")  # fmt: skip
    calls = {
        "known": common.checked(client, PAGE, 302, lambda: {**known, "submission_key": uuid.uuid4().hex}),
        "new": common.checked(client, PAGE, 302, lambda: registration_fields("")),
    }
    samples = common.interleaved(calls, warmup=5, rounds=20)
    logging.disable(logging.NOTSET)
    known_ms, new_ms = common.median_ms(samples["known"]), common.median_ms(samples["new"])
    figure, ratio = "a valid POST for a known board against one for a new board, in this process", known_ms / new_ms
    text = f"{known_ms:.1f} ms against {new_ms:.1f} ms (medians): ratio {ratio:.2f}"
    common.report(figure, text, ratio, ">=", 0.5, rest=" " + common.TARGETS.check(figure, ratio, "<=", 2))


def queued_tasks(client) -> tuple[int, int]:
    """Celery messages waiting in the broker's queues (lists named celery...), and the e-mails they carry."""
    tasks = mails = 0
    for key in client.scan_iter("celery*"):
        for raw in client.lrange(key, 0, -1) if client.type(key) == b"list" else []:
            message, tasks = json.loads(raw), tasks + 1
            if message["headers"].get("task") == "mail.tasks.send_mail":
                mails += len(json.loads(base64.b64decode(message["body"]))[0][0])  # send_mail(mail_ids)
    return tasks, mails


def main():
    with web.served() as (server, _scratch):
        from cohorts.models import Registration

        in_process_figures()
        redis = web.scratch_redis()
        before = (Registration.objects.count(), *queued_tasks(redis)) if redis else None
        warm_up = [(web.visits(kind, request, n), prepare) for kind, (request, prepare, _, n) in KINDS.items()]
        batches = {kind: (web.visits(kind, request, n), prepare) for kind, (request, prepare, n, _) in KINDS.items()}
        print(f"   ({CLIENTS} clients, {web.SERVER}, {os.cpu_count()} CPUs; {ROUNDS} rounds)")
        results, rates, _ = web.measure(server, batches, warm_up=warm_up, rounds=ROUNDS, threads=CLIENTS)
        for kind, limit in ((GET_KIND, GET_TARGET), (POST_KIND, POST_TARGET)):
            rate, bare = rates[kind], rates[web.BARE_KIND]
            text = f"{rate:,.1f} req/s against a bare view at {bare:,.1f} req/s: ratio {rate / bare:.2f}"
            common.report(kind, text, rate / bare, ">=", limit, rest=f"; {results[kind].percentiles(50, 99)}")
        p99 = common.percentile(results[POST_KIND].latencies, 99)
        common.report(f"POST p99 at {CLIENTS} clients", f"{p99:.1f} ms", p99, "<", P99_TARGET, "ms")
        web.report_errors("registration errors", results, server)
        if redis:
            posts = Registration.objects.count() - before[0]
            tasks, mails = (now - then for now, then in zip(queued_tasks(redis), before[1:], strict=True))
            text = f"{tasks} carrying {mails} e-mails, expected {posts} carrying {2 * posts}"
            common.report("Celery tasks waiting in Redis", text, abs(tasks - posts) + abs(mails - 2 * posts), "==", 0)
        else:
            print("   (the broker is not the scratch Redis database 15 here: the queued tasks were not counted)")
    common.TARGETS.finish()


if __name__ == "__main__":
    main()
