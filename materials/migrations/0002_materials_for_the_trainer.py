"""
The trainer (Trainer) keeps the materials and reviews the final assignments; the office (Kantoor) may read them.
No one deletes a final assignment in the admin: erasure and retention do.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Trainer": {
        "material": ["view", "add", "change", "delete"],
        "submission": ["view", "review"],
    },
    "Kantoor": {"material": ["view"], "submission": ["view"]},
}


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, models in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        codenames = [f"{action}_{model}" for model, actions in models.items() for action in actions]
        group.permissions.add(*Permission.objects.filter(content_type__app_label="materials", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("materials", "0001_materials_and_final_assignments"), ("verbindend", "0001_staff_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
