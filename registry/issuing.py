"""
Issuing certificates on request: recorded first, issued by a task, picked up again by a drain.

Staff asking for a run's certificates write an IssueRequest in the same
transaction as the rest of their action; a task is queued once it commits.
Should the broker be away, queuing fails quietly (logged) and the request
waits in the database; should the worker die while rendering, the request
stays claimed. The drain, every few minutes from Celery beat, queues the
requests left pending and hands back those whose worker died, as the outbox
does for e-mail (mail/services/). Issuing is safe to run twice: who has a
valid certificate is skipped.

The issuing task is acknowledged on receipt (registry/tasks.py): a worker
killed by a run that needs too much memory loses the message instead of
passing it to the next worker forever, and the drain retries the request at
most ISSUE_MAX_ATTEMPTS times in all before marking it failed.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cohorts.models import Cohort

from . import services
from .models import IssueRequest

logger = logging.getLogger(__name__)


@transaction.atomic
def request_certificates(*, cohorts: list[Cohort], requested_by=None) -> list[IssueRequest]:
    """Record a request to issue each run's certificates; each is queued once the caller's transaction commits."""
    requests = IssueRequest.objects.bulk_create(
        [IssueRequest(cohort=cohort, requested_by=requested_by) for cohort in cohorts]
    )
    ids = [request.pk for request in requests]
    transaction.on_commit(lambda: enqueue_issuing(request_ids=ids))
    return requests


def enqueue_issuing(*, request_ids: list[int]) -> bool:
    """
    Ask a worker to issue these requests; return False when the broker is away.

    Never raises for a broker problem: the requests are safe in the database
    and the drain queues them again.
    """
    from .tasks import issue_requested

    try:
        for request_id in request_ids:
            issue_requested.apply_async(args=[request_id], retry=False)
    except Exception:
        logger.warning(
            "Could not enqueue certificate request(s) %s; the drain will issue them.", request_ids, exc_info=True
        )
        return False
    return True


def issue_requested(*, request_id: int) -> int:
    """
    Issue the certificates a pending request asks for; return how many were issued.

    A request that is not pending (another task has it, or it is done) is
    left alone, so a request queued twice is issued once.
    """
    claimed_at = timezone.now()
    claimed = IssueRequest.objects.filter(pk=request_id, status=IssueRequest.Status.PENDING).update(
        status=IssueRequest.Status.RUNNING, attempts=F("attempts") + 1, claimed_at=claimed_at
    )
    if not claimed:
        return 0
    request = IssueRequest.objects.select_related("cohort", "requested_by").get(pk=request_id)
    mine = IssueRequest.objects.filter(pk=request_id, status=IssueRequest.Status.RUNNING, claimed_at=claimed_at)
    try:
        result = services.issue_cohort_certificates(cohort=request.cohort, issued_by=request.requested_by)
    except Exception as error:
        # Left for the drain to try again, or failed after the last attempt.
        again = request.attempts < settings.ISSUE_MAX_ATTEMPTS
        mine.update(
            status=IssueRequest.Status.PENDING if again else IssueRequest.Status.FAILED,
            finished_at=None if again else timezone.now(),
            last_error=f"{type(error).__name__}: {error}",
        )
        raise
    mine.update(status=IssueRequest.Status.DONE, issued=result["issued"], finished_at=timezone.now(), last_error="")
    return result["issued"]


def issue_now(*, cohort_id: int, requested_by_id: int | None = None) -> int:
    """Record a request and issue it in this process (a task queued before requests were recorded)."""
    request = IssueRequest.objects.create(cohort_id=cohort_id, requested_by_id=requested_by_id)
    return issue_requested(request_id=request.pk)


def requeue_stranded_requests() -> int:
    """
    Queue the requests their own task did not issue; return how many.

    Runs from Celery beat. A new pending request is taken once it has waited
    ISSUE_DRAIN_GRACE_SECONDS, so its own task gets the first chance. A claim
    older than ISSUE_CLAIM_TIMEOUT_SECONDS belongs to a worker that died: it
    goes back to pending, or to failed after ISSUE_MAX_ATTEMPTS attempts.
    """
    # Most runs find no request pending or claimed at all: one query answers that, before the three that act.
    if not IssueRequest.objects.filter(status__in=[IssueRequest.Status.RUNNING, IssueRequest.Status.PENDING]).exists():
        return 0
    moment = timezone.now()
    dead = IssueRequest.objects.filter(
        status=IssueRequest.Status.RUNNING,
        claimed_at__lt=moment - timedelta(seconds=settings.ISSUE_CLAIM_TIMEOUT_SECONDS),
    )
    failed = list(dead.filter(attempts__gte=settings.ISSUE_MAX_ATTEMPTS).values_list("pk", flat=True))
    if failed:
        IssueRequest.objects.filter(pk__in=failed).update(
            status=IssueRequest.Status.FAILED,
            finished_at=moment,
            last_error="The worker stopped while issuing, at every attempt (out of memory?).",
        )
        logger.error("Certificate request(s) %s failed: their worker stopped at every attempt.", failed)
    released = dead.update(status=IssueRequest.Status.PENDING)
    if released:
        logger.warning("Released %s certificate request(s) from workers that stopped.", released)
    # A request tried before has had its own task; a new one waits out the grace period first.
    due = list(
        IssueRequest.objects.filter(status=IssueRequest.Status.PENDING)
        .filter(Q(attempts__gt=0) | Q(requested_at__lte=moment - timedelta(seconds=settings.ISSUE_DRAIN_GRACE_SECONDS)))
        .order_by("requested_at", "pk")
        .values_list("pk", flat=True)
    )
    if due:
        enqueue_issuing(request_ids=due)
    return len(due)
