"""
The programme and the open course runs on the registration form are cached: every change shows at once, and a
run that closed after it was cached cannot be joined.
"""

import datetime
import logging

import pytest
from django.core.cache import cache
from django.utils import timezone

from cohorts import selectors
from cohorts.models import Registration
from cohorts.tests.factories import (
    CohortFactory,
    CourseDayFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
    seeded_programme,
)
from public_pages.tests.test_registration import URL, form_data

# The form offers the runs whose first day is still to come, cached per day.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


@pytest.fixture
def open_cohort():
    cohort = CohortFactory(open_for_joining=True, place="Zwolle")
    CourseDayFactory(cohort=cohort, date=timezone.localdate() + datetime.timedelta(days=60))
    return cohort


def page(client) -> str:
    return client.get(URL).content.decode()


def test_the_form_page_runs_no_query_once_its_choices_are_cached(client, open_cohort, django_assert_num_queries):
    assert open_cohort.code in page(client)
    with django_assert_num_queries(0):
        assert open_cohort.code in page(client)


def test_a_run_closed_for_joining_leaves_the_form_at_once(client, open_cohort):
    assert open_cohort.code in page(client)
    open_cohort.open_for_joining = False
    open_cohort.save()
    assert open_cohort.code not in page(client)


def test_a_deleted_run_leaves_the_form_at_once(client, open_cohort):
    assert open_cohort.code in page(client)
    open_cohort.delete()
    assert open_cohort.code not in page(client)


def test_a_new_participant_counts_at_once(client, open_cohort):
    registration = RawRegistrationFactory(cohort=open_cohort)
    RawParticipantFactory.create_batch(28, registration=registration)
    assert "nog 2 plaatsen vrij" in page(client)
    RawParticipantFactory(registration=registration)
    assert "nog 1 plaats vrij" in page(client)
    RawParticipantFactory(registration=registration)
    assert open_cohort.code not in page(client)  # full


def test_a_moved_course_day_shows_at_once(client, open_cohort):
    day = open_cohort.days.get()
    assert f"{day.date:%d-%m-%Y}" in page(client)
    day.date += datetime.timedelta(days=7)
    day.save()
    assert f"{day.date:%d-%m-%Y}" in page(client)


def test_the_cache_has_an_entry_per_day(open_cohort, monkeypatch):
    """A run is offered until the day before its first day."""
    assert selectors.registration_choices()[1] == [open_cohort]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    open_cohort.days.update(date=tomorrow)  # no signal: only a new day sees it
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert selectors.registration_choices()[1] == []


def test_the_programme_numbers_show_at_once(client):
    programme = seeded_programme()
    assert f"{programme.min_participants} tot {programme.max_participants}" in page(client)
    programme.min_participants = 10
    programme.save()
    assert f"10 tot {programme.max_participants}" in page(client)


def test_choices_cached_before_a_change_was_committed_are_forgotten_at_the_commit(
    open_cohort, django_capture_on_commit_callbacks
):
    stale = selectors.registration_choices()
    with django_capture_on_commit_callbacks(execute=True):
        open_cohort.open_for_joining = False
        open_cohort.save()
        # Another visitor, reading before the commit, caches what it saw.
        cache.set(f"{selectors.REGISTRATION_CHOICES_KEY}:{timezone.localdate().isoformat()}", stale)
    assert selectors.registration_choices()[1] == []


def test_a_run_closed_after_it_was_cached_cannot_be_joined(client, open_cohort):
    assert open_cohort.code in page(client)
    type(open_cohort).objects.filter(pk=open_cohort.pk).update(open_for_joining=False)  # no signal: still cached
    assert open_cohort.code in page(client)
    response = client.post(URL, form_data(path="join", cohort=str(open_cohort.pk)))
    assert response.status_code == 200
    assert "Bij deze uitvoering kunt u niet meer aansluiten" in response.content.decode()
    assert not Registration.objects.exists()


def test_a_change_is_saved_when_the_cache_is_away(open_cohort, monkeypatch, caplog):
    def unreachable(*args, **kwargs):
        raise ConnectionError("the cache is away")

    monkeypatch.setattr(cache, "delete", unreachable)
    open_cohort.open_for_joining = False
    with caplog.at_level(logging.WARNING, logger="cohorts.selectors"):
        open_cohort.save()
    open_cohort.refresh_from_db()
    assert open_cohort.open_for_joining is False
    assert "Could not forget the cached registration choices" in caplog.text
