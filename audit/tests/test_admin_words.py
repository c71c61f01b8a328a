"""The audit trail in the admin reads in words: no model labels or format codes for the office to decode."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:audit_auditevent_changelist")


def event(**fields):
    return AuditEvent.objects.create(**{"action": "export", "object_id": "1", "object_label": "VL-2027-01", **fields})


def test_object_types_and_details_read_as_words(admin_client):
    event(object_type="cohorts.Cohort", detail="xlsx")
    event(object_type="registry.Certificate", action="certificate_issued", detail="attendance")
    event(object_type="registry.Certificate", action="certificate_revoked", detail="Dubbel uitgereikt")
    page = admin_client.get(CHANGELIST).content.decode()
    for words in ("Uitvoering", "Certificaat", "XLSX-export", "Bewijs van deelname", "Dubbel uitgereikt"):
        assert words in page
    for code in (">cohorts.Cohort<", ">registry.Certificate<", ">xlsx<", ">attendance<"):
        assert code not in page


def test_the_filter_on_the_kind_of_object_offers_words_and_filters(admin_client):
    event(object_type="cohorts.Cohort", object_label="VL-2027-01")
    event(object_type="cohorts.Registration", object_label="Stichting Kindcentra 1")
    page = admin_client.get(CHANGELIST).content.decode()
    assert "?object_type=cohorts.Cohort" in page
    assert ">Uitvoering</a>" in page
    assert ">Aanmelding</a>" in page
    filtered = admin_client.get(CHANGELIST, {"object_type": "cohorts.Registration"}).content.decode()
    assert "Stichting Kindcentra 1" in filtered
    assert "VL-2027-01" not in filtered


def test_an_unknown_type_shows_as_written_without_an_error(admin_client):
    row = event(object_type="oud.Model", detail="iets")
    assert ">oud.Model<" in admin_client.get(CHANGELIST).content.decode()
    assert admin_client.get(reverse("admin:audit_auditevent_change", args=[row.pk])).status_code == 200
