"""
The final assignment as an approval (when, by whom) instead of a bare "done".

A participant marked done before this migration is approved at the time the
migration runs, by nobody known: the old field kept neither. The Trainer group
gets the permission to approve.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.utils import timezone


def approve_those_done(apps, schema_editor):
    Participant = apps.get_model("cohorts", "Participant")
    Participant.objects.filter(final_assignment_done=True).update(final_assignment_approved_at=timezone.now())


def mark_those_approved_done(apps, schema_editor):
    Participant = apps.get_model("cohorts", "Participant")
    Participant.objects.filter(final_assignment_approved_at__isnull=False).update(final_assignment_done=True)


def grant_trainers(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    approve = Permission.objects.get(content_type__app_label="cohorts", codename="approve_final_assignment")
    for trainers in Group.objects.filter(name="Trainer"):
        trainers.permissions.add(approve)


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0012_backstops"),
        ("verbindend", "0001_staff_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="participant",
            options={
                "ordering": ["last_name", "first_name"],
                "permissions": [
                    ("erase_participant", "Can erase a person's data (participants and contacts)"),
                    ("approve_final_assignment", "Can approve final assignments"),
                ],
                "verbose_name": "participant",
                "verbose_name_plural": "participants",
            },
        ),
        migrations.AddField(
            model_name="participant",
            name="final_assignment_approved_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="final assignment approved at"),
        ),
        migrations.AddField(
            model_name="participant",
            name="final_assignment_approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="final assignment approved by",
            ),
        ),
        migrations.RunPython(approve_those_done, mark_those_approved_done),
        migrations.RemoveField(model_name="participant", name="final_assignment_done"),
        migrations.RunPython(grant_trainers, migrations.RunPython.noop),
    ]
