from celery import shared_task
from django.contrib.auth import get_user_model

from . import services
from .models import CompletedCohort


@shared_task(ignore_result=True)
def issue_certificates(cohort_id: int, user_id: int | None = None) -> int:
    """Issue the certificates of a completed course run; safe to run twice (the issued are skipped)."""
    cohort = CompletedCohort.objects.get(pk=cohort_id)
    user = get_user_model().objects.filter(pk=user_id).first()
    return services.issue_cohort_certificates(cohort=cohort, issued_by=user)["issued"]
