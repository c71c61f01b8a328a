"""
The provider and the brochure programme's price model, as far as the brochure tells them.

The brochure names the provider (Natuurlijk Leren BV) but neither its
address, KvK and VAT numbers, IBAN and CRKBO registration, nor a price: those
are left empty for the office to fill in (the admin lists what is missing,
and no invoice is issued before). The terms are the usual ones for a short
course and the exemption is the education exemption of a CRKBO-registered
provider; both are data the office can change.
"""

from django.db import migrations

EXEMPTION_TEXT = (
    "Vrijgesteld van btw op grond van artikel 11, lid 1, onderdeel o, van de Wet op de omzetbelasting 1968: "
    "beroepsonderwijs gegeven door een instelling die is ingeschreven in het Centraal Register Kort "
    "Beroepsonderwijs (CRKBO)."
)


def seed(apps, schema_editor):
    Provider = apps.get_model("billing", "Provider")
    PriceModel = apps.get_model("billing", "PriceModel")
    Programme = apps.get_model("programme", "Programme")
    Provider.objects.get_or_create(singleton=True, defaults={"legal_name": "Natuurlijk Leren BV"})
    programme = Programme.objects.filter(slug="verbindend-leiderschap").first()
    if programme is None:
        return
    PriceModel.objects.get_or_create(
        programme=programme,
        defaults={
            "kind": "per_participant",
            "amount": None,
            "payment_term_days": 30,
            "withdrawal_cutoff_days": 28,
            "withdrawal_fee_percent": 50,
            "cancellation_fee_percent": 50,
            "vat_treatment": "exempt",
            "exemption_text": EXEMPTION_TEXT,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_provider_and_price_model"), ("programme", "0004_correct_brochure_typos")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
