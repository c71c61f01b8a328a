"""The trainer reviews the final assignment: approval counts toward the outcome, the participant is told."""

import datetime

import pytest
from django.contrib.auth.models import Group, User

from audit.models import AuditEvent
from cohorts.models import Participant
from conftest import FIXED_NOW
from mail.models import OutgoingMail
from materials.models import Submission
from materials.services import MaterialsError, assignments
from programme.completion import Outcome, outcome

from .factories import page_path, run_with_participants, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
TODAY = FIXED_NOW.date()


@pytest.fixture
def reviewer():
    user = User.objects.create_user("jan", is_staff=True)
    user.groups.add(Group.objects.get(name="Trainer"))
    return user


def result(participant):
    participant = Participant.objects.select_related("cohort__programme").get(pk=participant.pk)
    return outcome(
        programme=participant.cohort.programme,
        days_attended=6,
        final_assignment_approved=participant.final_assignment_approved,
    )


def test_the_approval_counts_toward_the_outcome(reviewer):
    (anna,) = run_with_participants(first=TODAY - datetime.timedelta(weeks=6))
    submission = submitted(anna)
    assert result(anna) == Outcome.ATTENDED
    assignments.approve_submission(submission=submission, by=reviewer)
    anna.refresh_from_db()
    assert anna.final_assignment_approved_by == reviewer
    assert result(anna) == Outcome.COMPLETED
    assert Submission.objects.get().status == Submission.Status.APPROVED


def test_an_approved_assignment_is_not_replaced(reviewer):
    (anna,) = run_with_participants(first=TODAY)
    assignments.approve_submission(submission=submitted(anna), by=reviewer)
    with pytest.raises(MaterialsError):
        submitted(anna, name="nieuw.pdf")
    assert Submission.objects.get().filename == "opdracht.pdf"


def test_a_returned_assignment_shows_its_feedback_and_can_be_uploaded_again(client, reviewer):
    (anna,) = run_with_participants(first=TODAY)
    assignments.return_final_assignment(submission=submitted(anna), feedback="Werk de casus verder uit.", by=reviewer)
    page = client.get(page_path(anna)).content.decode()
    assert "teruggegeven met feedback" in page
    assert "Werk de casus verder uit." in page
    assert "Upload een nieuwe versie" in page
    assert submitted(anna, name="versie2.pdf").status == Submission.Status.SUBMITTED


def test_returning_and_approving_are_in_the_audit_trail_without_the_feedback(reviewer):
    (anna,) = run_with_participants(first=TODAY)
    assignments.return_final_assignment(submission=submitted(anna), feedback="Werk de casus verder uit.", by=reviewer)
    assignments.approve_submission(submission=submitted(anna, name="v2.pdf"), by=reviewer)
    events = AuditEvent.objects.filter(object_type="cohorts.Participant", object_id=str(anna.pk)).order_by("pk")
    assert [(event.action, event.actor) for event in events] == [
        (AuditEvent.Action.FINAL_ASSIGNMENT_RETURNED, reviewer),
        (AuditEvent.Action.FINAL_ASSIGNMENT_APPROVAL, reviewer),
    ]
    assert "eindopdracht teruggegeven met feedback" in str(events[0])
    assert not any("casus" in event.detail + str(event.changes) for event in events)


def test_returning_needs_feedback(reviewer):
    (anna,) = run_with_participants(first=TODAY)
    with pytest.raises(MaterialsError, match="Schrijf de feedback"):
        assignments.return_final_assignment(submission=submitted(anna), feedback="  ", by=reviewer)


def test_the_participant_is_mailed_in_their_language_when_returned_and_when_approved(reviewer):
    (anna,) = run_with_participants(first=TODAY)
    assignments.return_final_assignment(submission=submitted(anna), feedback="Nog één bron.", by=reviewer)
    assignments.approve_submission(submission=submitted(anna, name="v2.pdf"), by=reviewer)
    mails = OutgoingMail.objects.filter(template__startswith="materials/").order_by("pk")
    subjects = list(mails.values_list("subject", flat=True))
    assert subjects == ["Uw eindopdracht is teruggegeven met feedback", "Uw eindopdracht is goedgekeurd"]
    assert [mail.to for mail in mails] == [[anna.email], [anna.email]]
    assert "Nog één bron." in mails[0].body_text
    assert page_path(anna) in mails[0].body_text


def test_the_page_shows_the_approved_state_without_an_upload_form(client, reviewer):
    (anna,) = run_with_participants(first=TODAY)
    assignments.approve_submission(submission=submitted(anna), by=reviewer)
    page = client.get(page_path(anna)).content.decode()
    assert "goedgekeurd" in page
    assert 'name="file"' not in page
