from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    office = Group.objects.get(name="Kantoor")
    office.permissions.add(Permission.objects.get(content_type__app_label="cohorts", codename="erase_participant"))


class Migration(migrations.Migration):
    dependencies = [("verbindend", "0001_staff_groups"), ("cohorts", "0007_erase_permission")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
