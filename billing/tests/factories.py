"""Test state for prices and invoices: the seeded provider and price model, filled in as the office does."""

from decimal import Decimal

from billing.models import PriceModel, Provider
from cohorts.tests.factories import seeded_programme

PROVIDER_DETAILS = {
    "legal_name": "Natuurlijk Leren BV",
    "address": "Oudegracht 100",
    "postcode": "3511 AB",
    "city": "Utrecht",
    "kvk_number": "12345678",
    "vat_number": "NL000099998B57",
    "iban": "NL91 ABNA 0417 1643 00",
    "crkbo_number": "CRKBO-2019-0042",
    "email": "administratie@natuurlijkleren.example.nl",
}


def filled_in_provider(**overrides) -> Provider:
    """Fill in the provider the migration seeded with realistic (test) details."""
    provider, _created = Provider.objects.get_or_create(singleton=True, defaults={"legal_name": "x"})
    for name, value in {**PROVIDER_DETAILS, **overrides}.items():
        setattr(provider, name, value)
    provider.full_clean()
    provider.save()
    return provider


def priced_programme(**overrides) -> PriceModel:
    """Give the brochure's programme a price as the office enters it in the admin (per participant by default)."""
    price = PriceModel.objects.get(programme=seeded_programme())
    fields = {"kind": PriceModel.Kind.PER_PARTICIPANT, "amount": Decimal("1450.00"), **overrides}
    for name, value in fields.items():
        setattr(price, name, value)
    price.full_clean()
    price.save()
    return price
