"""The trainer's start page in the admin and the private calendar feed."""

import datetime

import icalendar
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cohorts.models import CourseDay, IntakeAppointment
from cohorts.services import calendars

from .factories import CohortFactory, ParticipantFactory, RegistrationFactory

pytestmark = pytest.mark.django_db
SOON = timezone.localdate() + datetime.timedelta(days=10)


def test_start_page_shows_the_coming_weeks_runs_below_minimum_and_registrations_to_take_up(admin_client, admin_user):
    cohort = CohortFactory(trainer=admin_user)
    ParticipantFactory.create_batch(3, registration=RegistrationFactory(cohort=cohort))
    CourseDay.objects.create(
        cohort=cohort,
        programme_day=cohort.programme.days.get(number=1),
        date=SOON,
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    waiting = RegistrationFactory(cohort=None, status="received", board__name="Stichting Wacht")
    IntakeAppointment.objects.create(
        registration=RegistrationFactory(cohort=None, board__name="Stichting Intake"),
        trainer=admin_user,
        starts_at=timezone.now() + datetime.timedelta(days=3),
        mode="phone",
    )
    page = admin_client.get("/admin/").content.decode()
    assert "Uitvoeringen onder het minimum" in page
    assert f"{cohort.code}" in page and "3 van minstens 12" in page
    assert "Dag 1: Naar een raamwerk voor Verbindend Leiderschap" in page
    assert "Stichting Intake" in page
    assert waiting.board.name in page
    assert "/agenda/" in page


def test_start_page_query_count_is_bounded(admin_client, django_assert_max_num_queries):
    for _ in range(15):
        cohort = CohortFactory()
        ParticipantFactory(registration=RegistrationFactory(cohort=cohort))
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=1),
            date=SOON,
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
    with django_assert_max_num_queries(12):
        admin_client.get("/admin/")


def feed_path(user):
    return calendars.calendar_feed_url(user).replace("http://127.0.0.1:8000", "")


def test_calendar_feed_has_the_trainers_days_and_intakes_with_stable_uids(client, admin_user):
    cohort = CohortFactory(trainer=admin_user)
    day = CourseDay.objects.create(
        cohort=cohort,
        programme_day=cohort.programme.days.get(number=1),
        date=SOON,
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    intake = IntakeAppointment.objects.create(
        registration=RegistrationFactory(cohort=None),
        trainer=admin_user,
        starts_at=timezone.now() + datetime.timedelta(days=3),
        mode="phone",
    )
    CourseDay.objects.create(
        cohort=CohortFactory(),
        programme_day=cohort.programme.days.get(number=2),
        date=SOON,
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )  # another trainer's
    response = client.get(feed_path(admin_user))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert {str(e["UID"]) for e in events} == {f"courseday-{day.pk}@verbindend", f"intake-{intake.pk}@verbindend"}
    assert feed_path(admin_user) == feed_path(admin_user)


def test_cancelled_runs_stay_in_the_feed_as_cancelled(client, admin_user):
    cohort = CohortFactory(trainer=admin_user, status="cancelled")
    CourseDay.objects.create(
        cohort=cohort,
        programme_day=cohort.programme.days.get(number=1),
        date=SOON,
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    (event,) = icalendar.Calendar.from_ical(client.get(feed_path(admin_user)).content).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize("token", ["nonsense", "abc:def", ""])
def test_feed_without_a_valid_token_is_404(client, token):
    assert client.get(f"/agenda/{token}/").status_code == 404


def test_feed_of_a_user_who_is_no_longer_staff_is_404(client, admin_user):
    path = feed_path(admin_user)
    admin_user.is_staff = False
    admin_user.save()
    assert client.get(path).status_code == 404


def test_non_staff_see_no_overview(client):
    client.force_login(User.objects.create_user("bestuur", password="x-secret-123"))
    assert client.get("/admin/").status_code == 302
