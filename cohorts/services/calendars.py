"""Course days and intakes as calendar events, and the calendar files and feeds made of them."""

import dataclasses
import datetime
import functools
import logging

from django.conf import settings
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from verbindend.ics import Attendee, CalendarEvent, make_calendar

from .. import tokens
from ..models import (
    CalendarFeed,
    Cohort,
    CourseDay,
    IntakeAppointment,
    Participant,
    Registration,
)

logger = logging.getLogger(__name__)


def course_day_span(day: CourseDay) -> tuple[datetime.datetime, datetime.datetime]:
    """Return a course day's start and end as aware datetimes in the site's time zone."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.datetime.combine(day.date, day.start_time), zone),
        timezone.make_aware(datetime.datetime.combine(day.date, day.end_time), zone),
    )


def intake_event(intake: IntakeAppointment, *, attendees: tuple[Attendee, ...] = ()) -> CalendarEvent:
    """The intake as a calendar event; `attendees`, the invitation's recipients, default to the board's contact."""
    registration = intake.registration
    where = {
        IntakeAppointment.Mode.ON_SITE: intake.location,
        IntakeAppointment.Mode.VIDEO: intake.video_link,
        IntakeAppointment.Mode.PHONE: registration.contact_phone,
    }[intake.mode]
    return CalendarEvent(
        uid=f"intake-{intake.pk}@verbindend",
        sequence=intake.sequence,
        start=intake.starts_at,
        end=intake.ends_at,
        summary=_("Intake Verbindend leiderschap: %(board)s") % {"board": registration.board.name},
        description=intake.get_mode_display(),
        location=where,
        url=intake.video_link,
        organizer_email=settings.PROVIDER_EMAIL,
        organizer_name=settings.PROVIDER_CONTACT_NAME,
        attendees=attendees or (Attendee(registration.contact_email, registration.contact_name),),
        cancelled=intake.status == IntakeAppointment.Status.CANCELLED,
    )


def course_day_event(day: CourseDay, *, cancelled: bool = False, attendees: tuple[Attendee, ...] = ()) -> CalendarEvent:
    """A course day as a calendar event; `attendees` are an invitation's recipients (none in a published file)."""
    start, end = course_day_span(day)
    cohort = day.cohort
    return CalendarEvent(
        uid=f"courseday-{day.pk}@verbindend",
        sequence=day.sequence,
        start=start,
        end=end,
        summary=_("Verbindend leiderschap, day %(number)s: %(theme)s")
        % {"number": day.programme_day.number, "theme": day.programme_day.theme},
        description=day.programme_day.content,
        location=", ".join(part for part in (day.venue or cohort.venue, cohort.place) if part),
        organizer_email=settings.PROVIDER_EMAIL,
        organizer_name=settings.PROVIDER_CONTACT_NAME,
        attendees=attendees,
        cancelled=cancelled,
    )


# --- The trainer's calendar feed ----------------------------------------------


def calendar_feed_url(user) -> str:
    """Return the private calendar feed URL of a staff user, making its key on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    token = tokens.make_token(feed.key, tokens.CALENDAR)
    return settings.SITE_URL + reverse("public:calendar_feed", kwargs={"token": token})


def _trainer_course_day_event(day: CourseDay) -> CalendarEvent:
    """Return a course day for the trainer's feed, titled with the run's code and its boards.

    The trainer runs several runs at once: in a week view, "day 3" alone does not say which group comes. The
    participants' titles stay as they are (they follow one run only).
    """
    event = course_day_event(day, cancelled=day.cohort.status == Cohort.Status.CANCELLED)
    boards = ", ".join(dict.fromkeys(registration.board.name for registration in day.cohort.registrations.all()))
    summary = _("%(code)s, day %(number)s: %(theme)s") % {
        "code": day.cohort.code,
        "number": day.programme_day.number,
        "theme": day.programme_day.theme,
    }
    if boards:
        summary = _("%(summary)s (%(boards)s)") % {"summary": summary, "boards": boards}
    return dataclasses.replace(event, summary=summary)


def trainer_calendar(user) -> bytes:
    """Return the .ics of all course days and intakes of a trainer; cancelled ones stay, marked cancelled."""
    days = (
        CourseDay.objects.filter(cohort__trainer=user)
        .select_related("cohort", "programme_day")
        .prefetch_related(
            Prefetch(
                "cohort__registrations",
                queryset=Registration.objects.exclude(status=Registration.Status.CANCELLED)
                .select_related("board")
                .order_by("board__name"),
            )
        )
    )
    intakes = IntakeAppointment.objects.filter(trainer=user).select_related(
        "registration__board", "registration__cohort"
    )
    events = [_trainer_course_day_event(day) for day in days]
    events += [_trainer_intake_event(intake) for intake in intakes]
    return make_calendar(events, method="PUBLISH", name=_("Verbindend: trainer"))


def _trainer_intake_event(intake: IntakeAppointment) -> CalendarEvent:
    """Return an intake for the trainer's feed: its title names the board already, and the run once there is one."""
    event = intake_event(intake)
    cohort = intake.registration.cohort
    if cohort is None:
        return event
    return dataclasses.replace(event, summary=f"{cohort.code}, {event.summary}")


def participant_calendar(participant: Participant) -> bytes:
    """Return the participant's schedule as .ics; UIDs stay the same when a day moves, so calendars update it."""
    cohort = participant.cohort
    # Each day's cohort is this one (the relation knows it): no join, no query more.
    days = cohort.days.select_related("programme_day").order_by("date")
    return _participant_file(list(days), cohort=cohort, participant_status=participant.status)


def scheduled_participant_calendar(*, access_key: str) -> bytes | None:
    """
    Return the schedule of the participant with this access key as `participant_calendar` does, in one query.

    None when the key opens no scheduled day: no such participant, or no day
    scheduled yet (then `participant_calendar` tells which).
    """
    days = list(
        CourseDay.objects.filter(cohort__participants__access_key=access_key)
        .select_related("cohort__programme", "programme_day")
        .annotate(participant_status=F("cohort__participants__status"))
        .order_by("date")
    )
    if not days:
        return None
    return _participant_file(days, cohort=days[0].cohort, participant_status=days[0].participant_status)


def _participant_file(days: list[CourseDay], *, cohort: Cohort, participant_status: str) -> bytes:
    cancelled = cohort.status == Cohort.Status.CANCELLED or participant_status == Participant.Status.WITHDRAWN
    events = tuple(course_day_event(day, cancelled=cancelled) for day in days)
    return _published_calendar(events, cohort.programme.title)


@functools.lru_cache(maxsize=256)
def _published_calendar(events: tuple[CalendarEvent, ...], name: str) -> bytes:
    """
    Return the PUBLISH file of these events, made once per process for the same events.

    Writing the file is most of the cost of rooster.ics, and every participant
    of a run gets the same events. The events are the key: a day moved, a
    theme reworded or a run cancelled makes other events, and a new file.
    They name no person (a published file has no attendees), so the cache
    holds nothing personal.
    """
    return make_calendar(events, method="PUBLISH", name=name)
