"""
Every session made before two-factor login is ended once, so that each staff member logs in again with both.

A session opened with a password alone would otherwise stay valid (for up
to the old two weeks). Visitors lose nothing: the public pages keep nothing
in a session that matters.
"""

from django.db import migrations


def end_sessions(apps, schema_editor):
    apps.get_model("sessions", "Session").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("verbindend", "0003_outbox_for_the_office_only"), ("sessions", "0001_initial")]
    operations = [migrations.RunPython(end_sessions, migrations.RunPython.noop)]
