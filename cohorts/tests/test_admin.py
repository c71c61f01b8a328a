import datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cohorts.models import Participant, Registration
from cohorts.services import links
from verbindend.tests.pages import changelist_rows

from .factories import (
    CohortFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
    enrolled_participants,
    placed_registration,
    scheduled_days,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["board", "registration", "cohort", "participant"])
def test_changelists_load_with_filters_and_search(admin_client, model):
    RawParticipantFactory.create_batch(3)
    url = reverse(f"admin:cohorts_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "Stichting"}).status_code == 200


def test_cohort_list_shows_enrolled_of_maximum_and_waiting(admin_client):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=cohort)
    RawParticipantFactory.create_batch(4, registration=registration)
    RawParticipantFactory(registration=registration, status="waiting", waitlist_number=1)
    page = admin_client.get(reverse("admin:cohorts_cohort_changelist")).content.decode()
    assert "4 / 30" in page


@pytest.mark.parametrize("runs", [2, 9])
def test_the_cohort_list_runs_the_same_queries_however_many_runs_and_boards(
    fixed_clock, admin_client, django_assert_num_queries, runs
):
    expected = {}
    for n in range(runs):
        first = placed_registration()
        second = placed_registration(first.cohort)
        # Registered a minute later: the boards are listed in the order they registered.
        Registration.objects.filter(pk=second.pk).update(created_at=first.created_at + datetime.timedelta(minutes=1))
        enrolled_participants(second, n + 1)
        # Each run from a Tuesday in April to one in July, a day later than the one before.
        days = scheduled_days(first.cohort, first=datetime.date(2027, 4, 6) + datetime.timedelta(days=n))
        first.cohort.refresh_from_db()
        expected[first.cohort.code] = (
            f"{first.board.name}, {second.board.name}",
            f"{n + 1} / 30",
            f"{days[0].date.day} apr 2027",
            f"{days[-1].date.day} jul 2027",
        )
    with django_assert_num_queries(8):
        response = admin_client.get(reverse("admin:cohorts_cohort_changelist"))
    assert response.status_code == 200
    rows = {row[1]: " | ".join(row) for row in changelist_rows(response)}
    assert rows.keys() == expected.keys()
    for code, texts in expected.items():
        for text in texts:
            assert text in rows[code]


def test_rotating_a_board_link_revokes_the_old_links(admin_client):
    registration = placed_registration()
    old_board, old_enrolment = links.board_page_url(registration), links.enrolment_url(registration)
    admin_client.post(
        reverse("admin:cohorts_registration_changelist"),
        {"action": "rotate_links", "_selected_action": [registration.pk]},
    )
    registration.refresh_from_db()
    assert admin_client.get(old_board.replace("http://127.0.0.1:8000", "")).status_code == 404
    assert admin_client.get(old_enrolment.replace("http://127.0.0.1:8000", "")).status_code == 404
    assert admin_client.get(links.board_page_url(registration).replace("http://127.0.0.1:8000", "")).status_code == 200


def test_participants_cannot_be_added_past_the_capacity_check(admin_client):
    assert admin_client.get(reverse("admin:cohorts_participant_add")).status_code == 403


def test_staff_cannot_change_a_participants_status_in_the_admin(admin_client):
    (participant,) = enrolled_participants(placed_registration())
    url = reverse("admin:cohorts_participant_change", args=[participant.pk])
    form = admin_client.get(url).context["adminform"].form
    assert "status" not in form.fields
    sent = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    response = admin_client.post(url, {**sent, "school": "OBS De Linde", "status": Participant.Status.WITHDRAWN})
    assert response.status_code == 302
    participant.refresh_from_db()
    # The form was saved, its other fields and all, but the status stays what the services made it.
    assert participant.school == "OBS De Linde"
    assert participant.status == Participant.Status.ENROLLED


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_outsiders_get_nothing_from_the_cohorts_admin(client, who):
    registration = RawRegistrationFactory()
    if who == "not staff":
        client.force_login(User.objects.create_user("bestuurder", password="x-secret-123"))
    for url in (
        reverse("admin:cohorts_registration_changelist"),
        reverse("admin:cohorts_registration_change", args=[registration.pk]),
        reverse("admin:cohorts_participant_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]
