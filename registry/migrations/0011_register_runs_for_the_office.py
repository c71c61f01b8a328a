"""
The office records each run's uitvoering and presentie (Kantoor: view, add, change); the trainer may read them.

No one deletes one: the record is what says the register has the run.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Kantoor": ["view", "add", "change"], "Trainer": ["view"]}


def grant(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, actions in GRANTS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        codenames = [f"{action}_registerrun" for action in actions]
        group.permissions.add(*Permission.objects.filter(content_type__app_label="registry", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("registry", "0010_register_run"), ("verbindend", "0001_staff_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
