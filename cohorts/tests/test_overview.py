"""The trainer's start page in the admin and the private calendar feed."""

import datetime

import icalendar
import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cohorts.models import Cohort, CourseDay, IntakeAppointment
from cohorts.services import calendars
from cohorts.services import intakes as intakes_services
from conftest import FIXED_NOW
from verbindend.tests.pages import table_rows

from .factories import (
    CohortFactory,
    RawRegistrationFactory,
    board_data,
    enrolled_participants,
    new_cohort,
    placed_registration,
    scheduled_days,
    submitted_registration,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
# The start page looks eight weeks ahead from today; the runs' days start ten days from now.
SOON = FIXED_NOW.date() + datetime.timedelta(days=10)


def plan_intake(registration, *, trainer, starts_at) -> IntakeAppointment:
    return intakes_services.save_intake(
        intake=IntakeAppointment(
            registration=registration, trainer=trainer, starts_at=starts_at, mode=IntakeAppointment.Mode.PHONE
        ),
        changed_fields=[],
    )


def test_start_page_shows_the_coming_weeks_runs_below_minimum_and_registrations_to_take_up(admin_client, admin_user):
    registration = placed_registration(new_cohort(trainer=admin_user))
    cohort = registration.cohort
    enrolled_participants(registration, 3)
    scheduled_days(cohort, first=SOON)
    cohort.refresh_from_db()
    waiting = submitted_registration(board=board_data(name="Stichting Wacht"))
    plan_intake(
        submitted_registration(board=board_data(name="Stichting Intake")),
        trainer=admin_user,
        starts_at=timezone.now() + datetime.timedelta(days=3),
    )
    page = admin_client.get("/admin/").content.decode()
    assert "Uitvoeringen onder het minimum" in page
    assert f"{cohort.code}" in page and "3 van minstens 12" in page
    assert "Dag 1: Naar een raamwerk voor Verbindend Leiderschap" in page
    assert "Stichting Intake" in page
    assert waiting.board.name in page
    assert "/agenda/" in page


@pytest.mark.parametrize("size", [2, 7])
def test_the_start_page_runs_the_same_queries_however_many_runs_and_registrations(
    admin_client, admin_user, django_assert_num_queries, size
):
    runs, waiting, intakes = [], [], []
    for n in range(size):
        registration = placed_registration()
        enrolled_participants(registration, n + 1)
        scheduled_days(registration.cohort, first=SOON + datetime.timedelta(days=n))
        runs.append((Cohort.objects.get(pk=registration.cohort_id), n + 1))
        waiting.append(submitted_registration(expected_participants=10 + n))
        intakes.append(
            plan_intake(
                submitted_registration(),
                trainer=admin_user,
                starts_at=timezone.now() + datetime.timedelta(days=3, hours=n),
            )
        )
    # The overview's own (the coming weeks, runs below the minimum), and one query for each kind of to-do
    # (verbindend.todo): attendance, intakes, certificates, the register's steps, failed e-mails, runs to invoice,
    # overdue invoices, final assignments to review, evaluations few answered.
    with django_assert_num_queries(19):
        response = admin_client.get("/admin/")
    assert response.status_code == 200
    rows = [" | ".join(row) for row in table_rows(response.content.decode())]
    for cohort, enrolled in runs:
        assert any(cohort.code in row and f"{enrolled} van minstens 12" in row for row in rows), cohort.code
        assert any(cohort.code in row and "Dag 1: Naar een raamwerk" in row for row in rows), cohort.code
    for registration in waiting:
        expected = f"{registration.expected_participants} deelnemers verwacht | Intakegesprek plannen"
        assert any(row.startswith(f"{registration.board.name} | aangemeld op") and expected in row for row in rows)
    for intake in intakes:
        assert any(row.endswith(f"{intake.registration.board.name} · telefonisch") for row in rows), intake


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
        registration=RawRegistrationFactory(cohort=None),
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
