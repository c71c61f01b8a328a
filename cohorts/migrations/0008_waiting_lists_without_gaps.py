"""
Number every waiting list 1..n again.

Withdrawals from the waiting list and promotions used to leave gaps (numbers
2 and 3 of a list of two); the services now renumber under the run's lock.
This closes the gaps that are already there, keeping each list's order.
"""

from django.db import migrations


def renumber(apps, schema_editor):
    Participant = apps.get_model("cohorts", "Participant")
    waiting = Participant.objects.filter(status="waiting").order_by("cohort_id", "waitlist_number", "pk")
    position, cohort_id = 0, None
    for pk, cohort, number in waiting.values_list("pk", "cohort_id", "waitlist_number"):
        position = 1 if cohort != cohort_id else position + 1
        cohort_id = cohort
        if number != position:
            Participant.objects.filter(pk=pk).update(waitlist_number=position)


class Migration(migrations.Migration):
    dependencies = [
        ("cohorts", "0007_erase_permission"),
    ]

    operations = [
        migrations.RunPython(renumber, migrations.RunPython.noop),
    ]
