"""The forms go out at the right moment, time-travelled through a whole run with the beat ticking every 15 minutes."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cohorts.models import Attendance
from cohorts.services.enrolment import withdraw_participant
from evaluations.models import Invitation
from evaluations.services import sending
from evaluations.tasks import send_evaluations
from mail.models import OutgoingMail

from .factories import confirmed_run, record

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def keys(prefix):
    return sorted(OutgoingMail.objects.filter(key__startswith=prefix).values_list("key", flat=True))


def test_a_whole_run_sends_each_form_once_to_those_present_and_reminds_once(settings):
    settings.EVALUATION_REMINDER_DAYS = 3
    first = datetime.date(2027, 3, 1)
    with time_machine.travel(datetime.datetime(2027, 2, 28, 12, tzinfo=AMSTERDAM), tick=False) as traveller:
        cohort = confirmed_run(first=first, participants=4)
        anne, bram, chris, dirk = cohort.participants.order_by("pk")
        dirk.language = "en"
        dirk.save()
        days = list(cohort.days.order_by("date"))
        # Bram withdraws before the run starts; the trainer still ticks him present on day 1 by mistake.
        withdraw_participant(participant=bram)
        for number, day in enumerate(days, start=1):
            # The morning of the day: the trainer records who came.
            traveller.move_to(datetime.datetime.combine(day.date, datetime.time(10), AMSTERDAM))
            statuses = {anne: "present", chris: "absent", dirk: "present"}
            if number == 1:
                statuses[bram] = "present"
            record(day, statuses)
            # Every 15 minutes until the evening, then every six hours until the next week's day.
            evening = datetime.datetime.combine(day.date, datetime.time(22), AMSTERDAM)
            until = datetime.datetime.combine(day.date + datetime.timedelta(days=6), datetime.time(10), AMSTERDAM)
            while (now := datetime.datetime.now(AMSTERDAM)) < until:
                before_end = now < datetime.datetime.combine(day.date, day.end_time, AMSTERDAM)
                send_evaluations()
                if before_end:
                    assert not OutgoingMail.objects.filter(key=f"evaluation:{anne.pk}:{day.pk}").exists()
                traveller.shift(datetime.timedelta(minutes=15 if now < evening else 360))
    # Each day's form once to each present participant; nothing to Chris (absent) or Bram (withdrawn).
    expected = sorted(f"evaluation:{p.pk}:{d.pk}" for d in days for p in (anne, dirk))
    assert keys("evaluation:") == expected
    assert keys("evaluation-end:") == sorted([f"evaluation-end:{anne.pk}", f"evaluation-end:{dirk.pk}"])
    # Nobody answered: one reminder per invitation.
    invitations = Invitation.objects.all()
    assert not Invitation.objects.filter(participant__in=[bram, chris]).exists()
    # The end form went out on the last day; its reminder comes three days later, within the six days travelled.
    assert keys("evaluation-reminder:") == sorted(f"evaluation-reminder:{i.pk}" for i in invitations)
    sent_to = {address for m in OutgoingMail.objects.filter(key__startswith="evaluation") for address in m.to}
    assert not {chris.email, bram.email} & sent_to
    english = OutgoingMail.objects.get(key=f"evaluation:{dirk.pk}:{days[0].pk}")
    dutch = OutgoingMail.objects.get(key=f"evaluation:{anne.pk}:{days[0].pk}")
    assert english.language == "en" and "evaluation" in english.subject.lower()
    assert dutch.language == "nl" and "evaluatie" in dutch.subject.lower()
    assert "/evaluatie/" in dutch.body_text


def test_the_form_waits_for_the_days_end_and_for_the_attendance(fixed_clock):
    cohort = confirmed_run(first=datetime.date(2027, 3, 1), participants=2)
    day = cohort.days.order_by("date").first()
    one, two = cohort.participants.order_by("pk")
    record(day, {one: Attendance.Status.PRESENT})
    assert sending.send_due_evaluations() == 0  # 10:00, the day is on until 16:30
    fixed_clock.move_to(datetime.datetime(2027, 3, 1, 16, 30, tzinfo=AMSTERDAM))
    assert sending.send_due_evaluations() == 1
    assert sending.send_due_evaluations() == 0
    record(day, {two: Attendance.Status.PRESENT})  # recorded late: the form follows
    assert sending.send_due_evaluations() == 1
    assert Invitation.objects.filter(course_day=day).count() == 2


def test_a_planned_or_cancelled_run_is_not_evaluated(fixed_clock):
    cohort = confirmed_run(first=datetime.date(2027, 3, 1), participants=1)
    day = cohort.days.order_by("date").first()
    record(day, {cohort.participants.get(): Attendance.Status.PRESENT})
    cohort.status = "cancelled"
    cohort.save()
    fixed_clock.move_to(datetime.datetime(2027, 3, 2, 9, tzinfo=AMSTERDAM))
    assert sending.send_due_evaluations() == 0
