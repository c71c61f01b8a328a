"""An explicit erased-at for participants and board contacts, set for those erased before by their address."""

from django.db import migrations, models


def mark_erased(apps, schema_editor):
    # Before this field, an erased person was known by the address erasure gave them.
    Participant = apps.get_model("cohorts", "Participant")
    Registration = apps.get_model("cohorts", "Registration")
    Participant.objects.filter(email__endswith="@verbindend.invalid").update(erased_at=models.F("created_at"))
    Registration.objects.filter(contact_email__endswith="@verbindend.invalid").update(
        erased_at=models.F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [("cohorts", "0009_register_number_digits_only")]

    operations = [
        migrations.AddField(
            model_name="participant",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="erased"),
        ),
        migrations.AddField(
            model_name="registration",
            name="erased_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="erased"),
        ),
        migrations.RunPython(mark_erased, migrations.RunPython.noop),
    ]
