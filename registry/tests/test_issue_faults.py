"""Redis stopped while staff ask for a run's certificates: the admin answers, the request waits, the drain issues."""

import time

from django.contrib.auth.models import User
from django.urls import reverse

from conftest import CeleryWorker, run_in_project, wait_until
from registry.models import Certificate, IssueRequest
from registry.tests.conftest import completed_run

ASK = """
from django.contrib.auth.models import User
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
    worker = CeleryWorker(env)
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
