"""Erasure: after anonymising, no table holds the person, except the certificate the register needs."""

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from cohorts.models import Attendance
from cohorts.services import links, personal_data
from mail.models import OutgoingMail
from registry import exports
from registry import services as registry_services
from registry.models import Certificate
from registry.tests.conftest import accreditation, completed_run  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
NAME, LAST, EMAIL, NUMBER = "Henriëtte", "Zuiderduin", "h.zuiderduin@school.example.nl", "0077123"


def rows_holding(value: str) -> list[str]:
    """Every model and field whose text holds the value: the scan the AVG asks for."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField | models.JSONField) and field.concrete:
                for pk in model._default_manager.filter(**{f"{field.name}__icontains": value}).values_list(
                    "pk", flat=True
                ):
                    found.append(f"{model._meta.label}.{field.name}:{pk}")
    return found


@pytest.fixture
def erased(accreditation, django_capture_on_commit_callbacks):  # noqa: F811
    cohort, people = completed_run({"Anna": range(1, 7)})
    person = people["Anna"]
    person.first_name, person.last_name, person.email, person.register_number = NAME, LAST, EMAIL, NUMBER
    person.save()
    Attendance.objects.filter(participant=person).update(note=f"{NAME} belde af")
    with django_capture_on_commit_callbacks(execute=True):
        certificate = registry_services.issue_certificate(participant=person)
    assert rows_holding(EMAIL)  # before: the person is everywhere
    personal_data.anonymise_participant(participant=person)
    return cohort, person, certificate


def test_no_table_holds_the_person_but_the_kept_certificate(erased):
    for value in (EMAIL, LAST, NUMBER):
        assert all(row.startswith("registry.Certificate.snapshot:") for row in rows_holding(value)), value
    assert not rows_holding(EMAIL)  # the certificate never printed the e-mail address
    assert OutgoingMail.objects.filter(subject="[gewist]").exists()


def test_the_certificate_still_verifies(client, erased):
    _cohort, _person, certificate = erased
    page = client.get(reverse("public:verify", args=[certificate.verification_code])).content.decode()
    assert "Geldig." in page
    assert Certificate.objects.get().number == certificate.number


def test_an_export_after_erasure_does_not_bring_them_back(erased):
    cohort, _person, _certificate = erased
    content, _type, _name = exports.export(cohort=cohort, kind="csv")
    text = content.decode("utf-8-sig")
    assert LAST not in text and EMAIL not in text and NUMBER not in text


def test_the_old_personal_link_stops_working(client, accreditation):  # noqa: F811
    _cohort, people = completed_run({"Anna": range(1, 7)})
    old = links.participant_page_url(people["Anna"]).replace("http://127.0.0.1:8000", "")
    personal_data.anonymise_participant(participant=people["Anna"])
    assert client.get(old).status_code == 404


def test_the_admin_asks_first_and_lists_what_goes_and_stays(admin_client, accreditation):  # noqa: F811
    _cohort, people = completed_run({"Anna": range(1, 7)})
    changelist = reverse("admin:cohorts_participant_changelist")
    page = admin_client.post(
        changelist, {"action": "anonymise", "_selected_action": [people["Anna"].pk]}
    ).content.decode()
    assert "Verwijderd" in page and "Bewaard, en waarom" in page
    people["Anna"].refresh_from_db()
    assert people["Anna"].first_name == "Anna"
    done = admin_client.post(
        changelist, {"action": "anonymise", "_selected_action": [people["Anna"].pk], "confirm": "yes"}, follow=True
    )
    people["Anna"].refresh_from_db()
    assert people["Anna"].first_name == "Gewist"
    # One person is one: no "deelnemer(s)".
    assert "1 deelnemer geanonimiseerd." in done.content.decode()


def test_a_board_contact_is_anonymised_too():
    from cohorts.tests.factories import RegistrationFactory

    registration = RegistrationFactory(contact_name="Wilhelmina Oosterbeek", contact_email="w.oosterbeek@bestuur.nl")
    personal_data.anonymise_contact(registration=registration)
    assert not rows_holding("Oosterbeek") and not rows_holding("w.oosterbeek@bestuur.nl")
