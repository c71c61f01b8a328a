"""Seed the brochure's accreditation: Schoolleidersregister PO, theme "Leiding geven aan verandering".

The brochure names no accreditation number, points, hours or validity; the
office fills those in the admin, and certificates are only issued within a
validity that has been entered.
"""

from django.db import migrations


def seed(apps, schema_editor):
    Programme = apps.get_model("programme", "Programme")
    Accreditation = apps.get_model("registry", "Accreditation")
    programme = Programme.objects.filter(slug="verbindend-leiderschap").first()
    if programme is None:
        return
    Accreditation.objects.get_or_create(
        programme=programme,
        register="po",
        defaults={"themes": "Leiding geven aan verandering"},
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_accreditation"), ("programme", "0002_seed_verbindend_leiderschap")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
