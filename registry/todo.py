"""The register's to-dos on the start page: certificates to issue, the steps in PE-online (see verbindend.todo)."""

from urllib.parse import urlencode

from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from cohorts.models import Cohort, Participant
from verbindend.todo import ToDo, provider

from .models import Certificate
from .selectors import register_to_do


def _short(day) -> str:
    return formats.date_format(day, "j b Y")


@provider
def certificates_to_issue(request, today) -> list[ToDo]:
    """Completed runs with participants and no certificate or proof issued yet: one query."""
    if not request.user.has_perm("registry.add_certificate"):
        return []
    runs = (
        Cohort.objects.filter(status=Cohort.Status.COMPLETED)
        .filter(Exists(Participant.objects.filter(cohort=OuterRef("pk"), status=Participant.Status.ENROLLED)))
        .exclude(Exists(Certificate.objects.filter(participant__cohort=OuterRef("pk"))))
        .annotate(last_day=Max("days__date"))
    )
    changelist = reverse("admin:registry_completedcohort_changelist")
    return [
        ToDo(
            subject=run.code,
            detail=_("completed %(date)s") % {"date": _short(run.last_day)} if run.last_day else "",
            action=_("Issue the certificates"),
            url=f"{changelist}?{urlencode({'q': run.code})}",
            since=run.last_day,
        )
        for run in runs
    ]


@provider
def register_steps(request, today) -> list[ToDo]:
    """The runs to enter in PE-online as an uitvoering, and those whose presentie is due: one query."""
    if not request.user.has_perm("registry.view_registerrun"):
        return []
    steps = register_to_do(today=today)
    lines = [
        ToDo(
            subject=cohort.code,
            detail=cohort.get_status_display(),
            action=_("Enter it in PE-online as an uitvoering"),
            url=f"{reverse('admin:registry_registerrun_add')}?{urlencode({'cohort': cohort.pk})}",
            since=None,
        )
        for cohort in steps.uitvoering
    ]
    changelist = reverse("admin:registry_registerrun_changelist")
    lines += [
        ToDo(
            subject=due.cohort.code,
            detail=_("last day %(date)s, due by %(due)s") % {"date": _short(due.last_day), "due": _short(due.due_on)},
            action=_("Enter the presentie in PE-online"),
            url=f"{changelist}?{urlencode({'q': due.cohort.code})}",
            since=due.due_on,
        )
        for due in steps.presentie
    ]
    return lines
