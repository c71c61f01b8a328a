"""
The personal data in the audit trail: the events about a person keep what was done, when and by whom.

Audit events are never changed, except here: erasure removes the person's
name (the label the event was recorded with), the values that changed (a
register number before and after), the notes in an attendance grid's cells
and the address of what the person did themselves. The trail of the
admin (Django's LogEntry) loses the name the same way.
"""

import datetime
from functools import reduce
from operator import or_

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from verbindend.personal_data import PersonalDataHandler, Subject

from .models import AuditEvent

ERASED_LABEL = "[gewist]"


def _by_label(subjects: list[Subject]) -> dict[str, list[int]]:
    labels = {}
    for subject in subjects:
        labels.setdefault(subject.label, []).append(subject.pk)
    return labels


def _scrub_cells(subjects: list[Subject]) -> None:
    """Empty the notes of an erased participant in the attendance grids' events."""
    participants = {s.pk for s in subjects if s.label == "cohorts.participant"}
    if not participants:
        return
    grids = AuditEvent.objects.filter(action=AuditEvent.Action.ATTENDANCE_CHANGED).values_list("pk", "changes")
    changed = []
    for pk, changes in grids:
        cells = changes.get("cells", [])
        scrubbed = [
            {**cell, "before": {**cell["before"], "note": ""}, "after": {**cell["after"], "note": ""}}
            if cell.get("participant") in participants
            else cell
            for cell in cells
        ]
        if scrubbed != cells:
            changed.append(AuditEvent(pk=pk, changes={**changes, "cells": scrubbed}))
    # One UPDATE for them all; bulk_update does not call the model's save.
    AuditEvent.objects.bulk_update(changed, ["changes"])


class AuditHandler(PersonalDataHandler):
    app_label = "audit"

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        about = []
        logged = []
        for label, pks in _by_label(subjects).items():
            model = apps.get_model(label)
            ids = [str(pk) for pk in pks]
            about.append(Q(object_type=model._meta.label, object_id__in=ids))
            logged.append(Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids))
        if not about:
            return
        events = AuditEvent.objects.filter(reduce(or_, about))
        # A queryset update: the model refuses to save a changed event.
        events.update(object_label=ERASED_LABEL, changes={})
        events.filter(actor__isnull=True).update(address=None)
        LogEntry.objects.filter(reduce(or_, logged)).update(object_repr=ERASED_LABEL, change_message="")
        _scrub_cells(subjects)
