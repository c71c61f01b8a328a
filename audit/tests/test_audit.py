"""The audit trail: every export, certificate issue or revocation, link rotation and staff download is a row."""

import pytest
from django.urls import reverse

from audit import services as audit_services
from audit.models import AuditEvent
from cohorts.tests.factories import RawRegistrationFactory
from registry import services
from registry.models import Certificate
from registry.tests.conftest import completed_run

pytestmark = pytest.mark.django_db


def events(action):
    return AuditEvent.objects.filter(action=action)


def test_exports_and_staff_downloads_are_recorded_with_who_and_where(admin_client, admin_user, accreditation):
    cohort, _people = completed_run({"Anna": range(1, 7)})
    services.issue_cohort_certificates(cohort=cohort, issued_by=admin_user)
    admin_client.get(reverse("admin:registry_register_export", args=[cohort.pk]), {"format": "csv"})
    export = events("export").get()
    assert (export.actor, export.detail, export.address, export.object_label) == (
        admin_user,
        "csv",
        "127.0.0.1",
        cohort.code,
    )
    certificate = Certificate.objects.get()
    admin_client.get(reverse("registry:staff_certificate", args=[certificate.pk]))
    admin_client.get(reverse("admin:registry_certificates_zip", args=[cohort.pk]))
    assert sorted(events("personal_data_download").values_list("detail", flat=True)) == ["certificates.zip", "pdf"]
    assert events("certificate_issued").get().actor == admin_user


def test_revocation_and_link_rotation_are_recorded(admin_client, admin_user, accreditation):
    _cohort, people = completed_run({"Anna": range(1, 7)})
    certificate = services.issue_certificate(participant=people["Anna"])
    admin_client.post(
        reverse("admin:registry_certificate_changelist"),
        {"action": "revoke", "_selected_action": [certificate.pk], "apply": "1", "reason": "Dubbel uitgereikt"},
    )
    revoked = events("certificate_revoked").get()
    assert (revoked.actor, revoked.detail) == (admin_user, "Dubbel uitgereikt")
    registration = RawRegistrationFactory()
    admin_client.post(
        reverse("admin:cohorts_registration_changelist"),
        {"action": "rotate_links", "_selected_action": [registration.pk]},
    )
    assert events("link_rotated").get().object_id == str(registration.pk)


def test_the_trail_cannot_be_changed_or_deleted(admin_client, admin_user):
    event = AuditEvent.objects.create(action="export", object_type="cohorts.Cohort", object_id="1", actor=admin_user)
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert admin_client.post(change, {"detail": "anders"}).status_code == 403
    assert (
        admin_client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    with pytest.raises(ValueError):
        event.delete()
    event.detail = "anders"
    with pytest.raises(ValueError):
        event.save()
    assert AuditEvent.objects.get().detail == ""


def test_the_trail_exports_as_csv_without_formulas(admin_client, admin_user):
    AuditEvent.objects.create(
        action="export",
        object_type="cohorts.Cohort",
        object_id="1",
        object_label="=cmd|' /C calc'!A0",
        actor=admin_user,
    )
    response = admin_client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "export_csv", "_selected_action": list(AuditEvent.objects.values_list("pk", flat=True))},
    )
    text = response.content.decode("utf-8-sig")
    assert "'=cmd|' /C calc'!A0" in text
    assert ";=cmd" not in text


def test_an_action_the_trail_has_no_words_for_is_refused(admin_user):
    with pytest.raises(ValueError, match="not an audit action"):
        audit_services.record(action="invoice_changed", obj=admin_user, actor=admin_user)
    audit_services.record(action=AuditEvent.Action.INVOICE_ISSUED, obj=admin_user, actor=admin_user)
    assert [event.get_action_display() for event in AuditEvent.objects.all()] == ["factuur uitgereikt"]
