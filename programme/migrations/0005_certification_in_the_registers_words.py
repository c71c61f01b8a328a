"""
The public text on certification in the register's words, where it is still as seeded.

The brochure says the course is "gecertificeerd" and names the theme "Leiding
geven aan verandering". The register calls an accredited course "vooraf
gewaardeerd aanbod" and the theme today "Verandermanagement". Both are now
data of the accreditation (registry 0012), which the programme page shows; this
text keeps only what the accreditation does not say. A text the office has
since edited is left as it is.
"""

from importlib import import_module

from django.db import migrations

seed = import_module("programme.migrations.0002_seed_verbindend_leiderschap")

CERTIFICATION = (
    "Schoolleiders kunnen deze training selecteren voor het afronden van hun professionaliseringsthema. "
    "Wie de training afrondt, ontvangt een certificaat; de aanbieder meldt de afronding bij het register."
)


def _replace(apps, old: str, new: str) -> None:
    Programme = apps.get_model("programme", "Programme")
    Programme.objects.filter(slug=seed.SLUG, certification=old).update(certification=new)


def forwards(apps, schema_editor):
    _replace(apps, seed.CERTIFICATION, CERTIFICATION)


def backwards(apps, schema_editor):
    _replace(apps, CERTIFICATION, seed.CERTIFICATION)


class Migration(migrations.Migration):
    dependencies = [("programme", "0004_correct_brochure_typos")]
    operations = [migrations.RunPython(forwards, backwards)]
