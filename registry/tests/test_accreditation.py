import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from registry.models import Accreditation, RegisterTheme

pytestmark = pytest.mark.django_db


def seeded():
    return Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")


def test_the_brochures_accreditation_is_seeded_as_data():
    accreditation = seeded()
    # The brochure's theme under the name the register's knowledge base gives it today, the old name kept.
    [theme] = accreditation.themes.all()
    assert theme.name == "Verandermanagement"
    assert theme.former_names_list == ["Leiding geven aan verandering"]
    assert accreditation.get_register_display() == "Schoolleidersregister PO"
    assert "vooraf gewaardeerd aanbod" in accreditation.public_wording


def test_validity_is_checked():
    accreditation = seeded()
    accreditation.valid_from = datetime.date(2026, 1, 1)
    accreditation.valid_until = datetime.date(2025, 1, 1)
    with pytest.raises(ValidationError) as error:
        accreditation.full_clean()
    assert "valid_until" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        accreditation.save()


def test_valid_on_a_day():
    accreditation = Accreditation(valid_from=datetime.date(2026, 1, 1), valid_until=datetime.date(2027, 12, 31))
    assert accreditation.is_valid_on(datetime.date(2026, 6, 1))
    assert not accreditation.is_valid_on(datetime.date(2028, 1, 1))
    assert not accreditation.is_valid_on(datetime.date(2025, 12, 31))


def test_one_accreditation_per_programme_and_register():
    with pytest.raises(IntegrityError), transaction.atomic():
        Accreditation.objects.create(programme=seeded().programme, register="po")


def test_editable_in_the_admin(admin_client):
    accreditation = seeded()
    url = reverse("admin:registry_accreditation_change", args=[accreditation.pk])
    theme = RegisterTheme.objects.create(name="Onderwijskundig leiderschap")
    page = admin_client.get(url).content.decode()
    assert "Verandermanagement" in page and "Onderwijskundig leiderschap" in page
    response = admin_client.post(
        url,
        {
            "programme": accreditation.programme_id,
            "register": "po",
            "number": "RB-2026-0042",
            "themes": [theme.pk],
            "public_wording": "Geaccrediteerd als vooraf gewaardeerd aanbod",
            "points": "6",
            "contact_hours": "36",
            "self_study_hours": "24",
            "valid_from": "2026-01-01",
            "valid_until": "2028-12-31",
            "certificate_wording": "",
        },
    )
    assert response.status_code == 302
    accreditation.refresh_from_db()
    assert accreditation.total_hours == 60
    assert [t.name for t in accreditation.themes.all()] == ["Onderwijskundig leiderschap"]
    assert accreditation.points == 6


def test_a_renamed_theme_is_data_the_office_edits(admin_client):
    theme = RegisterTheme.objects.get(name="Verandermanagement")
    response = admin_client.post(
        reverse("admin:registry_registertheme_change", args=[theme.pk]),
        {
            "name": "Leidinggeven aan verandering en innovatie",
            "former_names": "Verandermanagement\nLeiding geven aan verandering",
        },
    )
    assert response.status_code == 302
    assert seeded().theme_names() == "Leidinggeven aan verandering en innovatie"
