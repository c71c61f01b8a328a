"""The self-enrolment page: what a leader sees before enrolling, and where the thank-you page leads."""

import datetime
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.utils import timezone

from cohorts.services import links
from cohorts.tests.factories import CourseDayFactory, RawRegistrationFactory, participant_data

# The page reads today: a run whose first day has passed takes no more enrolments.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def enrol_path(registration) -> str:
    return urlsplit(links.enrolment_url(registration)).path


@pytest.fixture
def placed():
    registration = RawRegistrationFactory(cohort__venue="Landgoed De Horst", cohort__place="Driebergen")
    day = timezone.localdate() + datetime.timedelta(days=40)
    CourseDayFactory(cohort=registration.cohort, date=day)
    CourseDayFactory(
        cohort=registration.cohort,
        date=day + datetime.timedelta(days=14),
        programme_day=registration.cohort.programme.days.get(number=2),
    )
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
    with django_assert_num_queries(4) as captured:
        assert client.get(url).status_code == 200
    for number in (3, 4, 5):
        CourseDayFactory(
            cohort=placed.cohort,
            date=timezone.localdate() + datetime.timedelta(days=100 + number),
            programme_day=placed.cohort.programme.days.get(number=number),
        )
    with django_assert_num_queries(len(captured)):
        assert "Dag 5:" in client.get(url).content.decode()


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
