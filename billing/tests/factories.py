"""Test state for prices and invoices: the seeded provider and price model, filled in as the office does."""

import datetime
from decimal import Decimal

from django.utils import timezone

from billing.models import PriceModel, Provider
from cohorts.models import Cohort, Registration
from cohorts.services import runs
from cohorts.tests.factories import (
    CohortFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
    enrolled_participants,
    new_cohort,
    placed_registration,
    scheduled_days,
    seeded_programme,
)

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


def confirmed_shared_run(*sizes: int, first: datetime.date | None = None) -> tuple[Cohort, list[Registration]]:
    """
    A course run shared by boards with `sizes` enrolled leaders each, its days scheduled and the run confirmed,
    all through the services, in the order the boards registered; each board with its invoice details.

    :param first: the first course day; two months from today when not given
    """
    cohort = new_cohort()
    registrations = [placed_registration(cohort=cohort, expected_participants=size) for size in sizes]
    for registration, size in zip(registrations, sizes, strict=True):
        invoice_details(registration.board)
        enrolled_participants(registration, size)
    scheduled_days(cohort, first=first or timezone.localdate() + datetime.timedelta(days=60))
    runs.confirm_cohort(cohort=cohort)
    cohort.refresh_from_db()
    return cohort, registrations


def invoice_details(board, **overrides):
    """Give a board the invoice address and the KvK number its invoice needs, as the office enters them."""
    fields = {"address": "Maliebaan 12", "postcode": "3512 JE", "kvk_number": f"4200{board.pk % 10000:04d}"}
    for name, value in {**fields, **overrides}.items():
        setattr(board, name, value)
    board.full_clean(validate_unique=False)
    board.save()
    return board


def raw_confirmed_run(participants: int = 1) -> Cohort:
    """A confirmed run of one board with `participants` enrolled, as rows (no days, no e-mail): for load tests."""
    registration = RawRegistrationFactory(cohort=CohortFactory(status=Cohort.Status.CONFIRMED))
    RawParticipantFactory.create_batch(participants, registration=registration)
    return registration.cohort


# --- Offers -----------------------------------------------------------------

ACCEPTANCE = {
    "po_number": "PO-2027-0815",
    "invoice_address": "Stichting Kindcentra\nCrediteurenadministratie\nPostbus 123\n3500 AA Utrecht",
    "invoice_email": "facturen@bestuur.example.nl",
    "cost_centre": "KP-4410",
    "kvk_number": "41234567",
}


def offered_registration(*, participants: int = 14, **fields):
    """A placed registration with the provider and the price filled in, and version 1 of its offer made."""
    from billing.services import offers

    filled_in_provider()
    if PriceModel.objects.get(programme=seeded_programme()).amount is None:
        priced_programme()
    registration = placed_registration(expected_participants=participants, **fields)
    return registration, offers.make_offer(registration=registration)


def accepted_offer(registration, **data):
    """Accept the registration's open offer with the board's details, as its contact does on the board page."""
    from billing.services import offers

    offer = registration.offers.get(status="open")
    return offers.accept_offer(offer=offer, data={**ACCEPTANCE, **data})


def accepted_by_boards(invoices, *, po_numbers: list[str]) -> list:
    """
    Give issued invoices what the boards' acceptance of the offer gives them: a full invoice address, the board's
    KvK number and a purchase-order number (empty: none).

    Written past the invoice's refusal to change (a queryset update), because
    the acceptance that fills them in at issue is not part of billing yet.
    """
    from billing.models import Invoice

    for number, (invoice, po_number) in enumerate(zip(invoices, po_numbers, strict=True), start=1):
        address = f"{invoice.buyer_name}\nt.a.v. crediteurenadministratie\nMaliebaan 12\n3512 JE Utrecht"
        Invoice.objects.filter(pk=invoice.pk).update(
            invoice_address=address, po_number=po_number, buyer_kvk_number=f"4100{number:04d}"
        )
    return [Invoice.objects.get(pk=invoice.pk) for invoice in invoices]
