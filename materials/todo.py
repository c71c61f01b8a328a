"""Materials' to-do on the start page: final assignments awaiting the trainer's review (see verbindend.todo)."""

from urllib.parse import urlencode

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from verbindend.todo import ToDo, provider

from .models import Submission


@provider
def assignments_to_review(request, today) -> list[ToDo]:
    """One line per course run with final assignments awaiting review, the oldest upload first: one query."""
    if not request.user.has_perm("materials.review_submission"):
        return []
    runs = (
        Submission.objects.filter(status=Submission.Status.SUBMITTED)
        .values("participant__cohort_id", "participant__cohort__code")
        .annotate(count=Count("pk"), oldest=Min("uploaded_at"))
        .order_by("oldest")
    )
    changelist = reverse("admin:materials_submission_changelist")
    return [_line(run, changelist) for run in runs]


def _line(run: dict, changelist: str) -> ToDo:
    count = run["count"]
    query = urlencode({"status": "submitted", "participant__cohort__id__exact": run["participant__cohort_id"]})
    return ToDo(
        subject=run["participant__cohort__code"],
        detail=ngettext(
            "%(count)d final assignment awaiting review", "%(count)d final assignments awaiting review", count
        )
        % {"count": count},
        action=_("Review the final assignments"),
        url=f"{changelist}?{query}",
        since=timezone.localdate(run["oldest"]),
    )
