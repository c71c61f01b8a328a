"""The trainer's approval of the final assignment: recorded with when and by whom, audited, read by the outcome."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from cohorts.models import Participant
from cohorts.services import assignments, attendance
from cohorts.services.runs import CohortError
from programme.completion import Outcome

from .conftest import member
from .factories import ParticipantFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

PARTICIPANTS = reverse("admin:cohorts_participant_changelist")
MONDAY = datetime.datetime(2027, 3, 15, 14, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))


def participants(number, *, required=True):
    registration = RegistrationFactory()
    programme = registration.cohort.programme
    programme.final_assignment_required = required
    programme.save()
    return ParticipantFactory.create_batch(number, registration=registration)


def test_an_approval_records_when_and_by_whom_in_the_audit_trail():
    (anna,) = participants(1)
    trainer = member("Trainer")
    with time_machine.travel(MONDAY, tick=False):
        assert assignments.approve_final_assignment(participant=anna, by=trainer) is True
    anna.refresh_from_db()
    assert anna.final_assignment_approved_at == MONDAY
    assert anna.final_assignment_approved_by == trainer
    event = AuditEvent.objects.get(action=AuditEvent.Action.FINAL_ASSIGNMENT_APPROVAL, object_id=str(anna.pk))
    assert event.actor == trainer
    before, after = event.changes["final_assignment_approved_at"]
    assert (before, datetime.datetime.fromisoformat(after)) == (None, MONDAY)


def test_approving_again_keeps_the_first_approval():
    (anna,) = participants(1)
    first, second = member("Trainer"), member("Kantoor")
    with time_machine.travel(MONDAY, tick=False):
        assignments.approve_final_assignment(participant=anna, by=first)
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        assert assignments.approve_final_assignment(participant=anna, by=second) is False
    anna.refresh_from_db()
    assert (anna.final_assignment_approved_at, anna.final_assignment_approved_by) == (MONDAY, first)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.FINAL_ASSIGNMENT_APPROVAL).count() == 1


def test_withdrawing_an_approval_clears_it_and_is_audited():
    (anna,) = participants(1)
    trainer = member("Trainer")
    with time_machine.travel(MONDAY, tick=False):
        assignments.approve_final_assignment(participant=anna, by=trainer)
    assert assignments.withdraw_final_assignment_approval(participant=anna, by=trainer) is True
    anna.refresh_from_db()
    assert (anna.final_assignment_approved_at, anna.final_assignment_approved_by) == (None, None)
    last = AuditEvent.objects.filter(action=AuditEvent.Action.FINAL_ASSIGNMENT_APPROVAL).latest("pk")
    before, after = last.changes["final_assignment_approved_at"]
    assert (datetime.datetime.fromisoformat(before), after) == (MONDAY, None)
    assert assignments.withdraw_final_assignment_approval(participant=anna, by=trainer) is False


@pytest.mark.parametrize("status", [Participant.Status.WAITING, Participant.Status.WITHDRAWN])
def test_only_an_enrolled_participants_assignment_is_approved(status):
    registration = RegistrationFactory()
    person = ParticipantFactory(registration=registration, status=status, waitlist_number=1)
    with pytest.raises(CohortError):
        assignments.approve_final_assignment(participant=person, by=member("Trainer"))
    person.refresh_from_db()
    assert person.final_assignment_approved_at is None


def test_where_required_only_an_approved_assignment_completes_the_course():
    anna, bram = participants(2, required=True)
    assignments.approve_final_assignment(participant=anna, by=member("Trainer"))
    anna.refresh_from_db()
    programme = anna.cohort.programme
    assert attendance.outcome(participant=anna, days_attended=6, programme=programme) == Outcome.COMPLETED
    assert attendance.outcome(participant=bram, days_attended=6, programme=programme) == Outcome.ATTENDED
    # The approval does not make up for days missed.
    assert attendance.outcome(participant=anna, days_attended=2, programme=programme) == Outcome.ATTENDED


def test_where_not_required_the_approval_does_not_count():
    anna, bram = participants(2, required=False)
    assignments.approve_final_assignment(participant=anna, by=member("Trainer"))
    anna.refresh_from_db()
    programme = anna.cohort.programme
    for person in (anna, bram):
        assert attendance.outcome(participant=person, days_attended=6, programme=programme) == Outcome.COMPLETED


# --- The admin: several participants at once, by the trainer -------------------


def offered(client):
    form = client.get(PARTICIPANTS).context["action_form"]
    return {name for name, _label in form.fields["action"].choices if name}


APPROVAL_ACTIONS = {"approve_final_assignments", "withdraw_final_assignment_approvals"}


def test_the_trainer_is_offered_the_approval_and_the_office_not(client):
    client.force_login(member("Trainer"))
    assert offered(client) >= APPROVAL_ACTIONS
    client.force_login(member("Kantoor"))
    assert not APPROVAL_ACTIONS & offered(client)


def test_the_trainer_approves_several_participants_at_once(client):
    anna, bram, cees = participants(3)
    trainer = member("Trainer")
    with time_machine.travel(MONDAY, tick=False):
        client.force_login(trainer)
        page = client.post(
            PARTICIPANTS,
            {"action": "approve_final_assignments", "_selected_action": [anna.pk, bram.pk]},
            follow=True,
        )
    assert "2 eindopdrachten goedgekeurd." in page.content.decode()
    approved = dict(Participant.objects.values_list("pk", "final_assignment_approved_at"))
    assert approved == {anna.pk: MONDAY, bram.pk: MONDAY, cees.pk: None}
    assert set(
        AuditEvent.objects.filter(action=AuditEvent.Action.FINAL_ASSIGNMENT_APPROVAL).values_list("actor", flat=True)
    ) == {trainer.pk}


def test_the_admin_says_whose_assignment_cannot_be_approved(client):
    (anna,) = participants(1)
    waiting = ParticipantFactory(registration=anna.registration, status=Participant.Status.WAITING, waitlist_number=1)
    client.force_login(member("Trainer"))
    page = client.post(
        PARTICIPANTS, {"action": "approve_final_assignments", "_selected_action": [anna.pk, waiting.pk]}, follow=True
    )
    text = page.content.decode()
    assert waiting.full_name in text
    assert "1 eindopdracht goedgekeurd." in text
    waiting.refresh_from_db()
    assert waiting.final_assignment_approved_at is None


def test_the_office_cannot_approve_by_posting_the_action(client):
    (anna,) = participants(1)
    client.force_login(member("Kantoor"))
    client.post(PARTICIPANTS, {"action": "approve_final_assignments", "_selected_action": [anna.pk]})
    anna.refresh_from_db()
    assert anna.final_assignment_approved_at is None


def test_the_approval_cannot_be_typed_into_the_participant_form(client):
    (anna,) = participants(1)
    client.force_login(member("Trainer"))
    form = client.get(reverse("admin:cohorts_participant_change", args=[anna.pk])).context["adminform"].form
    assert "final_assignment_approved_at" not in form.fields
    assert "final_assignment_approved_by" not in form.fields


def test_the_trainer_finds_the_run_s_participants_still_to_approve(client):
    anna, bram = participants(2)
    trainer = member("Trainer")
    assignments.approve_final_assignment(participant=anna, by=trainer)
    client.force_login(trainer)
    page = client.get(
        PARTICIPANTS, {"cohort__id__exact": anna.cohort_id, "final_assignment_approved_at__isnull": "True"}
    )
    assert [p.pk for p in page.context["cl"].result_list] == [bram.pk]
