"""
Consent, and a person's data: what is held about them, erasing them, retention.

The last three ask every registered personal-data handler (`verbindend.personal_data`),
so that no table is forgotten: this module knows no domain app.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from verbindend.personal_data import Subject, handlers

from .models import Consent, PrivacyStatement

logger = logging.getLogger(__name__)


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


def forget_consents(*, model, pks: list[int]) -> None:
    """Delete the consents of records that are deleted themselves: they name no one any more."""
    Consent.objects.filter(subject_type=model._meta.label, subject_id__in=[str(pk) for pk in pks]).delete()


# --- A person's data ----------------------------------------------------------


def subject_of(person) -> Subject:
    """Return the person as a Subject, as the handler of their app sees them."""
    for handler in handlers():
        subject = handler.subject(person)
        if subject is not None:
            return subject
    raise LookupError(f"no personal-data handler knows {person._meta.label}")


def personal_data(*, person) -> dict:
    """
    Return everything the product holds about a person, for their own download: each handler's sections in turn.

    :param person: a record a handler knows as a person (a participant, a board's registration for its contact)
    """
    subject = subject_of(person)
    data = {}
    for handler in handlers():
        data.update(handler.export(subject))
    return data


@transaction.atomic
def erase_person(*, person, by=None, request=None):
    """
    Erase a person from every table, keeping only what the law asks to keep; return the record, anonymised.

    Every handler erases what its app holds: the person's record, their
    notes, every e-mail about them whoever it went to (attachments
    included), their register numbers in exports, the audit trail's
    copies. Kept: the completion record and certificates, which the
    register needs; a certificate keeps the name it printed, and verifies.
    """
    subject = subject_of(person)
    for handler in handlers():
        handler.erase([subject], now=timezone.now())
    person.refresh_from_db()
    audit.record(action=AuditEvent.Action.ERASURE, obj=person, actor=by, request=request, detail=subject.label)
    return person


def apply_retention(*, now: datetime.datetime | None = None, dry_run: bool = False, batch: int = 1000) -> dict:
    """
    Apply the retention periods; return what was (or, with dry_run, would be) done, by kind.

    The people past their period (each handler says who, see README
    "Privacy") are erased exactly as `erase_person` erases one, in batches:
    a bounded number of queries per batch, whatever the number of people.
    Then every handler removes its own records past their period. A second
    run finds nothing to do.
    """
    now = now or timezone.now()
    dues = [due for handler in handlers() for due in handler.due(now)]
    report = {due.name: due.records.count() for due in dues}
    expiring = []
    for handler in handlers():
        counts = handler.expire(now, dry_run=True)
        report.update(counts)
        expiring.append((handler, any(counts.values())))
    if dry_run:
        return report
    erased_any = False
    for due in dues:
        if not report[due.name]:
            continue  # counted as none just now: a later run takes who becomes due meanwhile
        while subjects := due.take(batch):
            erased_any = True
            with transaction.atomic():
                for handler in handlers():
                    handler.erase(subjects, now=now)
    for handler, found in expiring:
        # A handler whose records depend on the erasures just made is asked again; one that found nothing
        # and depends on none skips its second look, so a run with nothing to do stays a few counts.
        if found or erased_any:
            handler.expire(now, dry_run=False)
    logger.info("Retention applied: %s", report)
    return report
