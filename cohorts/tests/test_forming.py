"""Forming course runs from registrations in the admin."""

import pytest
from django.urls import reverse

from cohorts.models import Cohort, Registration
from cohorts.services import registrations, runs
from mail.models import OutgoingMail

from .factories import CohortFactory, RawParticipantFactory, RawRegistrationFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:cohorts_registration_changelist")


def test_form_a_course_run_from_two_small_boards(admin_client):
    first = RawRegistrationFactory(
        cohort=None, status="intake", expected_participants=7, contact_email="a@one.example.nl"
    )
    second = RawRegistrationFactory(cohort=None, status="received", expected_participants=6)
    response = admin_client.post(
        CHANGELIST, {"action": "form_cohort", "_selected_action": [first.pk, second.pk], "post": "yes"}
    )
    cohort = Cohort.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cohorts_cohort_change", args=[cohort.pk])
    assert set(cohort.registrations.all()) == {first, second}
    assert set(cohort.registrations.values_list("status", flat=True)) == {Registration.Status.PLACED}
    placed = OutgoingMail.objects.get(to=["a@one.example.nl"])
    assert cohort.code in placed.subject
    assert "/bestuur/" in placed.body_text


def test_add_to_cohort_asks_which_then_places(admin_client):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=None)
    page = admin_client.post(CHANGELIST, {"action": "add_to_cohort", "_selected_action": [registration.pk]})
    assert cohort.code in page.content.decode()
    admin_client.post(
        CHANGELIST,
        {"action": "add_to_cohort", "_selected_action": [registration.pk], "post": "yes", "cohort": cohort.pk},
    )
    registration.refresh_from_db()
    assert registration.cohort == cohort


def test_a_board_with_participants_elsewhere_is_not_moved():
    participant = RawParticipantFactory()
    other = CohortFactory()
    with pytest.raises(runs.CohortError, match="heeft al deelnemers in een andere uitvoering"):
        registrations.place_registrations(registrations=[participant.registration], cohort=other)
    participant.registration.refresh_from_db()
    assert participant.registration.cohort == participant.cohort


def test_placing_twice_sends_one_e_mail():
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=None)
    registrations.place_registrations(registrations=[registration], cohort=cohort)
    registrations.place_registrations(registrations=[registration], cohort=cohort)
    assert OutgoingMail.objects.filter(template="cohorts/mail/registration_placed").count() == 1


def test_a_cancelled_course_run_takes_no_boards():
    cohort = CohortFactory(status="cancelled")
    with pytest.raises(runs.CohortError):
        registrations.place_registrations(registrations=[RawRegistrationFactory(cohort=None)], cohort=cohort)
