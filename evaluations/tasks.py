from celery import shared_task

from .services import sending


@shared_task(ignore_result=True)
def send_evaluations() -> int:
    """Queue the evaluation forms and reminders that are due (Celery beat, every 15 minutes)."""
    return sending.send_due_evaluations()
