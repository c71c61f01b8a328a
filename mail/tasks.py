from celery import shared_task

from .services import delivery, queueing


# acks_late with reject_on_worker_lost, for this task only (every other task is
# acknowledged on receipt): a task whose worker dies mid-send is delivered
# again instead of being lost; the claim in the database makes the second run
# skip what the first one sent. max_retries is None because the
# row itself counts attempts (MAIL_MAX_ATTEMPTS) and turns `failed`.
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def send_mail(self, mail_ids: list[int]) -> int:
    """Send these outbox rows (and other due ones); retry transient failures later."""
    result = delivery.deliver_mails(mail_ids=mail_ids, token=self.request.id)
    if result.retry_ids:
        raise self.retry(args=[result.retry_ids], countdown=result.retry_in)
    return result.sent


@shared_task(ignore_result=True)
def drain_outbox() -> int:
    """Enqueue pending e-mails that were never sent, e.g. while the broker was down."""
    return queueing.requeue_due_mail()
