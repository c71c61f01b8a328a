"""The participant page's section: the materials shown today and the final assignment, in constant queries."""

import datetime

import pytest

from conftest import FIXED_NOW
from materials import selectors

from .factories import file_material, link_material, page_path, run_with_participants, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
TODAY = FIXED_NOW.date()


def test_the_section_shows_what_is_shown_today_and_hides_the_rest(client):
    # Day 1 was yesterday; day 2 is in six days.
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    file_material(day=1, title="Reader dag 1")
    link_material(day=1, title="Artikel na afloop", shown="after", days=1)
    link_material(day=2, title="Voorbereiding dag 2", shown="before", days=7)
    file_material(day=2, title="Sheets dag 2")
    page = client.get(page_path(anna)).content.decode()
    assert "Reader dag 1" in page and "Artikel na afloop" in page and "Voorbereiding dag 2" in page
    assert "Sheets dag 2" not in page
    assert 'href="https://example.org/artikel" rel="noopener noreferrer"' in page
    assert page.count('class="material-item') == 3


def test_the_materials_come_in_the_programmes_order_by_day_then_title():
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(weeks=6))
    for day, title in [(2, "Artikel"), (1, "Sheets"), (2, "Aantekeningen"), (1, "Reader")]:
        file_material(day=day, title=title)
    shown = selectors.visible_materials(anna)
    assert [(m.programme_day.number, m.title) for m in shown] == [
        (1, "Reader"),
        (1, "Sheets"),
        (2, "Aantekeningen"),
        (2, "Artikel"),
    ]
    assert [m.day_date for m in shown] == [TODAY - datetime.timedelta(weeks=6)] * 2 + [
        TODAY - datetime.timedelta(weeks=5)
    ] * 2


def test_a_withdrawn_participant_sees_no_materials():
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    file_material(day=1)
    anna.status = anna.Status.WITHDRAWN
    assert selectors.visible_materials(anna) == []


def test_a_day_not_scheduled_shows_none_of_its_materials():
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(days=1))
    anna.cohort.days.get(programme_day__number=1).delete()
    file_material(day=1)
    assert selectors.visible_materials(anna) == []


@pytest.mark.parametrize("materials", [2, 6])
def test_the_page_runs_the_same_queries_however_many_materials(client, django_assert_num_queries, materials):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(weeks=6))
    for number in range(materials):
        file_material(day=number % 6 + 1, title=f"Materiaal {number}")
    submitted(anna)
    # The page's four (see public_pages' test), the materials among them,
    # and one more where the programme asks for a final assignment: the upload.
    with django_assert_num_queries(5):
        page = client.get(page_path(anna)).content.decode()
    assert page.count('class="material-item') == materials
    assert "ingeleverd, wacht op beoordeling" in page
