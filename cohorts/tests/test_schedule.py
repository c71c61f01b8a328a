"""The trainer's course runs in the admin: codes, the six days, validation, confirm, cancel, complete, changes."""

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, CourseDay, IntakeAppointment
from cohorts.services import links, registrations, runs, scheduling
from mail.models import OutgoingMail

from .factories import CohortFactory, CourseDayFactory, RawParticipantFactory, RawRegistrationFactory, seeded_programme

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# The tests name dates in 2027: they are planned from a day before them, since
# no day can be scheduled on a date that has passed.
TODAY = datetime.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def on_today():
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=AMSTERDAM), tick=False):
        yield


def change_url(cohort):
    return reverse("admin:cohorts_cohort_change", args=[cohort.pk])


def schedule(cohort, first=None, weeks=2):
    first = first or TODAY + datetime.timedelta(days=60)
    for offset, day in enumerate(cohort.programme.days.order_by("number")):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=first + datetime.timedelta(weeks=weeks * offset),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(16, 30),
        )


def post_days(admin_client, cohort, days, **cohort_fields):
    """Post the cohort's change form with an inline row per (number, date, start, end, venue)."""
    data = {
        "programme": cohort.programme.pk,
        "status": cohort.status,
        "trainer": cohort.trainer_id or "",
        "venue": cohort.venue,
        "place": cohort.place,
        "days-TOTAL_FORMS": len(days),
        "days-INITIAL_FORMS": 0,
        "days-MIN_NUM_FORMS": 0,
        "days-MAX_NUM_FORMS": 1000,
        **cohort_fields,
    }
    for index, (number, date, start, end, venue) in enumerate(days):
        data.update(
            {
                f"days-{index}-programme_day": cohort.programme.days.get(number=number).pk,
                f"days-{index}-date": date,
                f"days-{index}-start_time": start,
                f"days-{index}-end_time": end,
                f"days-{index}-venue": venue,
            }
        )
    return admin_client.post(change_url(cohort), data)


def six_days(start="2027-03-01"):
    first = datetime.date.fromisoformat(start)
    return [(n, (first + datetime.timedelta(weeks=2 * (n - 1))).isoformat(), "09:30", "16:30", "") for n in range(1, 7)]


def test_new_course_run_gets_the_next_code(admin_client):
    CohortFactory(code=f"VL-{TODAY.year}-03")
    response = admin_client.post(
        reverse("admin:cohorts_cohort_add"),
        {
            "programme": seeded_programme().pk,
            "status": "planned",
            "venue": "De Eik",
            "place": "Utrecht",
            "days-TOTAL_FORMS": 0,
            "days-INITIAL_FORMS": 0,
            "days-MIN_NUM_FORMS": 0,
            "days-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302
    assert Cohort.objects.filter(code=f"VL-{TODAY.year}-04").exists()


def test_a_course_run_offers_a_row_for_each_programme_day(admin_client):
    cohort = CohortFactory()
    page = admin_client.get(change_url(cohort)).content.decode()
    assert 'name="days-TOTAL_FORMS" value="6"' in page


def test_six_days_in_order_are_saved(admin_client):
    cohort = CohortFactory()
    response = post_days(admin_client, cohort, six_days())
    assert response.status_code == 302
    assert cohort.days.count() == 6


def test_days_out_of_order_are_refused(admin_client):
    cohort = CohortFactory()
    days = six_days()
    days[2] = (3, "2027-02-01", "09:30", "16:30", "")
    response = post_days(admin_client, cohort, days)
    assert "Dag 3 (01-02-2027) moet na dag 2 (15-03-2027) komen." in response.content.decode()
    assert not cohort.days.exists()


def test_two_days_on_one_date_are_refused(admin_client):
    cohort = CohortFactory()
    days = six_days()
    days[1] = (2, days[0][1], "09:30", "16:30", "")
    assert "moet na dag 1" in post_days(admin_client, cohort, days).content.decode()


def test_a_day_without_any_venue_is_refused(admin_client):
    cohort = CohortFactory(venue="")
    response = post_days(admin_client, cohort, six_days()[:1], venue="")
    assert "Dag 1 heeft een locatie nodig" in response.content.decode()


def test_a_day_ending_before_it_starts_is_refused(admin_client):
    cohort = CohortFactory()
    response = post_days(admin_client, cohort, [(1, "2027-03-01", "16:00", "09:00", "")])
    assert "Een cursusdag moet eindigen nadat hij begint." in response.content.decode()
    assert not cohort.days.exists()


def test_trainer_cannot_teach_two_course_runs_at_once(admin_client, admin_user):
    busy = CohortFactory(trainer=admin_user)
    schedule(busy, first=datetime.date(2027, 3, 1))
    cohort = CohortFactory(trainer=admin_user)
    response = post_days(admin_client, cohort, six_days("2027-03-01"))
    page = response.content.decode()
    assert "Op dag 1 is de trainer bezet" in page
    assert busy.code in page
    assert not cohort.days.exists()


def test_trainer_cannot_teach_during_an_intake(admin_client, admin_user):
    IntakeAppointment.objects.create(
        registration=RawRegistrationFactory(cohort=None),
        trainer=admin_user,
        starts_at=timezone.make_aware(datetime.datetime(2027, 3, 1, 15, 0)),
        mode="phone",
    )
    cohort = CohortFactory(trainer=admin_user)
    assert "het intakegesprek met" in post_days(admin_client, cohort, six_days("2027-03-01")).content.decode()


def cohort_ready_to_confirm(enrolled=12):
    registration = RawRegistrationFactory(contact_email="contact@bestuur.example.nl")
    RawParticipantFactory.create_batch(enrolled, registration=registration)
    schedule(registration.cohort)
    return registration.cohort


def run_action(admin_client, action, cohort, **fields):
    """Run an action as its confirmation page posts it."""
    return admin_client.post(
        reverse("admin:cohorts_cohort_changelist"),
        {"action": action, "_selected_action": [cohort.pk], "post": "yes", **fields},
        follow=True,
    )


def test_confirming_sends_everyone_the_schedule_with_an_ics(admin_client):
    cohort = cohort_ready_to_confirm()
    page = run_action(admin_client, "confirm", cohort).content.decode()
    assert "1 uitvoering bevestigd" in page
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CONFIRMED
    mails = OutgoingMail.objects.filter(template="cohorts/mail/cohort_confirmed")
    assert mails.count() == 13  # 12 participants and the board contact
    contact_mail = mails.get(to=["contact@bestuur.example.nl"])
    assert "gaat door" in contact_mail.subject
    (attachment,) = contact_mail.attachments.all()
    events = icalendar.Calendar.from_ical(bytes(attachment.content)).walk("VEVENT")
    assert len(events) == 6
    assert {str(e["UID"]) for e in events} == {f"courseday-{d.pk}@verbindend" for d in cohort.days.all()}


def test_confirming_twice_sends_nothing_more(admin_client):
    cohort = cohort_ready_to_confirm()
    run_action(admin_client, "confirm", cohort)
    page = run_action(admin_client, "confirm", cohort).content.decode()
    assert "kan niet bevestigd worden" in page
    assert OutgoingMail.objects.filter(template="cohorts/mail/cohort_confirmed").count() == 13


def test_confirming_below_the_minimum_is_refused(admin_client):
    cohort = cohort_ready_to_confirm(enrolled=11)
    page = run_action(admin_client, "confirm", cohort).content.decode()
    assert "heeft 11 deelnemers; voor bevestiging zijn er minstens 12 nodig" in page
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.PLANNED


def test_confirming_with_days_missing_is_refused(admin_client):
    cohort = cohort_ready_to_confirm()
    cohort.days.filter(programme_day__number=6).delete()
    assert "zijn 5 van de 6 dagen gepland" in run_action(admin_client, "confirm", cohort).content.decode()


def test_cancelling_sends_a_cancel_for_every_day(admin_client):
    cohort = cohort_ready_to_confirm()
    runs.confirm_cohort(cohort=cohort)
    run_action(admin_client, "cancel", cohort, reason="Te weinig aanmeldingen")
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CANCELLED
    assert OutgoingMail.objects.filter(template="cohorts/mail/cohort_cancelled", to=["contact@bestuur.example.nl"])
    # Each day was a meeting of its own (cohorts/tests/test_invitations.py): each is cancelled on its own.
    mails = OutgoingMail.objects.filter(template="cohorts/mail/course_day_cancelled", to=["contact@bestuur.example.nl"])
    uids = set()
    for mail in mails:
        (attachment,) = mail.attachments.all()
        calendar = icalendar.Calendar.from_ical(bytes(attachment.content))
        assert str(calendar["METHOD"]) == "CANCEL"
        (event,) = calendar.walk("VEVENT")
        assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCELLED", 1)
        uids.add(str(event["UID"]))
    assert uids == {f"courseday-{d.pk}@verbindend" for d in cohort.days.all()}


def test_completing_needs_the_last_day_passed(admin_client):
    cohort = cohort_ready_to_confirm()
    runs.confirm_cohort(cohort=cohort)
    assert "niet vóór de laatste dag afgerond" in run_action(admin_client, "complete", cohort).content.decode()
    cohort.days.update(date=TODAY - datetime.timedelta(days=1))
    run_action(admin_client, "complete", cohort)
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.COMPLETED


def test_moving_a_day_of_a_confirmed_run_sends_a_change_notice_once(admin_client):
    cohort = cohort_ready_to_confirm()
    runs.confirm_cohort(cohort=cohort)
    day = cohort.days.get(programme_day__number=2)
    new_date = day.date + datetime.timedelta(days=1)
    scheduling.save_course_day(day=day, changed_fields=[])
    day.date = new_date
    scheduling.save_course_day(day=day, changed_fields=["date"])
    notices = OutgoingMail.objects.filter(template="cohorts/mail/day_changed")
    assert notices.count() == 12
    (attachment,) = notices.first().attachments.all()
    (event,) = icalendar.Calendar.from_ical(bytes(attachment.content)).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART").date() == new_date


def test_moving_a_day_of_a_planned_run_sends_nothing():
    cohort = cohort_ready_to_confirm()
    day = cohort.days.first()
    day.date += datetime.timedelta(days=1)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    assert not OutgoingMail.objects.filter(template="cohorts/mail/day_changed").exists()


def test_cohort_list_shows_badges_and_dates(admin_client):
    cohort = cohort_ready_to_confirm(enrolled=5)
    page = admin_client.get(reverse("admin:cohorts_cohort_changelist")).content.decode()
    assert "5 / 30 · onder minimum" in page
    assert cohort.registrations.get().board.name in page


def test_moving_a_confirmed_day_in_the_admin_notifies_once(admin_client):
    cohort = cohort_ready_to_confirm()
    runs.confirm_cohort(cohort=cohort)
    cohort.refresh_from_db()
    days = list(cohort.days.order_by("programme_day__number"))
    data = {
        "programme": cohort.programme.pk,
        "status": cohort.status,
        "trainer": "",
        "venue": cohort.venue,
        "place": cohort.place,
        "days-TOTAL_FORMS": 6,
        "days-INITIAL_FORMS": 6,
        "days-MIN_NUM_FORMS": 0,
        "days-MAX_NUM_FORMS": 1000,
    }
    for index, day in enumerate(days):
        data.update(
            {
                f"days-{index}-id": day.pk,
                f"days-{index}-cohort": cohort.pk,
                f"days-{index}-programme_day": day.programme_day_id,
                f"days-{index}-date": (day.date + datetime.timedelta(days=1 if index == 1 else 0)).isoformat(),
                f"days-{index}-start_time": "09:30",
                f"days-{index}-end_time": "16:30",
                f"days-{index}-venue": "",
            }
        )
    assert admin_client.post(change_url(cohort), data).status_code == 302
    assert admin_client.post(change_url(cohort), data).status_code == 302  # saved again unchanged
    notices = OutgoingMail.objects.filter(template="cohorts/mail/day_changed")
    assert notices.count() == 12
    assert {m.key.split(":")[1] for m in notices} == {str(days[1].pk)}


def test_the_status_changes_only_through_the_actions(admin_client):
    cohort = cohort_ready_to_confirm()
    runs.confirm_cohort(cohort=cohort)
    post_days(admin_client, cohort, [], status="planned")
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CONFIRMED


def test_a_confirmed_run_starts_running_on_its_first_day_and_no_other_run_changes():
    today = timezone.localdate()
    starting = CourseDayFactory(cohort__status=Cohort.Status.CONFIRMED, date=today).cohort
    later = CourseDayFactory(cohort__status=Cohort.Status.CONFIRMED, date=today + datetime.timedelta(days=1)).cohort
    planned = CourseDayFactory(cohort__status=Cohort.Status.PLANNED, date=today - datetime.timedelta(days=7)).cohort

    assert runs.start_due_cohorts(today=today) == 1
    assert runs.start_due_cohorts(today=today) == 0  # once
    statuses = dict(Cohort.objects.values_list("pk", "status"))
    assert statuses == {
        starting.pk: Cohort.Status.RUNNING,
        later.pk: Cohort.Status.CONFIRMED,
        planned.pk: Cohort.Status.PLANNED,
    }


def test_beat_starts_the_runs_hourly():
    from django.conf import settings

    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "cohorts.tasks.start_cohorts")
    assert entry["schedule"] == 3600.0


# --- No new or moved past dates ------------------------------------------------


def test_a_day_on_a_date_that_has_passed_is_refused_in_the_admin(admin_client):
    cohort = CohortFactory()
    yesterday = TODAY - datetime.timedelta(days=1)
    response = post_days(admin_client, cohort, [(1, yesterday.isoformat(), "09:30", "16:30", "")])
    assert response.status_code == 200
    assert f"Dag 1 kan niet op {yesterday:%d-%m-%Y}: die datum is al voorbij." in response.content.decode()
    assert not cohort.days.exists()
    assert not OutgoingMail.objects.exists()


def test_every_caller_of_save_course_day_gets_the_refusal():
    cohort = CohortFactory()
    day = CourseDay(
        cohort=cohort,
        programme_day=cohort.programme.days.get(number=1),
        date=TODAY - datetime.timedelta(days=3),
        start_time=datetime.time(9, 30),
        end_time=datetime.time(16, 30),
    )
    with pytest.raises(ValidationError, match="die datum is al voorbij"):
        scheduling.save_course_day(day=day, changed_fields=[])
    assert not cohort.days.exists()


def test_a_day_that_took_place_keeps_its_date_but_nothing_moves_into_the_past():
    cohort = cohort_ready_to_confirm()
    runs.confirm_cohort(cohort=cohort)
    past = cohort.days.get(programme_day__number=1)
    past.date = TODAY - datetime.timedelta(days=7)
    past.save()
    coming = cohort.days.get(programme_day__number=2)
    # Edited for another reason, the day that took place keeps its date; no one is told about the past.
    past.venue = "Zaal De Beuk"
    scheduling.save_course_day(day=past, changed_fields=["venue"])
    planned = [
        scheduling.PlannedDay(d.programme_day, d.date, d.start_time, d.end_time, d.venue, pk=d.pk)
        for d in cohort.days.all()
    ]
    scheduling.validate_schedule(cohort=cohort, days=planned)
    assert not OutgoingMail.objects.filter(template__startswith="cohorts/mail/day_changed").exists()
    # Moved to another date that has passed, or a coming day moved into the past: refused.
    for day, date in [(past, TODAY - datetime.timedelta(days=8)), (coming, TODAY - datetime.timedelta(days=1))]:
        day.date = date
        with pytest.raises(ValidationError, match="die datum is al voorbij"):
            scheduling.save_course_day(day=day, changed_fields=["date"])
        with pytest.raises(ValidationError, match="die datum is al voorbij"):
            scheduling.validate_schedule(
                cohort=cohort,
                days=[scheduling.PlannedDay(day.programme_day, date, day.start_time, day.end_time, "", pk=day.pk)],
            )
    assert not OutgoingMail.objects.filter(template__startswith="cohorts/mail/day_changed").exists()


# --- Change notices while the run is running ---------------------------------


def test_moving_a_day_of_a_running_run_tells_the_participants_and_the_boards_contacts():
    cohort = cohort_ready_to_confirm()
    english = RawRegistrationFactory(cohort=cohort, language="en", contact_name="Oliver Grant", board__name="Het Baken")
    RawParticipantFactory(registration=english, first_name="Ruth", last_name="Mol", tussenvoegsel="")
    runs.confirm_cohort(cohort=cohort)
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.RUNNING)
    day = cohort.days.get(programme_day__number=3)
    day.date += datetime.timedelta(days=2)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    scheduling.save_course_day(day=day, changed_fields=[])  # saved again unchanged: nothing more
    assert OutgoingMail.objects.filter(template="cohorts/mail/day_changed").count() == 13
    notices = OutgoingMail.objects.filter(template="cohorts/mail/day_changed_board")
    assert {m.to[0] for m in notices} == {"contact@bestuur.example.nl", english.contact_email}
    mail = notices.get(to=[english.contact_email])
    assert mail.subject == f"Changed: day 3 of {cohort.code} is now on {day.date:%-d} {day.date:%B}"
    assert "Your leader received the change with an updated calendar invitation:\n- Ruth Mol" in mail.body_text
    assert links.board_page_url(english) in mail.body_text
    dutch = notices.get(to=["contact@bestuur.example.nl"])
    assert "waaraan schoolleiders van" in dutch.body_text
    assert "Uw 12 schoolleiders hebben de wijziging ontvangen" in dutch.body_text


@pytest.mark.parametrize("status", [Cohort.Status.CANCELLED, Cohort.Status.COMPLETED, Cohort.Status.PLANNED])
def test_moving_a_day_of_a_run_that_is_not_confirmed_or_running_tells_nobody(status):
    cohort = cohort_ready_to_confirm()
    Cohort.objects.filter(pk=cohort.pk).update(status=status)
    day = cohort.days.get(programme_day__number=3)
    day.date += datetime.timedelta(days=2)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    assert not OutgoingMail.objects.exists()


# --- A run's code follows the year of its first day --------------------------


def test_a_run_formed_in_december_for_next_years_dates_gets_next_years_code():
    CohortFactory(code="VL-2027-01")  # already taken
    registration = RawRegistrationFactory(cohort=None, status="received")
    cohort = registrations.form_cohort(registrations=[registration], programme=seeded_programme())
    assert cohort.code == "VL-2026-01"
    first = cohort.programme.days.get(number=1)
    day = CourseDay(
        cohort=cohort,
        programme_day=first,
        date=datetime.date(2027, 1, 18),
        start_time=datetime.time(9, 30),
        end_time=datetime.time(16, 30),
        venue="Zaal De Eik",
    )
    scheduling.save_course_day(day=day, changed_fields=[])
    cohort.refresh_from_db()
    assert cohort.code == "VL-2027-02"
    # Moved back into this year, the code follows again; the old one is free.
    day.date = datetime.date(2026, 12, 21)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    cohort.refresh_from_db()
    assert cohort.code == "VL-2026-01"
    assert Cohort.objects.filter(code__startswith="VL-").count() == 2


def test_a_run_keeps_its_code_once_a_certificate_carries_it():
    from registry.models import Certificate

    cohort = cohort_ready_to_confirm()
    cohort.code = "VL-2026-07"
    cohort.save()
    participant = cohort.participants.first()
    Certificate.objects.create(
        participant=participant,
        kind=Certificate.Kind.CERTIFICATE,
        number="VL-2026-07-001",
        version=1,
        snapshot={},
        issued_at=timezone.now(),
    )
    day = cohort.days.get(programme_day__number=1)
    day.start_time = datetime.time(10)
    scheduling.save_course_day(day=day, changed_fields=["start_time"])
    cohort.refresh_from_db()
    assert cohort.code == "VL-2026-07"
