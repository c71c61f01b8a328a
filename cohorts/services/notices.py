"""E-mail to everyone in a course run: its participants and its boards' contacts."""

import logging
from dataclasses import dataclass

from django.utils import translation

from mail.services.queueing import Email, queue_email, queue_emails
from verbindend.ics import Attendee, invitation_attachment

from ..models import (
    Cohort,
    CourseDay,
    Participant,
    Registration,
)
from ..selectors.trainer import cohort_recipients
from .calendars import course_day_event
from .links import board_page_url, participant_page_url

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Recipient:
    """Someone who gets a run's e-mails: a participant or a board's contact."""

    email: str
    name: str
    language: str
    who: str  # in idempotency keys
    context: dict

    @property
    def record(self) -> Participant | Registration:
        """The participant or registration the recipient is: every e-mail to them is about it."""
        return self.context.get("participant") or self.context["registration"]


def _participant_recipient(participant: Participant) -> _Recipient:
    return _Recipient(
        participant.email,
        participant.full_name,
        participant.language,
        f"participant-{participant.pk}",
        {"participant": participant, "participant_page_url": participant_page_url(participant)},
    )


def _contact_recipient(registration: Registration) -> _Recipient:
    return _Recipient(
        registration.contact_email,
        registration.contact_name,
        registration.language,
        f"contact-{registration.pk}",
        {"registration": registration, "board": registration.board, "board_page_url": board_page_url(registration)},
    )


def _cohort_recipients(cohort: Cohort) -> list[_Recipient]:
    # The admin's confirmation page counts the same recipients (selectors.trainer.cohort_recipients).
    participants, registrations = cohort_recipients(cohort)
    return [_participant_recipient(p) for p in participants] + [
        _contact_recipient(r) for r in registrations.select_related("board")
    ]


def _cohort_days(cohort: Cohort) -> list[CourseDay]:
    """Return a course run's days by date, each with its programme day and this very run: read once for all mails."""
    days = list(cohort.days.select_related("programme_day").order_by("date"))
    for day in days:
        day.cohort = cohort
    return days


def _email(
    recipient: _Recipient,
    *,
    template: str,
    key: str,
    context: dict,
    about: list | tuple = (),
    attachments: list | tuple = (),
) -> Email:
    """
    Return an e-mail of a course run to one recipient, in their language, with their part of the context.

    :param template: the name under cohorts/mail/
    :param about: who else it is about, besides the recipient (a contact's leaders)
    """
    return Email(
        to=recipient.email,
        template=f"cohorts/mail/{template}",
        context={**context, **recipient.context},
        key=key,
        language=recipient.language,
        about=[recipient.record, *about],
        attachments=attachments,
    )


def _queue_one(email: Email) -> None:
    """Queue one e-mail whose key another transaction may be queueing meanwhile: `queue_email` keeps the first."""
    queue_email(
        to=email.to,
        template=email.template,
        context=email.context,
        key=email.key,
        attachments=email.attachments,
        language=email.language,
        reply_to=email.reply_to,
        about=email.about,
    )


def _queue(emails: list[Email]) -> None:
    """
    Queue the e-mails of one action on a course run together: one lookup of their keys, one INSERT.

    Those whose key is queued already are left out, as `queue_email` leaves
    them one by one. The actions that queue a run's e-mails lock the run
    first (placing a board: its registration), so no other transaction
    queues one of these keys meanwhile.
    """
    queue_emails(emails=emails, skip_existing=True)


def _cohort_emails(
    cohort: Cohort,
    *,
    days: list[CourseDay],
    recipients: list[_Recipient],
    template: str,
    key: str,
    extra_context: dict | None = None,
    schedule_file: bool = False,
) -> list[Email]:
    """
    Return an e-mail to each enrolled participant and board contact of a course run.

    :param days: the run's days by date (`_cohort_days`)
    :param schedule_file: attach the whole schedule as a PUBLISH .ics, to
        import at once; the meetings are the per-day invitations
        (`_day_invitation_emails`), as a REQUEST is one event
    """
    context = {"cohort": cohort, "programme": cohort.programme, "days": days, **(extra_context or {})}
    emails = []
    for recipient in recipients:
        attachments = []
        if schedule_file:
            with translation.override(recipient.language):
                attachments.append(
                    invitation_attachment(
                        [course_day_event(day) for day in days], method="PUBLISH", filename="rooster.ics"
                    )
                )
        emails.append(
            _email(
                recipient,
                template=template,
                key=f"cohort-{key}:{cohort.pk}:{recipient.who}",
                context=context,
                attachments=attachments,
            )
        )
    return emails


def _day_invitation(day: CourseDay, recipient: _Recipient, *, method: str):
    """The day as one meeting for one recipient: its own UID and SEQUENCE, the recipient as ATTENDEE."""
    with translation.override(recipient.language):
        event = course_day_event(
            day, cancelled=method == "CANCEL", attendees=(Attendee(recipient.email, recipient.name),)
        )
        return invitation_attachment([event], method=method, filename=f"dag-{day.programme_day.number}.ics")


def _day_invitation_emails(*, days: list[CourseDay], recipients: list[_Recipient], method: str) -> list[Email]:
    """
    Return for each recipient one e-mail per course day: the day's invitation (REQUEST) or cancellation (CANCEL).

    One meeting per day, rather than one message with the whole schedule:
    RFC 5546 allows several events in one REQUEST only as instances of one
    UID, Outlook keeps only the first, and Thunderbird reads six UIDs as a
    PUBLISH. A day of its own also moves (a REQUEST with a higher SEQUENCE,
    `_send_day_changed`) and is cancelled on its own. The key holds the
    day's sequence, so a day's invitation at a sequence goes to a person once.

    :param days: by date, each with its programme day and its run's programme read
    """
    template = "course_day_invitation" if method == "REQUEST" else "course_day_cancelled"
    return [
        _email(
            recipient,
            template=template,
            key=f"courseday-{method.lower()}:{day.pk}:{day.sequence}:{recipient.who}",
            context={"cohort": day.cohort, "programme": day.cohort.programme, "day": day},
            attachments=[_day_invitation(day, recipient, method=method)],
        )
        for day in days
        for recipient in recipients
    ]


def _send_day_invitations(*, days, recipients: list[_Recipient], method: str) -> None:
    """Send each recipient the invitation or cancellation of each of these days (a queryset of course days)."""
    days = list(days.select_related("programme_day", "cohort__programme").order_by("date"))
    _queue(_day_invitation_emails(days=days, recipients=recipients, method=method))
