"""The evaluations' to-do on the start page: runs whose evaluation few answered (see verbindend.todo)."""

import datetime

from django.conf import settings
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from cohorts.models import Cohort
from verbindend.todo import ToDo, provider


@provider
def low_response(request, today) -> list[ToDo]:
    """
    Runs where, of the forms whose reminder has gone, fewer than EVALUATION_LOW_RESPONSE_PERCENT were answered.

    The trainer can still ask the group on the next day, or note it in the accreditation file. One query.
    """
    if not request.user.has_perm("evaluations.view_runevaluation"):
        return []
    reminded_by = today - datetime.timedelta(days=settings.EVALUATION_REMINDER_DAYS)
    asked = Q(evaluation_invitations__sent_on__lte=reminded_by)
    runs = (
        Cohort.objects.annotate(
            asked=Count("evaluation_invitations", filter=asked),
            answered=Count("evaluation_invitations", filter=asked & Q(evaluation_invitations__answered=True)),
            first_asked=Min("evaluation_invitations__sent_on", filter=asked),
        )
        .filter(asked__gt=0)
        .order_by("code")
    )
    return [
        ToDo(
            subject=run.code,
            detail=_("%(answered)s of %(asked)s evaluations answered") % {"answered": run.answered, "asked": run.asked},
            action=_("Look at the evaluation"),
            url=reverse("admin:evaluations_runevaluation_change", args=[run.pk]),
            since=run.first_asked,
        )
        for run in runs
        if run.answered * 100 < run.asked * settings.EVALUATION_LOW_RESPONSE_PERCENT
    ]
