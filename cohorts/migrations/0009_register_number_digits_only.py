"""
Register numbers are digits only, as text; the numbers stored with the spaces, dots or hyphens they were
typed with lose those, so that the register export's paste list no longer leaves their owners out.

A stored number that is still not 4 to 12 digits without them is left as it was typed: the export's
validation report names it, and the office corrects it with the participant.
"""

import re

from django.db import migrations

import cohorts.validators

# As cohorts.validators.REGISTER_NUMBER_SEPARATORS and REGISTER_NUMBER at the time of writing.
SEPARATORS = re.compile(r"[\s.\-\u2010-\u2015\u2212]+")
DIGITS = re.compile(r"^[0-9]{4,12}$")


def normalise(apps, schema_editor):
    Participant = apps.get_model("cohorts", "Participant")
    changed = []
    for participant in Participant.objects.exclude(register_number="").only("pk", "register_number").iterator():
        compact = SEPARATORS.sub("", participant.register_number)
        if compact != participant.register_number and DIGITS.match(compact):
            participant.register_number = compact
            changed.append(participant)
    Participant.objects.bulk_update(changed, ["register_number"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0008_waiting_lists_without_gaps"),
    ]

    operations = [
        migrations.AlterField(
            model_name="participant",
            name="register_number",
            field=cohorts.validators.RegisterNumberField(blank=True, max_length=20, verbose_name="register number"),
        ),
        migrations.RunPython(normalise, migrations.RunPython.noop),
    ]
