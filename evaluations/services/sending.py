"""
Asking at the right moment: each course day's form after the day, the end form after the last, one reminder.

Run every 15 minutes from Celery beat (`tasks.send_evaluations`). Every
e-mail has one key per participant and day (or run, or invitation), and
every invitation is unique per participant and day, so running this as
often as you like sends each form once.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone

from cohorts import tokens
from cohorts.models import ATTENDED, Attendance, Cohort, CourseDay, Participant
from mail.services.queueing import queue_email

from ..models import EvaluationForm, Invitation

logger = logging.getLogger(__name__)

ANSWER = "evaluations.answer"
# Runs whose days are evaluated: a completed run's trainer may close it on the last day itself.
SENT_STATUSES = (Cohort.Status.CONFIRMED, Cohort.Status.RUNNING, Cohort.Status.COMPLETED)


def answer_url(invitation: Invitation) -> str:
    token = tokens.make_token(invitation.key, ANSWER)
    return settings.SITE_URL + reverse("evaluations:answer", kwargs={"token": token})


@dataclass
class _Ask:
    participant: Participant
    cohort: Cohort
    day: CourseDay | None
    form: EvaluationForm


def send_due_evaluations(*, now: datetime.datetime | None = None) -> int:
    """
    Queue the evaluation e-mails that are due; return how many were queued.

    A day's form goes to each enrolled participant recorded present that
    day, once the day has ended (on the wall clock in Amsterdam), for up to
    EVALUATION_SEND_WITHIN_DAYS after it; the end form to each enrolled
    participant who attended a day, once the run's last day has ended. Those
    who have not answered EVALUATION_REMINDER_DAYS after the form went out
    are reminded once. Nothing goes to the absent or the withdrawn.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    ended = _ended_days(now=now, today=today)
    # Most runs of the task (every 15 minutes) find no day ended within the window, or everyone there asked
    # already, and no reminder due: then each step stops at its first, cheap query.
    asks = _day_asks(ended) + _end_asks(ended) if ended else []
    reminders = _due_reminders(today=today)
    if not asks and not reminders:
        return 0
    with transaction.atomic():
        queued = sum(_ask(ask, today=today) for ask in asks)
        queued += _remind(reminders, today=today)
    return queued


def _ended_days(*, now: datetime.datetime, today: datetime.date) -> list[CourseDay]:
    zone = timezone.get_current_timezone()
    candidates = CourseDay.objects.filter(
        cohort__status__in=SENT_STATUSES,
        date__lte=today,
        date__gte=today - datetime.timedelta(days=settings.EVALUATION_SEND_WITHIN_DAYS),
    ).values_list("pk", "date", "end_time")
    ended = [
        pk
        for pk, date, end_time in candidates
        if timezone.make_aware(datetime.datetime.combine(date, end_time), zone) <= now
    ]
    if not ended:
        return []
    return list(CourseDay.objects.filter(pk__in=ended).select_related("cohort__programme", "programme_day"))


def _day_asks(days: list[CourseDay]) -> list[_Ask]:
    # Those present and not yet asked first: after a day's first run there are none, and then no form is read.
    present = list(
        Attendance.objects.filter(
            course_day__in=days,
            status=Attendance.Status.PRESENT,
            participant__status=Participant.Status.ENROLLED,
        )
        .exclude(
            Exists(
                Invitation.objects.filter(
                    kind=Invitation.Kind.DAY,
                    participant=OuterRef("participant_id"),
                    course_day=OuterRef("course_day_id"),
                )
            )
        )
        .select_related("participant")
        .order_by("course_day_id", "participant_id")
    )
    if not present:
        return []
    forms = {
        f.programme_day_id: f
        for f in EvaluationForm.objects.filter(
            kind=EvaluationForm.Kind.DAY, is_current=True, programme_day__in=[d.programme_day_id for d in days]
        )
    }
    by_id = {d.pk: d for d in days}
    return [
        _Ask(
            a.participant,
            by_id[a.course_day_id].cohort,
            by_id[a.course_day_id],
            forms[by_id[a.course_day_id].programme_day_id],
        )
        for a in present
        if by_id[a.course_day_id].programme_day_id in forms
    ]


def _end_asks(days: list[CourseDay]) -> list[_Ask]:
    cohorts = {d.cohort_id: d.cohort for d in days}
    last = dict(
        CourseDay.objects.filter(cohort__in=cohorts)
        .values("cohort")
        .annotate(last=Max("date"))
        .values_list("cohort", "last")
    )
    finished = {d.cohort_id for d in days if d.date == last.get(d.cohort_id)}
    if not finished:  # no run's last day among them: no end form is due
        return []
    forms = {
        f.programme_id: f
        for f in EvaluationForm.objects.filter(
            kind=EvaluationForm.Kind.END, is_current=True, programme__in={c.programme_id for c in cohorts.values()}
        )
    }
    finished = {pk for pk in finished if cohorts[pk].programme_id in forms}
    attended = (
        Participant.objects.filter(
            cohort__in=finished, status=Participant.Status.ENROLLED, attendances__status__in=ATTENDED
        )
        .exclude(evaluation_invitations__kind=Invitation.Kind.END)
        .distinct()
        .order_by("pk")
    )
    return [_Ask(p, cohorts[p.cohort_id], None, forms[cohorts[p.cohort_id].programme_id]) for p in attended]


def _ask(ask: _Ask, *, today: datetime.date) -> int:
    """Make the participant's invitation and queue its e-mail; return 1, or 0 when it was there already."""
    kind = Invitation.Kind.DAY if ask.day else Invitation.Kind.END
    invitation, created = Invitation.objects.get_or_create(
        participant=ask.participant,
        kind=kind,
        course_day=ask.day,
        defaults={
            "cohort": ask.cohort,
            "sent_on": today,
            "expires_on": today + datetime.timedelta(days=settings.EVALUATION_LINK_DAYS),
        },
    )
    if not created:
        return 0
    key = f"evaluation:{ask.participant.pk}:{ask.day.pk}" if ask.day else f"evaluation-end:{ask.participant.pk}"
    _queue(invitation, participant=ask.participant, form=ask.form, key=key, template="invitation")
    return 1


def _reminder_due(*, today: datetime.date):
    return Invitation.objects.filter(
        answered=False,
        reminded=False,
        sent_on__lte=today - datetime.timedelta(days=settings.EVALUATION_REMINDER_DAYS),
        expires_on__gt=today,
        participant__status=Participant.Status.ENROLLED,
    )


def _due_reminders(*, today: datetime.date) -> list[int]:
    """The invitations whose one reminder is due, by id: mostly none, read without joining what a reminder needs."""
    return list(_reminder_due(today=today).values_list("pk", flat=True))


def _remind(invitation_ids: list[int], *, today: datetime.date) -> int:
    if not invitation_ids:
        return 0
    due = list(
        _reminder_due(today=today)
        .filter(pk__in=invitation_ids)
        .select_related("participant", "cohort__programme", "course_day__programme_day")
        .order_by("pk")
    )
    forms = _current_forms({i.cohort.programme_id for i in due})
    reminded = []
    for invitation in due:
        day = invitation.course_day
        form = forms.get((invitation.cohort.programme_id, day.programme_day_id if day else None))
        if form is None:  # the form was taken away meanwhile
            continue
        _queue(
            invitation,
            participant=invitation.participant,
            form=form,
            key=f"evaluation-reminder:{invitation.pk}",
            template="reminder",
        )
        reminded.append(invitation.pk)
    Invitation.objects.filter(pk__in=reminded).update(reminded=True)
    return len(reminded)


def _current_forms(programme_ids: set[int]) -> dict:
    """The current forms of these programmes by (programme, programme day or None for the end form)."""
    return {
        (f.programme_id, f.programme_day_id): f
        for f in EvaluationForm.objects.filter(programme__in=programme_ids, is_current=True)
    }


def _queue(invitation: Invitation, *, participant: Participant, form: EvaluationForm, key: str, template: str) -> None:
    queue_email(
        to=participant.email,
        template=f"evaluations/mail/{template}",
        context={
            "participant": participant,
            "form": form,
            "cohort": invitation.cohort,
            "day": invitation.course_day,
            "answer_url": answer_url(invitation),
            "expires_on": invitation.expires_on,
        },
        key=key,
        language=participant.language,
        about=[participant],
    )
