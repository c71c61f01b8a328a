"""The trainer's approval of a participant's final assignment, which the completion rule reads where required."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent

from ..models import Participant
from .runs import CohortError


@transaction.atomic
def approve_final_assignment(*, participant: Participant, by, request=None) -> bool:
    """
    Record that the final assignment of an enrolled participant was approved, now and by whom; return whether
    this changed anything (an approval already recorded keeps its time and trainer).

    :raises CohortError: the participant is not (or no longer) enrolled in the run
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.status != Participant.Status.ENROLLED:
        raise CohortError(
            _("%(name)s is not enrolled in the course run: their final assignment cannot be approved.")
            % {"name": participant.full_name}
        )
    if participant.final_assignment_approved:
        return False
    participant.final_assignment_approved_at = timezone.now()
    participant.final_assignment_approved_by = by
    participant.save(update_fields=["final_assignment_approved_at", "final_assignment_approved_by"])
    _record(participant, before=None, by=by, request=request)
    return True


@transaction.atomic
def withdraw_final_assignment_approval(*, participant: Participant, by, request=None) -> bool:
    """Withdraw the approval of a participant's final assignment; return whether there was one."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if not participant.final_assignment_approved:
        return False
    before = participant.final_assignment_approved_at
    participant.final_assignment_approved_at = None
    participant.final_assignment_approved_by = None
    participant.save(update_fields=["final_assignment_approved_at", "final_assignment_approved_by"])
    _record(participant, before=before, by=by, request=request)
    return True


def _record(participant: Participant, *, before, by, request) -> None:
    after = participant.final_assignment_approved_at
    audit.record(
        action=AuditEvent.Action.FINAL_ASSIGNMENT_APPROVAL,
        obj=participant,
        actor=by,
        request=request,
        changes={"final_assignment_approved_at": [_iso(before), _iso(after)]},
    )


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None
