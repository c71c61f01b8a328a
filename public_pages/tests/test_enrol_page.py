"""The self-enrolment page: what a leader sees before enrolling, and where the thank-you page leads."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from cohorts.models import CourseDay
from cohorts.services import links, scheduling
from cohorts.tests.factories import (
    new_cohort,
    participant_data,
    placed_registration,
)

# The page reads today: a run whose first day has passed takes no more enrolments.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def enrol_path(registration) -> str:
    return urlsplit(links.enrolment_url(registration)).path


def schedule_day(cohort, number: int, date: datetime.date) -> CourseDay:
    day = CourseDay(
        cohort=cohort,
        programme_day=cohort.programme.days.get(number=number),
        date=date,
        start_time=datetime.time(9),
        end_time=datetime.time(16, 30),
    )
    return scheduling.save_course_day(day=day, changed_fields=[])


@pytest.fixture
def placed(fixed_clock):
    """A board placed in a run at Landgoed De Horst whose first two days are scheduled, in six and eight weeks."""
    registration = placed_registration(new_cohort(venue="Landgoed De Horst", place="Driebergen"))
    first = timezone.localdate() + datetime.timedelta(days=40)
    schedule_day(registration.cohort, 1, first)
    schedule_day(registration.cohort, 2, first + datetime.timedelta(days=14))
    return registration


def test_the_page_shows_the_runs_dates_and_venue_and_links_the_privacy_statement(client, placed):
    page = client.get(enrol_path(placed)).content.decode()
    assert "Landgoed De Horst, Driebergen" in page
    for day in placed.cohort.days.all():
        assert f"{day.date.day} " in page
    assert "Dag 1:" in page and "Dag 2:" in page
    assert 'href="/privacy/"' in page
    assert placed.cohort.code in page


def test_the_page_reads_the_same_number_of_queries_with_more_days(client, placed, django_assert_num_queries):
    url = enrol_path(placed)
    client.get(url)
    with django_assert_num_queries(4):
        response = client.get(url)
    assert days_listed(response) == [1, 2]
    for number in (3, 4, 5):
        schedule_day(placed.cohort, number, timezone.localdate() + datetime.timedelta(days=100 + number))
    with django_assert_num_queries(4):
        response = client.get(url)
    assert days_listed(response) == [1, 2, 3, 4, 5]


def days_listed(response) -> list[int]:
    """Return the numbers of the days the page lists, in its order."""
    assert response.status_code == 200
    return [int(number) for number in re.findall(r"Dag (\d):", response.content.decode())]


def test_the_thank_you_page_says_which_e_mail_brings_the_link(client, placed):
    data = {**participant_data(1, email="anouk@school.example.nl"), "privacy_consent": "on"}
    response = client.post(enrol_path(placed), data, follow=True)
    page = response.content.decode()
    assert "U bent ingeschreven" in page
    assert "We hebben een e-mail gestuurd naar anouk@school.example.nl." in page
    assert "link naar uw persoonlijke pagina" in page
    # The personal link itself reaches its owner's mailbox only.
    participant = placed.participants.get()
    assert urlsplit(links.participant_page_url(participant)).path not in page
