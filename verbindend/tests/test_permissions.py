"""Least privilege: the trainer plans and takes attendance, the office exports; neither does the other's job."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from cohorts.tests.factories import CohortFactory, ParticipantFactory, RegistrationFactory

pytestmark = pytest.mark.django_db


def member(group):
    user = User.objects.create_user(group.lower(), password="x-secret-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def completed():
    registration = RegistrationFactory()
    ParticipantFactory(registration=registration)
    registration.cohort.status = "completed"
    registration.cohort.save()
    return registration.cohort


def test_the_trainer_plans_and_takes_attendance_but_cannot_export(client, completed):
    client.force_login(member("Trainer"))
    assert client.get(reverse("admin:cohorts_cohort_change", args=[completed.pk])).status_code == 200
    assert client.get(reverse("admin:cohorts_cohort_attendance", args=[completed.pk])).status_code == 200
    assert client.get(reverse("admin:cohorts_intakeappointment_add")).status_code == 200
    export = reverse("admin:registry_register_export", args=[completed.pk])
    assert client.get(export, {"format": "csv"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_the_office_exports_but_cannot_change_the_schedule(client, completed):
    client.force_login(member("Kantoor"))
    export = reverse("admin:registry_register_export", args=[completed.pk])
    assert client.get(export, {"format": "csv"}).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    cohort = CohortFactory()
    response = client.post(reverse("admin:cohorts_cohort_change", args=[cohort.pk]), {"venue": "Elders"})
    assert response.status_code == 403
    assert client.get(reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])).status_code == 403
    assert client.get(reverse("admin:cohorts_intakeappointment_add")).status_code == 403


def test_no_group_no_admin(client):
    client.force_login(User.objects.create_user("niemand", password="x-secret-123", is_staff=True))
    assert client.get(reverse("admin:cohorts_participant_changelist")).status_code == 403


def test_only_the_office_erases(client, completed):
    participant = completed.participants.get()
    changelist = reverse("admin:cohorts_participant_changelist")
    client.force_login(member("Trainer"))
    client.post(changelist, {"action": "anonymise", "_selected_action": [participant.pk], "confirm": "yes"})
    participant.refresh_from_db()
    assert participant.first_name != "Gewist"
    client.force_login(member("Kantoor"))
    client.post(changelist, {"action": "anonymise", "_selected_action": [participant.pk], "confirm": "yes"})
    participant.refresh_from_db()
    assert participant.first_name == "Gewist"


def test_the_office_erases_a_contact_person_after_confirming(client):
    registration = RegistrationFactory(contact_name="Wilhelmina Oosterbeek")
    client.force_login(member("Kantoor"))
    changelist = reverse("admin:cohorts_registration_changelist")
    page = client.post(changelist, {"action": "anonymise_contacts", "_selected_action": [registration.pk]})
    assert "Wilhelmina Oosterbeek" in page.content.decode()
    client.post(changelist, {"action": "anonymise_contacts", "_selected_action": [registration.pk], "confirm": "yes"})
    registration.refresh_from_db()
    assert registration.contact_name == "Gewist"


@pytest.mark.parametrize(
    "model", ["audit.auditevent", "privacy.consent", "registry.completedcohort", "registry.registerexport"]
)
def test_records_kept_as_written_cannot_be_added_changed_or_deleted_even_by_a_superuser(admin_client, model):
    from django.apps import apps
    from django.contrib import admin

    app_label, model_name = model.split(".")
    assert admin_client.get(reverse(f"admin:{app_label}_{model_name}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:{app_label}_{model_name}_changelist")).status_code == 200
    model_admin = admin.site._registry[apps.get_model(model)]
    request = type("Request", (), {"user": User.objects.get(username="admin")})()
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
