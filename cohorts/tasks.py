from celery import shared_task

from privacy import services as privacy

from .services import reminders, runs


@shared_task(ignore_result=True)
def send_reminders() -> int:
    """Queue the course-day and intake reminders that are due (Celery beat, every 10 minutes)."""
    return reminders.send_due_reminders()


@shared_task(ignore_result=True)
def start_cohorts() -> int:
    """Mark confirmed course runs running once their first day has come (Celery beat, hourly)."""
    return runs.start_due_cohorts()


@shared_task(ignore_result=True)
def check_go_no_go() -> int:
    """Alert about course runs still below their minimum shortly before they start (Celery beat, hourly)."""
    return reminders.send_go_no_go_alerts()


@shared_task(ignore_result=True)
def apply_retention() -> dict:
    """Anonymise and delete what is past its retention period (Celery beat, daily)."""
    return privacy.apply_retention()
