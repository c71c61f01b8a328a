"""
The outbox belongs to Kantoor alone, as the README's "Staff and permissions" says.

Its bodies hold every board's and participant's personal link, so reading
them is reading everyone's keys; the trainer plans and teaches and has no
need of them (0001 gave Trainer the view permission).
"""

from django.db import migrations

OUTBOX = ("mail", "view_outgoingmail")


def take_from_trainer(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(content_type__app_label=OUTBOX[0], codename=OUTBOX[1]).first()
    trainer = Group.objects.filter(name="Trainer").first()
    if permission and trainer:
        trainer.permissions.remove(permission)


def give_back_to_trainer(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.filter(content_type__app_label=OUTBOX[0], codename=OUTBOX[1]).first()
    trainer = Group.objects.filter(name="Trainer").first()
    if permission and trainer:
        trainer.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("verbindend", "0002_office_erases")]
    operations = [migrations.RunPython(take_from_trainer, give_back_to_trainer)]
