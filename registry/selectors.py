"""Reads of the registry that pages show."""

import re
from dataclasses import dataclass, field

from django.db.models import Value
from django.db.models.functions import Replace, Upper

from .models import Certificate

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
