import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from cohorts.models import Participant, Registration
from cohorts.services import enrolment, links
from cohorts.tests.factories import RawRegistrationFactory, participant_data, placed_registration
from privacy import services
from privacy.models import Consent, PrivacyStatement
from public_pages.tests.test_registration import URL, form_data

pytestmark = pytest.mark.django_db


def test_the_statement_is_data_and_shown_in_both_languages(client):
    page = client.get(reverse("privacy")).content.decode()
    assert "Versie 1" in page and "bewaren we zeven jaar" in page
    client.post(reverse("set_language"), {"language": "en"})
    assert "kept for seven years" in client.get(reverse("privacy")).content.decode()


def test_a_new_published_version_is_shown(client):
    PrivacyStatement.objects.create(version=2, text_nl="Nieuwe tekst.", text_en="New text.", published=True)
    assert "Nieuwe tekst." in client.get(reverse("privacy")).content.decode()


def test_registration_records_consent_with_version_and_form(client):
    client.post(URL, form_data())
    registration = Registration.objects.get()
    (consent,) = services.consents_of(registration)
    assert (consent.purpose, consent.form, consent.statement.version) == ("registration", "aanmelden", 1)


def test_consent_names_the_version_in_force_when_it_is_given():
    registration = RawRegistrationFactory()
    PrivacyStatement.objects.create(version=2, text_nl="Concept.", text_en="Draft.", published=False)
    services.record_consent(subject=registration, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
    PrivacyStatement.objects.filter(version=2).update(published=True)
    services.record_consent(subject=registration, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
    assert sorted(c.statement.version for c in services.consents_of(registration)) == [1, 2]


def test_without_a_published_statement_no_consent_is_recorded():
    registration = RawRegistrationFactory()
    PrivacyStatement.objects.update(published=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        services.record_consent(subject=registration, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
    assert services.consents_of(registration) == []


def test_self_enrolment_records_consent_to_take_part_and_to_reporting(client):
    registration = placed_registration()
    url = links.enrolment_url(registration).replace("http://127.0.0.1:8000", "")
    client.post(url, participant_data(3) | {"privacy_consent": "on"})
    participant = Participant.objects.get()
    assert {c.purpose for c in services.consents_of(participant)} == {"enrolment", "register"}
    assert services.has_consent(subject=participant, purpose=Consent.Purpose.REGISTER_REPORTING)


def test_a_participant_added_by_the_board_has_not_consented_themselves():
    registration = placed_registration()
    participant = enrolment.enroll_participant(registration=registration, data=participant_data(4))
    assert services.consents_of(participant) == []
    assert not services.has_consent(subject=participant, purpose=Consent.Purpose.REGISTER_REPORTING)


def test_consent_counts_only_for_the_purposes_it_named():
    registration = RawRegistrationFactory()
    services.record_consent(subject=registration, purposes=[Consent.Purpose.REGISTRATION], form="aanmelden")
    PrivacyStatement.objects.create(version=2, text_nl="x", text_en="x", published=True)
    assert services.has_consent(subject=registration, purpose=Consent.Purpose.REGISTRATION)
    assert not services.has_consent(subject=registration, purpose=Consent.Purpose.REGISTER_REPORTING)


def test_a_published_statement_cannot_be_edited_in_the_admin(admin_client):
    statement = PrivacyStatement.objects.get(version=1)
    url = reverse("admin:privacy_privacystatement_change", args=[statement.pk])
    admin_client.post(url, {"version": 1, "text_nl": "Anders", "text_en": "Else", "published": "on"})
    statement.refresh_from_db()
    assert statement.text_nl != "Anders"
    assert (
        admin_client.post(
            reverse("admin:privacy_privacystatement_delete", args=[statement.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
