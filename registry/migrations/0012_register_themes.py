"""
The themes become rows with their current and former names, and each accreditation names how the public pages call it.

The register's knowledge base calls the brochure's "Leiding geven aan
verandering" today "Verandermanagement", and an accredited activity, in its
own words, "vooraf gewaardeerd aanbod". The text the office typed as an
accreditation's themes is matched to a theme by its current or a former name;
a name no theme has becomes a theme of its own.
"""

import re

from django.db import migrations, models

THEMES = {"Verandermanagement": ["Leiding geven aan verandering"]}
PUBLIC_WORDING = {
    "po": "Geaccrediteerd door het Schoolleidersregister PO als vooraf gewaardeerd aanbod",
    "vo": "Geaccrediteerd door het Schoolleidersregister VO als vooraf gewaardeerd aanbod",
}


def _theme_named(RegisterTheme, name):
    for theme in RegisterTheme.objects.all():
        names = [theme.name, *theme.former_names.splitlines()]
        if any(known.strip().casefold() == name.casefold() for known in names):
            return theme
    return RegisterTheme.objects.create(name=name)


def seed(apps, schema_editor):
    """The themes, and the brochure's accreditation (0002) in today's shape, as a fresh database has them."""
    RegisterTheme = apps.get_model("registry", "RegisterTheme")
    Accreditation = apps.get_model("registry", "Accreditation")
    Programme = apps.get_model("programme", "Programme")
    themes = [
        RegisterTheme.objects.get_or_create(name=name, defaults={"former_names": "\n".join(former)})[0]
        for name, former in THEMES.items()
    ]
    programme = Programme.objects.filter(slug="verbindend-leiderschap").first()
    if programme is None:
        return
    accreditation, created = Accreditation.objects.get_or_create(
        programme=programme, register="po", defaults={"public_wording": PUBLIC_WORDING["po"]}
    )
    if created:
        accreditation.themes.add(*themes)


def forwards(apps, schema_editor):
    RegisterTheme = apps.get_model("registry", "RegisterTheme")
    Accreditation = apps.get_model("registry", "Accreditation")
    seed(apps, schema_editor)
    for accreditation in Accreditation.objects.all():
        for name in re.split(r"[;,\n]", accreditation.themes_typed):
            if name.strip():
                accreditation.themes.add(_theme_named(RegisterTheme, name.strip()))
        if not accreditation.public_wording:
            accreditation.public_wording = PUBLIC_WORDING.get(accreditation.register, "")
            accreditation.save(update_fields=["public_wording"])


def backwards(apps, schema_editor):
    Accreditation = apps.get_model("registry", "Accreditation")
    for accreditation in Accreditation.objects.all():
        accreditation.themes_typed = ", ".join(theme.name for theme in accreditation.themes.order_by("name"))
        accreditation.save(update_fields=["themes_typed"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0011_register_runs_for_the_office")]

    operations = [
        migrations.CreateModel(
            name="RegisterTheme",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="As the register names it today.", max_length=200, unique=True, verbose_name="name"
                    ),
                ),
                (
                    "former_names",
                    models.TextField(
                        blank=True,
                        help_text="Names the register or the brochure used before, one per line.",
                        verbose_name="former names",
                    ),
                ),
            ],
            options={"verbose_name": "register theme", "verbose_name_plural": "register themes", "ordering": ["name"]},
        ),
        migrations.RenameField(model_name="accreditation", old_name="themes", new_name="themes_typed"),
        migrations.AlterField(
            model_name="accreditation",
            name="themes_typed",
            field=models.CharField(blank=True, default="", max_length=300),
        ),
        migrations.AddField(
            model_name="accreditation",
            name="themes",
            field=models.ManyToManyField(
                blank=True,
                help_text="The themes of the register's knowledge base this activity counts for.",
                related_name="accreditations",
                to="registry.registertheme",
                verbose_name="themes",
            ),
        ),
        migrations.AddField(
            model_name="accreditation",
            name="public_wording",
            field=models.CharField(
                blank=True,
                help_text="How the public pages name this accreditation, in the register's own words.",
                max_length=300,
                verbose_name="public wording",
            ),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="accreditation", name="themes_typed"),
    ]
