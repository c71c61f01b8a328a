"""Reads of the registry that pages show."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _

from cohorts.models import Participant

from .models import DIGITS, Certificate, RegisterRule

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
