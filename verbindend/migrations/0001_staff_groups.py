"""
The staff groups, least privilege first.

Trainer: plans intakes and course runs, takes attendance, issues certificates.
Kantoor (the office): handles registrations and boards, exports to the
register, revokes certificates, keeps the accreditations, reads the audit
trail and the outbox. A superuser is for setting up only.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TRAINER = {
    "cohorts": {
        "board": ["view", "change"],
        "registration": ["view", "add", "change"],
        "intakeappointment": ["view", "add", "change"],
        "cohort": ["view", "add", "change"],
        "courseday": ["view", "add", "change"],
        "participant": ["view", "change"],
        "attendance": ["view", "add", "change"],
    },
    "programme": {"programme": ["view"], "programmeday": ["view"]},
    "registry": {"accreditation": ["view"], "certificate": ["view", "add"], "completedcohort": ["view"]},
    "mail": {"outgoingmail": ["view"]},
}
KANTOOR = {
    "cohorts": {
        "board": ["view", "change"],
        "registration": ["view", "change"],
        "intakeappointment": ["view"],
        "cohort": ["view"],
        "courseday": ["view"],
        "participant": ["view", "change"],
        "attendance": ["view"],
    },
    "programme": {"programme": ["view"], "programmeday": ["view"]},
    "registry": {
        "accreditation": ["view", "add", "change"],
        "certificate": ["view", "change"],
        "completedcohort": ["view"],
        "registerexport": ["view", "add"],
    },
    "mail": {"outgoingmail": ["view", "change"]},
    "audit": {"auditevent": ["view"]},
}


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("Trainer", TRAINER), ("Kantoor", KANTOOR)):
        group, _created = Group.objects.get_or_create(name=name)
        codenames = [
            (app, f"{action}_{model}") for app, models in grants.items() for model, actions in models.items() for action in actions
        ]
        permissions = [Permission.objects.get(content_type__app_label=app, codename=codename) for app, codename in codenames]
        group.permissions.set(permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cohorts", "0006_calendar_feed"),
        ("registry", "0004_register_export"),
        ("mail", "0001_initial"),
        ("audit", "0001_initial"),
        ("programme", "0003_code_prefix"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
