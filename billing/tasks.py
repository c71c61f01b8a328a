from celery import shared_task

from .services import payments


@shared_task(ignore_result=True)
def send_payment_reminders() -> int:
    """Queue the one reminder of each invoice overdue past the grace days (Celery beat, daily)."""
    return payments.send_payment_reminders()
