import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cohorts.models import CourseDay
from cohorts.services import reminders
from mail.models import OutgoingMail

from .factories import CohortFactory, RawParticipantFactory, RawRegistrationFactory

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def run_starting(date, enrolled):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=cohort, contact_email="bestuur@example.nl")
    RawParticipantFactory.create_batch(enrolled, registration=registration)
    CourseDay.objects.create(
        cohort=cohort,
        programme_day=cohort.programme.days.get(number=1),
        date=date,
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    return cohort


def alerts():
    return OutgoingMail.objects.filter(key__startswith="go-no-go:")


def test_alert_six_weeks_before_once_with_the_seats_needed():
    run_starting(datetime.date(2027, 5, 3), enrolled=9)
    with time_machine.travel(datetime.datetime(2027, 3, 21, 12, tzinfo=AMSTERDAM), tick=False):
        reminders.send_go_no_go_alerts()
    assert not alerts().exists()
    with time_machine.travel(datetime.datetime(2027, 3, 22, 12, tzinfo=AMSTERDAM), tick=False):
        reminders.send_go_no_go_alerts()
        reminders.send_go_no_go_alerts()
    assert alerts().count() == 2  # the trainer and the board contact
    contact = alerts().get(to=["bestuur@example.nl"])
    assert "nog 3 deelnemers nodig" in contact.subject
    assert "/bestuur/" in contact.body_text


def test_no_alert_when_the_minimum_is_reached_or_the_run_is_cancelled():
    run_starting(datetime.date(2027, 5, 3), enrolled=12)
    cancelled = run_starting(datetime.date(2027, 5, 3), enrolled=3)
    cancelled.status = "cancelled"
    cancelled.save()
    with time_machine.travel(datetime.datetime(2027, 4, 1, 12, tzinfo=AMSTERDAM), tick=False):
        assert reminders.send_go_no_go_alerts() == 0
