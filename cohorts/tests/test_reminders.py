"""Reminders, time-travelled: once per participant, day and window, at the right local hour across DST."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cohorts.models import CourseDay, IntakeAppointment
from cohorts.services import links
from cohorts.services import reminders as reminders_services
from mail.models import OutgoingMail

from .factories import RawParticipantFactory, RawRegistrationFactory

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC


def confirmed_cohort_with(dates, participants=3):
    registration = RawRegistrationFactory()
    cohort = registration.cohort
    RawParticipantFactory.create_batch(participants, registration=registration)
    RawParticipantFactory(registration=registration, status="waiting", waitlist_number=1)
    for number, date in enumerate(dates, start=1):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=number),
            date=date,
            start_time=datetime.time(9, 0),
            end_time=datetime.time(16, 0),
        )
    cohort.status = "confirmed"
    cohort.save()
    return cohort


def reminder_keys():
    return list(OutgoingMail.objects.filter(key__startswith="reminder:").values_list("key", flat=True))


def test_every_ten_minutes_for_two_weeks_sends_each_reminder_once():
    cohort = confirmed_cohort_with([datetime.date(2027, 3, 10), datetime.date(2027, 3, 15)])
    other = confirmed_cohort_with([datetime.date(2027, 3, 12)], participants=2)
    start = datetime.datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(14 * 24 * 6):
            reminders_services.send_due_reminders()
            if _ % 500 == 0:
                reminders_services.send_due_reminders()  # beat firing twice
            traveller.shift(datetime.timedelta(minutes=10))
    keys = reminder_keys()
    assert len(keys) == len(set(keys))
    # 3 participants x 2 days x 2 windows, and 2 participants x 1 day x 2 windows; the waiting one gets nothing.
    assert len(keys) == 3 * 2 * 2 + 2 * 1 * 2
    enrolled = set(cohort.participants.filter(status="enrolled").values_list("email", flat=True))
    enrolled |= set(other.participants.filter(status="enrolled").values_list("email", flat=True))
    assert {m.to[0] for m in OutgoingMail.objects.filter(key__startswith="reminder:")} == enrolled


def test_reminder_content_has_date_time_venue_theme_and_content():
    confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=1)
    with time_machine.travel(datetime.datetime(2027, 3, 9, 9, 0, tzinfo=AMSTERDAM), tick=False):
        reminders_services.send_due_reminders()
    mail = OutgoingMail.objects.get(key__startswith="reminder:")
    assert mail.subject == "Herinnering: dag 1 van Verbindend leiderschap op woensdag 10 maart"
    assert "woensdag 10 maart 2027, 09:00–16:00" in mail.body_text
    assert "Naar een raamwerk voor Verbindend Leiderschap" in mail.body_text
    assert "Zaal De Eik" in mail.body_text
    assert "Hoe gaan we om met het probleem van fragmentering?" in mail.body_text


def test_a_day_just_after_the_dst_change_is_reminded_at_the_right_local_hour():
    # Clocks go forward on 28 March 2027; the 1-day reminder for 29 March 09:00
    # is due at 28 March 09:00 CEST, which is 07:00 UTC (not 08:00).
    confirmed_cohort_with([datetime.date(2027, 3, 29)], participants=1)
    with time_machine.travel(datetime.datetime(2027, 3, 22, 12, 0, tzinfo=UTC), tick=False):
        reminders_services.send_due_reminders()  # the 7-day one
    assert len(reminder_keys()) == 1
    with time_machine.travel(datetime.datetime(2027, 3, 28, 6, 55, tzinfo=UTC), tick=False):
        reminders_services.send_due_reminders()
    assert len(reminder_keys()) == 1
    with time_machine.travel(datetime.datetime(2027, 3, 28, 7, 0, tzinfo=UTC), tick=False):
        reminders_services.send_due_reminders()
    assert sorted(k.rsplit(":", 1)[1] for k in reminder_keys()) == ["1", "7"]


def test_only_the_nearest_window_is_sent_when_a_run_is_confirmed_late():
    confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=1)
    with time_machine.travel(datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM), tick=False):
        reminders_services.send_due_reminders()
    assert [k.rsplit(":", 1)[1] for k in reminder_keys()] == ["1"]


def test_no_reminders_for_a_planned_or_cancelled_run():
    cohort = confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=1)
    cohort.status = "planned"
    cohort.save()
    with time_machine.travel(datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM), tick=False):
        assert reminders_services.send_due_reminders() == 0


def test_intake_reminder_the_day_before_once_per_appointment_time():
    registration = RawRegistrationFactory(cohort=None, contact_email="bestuur@example.nl")
    intake = IntakeAppointment.objects.create(
        registration=registration, starts_at=datetime.datetime(2027, 3, 10, 14, 0, tzinfo=AMSTERDAM), mode="phone"
    )
    for hour in (13, 14, 15, 16):
        with time_machine.travel(datetime.datetime(2027, 3, 9, hour, 0, tzinfo=AMSTERDAM), tick=False):
            reminders_services.send_due_reminders()
    reminders = OutgoingMail.objects.filter(key__startswith="intake-reminder:")
    assert reminders.count() == 1
    assert reminders.get().to == ["bestuur@example.nl"]
    assert reminders.get().key == f"intake-reminder:{intake.pk}:{intake.sequence}"


@pytest.mark.parametrize("participants", [3, 25])
def test_a_reminder_run_takes_the_same_queries_however_many_participants(participants, django_assert_num_queries):
    cohort = confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=participants)
    with time_machine.travel(datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM), tick=False):
        assert reminders_services.send_due_reminders() == participants + 1  # and the board's contact
        # Everything is sent: a further run reads, and writes nothing.
        with django_assert_num_queries(6):
            assert reminders_services.send_due_reminders() == 0
    day = cohort.days.get()
    enrolled = cohort.participants.filter(status="enrolled")
    assert sorted(reminder_keys()) == sorted(f"reminder:{p.pk}:{day.pk}:1" for p in enrolled)


def test_the_days_of_a_running_run_are_reminded_too():
    # Beat marks a run running on its first day; its later days still come.
    cohort = confirmed_cohort_with([datetime.date(2027, 3, 1), datetime.date(2027, 3, 15)], participants=2)
    cohort.status = "running"
    cohort.save()
    with time_machine.travel(datetime.datetime(2027, 3, 14, 12, 0, tzinfo=AMSTERDAM), tick=False):
        reminders_services.send_due_reminders()
    day2 = cohort.days.get(programme_day__number=2)
    assert sorted(reminder_keys()) == sorted(
        f"reminder:{p.pk}:{day2.pk}:1" for p in cohort.participants.filter(status="enrolled")
    )


@pytest.mark.parametrize("status", ["planned", "cancelled", "completed"])
def test_no_reminders_for_a_run_that_is_not_confirmed_or_running(status):
    cohort = confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=1)
    cohort.status = status
    cohort.save()
    with time_machine.travel(datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM), tick=False):
        assert reminders_services.send_due_reminders() == 0
    assert not OutgoingMail.objects.exists()


def test_a_day_that_has_begun_gets_no_reminder():
    confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=1)
    with time_machine.travel(datetime.datetime(2027, 3, 10, 9, 0, tzinfo=AMSTERDAM), tick=False):
        assert reminders_services.send_due_reminders() == 0


def test_each_boards_contact_is_reminded_of_their_own_leaders_in_their_language():
    cohort = confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=2)
    dutch = cohort.registrations.get()
    english = RawRegistrationFactory(cohort=cohort, language="en", contact_name="Oliver Grant", board__name="Het Baken")
    theirs = RawParticipantFactory(registration=english, first_name="Ruth", last_name="Mol", tussenvoegsel="")
    RawRegistrationFactory(cohort=cohort)  # a board without leaders in the run: nothing to remind it of
    with time_machine.travel(datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM), tick=False):
        reminders_services.send_due_reminders()
        reminders_services.send_due_reminders()
    day = cohort.days.get()
    board_mails = OutgoingMail.objects.filter(key__startswith="reminder-board:")
    assert sorted(board_mails.values_list("key", flat=True)) == sorted(
        [f"reminder-board:{dutch.pk}:{day.pk}:1", f"reminder-board:{english.pk}:{day.pk}:1"]
    )
    mail = board_mails.get(to=[english.contact_email])
    assert mail.subject == (
        "Reminder: day 1 of Verbindend leiderschap on Wednesday 10 March for the leaders of Het Baken"
    )
    assert "Dear Oliver Grant," in mail.body_text
    assert "This leader of Het Baken takes part:\n- Ruth Mol" in mail.body_text
    assert links.board_page_url(english) in mail.body_text
    dutch_mail = board_mails.get(to=[dutch.contact_email])
    assert dutch_mail.subject.startswith("Herinnering: dag 1 van Verbindend leiderschap op woensdag 10 maart")
    assert "Deze 2 schoolleiders van" in dutch_mail.body_text
    assert "Ruth Mol" not in dutch_mail.body_text
    assert links.board_page_url(dutch) in dutch_mail.body_text
    # The participants keep their own wording and page.
    own = OutgoingMail.objects.get(to=[theirs.email])
    assert own.template == "cohorts/mail/course_day_reminder"
    assert links.participant_page_url(theirs) in own.body_text


@pytest.mark.parametrize("runs", [2, 8])
def test_a_reminder_run_takes_the_same_queries_however_many_runs_and_boards(runs, django_assert_num_queries):
    for _ in range(runs):
        cohort = confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=3)
        RawParticipantFactory(registration=RawRegistrationFactory(cohort=cohort))
        cohort.status = "running"
        cohort.save()
    with time_machine.travel(datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM), tick=False):
        reminders_services.send_due_reminders()
        # The days with a window open, from their dates; those days with their runs, participants and boards;
        # the intakes; the keys already sent.
        with django_assert_num_queries(6):
            assert reminders_services.send_due_reminders() == 0
    assert OutgoingMail.objects.filter(key__startswith="reminder-board:").count() == 2 * runs


@pytest.mark.parametrize("runs", [1, 4])
def test_a_reminder_run_with_no_window_open_reads_only_the_days_dates_and_the_intakes(runs, django_assert_num_queries):
    for _ in range(runs):
        confirmed_cohort_with([datetime.date(2027, 3, 10)], participants=3)
    # More than a week before the day, and after it began: no window is open, nothing else is read.
    for moment in (datetime.datetime(2027, 3, 2, 12, 0), datetime.datetime(2027, 3, 10, 9, 30)):
        with time_machine.travel(moment.replace(tzinfo=AMSTERDAM), tick=False), django_assert_num_queries(2):
            assert reminders_services.send_due_reminders() == 0
    assert not OutgoingMail.objects.filter(key__startswith="reminder").exists()
