"""Where the programme requires the final assignment, the certificate and the paste list follow its approval."""

import pytest
from django.contrib.auth.models import Group, User

from cohorts.services import assignments
from registry import exports, services
from registry.models import Certificate

from .conftest import completed_run

pytestmark = pytest.mark.django_db


def run_where_required(*, required):
    """A completed run where Anna and Bram attended every day; only Anna's final assignment is approved."""
    cohort, people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7)})
    cohort.programme.final_assignment_required = required
    cohort.programme.save()
    for name, number in (("Anna", "0012345"), ("Bram", "0098765")):
        people[name].register_number = number
        people[name].save()
    trainer = User.objects.create_user("trainer", is_staff=True)
    trainer.groups.add(Group.objects.get(name="Trainer"))
    assignments.approve_final_assignment(participant=people["Anna"], by=trainer)
    return cohort, people


def test_where_required_only_the_approved_get_a_certificate_of_completion(accreditation):
    cohort, _people = run_where_required(required=True)
    services.issue_cohort_certificates(cohort=cohort)
    kinds = {c.participant.first_name: c.kind for c in Certificate.objects.all()}
    assert kinds == {"Anna": Certificate.Kind.CERTIFICATE, "Bram": Certificate.Kind.ATTENDANCE}


def test_where_not_required_everyone_who_attended_enough_gets_one(accreditation):
    cohort, _people = run_where_required(required=False)
    services.issue_cohort_certificates(cohort=cohort)
    kinds = {c.participant.first_name: c.kind for c in Certificate.objects.all()}
    assert kinds == {"Anna": Certificate.Kind.CERTIFICATE, "Bram": Certificate.Kind.CERTIFICATE}


def test_where_required_the_paste_list_has_only_the_approved(accreditation):
    cohort, _people = run_where_required(required=True)
    assert exports.paste_list(exports.export_rows(cohort)).splitlines() == ["0012345"]


def test_where_not_required_the_paste_list_has_everyone_who_completed(accreditation):
    cohort, _people = run_where_required(required=False)
    assert exports.paste_list(exports.export_rows(cohort)).splitlines() == ["0012345", "0098765"]


def test_an_approval_withdrawn_takes_the_participant_off_the_paste_list(accreditation):
    cohort, people = run_where_required(required=True)
    assignments.withdraw_final_assignment_approval(participant=people["Anna"], by=None)
    assert exports.paste_list(exports.export_rows(cohort)) == ""
