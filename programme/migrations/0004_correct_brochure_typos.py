"""
Correct the brochure's own typos in the seeded programme text, where it is still as seeded.

0002 copied the brochure verbatim, typos included, and they showed on the home page:

* introduction: "beschikbaar onze de titel" -> "beschikbaar onder de titel"
* day 3: "Leiders zijn teveel gericht" -> "Leiders zijn te veel gericht" (two words: an amount)
* day 3: "op het ontwikkeling van menselijk kapitaal" -> "op de ontwikkeling van menselijk kapitaal"
  (de ontwikkeling)
* day 6: "de hefboom voor de lerende school is gericht op" -> "de hefboom voor de lerende school en is
  gericht op" (two finite verbs without a conjunction)
* day 6: "Tenslotte verkennen we" -> "Ten slotte verkennen we" (finally; "tenslotte" means "after all")

A text the trainer has since edited in the admin is left as it is: only a value that still equals
the seed's is replaced. 0002 is applied already and is never edited.
"""

from importlib import import_module

from django.db import migrations

seed = import_module("programme.migrations.0002_seed_verbindend_leiderschap")

CORRECTIONS = [
    ("beschikbaar onze de titel", "beschikbaar onder de titel"),
    ("Leiders zijn teveel gericht", "Leiders zijn te veel gericht"),
    ("op het ontwikkeling van menselijk kapitaal", "op de ontwikkeling van menselijk kapitaal"),
    ("de hefboom voor de lerende school is gericht op", "de hefboom voor de lerende school en is gericht op"),
    ("Tenslotte verkennen we", "Ten slotte verkennen we"),
]


def corrected(text: str) -> str:
    for typo, right in CORRECTIONS:
        text = text.replace(typo, right)
    return text


def _texts():
    """Yield (model name, lookup, field, text as seeded) for every seeded text."""
    for field, text in (
        ("description", seed.DESCRIPTION),
        ("target_group", seed.TARGET_GROUP),
        ("certification", seed.CERTIFICATION),
    ):
        yield "Programme", {"slug": seed.SLUG}, field, text
    for number, _theme, content in seed.DAYS:
        yield "ProgrammeDay", {"programme__slug": seed.SLUG, "number": number}, "content", content


def _replace(apps, *, forward: bool) -> None:
    for model, lookup, field, text in _texts():
        old, new = (text, corrected(text)) if forward else (corrected(text), text)
        if old != new:
            apps.get_model("programme", model).objects.filter(**lookup, **{field: old}).update(**{field: new})


def correct(apps, schema_editor):
    _replace(apps, forward=True)


def restore(apps, schema_editor):
    _replace(apps, forward=False)


class Migration(migrations.Migration):
    dependencies = [("programme", "0003_code_prefix")]
    operations = [migrations.RunPython(correct, restore)]
