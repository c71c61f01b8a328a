"""The office (Kantoor) records the payments and exports the invoices for the bookkeeping."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Kantoor": {"payment": ["view", "record", "export"]}}
CODENAMES = {"record": "record_payment", "export": "export_bookkeeping"}


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
        codenames = [
            CODENAMES.get(action, f"{action}_{model}") for model, actions in models.items() for action in actions
        ]
        group.permissions.add(*Permission.objects.filter(content_type__app_label="billing", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_payments_and_ledgers"), ("verbindend", "0001_staff_groups")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
