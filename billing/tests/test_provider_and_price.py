"""The provider and the price as data: validated, seeded, and shown on the public programme page."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from billing.models import PriceModel, Provider
from programme.tests.factories import ProgrammeFactory

from .factories import PROVIDER_DETAILS, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_the_provider_to_be_filled_in_and_the_price_on_request():
    provider = Provider.objects.get()
    assert provider.legal_name == "Natuurlijk Leren BV"
    assert not provider.is_complete
    assert "KvK-nummer" in provider.missing_fields and "IBAN" in provider.missing_fields
    price = PriceModel.objects.get(programme__slug="verbindend-leiderschap")
    # The brochure states no price.
    assert price.amount is None
    assert price.is_exempt
    assert "artikel 11, lid 1, onderdeel o, van de Wet op de omzetbelasting 1968" in price.exemption_text
    assert "CRKBO" in price.exemption_text


def test_a_filled_in_provider_is_complete_and_stored_as_the_invoice_prints_it():
    provider = filled_in_provider(vat_number="nl 0000.99998.b57", iban="nl91abna0417164300", postcode="3511ab")
    assert provider.is_complete
    assert (provider.vat_number, provider.iban, provider.postcode) == (
        "NL000099998B57",
        "NL91 ABNA 0417 1643 00",
        "3511 AB",
    )


@pytest.mark.parametrize(
    "field, value",
    [
        ("kvk_number", "1234567"),
        ("kvk_number", "1234567A"),
        ("vat_number", "NL000099998B58"),
        ("vat_number", "DE123456789"),
        ("iban", "NL91ABNA0417164301"),
        ("postcode", "0123 AB"),
    ],
)
def test_malformed_provider_numbers_are_refused(field, value):
    with pytest.raises(ValidationError) as refused:
        filled_in_provider(**{field: value})
    assert field in refused.value.message_dict


def test_there_is_one_provider():
    with pytest.raises(IntegrityError):
        Provider.objects.create(**PROVIDER_DETAILS)


@pytest.mark.parametrize(
    "fields",
    [
        {"vat_treatment": PriceModel.VatTreatment.EXEMPT, "exemption_text": ""},
        {"vat_treatment": PriceModel.VatTreatment.EXEMPT, "vat_rate": Decimal("21")},
        {"vat_treatment": PriceModel.VatTreatment.RATE, "vat_rate": None},
    ],
)
def test_the_vat_treatment_is_complete(fields):
    with pytest.raises(ValidationError, match="Vrijgesteld van btw vraagt de wettelijke grond"):
        priced_programme(**fields)


def test_a_rate_instead_of_the_exemption():
    price = priced_programme(vat_treatment=PriceModel.VatTreatment.RATE, vat_rate=Decimal("21.00"), exemption_text="")
    assert not price.is_exempt


def test_the_programme_page_shows_the_price_and_the_terms(client):
    priced_programme(minimum_charge=Decimal("5000.00"))
    page = client.get("/programma/verbindend-leiderschap/").content.decode()
    assert "Prijs en voorwaarden" in page
    assert "€ 1.450,00 per deelnemer" in page
    assert "Minimum per bestuur" in page and "€ 5.000,00" in page
    assert "in delen betaald" not in page
    assert "Vrijgesteld van btw" in page
    assert "binnen 30 dagen" in page
    assert "tot 28 dagen vóór de eerste cursusdag" in page
    assert "50% van de prijs van de deelnemer" in page
    assert "artikel 11, lid 1, onderdeel o, van de Wet op de omzetbelasting 1968" in page


def test_a_price_per_run_and_a_rate_on_the_home_page(client):
    priced_programme(
        kind=PriceModel.Kind.PER_RUN,
        amount=Decimal("24000.00"),
        vat_treatment=PriceModel.VatTreatment.RATE,
        vat_rate=Decimal("21.00"),
        exemption_text="",
        withdrawal_fee_percent=0,
        cancellation_fee_percent=0,
    )
    page = client.get("/").content.decode()
    assert "€ 24.000,00 per uitvoering" in page
    shared = "Een uitvoering met meer besturen wordt in delen betaald: elk bestuur betaalt naar zijn aantal deelnemers."
    assert shared in page
    assert "Exclusief 21% btw" in page
    assert "Vrijgesteld van btw" not in page
    assert "wordt in rekening gebracht" not in page


def test_the_seeded_price_on_request(client):
    page = client.get("/").content.decode()
    assert "Op aanvraag" in page
    assert "Minimum per bestuur" not in page


def test_a_programme_without_a_price_model_shows_no_price_section(client):
    PriceModel.objects.all().delete()
    page = client.get("/").content.decode()
    assert "Prijs en voorwaarden" not in page


@pytest.mark.parametrize("others", [1, 6])
def test_the_price_adds_no_query_to_the_home_page(client, django_assert_num_queries, others):
    priced_programme()
    for programme in ProgrammeFactory.create_batch(others):
        PriceModel.objects.create(programme=programme, amount=Decimal("999.00"), exemption_text="Vrijgesteld.")
    # The programmes with their price (one query), their days, their accreditations and their themes.
    with django_assert_num_queries(4):
        response = client.get("/")
    assert "€ 1.450,00 per deelnemer" in response.content.decode()


@pytest.mark.parametrize("priced", [False, True])
def test_the_price_adds_no_query_to_the_programme_page(client, django_assert_num_queries, priced):
    if priced:
        priced_programme()
    else:
        PriceModel.objects.all().delete()
    with django_assert_num_queries(4):
        response = client.get("/programma/verbindend-leiderschap/")
    assert ("€ 1.450,00 per deelnemer" in response.content.decode()) is priced


def test_the_admin_says_what_the_office_must_fill_in_and_adds_no_second_provider(admin_client):
    provider = Provider.objects.get()
    page = admin_client.get(f"/admin/billing/provider/{provider.pk}/change/").content.decode()
    assert "Vul in vóór de eerste factuur: adres, postcode, plaats, KvK-nummer, btw-nummer, IBAN." in page
    assert admin_client.get("/admin/billing/provider/add/").status_code == 403
    filled_in_provider()
    page = admin_client.get(f"/admin/billing/provider/{provider.pk}/change/").content.decode()
    assert "Vul in vóór de eerste factuur" not in page
