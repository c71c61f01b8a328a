"""
Issuing on request: the admin's action is a recorded request, queued after commit; a broker that is away or a
worker that dies leaves the request for the drain, a bounded number of times; the tasks' delivery is set per task.
"""

import datetime
import logging
from unittest import mock

import pytest
import time_machine
from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from mail import tasks as mail_tasks
from registry import issuing, tasks
from registry.models import Certificate, IssueRequest
from registry.tests.conftest import completed_run

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:registry_completedcohort_changelist"
NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)


def issue_from_the_admin(client, cohort):
    return client.post(
        reverse(CHANGELIST), {"action": "issue_certificates", "_selected_action": [cohort.pk], "post": "yes"}
    )


# --- Delivery, per task --------------------------------------------------------


@pytest.fixture
def worker_tasks():
    """Every task a worker knows: it imports each app's tasks module (autodiscovery) as it starts."""
    current_app.loader.import_default_modules()
    return current_app.tasks


def test_only_the_outbox_sender_is_acknowledged_late_and_delivered_again(worker_tasks):
    assert (mail_tasks.send_mail.acks_late, mail_tasks.send_mail.reject_on_worker_lost) == (True, True)
    assert (tasks.issue_requested.acks_late, tasks.issue_requested.reject_on_worker_lost) == (False, False)
    assert not hasattr(settings, "CELERY_TASK_ACKS_LATE")
    assert not hasattr(settings, "CELERY_TASK_REJECT_ON_WORKER_LOST")
    ours = {name: task for name, task in worker_tasks.items() if not name.startswith("celery.")}
    assert {"cohorts.tasks.apply_retention", "registry.tasks.issue_certificates"} <= set(ours)
    late = {name for name, task in ours.items() if task.acks_late or task.reject_on_worker_lost}
    assert late == {"mail.tasks.send_mail"}
    # The issuing task ends itself before the drain takes its claim for a dead worker's.
    assert tasks.issue_requested.time_limit < settings.ISSUE_CLAIM_TIMEOUT_SECONDS


def test_every_beat_entry_expires_before_its_next_turn(worker_tasks):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert "registry.tasks.drain_issue_requests" in {entry["task"] for entry in schedule.values()}
    for name, entry in schedule.items():
        assert 0 < entry["options"]["expires"] < entry["schedule"], name
        assert entry["task"] in worker_tasks, name


# --- The admin's request -------------------------------------------------------


def test_the_admin_records_a_request_and_its_task_issues_it(
    admin_client, accreditation, django_capture_on_commit_callbacks
):
    cohort, _people = completed_run({"Anna": range(1, 7), "Bram": [1, 2]})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = issue_from_the_admin(admin_client, cohort)
    assert response.status_code == 302
    request = IssueRequest.objects.get()
    assert (request.cohort, request.requested_by, request.status) == (cohort, User.objects.get(), "pending")
    assert Certificate.objects.count() == 0  # nothing before the commit
    for callback in callbacks:
        callback()
    request.refresh_from_db()
    assert (request.status, request.attempts, request.issued) == ("done", 1, 2)
    assert Certificate.objects.filter(issued_by=request.requested_by).count() == 2


def test_with_the_broker_away_the_admin_still_succeeds_and_the_drain_issues_later(
    admin_client, accreditation, django_capture_on_commit_callbacks, caplog
):
    cohort, _people = completed_run({"Anna": range(1, 7)})
    with (
        time_machine.travel(NOW, tick=False),
        mock.patch.object(tasks.issue_requested, "apply_async", side_effect=OperationalError("connection refused")),
        django_capture_on_commit_callbacks(execute=True),
        caplog.at_level(logging.WARNING, logger="registry.issuing"),
    ):
        response = issue_from_the_admin(admin_client, cohort)
    assert response.status_code == 302
    assert "De certificaten worden uitgereikt" in admin_client.get(response.url).content.decode()
    assert "the drain will issue them" in caplog.text
    request = IssueRequest.objects.get()
    assert (request.status, request.attempts) == ("pending", 0)
    assert Certificate.objects.count() == 0

    # Within the grace period the drain leaves the request to its own task; after it, it issues.
    with time_machine.travel(NOW + datetime.timedelta(seconds=settings.ISSUE_DRAIN_GRACE_SECONDS - 1), tick=False):
        assert tasks.drain_issue_requests.delay().get() == 0
    assert Certificate.objects.count() == 0
    with time_machine.travel(NOW + datetime.timedelta(seconds=settings.ISSUE_DRAIN_GRACE_SECONDS), tick=False):
        assert tasks.drain_issue_requests.delay().get() == 1
    request.refresh_from_db()
    assert (request.status, request.issued) == ("done", 1)
    assert Certificate.objects.get().participant.first_name == "Anna"


def test_a_request_queued_twice_is_issued_once(accreditation):
    cohort, _people = completed_run({"Anna": range(1, 7)})
    request = IssueRequest.objects.create(cohort=cohort)
    assert tasks.issue_requested.delay(request.pk).get() == 1
    assert tasks.issue_requested.delay(request.pk).get() == 0
    request.refresh_from_db()
    assert (request.status, request.attempts) == ("done", 1)
    assert Certificate.objects.count() == 1


# --- A worker that dies, a run that fails ----------------------------------------


def stranded(cohort, *, attempts: int) -> IssueRequest:
    claimed = NOW - datetime.timedelta(seconds=settings.ISSUE_CLAIM_TIMEOUT_SECONDS + 1)
    return IssueRequest.objects.create(
        cohort=cohort, status="running", attempts=attempts, claimed_at=claimed, requested_at=claimed
    )


def test_the_drain_hands_a_dead_workers_request_to_another(accreditation):
    cohort, _people = completed_run({"Anna": range(1, 7)})
    request = stranded(cohort, attempts=1)
    fresh = IssueRequest.objects.create(
        cohort=cohort, status="running", attempts=1, claimed_at=NOW - datetime.timedelta(seconds=10)
    )
    with time_machine.travel(NOW, tick=False):
        assert issuing.requeue_stranded_requests() == 1
    request.refresh_from_db()
    fresh.refresh_from_db()
    assert (request.status, request.attempts, request.issued) == ("done", 2, 1)
    assert (fresh.status, fresh.attempts) == ("running", 1)  # its worker may still be at it


def test_after_the_last_attempt_dies_too_the_request_fails_and_is_not_queued_again(accreditation, caplog):
    cohort, _people = completed_run({"Anna": range(1, 7)})
    request = stranded(cohort, attempts=settings.ISSUE_MAX_ATTEMPTS)
    with time_machine.travel(NOW, tick=False), caplog.at_level(logging.ERROR, logger="registry.issuing"):
        assert issuing.requeue_stranded_requests() == 0
        assert issuing.requeue_stranded_requests() == 0
    request.refresh_from_db()
    assert (request.status, request.attempts, request.finished_at) == ("failed", settings.ISSUE_MAX_ATTEMPTS, NOW)
    assert "out of memory" in request.last_error
    assert f"Certificate request(s) [{request.pk}] failed" in caplog.text
    assert Certificate.objects.count() == 0


def test_a_run_that_raises_is_tried_again_by_the_drain_and_then_fails(accreditation, settings):
    settings.ISSUE_MAX_ATTEMPTS = 2
    cohort, _people = completed_run({"Anna": range(1, 7)})
    request = IssueRequest.objects.create(cohort=cohort, requested_at=NOW)
    broken = mock.patch("registry.services.issue_cohort_certificates", side_effect=RuntimeError("disk full"))
    with broken, time_machine.travel(NOW, tick=False):
        tasks.issue_requested.delay(request.pk)
        request.refresh_from_db()
        assert (request.status, request.attempts, request.last_error) == ("pending", 1, "RuntimeError: disk full")
        # Tried once, it has had its own task: the drain takes it at once, not after the grace period.
        assert issuing.requeue_stranded_requests() == 1
        request.refresh_from_db()
        assert (request.status, request.attempts, request.finished_at) == ("failed", 2, NOW)
        assert issuing.requeue_stranded_requests() == 0


def test_a_task_queued_before_requests_were_recorded_still_issues_and_leaves_its_record(accreditation):
    cohort, _people = completed_run({"Anna": range(1, 7)})
    user = User.objects.create_user("trainer")
    assert tasks.issue_certificates.delay(cohort.pk, user.pk).get() == 1
    request = IssueRequest.objects.get()
    assert (request.cohort, request.requested_by, request.status, request.issued) == (cohort, user, "done", 1)
    assert request.finished_at <= timezone.now()


def test_a_drain_with_no_request_pending_or_running_asks_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert issuing.requeue_stranded_requests() == 0
