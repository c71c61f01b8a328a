from django.core.exceptions import ImproperlyConfigured

from .models import Consent, PrivacyStatement


def current_statement() -> PrivacyStatement:
    statement = PrivacyStatement.objects.current()
    if statement is None:
        raise ImproperlyConfigured("No privacy statement is published.")
    return statement


def record_consent(*, subject, purposes: list[str], form: str) -> list[Consent]:
    """Record that a person agreed, on a form, to the current statement for these purposes."""
    statement = current_statement()
    return Consent.objects.bulk_create(
        Consent(
            statement=statement,
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
