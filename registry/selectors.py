"""Reads of the registry that pages show."""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, Max, OuterRef, Q, Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from cohorts.models import Cohort, Participant

from .models import DIGITS, Accreditation, Certificate, RegisterNumberRejection, RegisterRule

# What a person may type: a verification code (12 letters and digits) or a
# certificate number as the PDF prints it large (VL-2026-01-001). Longer text
# is not one of them; it is refused before it reaches the database.
MAX_TYPED = 60


def normalize_typed_code(text: str) -> str:
    """
    Return what was typed as letters, digits and hyphens, upper-cased: the form in which a code or number is looked up.

    Spaces, case, punctuation, control characters (a NUL included) and any
    other character that never occurs in a code or a number are forgiven by
    leaving them out, so that nothing typed can reach the database as a
    character it refuses, or a URL as a character that breaks it.
    """
    return re.sub(r"[^A-Z0-9-]", "", text[: MAX_TYPED * 4].upper())[:MAX_TYPED]


def _squashed(text: str) -> str:
    return text.replace("-", "")


@dataclass(frozen=True)
class Verification:
    """What the verification page says about what was typed."""

    certificate: Certificate | None  # the certificate found, for a number its current version
    by_number: bool = False
    older_versions: list[Certificate] = field(default_factory=list)


def verify(typed: str) -> Verification:
    """
    Find the certificate that a verification code or a certificate number names.

    A code names one version. A number names every version issued under it:
    the current one is the valid version, or, when none is valid (revoked),
    the newest; the others are listed as superseded.
    """
    key = _squashed(normalize_typed_code(typed))
    if not key:
        return Verification(None)
    certificate = Certificate.objects.filter(verification_code=key).first()
    if certificate:
        return Verification(certificate)
    # The number is compared without its hyphens, so that "vl 2026 01 001" finds VL-2026-01-001.
    versions = list(
        Certificate.objects.annotate(squashed=Replace(Upper("number"), Value("-"), Value("")))
        .filter(squashed=key)
        .order_by("-version")
    )
    if not versions:
        return Verification(None)
    current = next((c for c in versions if c.status == Certificate.Status.VALID), versions[0])
    return Verification(current, by_number=True, older_versions=[c for c in versions if c.pk != current.pk])


# --- Who is expected to have a register number: the one rule for every page ---
#
# The board page, the participant page and the register export all ask these
# functions; the rules themselves are rows the office keeps (RegisterRule).
# The participants given must have their registration's board at hand
# (select_related), as every page that shows them has.


def register_rules() -> list[RegisterRule]:
    """Return every register's rule, in the order in which a participant's register is looked for."""
    return list(RegisterRule.objects.order_by("register"))


def register_rule_for(participant: Participant, *, rules: list[RegisterRule] | None = None) -> RegisterRule | None:
    """
    Return the rule of the register that expects a number of the participant, or None when none does.

    :param rules: every register's rule, when the caller has read them already (see `register_rules_for`)
    """
    if rules is None:
        rules = register_rules()
    return next((rule for rule in rules if rule.serves(participant)), None)


def expects_register_number(participant: Participant) -> bool:
    """Whether the participant is asked for a register number, reported as missing without one, and reported."""
    return register_rule_for(participant) is not None


def register_rules_for(participants: Iterable[Participant]) -> dict[int, RegisterRule | None]:
    """Return each participant's register rule (None: no number expected) by id, in one query however many."""
    rules = register_rules()
    return {participant.pk: register_rule_for(participant, rules=rules) for participant in participants}


class RegisterNumberState(models.TextChoices):
    """What a page says of a participant's register number."""

    NOT_EXPECTED = "not_expected", gettext_lazy("not needed")
    MISSING = "missing", gettext_lazy("still to give")
    REFUSED = "refused", gettext_lazy("refused by the register")
    GIVEN = "given", pgettext_lazy("register number", "given")


def register_number_states(participants: Iterable[Participant]) -> dict[int, RegisterNumberState]:
    """
    Return what each participant's register number is in, by id, in two queries however many.

    A number is refused while the register's refusal of it stands (the office
    pasted it back and it has not changed since).
    """
    participants = list(participants)
    rules = register_rules_for(participants)
    refused = set(
        RegisterNumberRejection.objects.filter(
            participant__in=[p.pk for p in participants],
            participant__register_number=F("number"),
            corrected_at__isnull=True,
        ).values_list("participant_id", flat=True)
    )
    states = {}
    for participant in participants:
        if rules[participant.pk] is None:
            states[participant.pk] = RegisterNumberState.NOT_EXPECTED
        elif not participant.register_number:
            states[participant.pk] = RegisterNumberState.MISSING
        elif participant.pk in refused:
            states[participant.pk] = RegisterNumberState.REFUSED
        else:
            states[participant.pk] = RegisterNumberState.GIVEN
    return states


def check_register_number(*, rule: RegisterRule, number: str) -> None:
    """Refuse a number that does not match the register's pattern, saying in the reader's language what is wrong."""
    if rule.matches(number):
        return
    register = rule.get_register_display()
    if rule.number_pattern == DIGITS:
        message = _("A number in the %(register)s consists of digits only; leading zeros are kept.")
    elif rule.number_example:
        message = _("%(number)s is not a number of the %(register)s: its numbers look like %(example)s.")
    else:
        message = _("%(number)s is not a number of the %(register)s: type it exactly as the register shows it.")
    raise ValidationError(
        message % {"number": number, "register": register, "example": rule.number_example}, code="register_number"
    )


# --- The register steps in PE-online: what the office still has to do ---------


@dataclass(frozen=True)
class PresentieDue:
    cohort: Cohort
    last_day: datetime.date
    due_on: datetime.date


@dataclass(frozen=True)
class RegisterToDo:
    """The start page's register to-dos: runs to enter as an uitvoering, and runs whose presentie is due."""

    uitvoering: list = field(default_factory=list)
    presentie: list = field(default_factory=list)


def presentie_due_on(last_day: datetime.date) -> datetime.date:
    """Return the date by which the presentie of a run with this last course day is to be entered."""
    return last_day + datetime.timedelta(days=settings.PRESENTIE_DUE_DAYS)


def _runs_with_register_steps_open():
    """The accredited runs from confirmation on whose presentie is not recorded, with their last day, in one query."""
    return (
        Cohort.objects.filter(status__in=[Cohort.Status.CONFIRMED, Cohort.Status.RUNNING, Cohort.Status.COMPLETED])
        .filter(Exists(Accreditation.objects.filter(programme=OuterRef("programme"))))
        .filter(Q(register_run__isnull=True) | Q(register_run__presentie_recorded_at__isnull=True))
        .annotate(last_day=Max("days__date"), uitvoering_id=F("register_run__uitvoering_id"))
        .order_by("last_day", "code")
    )


def register_to_do(*, today: datetime.date) -> RegisterToDo:
    """Return the runs still to enter as an uitvoering, and those whose presentie is due, read in one query."""
    to_do = RegisterToDo()
    for cohort in _runs_with_register_steps_open():
        if cohort.uitvoering_id is None:
            to_do.uitvoering.append(cohort)
        if cohort.last_day is not None and cohort.last_day < today:
            to_do.presentie.append(PresentieDue(cohort, cohort.last_day, presentie_due_on(cohort.last_day)))
    return to_do


def presentie_due_runs(*, today: datetime.date) -> list[PresentieDue]:
    """Return the runs whose last course day has passed and whose presentie is not recorded."""
    return register_to_do(today=today).presentie
