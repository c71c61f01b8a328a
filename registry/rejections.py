"""
The register numbers PE-online did not accept.

After "Controleren" in PE-online the office pastes back the numbers it
refused. Those participants of the run are marked; their own page asks them
to check their number, and the next export shows each mark as corrected (the
number has changed since) or still open.
"""

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit import services as audit
from audit.models import AuditEvent
from cohorts.models import Cohort, Participant
from cohorts.services import enrolment
from cohorts.validators import REGISTER_NUMBER_CHARACTERS, compact_register_number

from .models import RegisterNumberRejection

# PE-online lists the refused numbers one per line; people also paste them
# separated by spaces, commas or semicolons.
SEPARATORS = re.compile(r"[\s,;]+")
# More than a run has participants by far, yet small enough to answer quickly.
MAX_PASTED_CHARACTERS = 10_000
MAX_PASTED_NUMBERS = 500


class RejectionError(Exception):
    """Pasted text that names no register numbers, or more than can be meant."""


@dataclass
class RejectionResult:
    marked: list[Participant] = field(default_factory=list)
    already_marked: list[Participant] = field(default_factory=list)
    not_in_run: list[str] = field(default_factory=list)


def parse_pasted_numbers(text: str) -> list[str]:
    """
    Return the register numbers in pasted text, normalised as a participant's number is, in order, once each.

    :raises RejectionError: the text is empty, too long, or holds something that is no register number
    """
    text = text or ""
    if len(text) > MAX_PASTED_CHARACTERS:
        raise RejectionError(
            _("That is more text than a list of refused numbers can be: at most %(count)s characters.")
            % {"count": MAX_PASTED_CHARACTERS}
        )
    numbers = []
    garbage = []
    for token in SEPARATORS.split(text):
        number = compact_register_number(token)
        if not number:
            continue
        if not REGISTER_NUMBER_CHARACTERS.match(number) or len(number) > 20:
            garbage.append(token)
        elif number not in numbers:
            numbers.append(number)
    if garbage:
        raise RejectionError(
            _("These are not register numbers: %(values)s. Paste only the numbers PE-online refused.")
            % {"values": ", ".join(garbage[:10])}
        )
    if not numbers:
        raise RejectionError(_("Paste the register numbers PE-online did not accept, one per line."))
    if len(numbers) > MAX_PASTED_NUMBERS:
        raise RejectionError(
            _("That is more numbers than a course run has participants: at most %(count)s.")
            % {"count": MAX_PASTED_NUMBERS}
        )
    return numbers


@transaction.atomic
@transaction.atomic
def mark_rejected_numbers(*, cohort: Cohort, text: str, user=None, request=None) -> RejectionResult:
    """
    Mark the participants of this run whose register number PE-online refused.

    Only participants of this run are marked; a pasted number that none of
    them has is returned in `not_in_run`, to be reported back. A number
    already marked and not yet corrected is not marked twice.

    :raises RejectionError: see `parse_pasted_numbers`
    """
    numbers = parse_pasted_numbers(text)
    # Two pastes for one run at once are taken in turn: the second finds the first's marks, none is made twice.
    cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
    participants = list(
        cohort.participants.exclude(status=Participant.Status.WAITING)
        .filter(register_number__in=numbers)
        .order_by("last_name", "first_name")
    )
    open_marks = set(
        RegisterNumberRejection.objects.filter(participant__in=participants, corrected_at__isnull=True).values_list(
            "participant_id", "number"
        )
    )
    result = RejectionResult()
    rejections = []
    for participant in participants:
        if (participant.pk, participant.register_number) in open_marks:
            result.already_marked.append(participant)
            continue
        rejection = RegisterNumberRejection(
            participant=participant, number=participant.register_number, rejected_by=user
        )
        rejection.full_clean(validate_unique=False, validate_constraints=False)  # the open marks were read above
        rejections.append(rejection)
        result.marked.append(participant)
    RegisterNumberRejection.objects.bulk_create(rejections)
    found = {participant.register_number for participant in participants}
    result.not_in_run = [number for number in numbers if number not in found]
    if result.marked:
        audit.record(
            action=AuditEvent.Action.REGISTER_NUMBER_REJECTED,
            obj=cohort,
            actor=user,
            request=request,
            detail=ngettext("%(count)s number marked", "%(count)s numbers marked", len(result.marked))
            % {"count": len(result.marked)},
            changes={"rejected": [[], [p.pk for p in result.marked]]},
        )
    return result


def open_rejection(participant: Participant) -> RegisterNumberRejection | None:
    """Return the refusal of the participant's present number that they have not corrected, if any."""
    if not participant.register_number:
        return None
    return (
        RegisterNumberRejection.objects.filter(
            participant=participant, number=participant.register_number, corrected_at__isnull=True
        )
        .order_by("-rejected_at", "-pk")
        .first()
    )


@transaction.atomic
def update_own_details(*, participant: Participant, data: dict, request=None) -> Participant:
    """
    Save a participant's own details (`enrolment.update_own_details`), and record a refused number they changed.

    :raises EnrolmentError: as `enrolment.update_own_details`
    """
    participant = enrolment.update_own_details(participant=participant, data=data, request=request)
    RegisterNumberRejection.objects.filter(participant=participant, corrected_at__isnull=True).exclude(
        number=participant.register_number
    ).update(corrected_number=participant.register_number, corrected_at=timezone.now())
    return participant


def with_latest_rejection(participants: QuerySet) -> QuerySet:
    """Annotate each participant with their latest refused number and when it was refused, in the same query."""
    latest = RegisterNumberRejection.objects.filter(participant=OuterRef("pk")).order_by("-rejected_at", "-pk")
    return participants.annotate(
        rejected_number=Subquery(latest.values("number")[:1]),
        rejected_at=Subquery(latest.values("rejected_at")[:1]),
    )


def rejections_report(rows: list[dict]) -> dict:
    """Split the export rows with a refused number into corrected (their number changed since) and still open."""
    corrected, still_open = [], []
    for row in rows:
        if not row.get("rejected_number"):
            continue
        (corrected if row["register_number"] != row["rejected_number"] else still_open).append(row)
    return {"corrected": corrected, "open": still_open}
