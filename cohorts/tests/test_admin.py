import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from cohorts.models import Participant
from cohorts.services import links

from .factories import CohortFactory, ParticipantFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["board", "registration", "cohort", "participant"])
def test_changelists_load_with_filters_and_search(admin_client, model):
    ParticipantFactory.create_batch(3)
    url = reverse(f"admin:cohorts_{model}_changelist")
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "Stichting"}).status_code == 200


def test_cohort_list_shows_enrolled_of_maximum_and_waiting(admin_client):
    cohort = CohortFactory()
    registration = RegistrationFactory(cohort=cohort)
    ParticipantFactory.create_batch(4, registration=registration)
    ParticipantFactory(registration=registration, status="waiting", waitlist_number=1)
    page = admin_client.get(reverse("admin:cohorts_cohort_changelist")).content.decode()
    assert "4 / 30" in page


def test_cohort_list_query_count_does_not_grow(admin_client, django_assert_max_num_queries):
    for _ in range(40):
        ParticipantFactory(registration=RegistrationFactory())
    with django_assert_max_num_queries(8):
        admin_client.get(reverse("admin:cohorts_cohort_changelist"))


def test_rotating_a_board_link_revokes_the_old_links(admin_client):
    registration = RegistrationFactory()
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
    participant = ParticipantFactory()
    page = admin_client.get(reverse("admin:cohorts_participant_change", args=[participant.pk])).content.decode()
    assert 'name="status"' not in page
    assert participant.status == Participant.Status.ENROLLED


@pytest.mark.parametrize("who", ["anonymous", "not staff"])
def test_outsiders_get_nothing_from_the_cohorts_admin(client, who):
    registration = RegistrationFactory()
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
