"""
The personal data evaluations holds: that a participant was asked a form, and whether they answered.

The answers are no one's: they name no person, so a person's download has
none of them and an erasure leaves them, as anonymous as they were. What
names the person is their invitations, with their personal links' keys;
erasure (and so retention, which erases the people past their period)
deletes those.
"""

import datetime

from cohorts.models import Participant
from verbindend.personal_data import PersonalDataHandler, Subject

from .models import Invitation

PARTICIPANT = Participant._meta.label_lower


class EvaluationsHandler(PersonalDataHandler):
    app_label = "evaluations"

    def export(self, subject: Subject) -> dict:
        if subject.label != PARTICIPANT:
            return {}
        invitations = (
            Invitation.objects.filter(participant_id=subject.pk)
            .select_related("course_day__programme_day")
            .order_by("sent_on", "pk")
        )
        return {
            "evaluations": [
                {
                    "form": "day" if i.course_day else "end",
                    "day": i.course_day.programme_day.number if i.course_day else None,
                    "sent_on": i.sent_on.isoformat(),
                    "answered": i.answered,
                }
                for i in invitations
            ]
        }

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        pks = [s.pk for s in subjects if s.label == PARTICIPANT]
        if pks:
            Invitation.objects.filter(participant_id__in=pks).delete()
