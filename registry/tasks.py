from celery import shared_task

from . import issuing, presentie

# Acknowledged on receipt, Celery's default, said here because the outbox's
# sender is not: rendering a run with WeasyPrint can take much memory, and a
# worker killed for it must not have the same message handed to the next
# worker again and again. The request's row is what survives (see
# registry/issuing.py). The time limit ends a stuck run well before its claim
# (ISSUE_CLAIM_TIMEOUT_SECONDS) is taken for a dead worker's.
ISSUE_TIME_LIMIT_SECONDS = 900


@shared_task(
    acks_late=False,
    reject_on_worker_lost=False,
    ignore_result=True,
    soft_time_limit=ISSUE_TIME_LIMIT_SECONDS - 60,
    time_limit=ISSUE_TIME_LIMIT_SECONDS,
)
def issue_requested(request_id: int) -> int:
    """Issue the certificates of a recorded request; a request already taken or done is left alone."""
    return issuing.issue_requested(request_id=request_id)


@shared_task(ignore_result=True)
def drain_issue_requests() -> int:
    """Queue certificate requests that were never issued, e.g. while the broker was down (Celery beat)."""
    return issuing.requeue_stranded_requests()


@shared_task(ignore_result=True, time_limit=ISSUE_TIME_LIMIT_SECONDS)
def issue_certificates(cohort_id: int, user_id: int | None = None) -> int:
    """Issue a completed run's certificates now, recorded as a request; for messages queued before requests were."""
    return issuing.issue_now(cohort_id=cohort_id, requested_by_id=user_id)


@shared_task(ignore_result=True)
def remind_presentie_due() -> int:
    """Remind the office, once per run, of the runs whose presentie is due in PE-online (Celery beat)."""
    return presentie.remind_presentie_due()
