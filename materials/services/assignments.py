"""
The final assignment: the participant uploads it, the trainer approves it or returns it with feedback.

An approval goes through `cohorts.services.assignments.approve_final_assignment`,
which records it on the participant, where the completion rule reads it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from cohorts.models import Participant
from cohorts.services import assignments as cohort_assignments
from cohorts.services import links
from cohorts.services.runs import CohortError
from mail.services.queueing import queue_email

from ..models import Submission
from ..validators import ASSIGNMENT_TYPES, content_type, validate_upload
from . import MaterialsError
from .files import delete_after_commit


def can_submit(participant: Participant, submission: Submission | None) -> bool:
    """Return whether the participant may upload their final assignment now (again, while it is not approved)."""
    return (
        participant.cohort.programme.final_assignment_required
        and participant.status == Participant.Status.ENROLLED
        and not participant.final_assignment_approved
        and (submission is None or submission.status != Submission.Status.APPROVED)
    )


@transaction.atomic
def submit_final_assignment(*, participant: Participant, upload) -> Submission:
    """
    Store a participant's final assignment, replacing an earlier upload that is not approved yet.

    :raises MaterialsError: the programme asks for none, the participant is not enrolled, it is approved
        already, or the file is empty, too large or not a PDF, DOCX or ODT file by its content
    """
    participant = Participant.objects.select_for_update().select_related("cohort__programme").get(pk=participant.pk)
    submission = Submission.objects.filter(participant=participant).first()
    if not can_submit(participant, submission):
        raise MaterialsError(_("You cannot upload a final assignment (any more)."))
    try:
        kind = validate_upload(upload, allowed=ASSIGNMENT_TYPES, max_bytes=settings.ASSIGNMENT_MAX_BYTES)
    except ValidationError as error:
        raise MaterialsError(" ".join(error.messages)) from None
    submission = submission or Submission(participant=participant)
    replaced = submission.file.name if submission.file else ""
    submission.file.save(upload.name, upload, save=False)
    submission.filename = upload.name.rsplit("/", 1)[-1][:200]
    submission.content_type = content_type(kind)
    submission.size = upload.size
    submission.uploaded_at = timezone.now()
    submission.status = Submission.Status.SUBMITTED
    submission.feedback = ""
    submission.reviewed_at = None
    submission.reviewed_by = None
    submission.full_clean()
    submission.save()
    delete_after_commit(replaced)
    return submission


@transaction.atomic
def return_final_assignment(*, submission: Submission, feedback: str, by, request=None) -> Submission:
    """
    Return a submitted final assignment to the participant with the trainer's feedback, and tell them by e-mail.

    :raises MaterialsError: no feedback, or the assignment is not awaiting review
    """
    submission = _locked(submission)
    if not feedback.strip():
        raise MaterialsError(_("Write the feedback that the participant gets with the returned assignment."))
    if submission.status != Submission.Status.SUBMITTED:
        raise MaterialsError(
            _("The final assignment of %(name)s is not awaiting review.") % {"name": submission.participant.full_name}
        )
    _review(submission, status=Submission.Status.RETURNED, feedback=feedback.strip(), by=by)
    # On the participant, so that erasing them scrubs the event; the feedback stays on the submission only.
    audit.record(
        action=AuditEvent.Action.FINAL_ASSIGNMENT_RETURNED, obj=submission.participant, actor=by, request=request
    )
    _tell(submission, "assignment_returned")
    return submission


@transaction.atomic
def approve_submission(*, submission: Submission, by, feedback: str = "", request=None) -> Submission:
    """
    Approve a submitted final assignment: it counts toward the outcome from now on; the participant is told.

    :raises MaterialsError: the assignment is not awaiting review, or the participant is not enrolled
    """
    submission = _locked(submission)
    if submission.status != Submission.Status.SUBMITTED:
        raise MaterialsError(
            _("The final assignment of %(name)s is not awaiting review.") % {"name": submission.participant.full_name}
        )
    try:
        cohort_assignments.approve_final_assignment(participant=submission.participant, by=by, request=request)
    except CohortError as error:
        raise MaterialsError(str(error)) from None
    _review(submission, status=Submission.Status.APPROVED, feedback=feedback.strip(), by=by)
    _tell(submission, "assignment_approved")
    return submission


def _locked(submission: Submission) -> Submission:
    return (
        Submission.objects.select_for_update(of=("self",))
        .select_related("participant__cohort__programme")
        .get(pk=submission.pk)
    )


def _review(submission: Submission, *, status: str, feedback: str, by) -> None:
    submission.status = status
    submission.feedback = feedback
    submission.reviewed_at = timezone.now()
    submission.reviewed_by = by
    submission.save(update_fields=["status", "feedback", "reviewed_at", "reviewed_by"])


def _tell(submission: Submission, template: str) -> None:
    participant = submission.participant
    queue_email(
        to=participant.email,
        template=f"materials/mail/{template}",
        context={
            "participant": participant,
            "submission": submission,
            "programme": participant.cohort.programme,
            "page_url": links.participant_page_url(participant),
        },
        key=f"{template}:{submission.pk}:{submission.reviewed_at.timestamp()}",
        language=participant.language,
        about=[participant],
    )
