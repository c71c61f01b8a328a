from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def send_reminders() -> int:
    """Queue the course-day and intake reminders that are due (Celery beat, every 10 minutes)."""
    return services.send_due_reminders()
