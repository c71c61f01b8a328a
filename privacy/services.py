from django.db.models import Subquery

from .models import Consent, PrivacyStatement


def record_consent(*, subject, purposes: list[str], form: str) -> None:
    """Record that a person agreed, on a form, to the current statement for these purposes."""
    # The INSERT itself finds the current version, at the moment it records
    # the consent: no query of its own before it. Without a published
    # statement it fails, as consent must name one (the column is NOT NULL).
    current = Subquery(PrivacyStatement.objects.in_force().values("pk")[:1])
    Consent.objects.bulk_create(
        Consent(
            statement_id=current,
            purpose=purpose,
            subject_type=subject._meta.label,
            subject_id=str(subject.pk),
            form=form,
        )
        for purpose in purposes
    )


def has_consent(*, subject, purpose: str) -> bool:
    """
    Whether the person agreed to this purpose; consent counts only for the purposes it named.

    A new version of the statement does not carry old consent over to a purpose it did not cover.
    """
    return Consent.objects.filter(
        subject_type=subject._meta.label, subject_id=str(subject.pk), purpose=purpose
    ).exists()


def consents_of(subject) -> list[Consent]:
    return list(
        Consent.objects.filter(subject_type=subject._meta.label, subject_id=str(subject.pk)).select_related("statement")
    )
