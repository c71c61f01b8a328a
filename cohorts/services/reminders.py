"""Reminders before each course day and the go/no-go alert before a run starts."""

import datetime
import logging

from django.conf import settings
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone

from mail.models import OutgoingMail
from mail.services.queueing import Email, queue_email, queue_emails_once

from ..models import (
    Cohort,
    CourseDay,
    IntakeAppointment,
    Participant,
    Registration,
)
from .links import board_page_url, participant_page_urls
from .notices import _contact_recipient, _email
from .runs import ACTIVE_STATUSES

logger = logging.getLogger(__name__)


# --- Reminders -----------------------------------------------------------------


def send_due_reminders(*, now: datetime.datetime | None = None) -> int:
    """
    Queue the reminders that are due; return how many were queued.

    A course day of a confirmed or running run (a running one has days
    still to come) is reminded to each enrolled participant and to each
    board's contact with leaders in it. A reminder for a window of N days
    is due from the day's start time N days earlier, on the wall clock in
    Amsterdam, until the day starts; when several windows are due only the
    nearest is sent. An intake's reminder is due a day before it. Every
    reminder has one key per participant (or contact, or intake), day and
    window, so running this as often as you like sends each one once.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    windows = sorted(settings.REMINDER_DAYS_BEFORE)
    today = timezone.localdate(now, zone)
    planned = []  # (key, participant / board's registration / intake, course day or None)
    # The days with a window open, from their dates and times alone: on most runs there is none, and then
    # neither the days' runs nor their people are read.
    candidates = CourseDay.objects.filter(
        cohort__status__in=ACTIVE_STATUSES,
        date__gte=today,
        date__lte=today + datetime.timedelta(days=max(windows, default=0)),
    ).values_list("pk", "date", "start_time")
    open_days = [
        pk for pk, date, start_time in candidates if _due_window(date, start_time, windows, now, zone) is not None
    ]
    days = (
        CourseDay.objects.filter(pk__in=open_days)
        .select_related("cohort__programme", "programme_day")
        .prefetch_related(
            Prefetch(
                "cohort__participants",
                queryset=Participant.objects.filter(status=Participant.Status.ENROLLED),
                to_attr="enrolled",
            ),
            Prefetch(
                "cohort__registrations",
                queryset=Registration.objects.exclude(status=Registration.Status.CANCELLED).select_related("board"),
                to_attr="current_registrations",
            ),
        )
    )
    for day in days if open_days else []:
        window = _due_window(day.date, day.start_time, windows, now, zone)
        if window is None:  # moved meanwhile
            continue
        planned += [(f"reminder:{p.pk}:{day.pk}:{window}", p, day) for p in day.cohort.enrolled]
        # Each board's contact hears which of their leaders have a day coming up.
        for registration in day.cohort.current_registrations:
            registration.leaders = [p for p in day.cohort.enrolled if p.registration_id == registration.pk]
            if registration.leaders:
                planned.append((f"reminder-board:{registration.pk}:{day.pk}:{window}", registration, day))
    intakes = IntakeAppointment.objects.filter(
        status__in=[IntakeAppointment.Status.PLANNED, IntakeAppointment.Status.MOVED],
        starts_at__gt=now,
        starts_at__lte=now + datetime.timedelta(days=1),
    )
    if intakes.exists():  # mostly none within the day; read with their boards only when there are
        planned += [
            (f"intake-reminder:{i.pk}:{i.sequence}", i, None) for i in intakes.select_related("registration__board")
        ]
    sent = set(OutgoingMail.objects.filter(key__in=[key for key, _who, _day in planned]).values_list("key", flat=True))
    due = [(key, who, day) for key, who, day in planned if key not in sent]
    if not due:
        return 0
    # One transaction for the run: a failure leaves nothing half-queued, and
    # the next run (its keys not yet taken) tries again. A run at the same
    # time queues each key once with this one: the database keeps the first.
    contexts = {}  # a day's, shared by its participants' reminders: rendered once for all of them
    pages = participant_page_urls({who for _key, who, _day in due if isinstance(who, Participant)})
    with transaction.atomic():
        queued = queue_emails_once(
            emails=[_reminder(key=key, who=who, day=day, contexts=contexts, pages=pages) for key, who, day in due]
        )
    return len(queued)


def _due_window(date: datetime.date, start_time: datetime.time, windows: list[int], now, zone) -> int | None:
    """Return the nearest window (in days before) that is open for a day at `date` and `start_time`, or None."""
    start = timezone.make_aware(datetime.datetime.combine(date, start_time), zone)
    if start <= now:
        return None
    due = [
        w
        for w in windows
        if timezone.make_aware(datetime.datetime.combine(date - datetime.timedelta(days=w), start_time), zone) <= now
    ]
    return min(due, default=None)


def _reminder(*, key: str, who, day: CourseDay | None, contexts: dict, pages: dict[int, str]) -> Email:
    """Return the reminder of an intake (`day` None) or of a course day, to a participant or a board's contact."""
    if day is None:
        return _email(
            _contact_recipient(who.registration), template="intake_reminder", key=key, context={"intake": who}
        )
    context = contexts.setdefault(day.pk, {"day": day, "cohort": day.cohort, "programme": day.cohort.programme})
    if isinstance(who, Registration):
        return _email(
            _contact_recipient(who),
            template="course_day_reminder_board",
            key=key,
            context={**context, "leaders": who.leaders},
            about=who.leaders,
        )
    # The participant's name and page are all that is theirs (Email.personal).
    return Email(
        to=who.email,
        template="cohorts/mail/course_day_reminder",
        context=context,
        key=key,
        language=who.language,
        about=[who],
        personal={"participant": {"first_name": who.first_name}, "participant_page_url": pages[who.pk]},
    )


def send_go_no_go_alerts(*, now: datetime.datetime | None = None) -> int:
    """
    Alert the trainer and the boards' contacts, once, about each course run
    that is still below its minimum GO_NO_GO_WEEKS before its first day.
    """
    now = now or timezone.now()
    deadline = timezone.localdate(now) + datetime.timedelta(weeks=settings.GO_NO_GO_WEEKS)
    cohorts = (
        Cohort.objects.with_counts()
        .filter(status__in=[Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED])
        .annotate(first_date=models.Min("days__date"))
        .filter(first_date__lte=deadline, first_date__gte=timezone.localdate(now))
        # Only those still below their minimum: most hours none is, and then nothing more is read.
        .filter(enrolled_count__lt=models.F("programme__min_participants"))
        .select_related("programme", "trainer")
        .prefetch_related("registrations__board")
    )
    queued = 0
    for cohort in cohorts:
        needed = cohort.programme.min_participants - cohort.enrolled_count
        trainer_email = (
            cohort.trainer.email if cohort.trainer and cohort.trainer.email else settings.TRAINER_NOTIFICATION_EMAIL
        )
        recipients = [(trainer_email, settings.LANGUAGE_CODE, "trainer", None)]
        recipients += [
            (r.contact_email, r.language, f"contact-{r.pk}", r)
            for r in cohort.registrations.all()
            if r.status != Registration.Status.CANCELLED
        ]
        for address, language, who, registration in recipients:
            with transaction.atomic():
                queue_email(
                    to=address,
                    template="cohorts/mail/go_no_go",
                    context={
                        "cohort": cohort,
                        "programme": cohort.programme,
                        "needed": needed,
                        "enrolled": cohort.enrolled_count,
                        "registration": registration,
                        "board_page_url": board_page_url(registration) if registration else "",
                    },
                    key=f"go-no-go:{cohort.pk}:{who}",
                    language=language,
                    about=[registration] if registration else [],
                )
            queued += 1
    return queued
