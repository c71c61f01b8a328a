"""Intake appointments between the trainer and a board, and the trainer's clashes."""

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mail.services.queueing import queue_email
from verbindend.ics import Attendee, invitation_attachment

from ..models import (
    Cohort,
    CourseDay,
    IntakeAppointment,
    Registration,
)
from .calendars import course_day_span, intake_event
from .links import board_page_url

logger = logging.getLogger(__name__)


# --- Intake appointments and the trainer's calendar ----------------------------


def trainer_conflicts(
    *,
    trainer,
    start: datetime.datetime,
    end: datetime.datetime,
    exclude_day_id: int | None = None,
    exclude_intake_id: int | None = None,
    exclude_cohort_id: int | None = None,
) -> list[str]:
    """Return a description of each course day and intake of this trainer that overlaps start–end."""
    if trainer is None:
        return []
    conflicts = []
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    days = (
        CourseDay.objects.filter(cohort__trainer=trainer, date__range=(local_start.date(), local_end.date()))
        .exclude(cohort__status=Cohort.Status.CANCELLED)
        .exclude(pk=exclude_day_id)
        .exclude(cohort_id=exclude_cohort_id)
        .select_related("cohort", "programme_day")
    )
    for day in days:
        day_start, day_end = course_day_span(day)
        if day_start < end and start < day_end:
            conflicts.append(
                _("course day %(number)s of %(code)s on %(date)s, %(start)s–%(end)s")
                % {
                    "number": day.programme_day.number,
                    "code": day.cohort.code,
                    "date": f"{day.date:%d-%m-%Y}",
                    "start": f"{day.start_time:%H:%M}",
                    "end": f"{day.end_time:%H:%M}",
                }
            )
    intakes = (
        IntakeAppointment.objects.filter(
            trainer=trainer, starts_at__lt=end, starts_at__gt=start - datetime.timedelta(days=1)
        )
        .exclude(status=IntakeAppointment.Status.CANCELLED)
        .exclude(pk=exclude_intake_id)
        .select_related("registration__board")
    )
    for intake in intakes:
        if intake.starts_at < end and start < intake.ends_at:
            conflicts.append(
                _("the intake with %(board)s at %(time)s")
                % {
                    "board": intake.registration.board.name,
                    "time": f"{timezone.localtime(intake.starts_at):%d-%m-%Y %H:%M}",
                }
            )
    return conflicts


INTAKE_FIELDS_THE_BOARD_SEES = {"starts_at", "duration_minutes", "mode", "location", "video_link"}


def validate_intake_start(*, intake: IntakeAppointment, changed_fields: list[str], replaying: bool = False) -> None:
    """
    Refuse an intake planned, or moved, to a moment that has passed.

    An intake that has taken place can still be edited (notes, 'held')
    as long as its start stays where it was.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: on starts_at, in the user's language
    """
    if replaying or intake.starts_at is None or intake.status == IntakeAppointment.Status.CANCELLED:
        return
    if intake.pk is not None and "starts_at" not in changed_fields:
        return
    if intake.starts_at < timezone.now():
        raise ValidationError(
            {
                "starts_at": _(
                    "%(moment)s has passed: an intake can only be planned or moved to a moment still to come."
                )
                % {"moment": f"{timezone.localtime(intake.starts_at):%d-%m-%Y %H:%M}"}
            }
        )


def validate_intake(*, intake: IntakeAppointment, changed_fields: list[str], replaying: bool = False) -> None:
    """
    Check an intake before it is saved: not planned or moved into the past, and not while the trainer is busy.

    A cancelled intake takes no time in the trainer's calendar.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: in the user's language, the start's on starts_at
    """
    validate_intake_start(intake=intake, changed_fields=changed_fields, replaying=replaying)
    if intake.starts_at is None or not intake.duration_minutes or intake.status == IntakeAppointment.Status.CANCELLED:
        return
    conflicts = trainer_conflicts(
        trainer=intake.trainer,
        start=intake.starts_at,
        end=intake.starts_at + datetime.timedelta(minutes=intake.duration_minutes),
        exclude_intake_id=intake.pk,
    )
    if conflicts:
        raise ValidationError(_("The trainer is busy then: %(conflicts)s.") % {"conflicts": "; ".join(conflicts)})


@transaction.atomic
def save_intake(*, intake: IntakeAppointment, changed_fields: list[str], replaying: bool = False) -> IntakeAppointment:
    """
    Save an intake appointment and tell the board contact (and the trainer) what changed, once.

    A new appointment sends an invitation, a moved one an updated
    invitation with a higher SEQUENCE, a cancelled one a cancellation.
    Changes the board does not see (notes, 'held') send nothing.

    :param replaying: for the demo, which replays a story that has already happened
    :raises ValidationError: the intake is new or moved into the past, or the trainer is busy then (`validate_intake`)
    """
    validate_intake(intake=intake, changed_fields=changed_fields, replaying=replaying)
    new = intake.pk is None
    changed = set(changed_fields)
    cancelled_now = intake.status == IntakeAppointment.Status.CANCELLED and (new or "status" in changed)
    moved = not new and not cancelled_now and bool(changed & INTAKE_FIELDS_THE_BOARD_SEES)
    if moved or (cancelled_now and not new):
        intake.sequence += 1
    if moved and intake.status == IntakeAppointment.Status.PLANNED:
        intake.status = IntakeAppointment.Status.MOVED
    intake.full_clean()
    intake.save()
    registration = intake.registration
    if new and registration.status == Registration.Status.RECEIVED and not cancelled_now:
        registration.status = Registration.Status.INTAKE
        registration.save(update_fields=["status"])
    if cancelled_now:
        _send_intake_mail(intake, template="intake_cancelled", method="CANCEL")
    elif new or moved:
        _send_intake_mail(intake, template="intake_invitation", method="REQUEST")
    return intake


def _send_intake_mail(intake: IntakeAppointment, *, template: str, method: str) -> None:
    registration = intake.registration
    contact = Attendee(registration.contact_email, registration.contact_name)
    recipients = [(registration.contact_email, registration.language, "contact", (contact,))]
    trainer_email = (
        intake.trainer.email if intake.trainer and intake.trainer.email else settings.TRAINER_NOTIFICATION_EMAIL
    )
    trainer_name = intake.trainer.get_full_name() if intake.trainer else ""
    # The trainer's copy names both who meet; each copy names its recipient (RFC 5546: at least one ATTENDEE).
    trainer = Attendee(trainer_email, trainer_name)
    recipients.append((trainer_email, settings.LANGUAGE_CODE, "trainer", (contact, trainer)))
    for address, language, role, attendees in recipients:
        with translation.override(language):
            attachment = invitation_attachment(
                [intake_event(intake, attendees=attendees)], method=method, filename="intake.ics"
            )
        queue_email(
            to=address,
            template=f"cohorts/mail/{template}",
            context={
                "intake": intake,
                "registration": registration,
                "board": registration.board,
                "board_page_url": board_page_url(registration),
                "for_trainer": role == "trainer",
            },
            key=f"intake:{intake.pk}:{intake.sequence}:{intake.status}:{role}",
            language=language,
            about=[registration],
            attachments=[attachment],
        )
