"""
The register steps the office takes in PE-online for each course run: its uitvoering, then its presentie.

A run is entered as an uitvoering once it is confirmed; its presentie can be
entered after its last course day. From then on the run is "presentie due",
by PRESENTIE_DUE_DAYS after the last day, and the office is reminded once by
e-mail and on the admin start page until the presentie is recorded.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from cohorts.models import Cohort
from mail.services.queueing import queue_email

from .models import RegisterRun
from .selectors import presentie_due_runs


class RegisterStepError(Exception):
    """A register step cannot be recorded; the message says why."""


# The runs whose uitvoering may be entered: from confirmation on.
UITVOERING_STATUSES = [Cohort.Status.CONFIRMED, Cohort.Status.RUNNING, Cohort.Status.COMPLETED]


@transaction.atomic
def record_uitvoering(*, cohort: Cohort, uitvoering_id: str, by, request=None) -> RegisterRun:
    """
    Record that the run was entered in PE-online as an uitvoering, with PE-online's id; a second call corrects the id.

    :param by: the user who entered it
    :param request: gives the audit trail the address the action came from
    """
    uitvoering_id = uitvoering_id.strip()
    if not uitvoering_id:
        raise RegisterStepError(_("Give the id PE-online shows for the uitvoering."))
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    if cohort.status not in UITVOERING_STATUSES:
        raise RegisterStepError(_("A course run is entered in PE-online once it is confirmed."))
    run = RegisterRun.objects.select_for_update().filter(cohort=cohort).first()
    before = run.uitvoering_id if run else ""
    if run is None:
        run = RegisterRun(cohort=cohort)
    run.uitvoering_id = uitvoering_id
    run.uitvoering_recorded_at = timezone.now()
    run.uitvoering_recorded_by = by
    run.full_clean()
    run.save()
    audit.record(
        action=AuditEvent.Action.UITVOERING_RECORDED,
        obj=cohort,
        actor=by,
        request=request,
        detail=uitvoering_id,
        changes={"uitvoering_id": [before, uitvoering_id]},
    )
    return run


@transaction.atomic
def record_presentie(*, cohort: Cohort, by, request=None) -> RegisterRun:
    """
    Record that the run's presentie was entered in PE-online; it is then no longer due.

    :param by: the user who entered it
    :param request: gives the audit trail the address the action came from
    """
    run = RegisterRun.objects.select_for_update().filter(cohort=cohort).first()
    if run is None:
        raise RegisterStepError(_("PE-online takes the presentie once the uitvoering is entered; record it first."))
    if run.presentie_recorded_at is not None:
        return run
    last_day = cohort.days.order_by("-date").values_list("date", flat=True).first()
    if last_day is None or last_day >= timezone.localdate():
        raise RegisterStepError(_("The presentie is entered after the last course day."))
    run.presentie_recorded_at = timezone.now()
    run.presentie_recorded_by = by
    run.save(update_fields=["presentie_recorded_at", "presentie_recorded_by"])
    audit.record(action=AuditEvent.Action.PRESENTIE_RECORDED, obj=cohort, actor=by, request=request)
    return run


def remind_presentie_due(*, now: datetime.datetime | None = None) -> int:
    """
    Remind the office, once per run, of each run whose presentie is due (Celery beat); return how many are due.

    The outbox key makes a second reminder of the same run a no-op, however often the beat ticks.
    """
    queued = 0
    for due in presentie_due_runs(today=timezone.localdate(now or timezone.now())):
        with transaction.atomic():
            queue_email(
                to=settings.OFFICE_NOTIFICATION_EMAIL,
                template="registry/mail/presentie_due",
                context={"cohort": due.cohort, "last_day": due.last_day, "due_on": due.due_on},
                key=f"presentie-due:{due.cohort.pk}",
            )
        queued += 1
    return queued
