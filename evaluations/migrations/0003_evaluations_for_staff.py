"""
The trainer keeps the evaluation forms and reads the reports; the office reads the reports.

The reports show aggregates only; no group may see a response by itself
(there is no admin page for one).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Trainer": [
        "view_runevaluation",
        "view_evaluationform",
        "add_evaluationform",
        "change_evaluationform",
        "view_question",
        "add_question",
        "change_question",
        "delete_question",
        "view_evaluationsettings",
        "change_evaluationsettings",
    ],
    "Kantoor": ["view_runevaluation", "view_evaluationform", "view_question", "view_evaluationsettings"],
}


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(*Permission.objects.filter(content_type__app_label="evaluations", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0002_seed_forms"), ("verbindend", "0001_staff_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
