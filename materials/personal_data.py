"""
The personal data materials holds: a participant's final assignment, its file and the trainer's feedback.

Erasing a participant deletes the file from the storage and empties the
row's personal content (file name, feedback); the row keeps its status, the
completion record that cohorts keeps too. Retention erases the participants
that cohorts finds past their period, and then deletes their rows.
"""

import datetime

from django.db import transaction

from cohorts.models import Participant
from verbindend.personal_data import PersonalDataHandler, Subject

from .models import Submission
from .storage import private_storage

PARTICIPANT = Participant._meta.label_lower


def _participant_ids(subjects: list[Subject]) -> list[int]:
    return [s.pk for s in subjects if s.label == PARTICIPANT]


def _delete_files(names: list[str]) -> None:
    storage = private_storage()

    def delete():
        for name in names:
            storage.delete(name)

    # After commit: an erasure that rolls back keeps the files its rows name.
    transaction.on_commit(delete)


class MaterialsHandler(PersonalDataHandler):
    app_label = "materials"

    def export(self, subject: Subject) -> dict:
        if subject.label != PARTICIPANT:
            return {}
        submission = Submission.objects.filter(participant_id=subject.pk).first()
        if submission is None:
            return {}
        return {
            "final_assignment": {
                "file_name": submission.filename,
                "uploaded_at": submission.uploaded_at.isoformat(),
                "status": submission.status,
                "feedback": submission.feedback,
            }
        }

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        ids = _participant_ids(subjects)
        if not ids:
            return
        # One query when none of them uploaded anything; two, and the files, when they did.
        rows = list(Submission.objects.filter(participant_id__in=ids).values_list("pk", "file"))
        if not rows:
            return
        Submission.objects.filter(pk__in=[pk for pk, _name in rows]).update(
            file="", filename="", feedback="", size=0, erased_at=now
        )
        _delete_files([name for _pk, name in rows if name])

    def expire(self, now: datetime.datetime, *, dry_run: bool) -> dict[str, int]:
        # The participants past their period were erased first (cohorts' `due`): their rows go now.
        erased = Submission.objects.filter(participant__erased_at__isnull=False)
        count = erased.count()
        if not dry_run and count:
            names = list(erased.exclude(file="").values_list("file", flat=True))
            erased.delete()
            if names:
                _delete_files(names)
        return {"final_assignments": count}
