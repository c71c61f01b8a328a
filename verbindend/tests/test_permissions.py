"""Least privilege: the trainer plans and takes attendance, the office exports; neither does the other's job."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from cohorts.tests.factories import CohortFactory, RawParticipantFactory, RawRegistrationFactory
from mail.models import OutgoingMail

pytestmark = pytest.mark.django_db


def member(group):
    user = User.objects.create_user(group.lower(), password="x-secret-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def completed():
    registration = RawRegistrationFactory()
    RawParticipantFactory(registration=registration)
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
    registration = RawRegistrationFactory(contact_name="Wilhelmina Oosterbeek")
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


# --- Every action outside the course runs, for both groups ---------------------
# (the course runs', registrations' and participants' are in cohorts/tests/test_admin_actions.py)


def offered(client, changelist):
    """Return the actions the changelist offers this user (none when it shows no action form)."""
    response = client.get(changelist)
    assert response.status_code == 200
    form = response.context["action_form"]
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


def act(client, changelist, action, objects, **fields):
    return client.post(changelist, {"action": action, "_selected_action": [o.pk for o in objects], **fields})


@pytest.fixture
def run_to_certify(settings, tmp_path):
    from registry.models import Accreditation
    from registry.tests.conftest import completed_run

    settings.MEDIA_ROOT = tmp_path
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number = "SLR-2026-0042"
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    cohort, _people = completed_run({"Anna": range(1, 7), "Bram": [1, 2]})
    return cohort


def test_the_trainer_issues_certificates_after_the_page(client, run_to_certify, django_capture_on_commit_callbacks):
    from registry.models import Certificate

    changelist = reverse("admin:registry_completedcohort_changelist")
    client.force_login(member("Trainer"))
    assert "issue_certificates" in offered(client, changelist)
    assert "export_for_the_register" not in offered(client, changelist)
    with django_capture_on_commit_callbacks(execute=True):
        page = act(client, changelist, "issue_certificates", [run_to_certify])
    text = page.content.decode()
    assert "2 deelnemers worden getoetst aan de afrondingsregel" in text
    assert "0 geldige certificaten zijn al uitgereikt" in text
    assert not Certificate.objects.exists()
    assert not OutgoingMail.objects.filter(template="registry/mail/certificate_issued").exists()
    with django_capture_on_commit_callbacks(execute=True):
        act(client, changelist, "issue_certificates", [run_to_certify], post="yes")
    assert Certificate.objects.count() == 2
    assert OutgoingMail.objects.filter(template="registry/mail/certificate_issued").count() == 2


def test_the_office_cannot_issue_certificates_even_by_a_forged_post(
    client, run_to_certify, django_capture_on_commit_callbacks
):
    from registry.models import Certificate

    changelist = reverse("admin:registry_completedcohort_changelist")
    client.force_login(member("Kantoor"))
    assert "issue_certificates" not in offered(client, changelist)
    assert "export_for_the_register" in offered(client, changelist)
    with django_capture_on_commit_callbacks(execute=True):
        act(client, changelist, "issue_certificates", [run_to_certify], post="yes")
    assert not Certificate.objects.exists()


def test_only_the_office_is_sent_to_the_register_export(client, run_to_certify):
    changelist = reverse("admin:registry_completedcohort_changelist")
    export = reverse("admin:registry_register_export", args=[run_to_certify.pk])
    client.force_login(member("Trainer"))
    response = act(client, changelist, "export_for_the_register", [run_to_certify])
    assert response.get("Location") != export
    client.force_login(member("Kantoor"))
    assert act(client, changelist, "export_for_the_register", [run_to_certify])["Location"] == export


def test_only_the_office_revokes_after_giving_a_reason(client, run_to_certify):
    from registry import services as registry_services
    from registry.models import Certificate

    registry_services.issue_cohort_certificates(cohort=run_to_certify)
    certificate = Certificate.objects.filter(kind="certificate").get()
    changelist = reverse("admin:registry_certificate_changelist")
    client.force_login(member("Trainer"))
    assert "revoke" not in offered(client, changelist)
    act(client, changelist, "revoke", [certificate], apply="1", reason="Vervalst")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    client.force_login(member("Kantoor"))
    assert "revoke" in offered(client, changelist)
    assert 'name="reason"' in act(client, changelist, "revoke", [certificate]).content.decode()
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.VALID
    act(client, changelist, "revoke", [certificate], apply="1", reason="Dubbel uitgereikt")
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED


def test_only_the_office_exports_the_audit_trail(client):
    from audit import services as audit
    from audit.models import AuditEvent

    registration = RawRegistrationFactory()
    audit.record(action=AuditEvent.Action.LINK_ROTATED, obj=registration)
    event = AuditEvent.objects.get()
    changelist = reverse("admin:audit_auditevent_changelist")
    client.force_login(member("Trainer"))
    assert act(client, changelist, "export_csv", [event]).status_code == 403
    client.force_login(member("Kantoor"))
    assert "export_csv" in offered(client, changelist)
    response = act(client, changelist, "export_csv", [event])
    assert response["Content-Type"].startswith("text/csv")


def test_the_browsers_own_favicon_request_finds_the_icon(client, admin_client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")
    page = admin_client.get(reverse("admin:index")).content.decode()
    assert 'rel="icon"' in page and "img/favicon.svg" in page


# --- The outbox: its bodies hold every personal link, so only the office reads it ---


@pytest.fixture
def sent_mail():
    from mail.services.queueing import queue_email

    mail = queue_email(to="contact@example.nl", template="mail/test", context={}, key="outbox-permissions")
    OutgoingMail.objects.filter(pk=mail.pk).update(body_text="Uw pagina: http://testserver/bestuur/geheime-sleutel/")
    return mail


def outbox_pages(mail):
    return [
        reverse("admin:mail_outgoingmail_changelist"),
        reverse("admin:mail_outgoingmail_change", args=[mail.pk]),
    ]


def test_the_trainer_does_not_read_the_outbox(client, sent_mail):
    client.force_login(member("Trainer"))
    for page in outbox_pages(sent_mail):
        response = client.get(page)
        assert response.status_code == 403, page
        assert b"geheime-sleutel" not in response.content
    assert not Group.objects.get(name="Trainer").permissions.filter(content_type__app_label="mail").exists()
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:mail_outgoingmail_changelist") not in index


def test_the_office_reads_the_outbox_with_its_preview(client, sent_mail):
    client.force_login(member("Kantoor"))
    assert client.get(outbox_pages(sent_mail)[0]).status_code == 200
    detail = client.get(outbox_pages(sent_mail)[1])
    assert detail.status_code == 200
    assert "geheime-sleutel" in detail.content.decode()
    assert 'class="mail-preview"' in detail.content.decode()
