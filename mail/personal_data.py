"""
The outbox's personal data: every e-mail about a person, whoever it was addressed to.

An e-mail is about the people its row's `about` names; a row queued before
rows recorded that (`about` empty) is about whoever it was addressed to or
asked replies to go to.
"""

import datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection
from django.db.models import Q

from verbindend.personal_data import PersonalDataHandler, Subject

from .models import OutgoingMail, OutgoingMailAttachment

ERASED_SUBJECT = "[gewist]"


def anonymise_mails(*, mail_ids: list[int], now: datetime.datetime) -> int:
    """
    Empty these outbox rows of everything that names someone; the rows stay, to count.

    The one anonymiser of e-mails, for erasure and retention alike: the
    addresses, subject, text, error and every attachment go (an invitation
    names its recipient as ATTENDEE).
    """
    OutgoingMailAttachment.objects.filter(mail_id__in=mail_ids).delete()
    return OutgoingMail.objects.filter(pk__in=mail_ids).update(
        to=[],
        reply_to=[],
        subject=ERASED_SUBJECT,
        body_text="",
        body_html="",
        last_error="",
        erased_at=now,
    )


def _candidates(subjects: list[Subject]) -> Q:
    """A condition that every row about these people meets (and some others: see `mails_about`)."""
    keys = sorted({s.key for s in subjects})
    addresses = sorted({a for s in subjects for a in s.addresses if a})
    if connection.vendor == "postgresql":
        # jsonb's ?| holds for an array with any of these strings as an element.
        about = Q(about__has_any_keys=keys)
    else:
        about = reduce(or_, (Q(about__icontains=f'"{key}"') for key in keys))
    # Rows from before `about` are few: matched by address, in any case.
    addressed = reduce(or_, (Q(to__icontains=a) | Q(reply_to__icontains=a) for a in addresses), Q(pk__in=[]))
    return about | (Q(about=[]) & addressed)


def mails_about(subjects: list[Subject]) -> list[int]:
    """Return the ids of the outbox rows about any of these people, oldest first."""
    keys = {s.key for s in subjects}
    addresses = {a.lower() for s in subjects for a in s.addresses if a}
    rows = (
        OutgoingMail.objects.filter(_candidates(subjects))
        .order_by("created_at", "pk")
        .values_list("pk", "about", "to", "reply_to")
    )
    return [
        pk
        for pk, about, to, reply_to in rows
        if (keys & set(about) if about else addresses & {a.lower() for a in [*to, *reply_to]})
    ]


class MailHandler(PersonalDataHandler):
    app_label = "mail"

    def export(self, subject: Subject) -> dict:
        mails = OutgoingMail.objects.filter(pk__in=mails_about([subject])).order_by("created_at", "pk")
        return {
            "emails": [
                {
                    "subject": m.subject,
                    "queued": m.created_at.isoformat(),
                    "sent": m.sent_at.isoformat() if m.sent_at else None,
                    "status": m.status,
                }
                for m in mails
            ]
        }

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        anonymise_mails(mail_ids=mails_about(subjects), now=now)

    def expire(self, now: datetime.datetime, *, dry_run: bool) -> dict[str, int]:
        """E-mails sent (or given up on) more than RETENTION_MAIL_DAYS ago lose what names anyone."""
        old = OutgoingMail.objects.filter(
            created_at__lt=now - datetime.timedelta(days=settings.RETENTION_MAIL_DAYS),
            status__in=[OutgoingMail.Status.SENT, OutgoingMail.Status.FAILED],
            erased_at__isnull=True,
        )
        if dry_run:
            return {"emails": old.count()}
        batch = 1000
        while ids := list(old.values_list("pk", flat=True)[:batch]):
            anonymise_mails(mail_ids=ids, now=now)
        return {}
