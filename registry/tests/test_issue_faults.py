"""
Faults while issuing, with real workers: Redis stopped while staff ask for a run's certificates, and a worker's
process killed while it renders them (as the kernel does when memory runs out).
"""

import os
import signal
import threading
import time
from pathlib import Path

from django.contrib.auth.models import User
from django.db import connections
from django.urls import reverse

from conftest import celery_worker, run_in_project, shared_redis_url
from harness import CeleryWorker, wait_until
from registry.models import Certificate, IssueRequest
from registry.tests.conftest import completed_run

ASK = """
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client
client = Client()
client.force_login(User.objects.get(username="beheer"))
response = client.post("{url}", {{"action": "issue_certificates", "_selected_action": [{cohort}], "post": "yes"}})
assert response.status_code == 302, response.status_code
print("asked")
"""


def test_redis_stopped_while_asking_for_certificates_the_drain_issues_them_once_it_is_back(
    service_env, private_redis, accreditation, tmp_path
):
    cohort, _people = completed_run({"Anna": range(1, 7), "Bram": [1, 2]})
    User.objects.create_superuser("beheer", password="x-secret-123")
    env = {
        **service_env,
        "CELERY_BROKER_URL": private_redis.url,
        "ALLOWED_HOSTS": "testserver",
        "SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(tmp_path),
        "ISSUE_DRAIN_GRACE_SECONDS": "0",
    }
    private_redis.stop()
    started = time.monotonic()
    output = run_in_project(ASK.format(url=reverse("admin:registry_completedcohort_changelist"), cohort=cohort.pk), env)
    assert "asked" in output
    assert time.monotonic() - started < 30
    request = IssueRequest.objects.get()
    assert (request.cohort_id, request.status, request.attempts) == (cohort.pk, "pending", 0)
    assert Certificate.objects.count() == 0

    private_redis.start()  # it kept nothing: whatever was queued is gone
    worker = celery_worker(env)
    worker.start()
    try:
        run_in_project("from registry.issuing import requeue_stranded_requests; requeue_stranded_requests()", env)
        wait_until(lambda: IssueRequest.objects.get().status == "done", message="the request issued", timeout=120)
    finally:
        worker.stop()
    request.refresh_from_db()
    assert (request.attempts, request.issued) == (1, 2)
    assert sorted(Certificate.objects.values_list("participant__first_name", "kind")) == [
        ("Anna", "certificate"),
        ("Bram", "attendance"),
    ]
    assert all((tmp_path / c.pdf.name).exists() for c in Certificate.objects.all())


def pool_processes(worker: CeleryWorker) -> list[int]:
    pid = worker.process.pid
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_a_pool_process_killed_while_rendering_leaves_the_request_claimed_and_the_drain_retries_it_once(
    service_env, accreditation, tmp_path
):
    """
    The kernel kills a pool process that runs out of memory; the worker lives on. The run is not started again by
    itself (the task is acknowledged on receipt, so nothing is redelivered, and its request stays claimed); the
    drain hands it to a worker again once the claim is old, and counts the attempt, so a run that always kills its
    process ends `failed` instead of going round. (That the task is not redelivered is its options, tested in
    test_issue_requests.py.)
    """
    cohort, _people = completed_run({f"Anna{n}": range(1, 7) for n in range(8)})
    env = {
        **service_env,
        "CELERY_BROKER_URL": shared_redis_url(db=5),
        "MEDIA_ROOT": str(tmp_path),
        "ISSUE_CLAIM_TIMEOUT_SECONDS": "3",
    }
    worker = celery_worker(env, concurrency=1)
    worker.start()
    killed = []

    def kill_the_pool_process_once_it_renders():
        # Watched from the moment the request is asked for: eight certificates take about a second, less than the
        # asking process may take to exit.
        try:
            wait_until(lambda: IssueRequest.objects.filter(status="running").exists(), timeout=60, interval=0.005)
            (child,) = pool_processes(worker)
            os.kill(child, signal.SIGKILL)  # the pool process only: the worker lives on and starts a new one
            killed.append(child)
        finally:
            connections.close_all()

    watcher = threading.Thread(target=kill_the_pool_process_once_it_renders)
    watcher.start()
    try:
        run_in_project(
            f"from cohorts.models import Cohort\nfrom registry import issuing\n"
            f"issuing.request_certificates(cohorts=[Cohort.objects.get(pk={cohort.pk})])",
            env,
        )
        watcher.join(timeout=90)
        assert killed, f"the run was not seen rendering: {IssueRequest.objects.values().get()}"
        (child,) = killed
        wait_until(lambda: "exited with 'signal 9 (SIGKILL)'" in worker.output(), message="the worker noticing")
        time.sleep(4)  # time enough for a redelivery to start; and the claim grows older than its timeout
        request = IssueRequest.objects.get()
        assert (request.status, request.attempts) == ("running", 1)
        assert Certificate.objects.count() == 0
        assert len(pool_processes(worker)) == 1 and pool_processes(worker) != [child]

        run_in_project("from registry.issuing import requeue_stranded_requests; requeue_stranded_requests()", env)
        wait_until(lambda: IssueRequest.objects.get().status == "done", message="the retry issued", timeout=120)
    finally:
        worker.stop()
    request = IssueRequest.objects.get()
    assert (request.attempts, request.issued) == (2, 8)
    assert Certificate.objects.count() == 8
