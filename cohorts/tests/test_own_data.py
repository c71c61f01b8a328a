"""A person's own data (AVG): participants and board contacts download everything held about them, and only that."""

import json

import pytest

from cohorts import services
from privacy.models import Consent

from .factories import ParticipantFactory, RegistrationFactory, participant_data

pytestmark = pytest.mark.django_db


def path(url):
    return url.replace("http://127.0.0.1:8000", "")


def test_a_participant_downloads_their_own_data_as_json(client, django_capture_on_commit_callbacks):
    registration = RegistrationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        participant = services.enroll_participant(
            registration=registration, data=participant_data(1, register_number=""), consent_form="inschrijven"
        )
    other = ParticipantFactory(registration=registration)
    url = path(services.participant_page_url(participant)) + "mijn-gegevens/"
    response = client.get(url, {"format": "json"})
    data = json.loads(response.content)
    assert data["details"]["email"] == participant.email
    assert data["enrolment"]["course_run"] == registration.cohort.code
    assert [m["subject"] for m in data["emails"]] == ["Welkom bij Verbindend leiderschap"]
    assert {c["purpose"] for c in data["consents"]} == {Consent.Purpose.ENROLMENT, Consent.Purpose.REGISTER_REPORTING}
    assert other.email not in response.content.decode()
    page = client.get(url).content.decode()
    assert participant.email in page and "Alles wat we over u bewaren" in page


def test_a_board_contact_downloads_the_registrations_data(client):
    registration = RegistrationFactory(contact_email="contact@bestuur.example.nl")
    mine = ParticipantFactory(registration=registration)
    theirs = ParticipantFactory()
    url = path(services.board_page_url(registration)) + "gegevens/"
    data = json.loads(client.get(url, {"format": "json"}).content)
    assert data["contact"]["email"] == "contact@bestuur.example.nl"
    assert [p["email"] for p in data["participants"]] == [mine.email]
    assert theirs.email not in json.dumps(data)


@pytest.mark.parametrize("url", ["/deelnemer/forged:x/mijn-gegevens/", "/bestuur/forged:x/gegevens/"])
def test_forged_links_get_nothing(client, url):
    assert client.get(url, {"format": "json"}).status_code == 404


def test_the_enrolment_link_does_not_open_the_boards_data(client):
    registration = RegistrationFactory()
    token = services.enrolment_url(registration).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/bestuur/{token}/gegevens/").status_code == 404
