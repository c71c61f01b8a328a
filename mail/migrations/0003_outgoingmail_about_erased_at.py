"""
Outbox rows record whom they are about, and when they were erased.

Existing rows: `about` is filled where the idempotency key names the person
(a participant's or a contact's e-mails); for the rest, erasure falls back to
the person's address in the recipients, reply-to and text. Rows that an
erasure or retention emptied before get `erased_at`.
"""

import re

from django.db import migrations, models

# Key patterns of rows queued before `about`, and the person each names.
PATTERNS = [
    (re.compile(r"^participant_(?:welcome|waiting|promoted):(\d+):"), "cohorts.participant"),
    (re.compile(r"^reminder:(\d+):"), "cohorts.participant"),
    (re.compile(r"^day-changed:\d+:\d+:(\d+)$"), "cohorts.participant"),
    (re.compile(r"^(?:cohort|courseday)-[\w-]+:.*:participant-(\d+)$"), "cohorts.participant"),
    (re.compile(r"^registration-(?:received|notification|placed):(\d+)"), "cohorts.registration"),
    (re.compile(r"^reminder-board:(\d+):"), "cohorts.registration"),
    (re.compile(r"^day-changed-board:\d+:\d+:(\d+)$"), "cohorts.registration"),
    (re.compile(r"^(?:cohort|courseday|go-no-go)-?[\w-]*:.*:contact-(\d+)$"), "cohorts.registration"),
]


def about_from_key(key: str) -> list[str]:
    for pattern, label in PATTERNS:
        match = pattern.search(key)
        if match:
            return [f"{label}:{match.group(1)}"]
    return []


def fill(apps, schema_editor):
    OutgoingMail = apps.get_model("mail", "OutgoingMail")
    erased_subjects = ["[gewist]", "[verwijderd]"]
    OutgoingMail.objects.filter(subject__in=erased_subjects).update(erased_at=models.F("created_at"))
    rows = []
    for mail in OutgoingMail.objects.exclude(subject__in=erased_subjects).only("pk", "key").iterator():
        about = about_from_key(mail.key)
        if about:
            mail.about = about
            rows.append(mail)
    OutgoingMail.objects.bulk_update(rows, ["about"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("mail", "0002_attachment_invitation_method")]

    operations = [
        migrations.AddField(
            model_name="outgoingmail",
            name="about",
            field=models.JSONField(blank=True, default=list, verbose_name="about"),
        ),
        migrations.AddField(
            model_name="outgoingmail",
            name="erased_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="erased"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
