"""
Who a register expects a number of, per role and register, as the office keeps it in the admin.

A leader outside every register still gets their certificate, but is asked
for no number on their page, is never "missing" one in the validation report
and is never in the paste list; a leader in a register without a number is
reported as missing. The participant page and the export read the same rule.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from cohorts.models import Participant, Sector
from cohorts.services import attendance, enrolment, links, runs
from cohorts.services.attendance import AttendanceEntry
from cohorts.tests.factories import BoardFactory, RegistrationFactory, participant_data, scheduled_days
from programme.models import Programme
from public_pages.forms import OwnDetailsForm
from registry import exports, selectors, services
from registry.models import Certificate, RegisterRule

from .conftest import FIRST_DAY

pytestmark = pytest.mark.django_db

NUMBER = "0012345"

# What the issue says is known of the registers today, as seeded: (board's sector, role) -> expected a number.
PO_REGISTER = ["directeur", "adjunct_directeur", "meerscholendirecteur", "locatieleider", "bovenschools_directeur"]
NOT_PO_REGISTER = ["bestuurder", "intern_begeleider", "bouwcoordinator", "teamleider", "other"]
VO_REGISTER = ["rector", "conrector", "centrale_directie", "teamleider", "afdelingsleider"]
NOT_VO_REGISTER = ["bestuurder", "other"]
CASES = (
    [(Sector.PO, role, True) for role in PO_REGISTER]
    + [(Sector.PO, role, False) for role in NOT_PO_REGISTER]
    + [(Sector.VO, role, True) for role in VO_REGISTER]
    + [(Sector.VO, role, False) for role in NOT_VO_REGISTER]
)


def completed_run(*, sector: str, role: str):
    """A completed run of one board made through the services: two leaders of `role`, one with a number."""
    Programme.objects.filter(slug="verbindend-leiderschap").update(min_participants=1)
    registration = RegistrationFactory(board=BoardFactory(sector=sector))
    cohort = registration.cohort
    with_number, without = enrolment.enroll_participants(
        registration=registration, rows=[participant_data(n, role=role) for n in range(2)]
    )
    enrolment.update_own_details(participant=with_number, data={"register_number": NUMBER})
    scheduled_days(cohort, first=FIRST_DAY, weeks_apart=2, replaying=True, end=datetime.time(16))
    runs.confirm_cohort(cohort=cohort)
    attendance.record_attendance(
        cohort=cohort,
        entries=[AttendanceEntry(p.pk, day.pk, "present") for p in (with_number, without) for day in cohort.days.all()],
        recorded_by=None,
    )
    runs.complete_cohort(cohort=cohort)
    return cohort, with_number, without


def page_path(participant: Participant) -> str:
    return links.participant_page_url(participant).removeprefix("http://127.0.0.1:8000")


@pytest.mark.parametrize(("sector", "role", "expected"), CASES)
def test_the_seeded_rules_decide_the_paste_list_and_the_missing_numbers(sector, role, expected, accreditation):
    cohort, with_number, without = completed_run(sector=sector, role=role)
    rows = exports.export_rows(cohort)
    with translation.override("nl"):
        problems = exports.validation_report(cohort, rows)
    assert exports.paste_list(rows).splitlines() == ([NUMBER] if expected else [])
    assert any(without.full_name in problem for problem in problems) is expected
    assert not any(with_number.full_name in problem for problem in problems)
    assert [row["participant_id"] for row in exports.outside_the_registers(rows)] == (
        [] if expected else sorted([with_number.pk, without.pk])
    )


@pytest.mark.parametrize(("sector", "role", "expected"), CASES)
def test_the_participant_page_asks_for_a_number_only_within_a_register(client, sector, role, expected):
    registration = RegistrationFactory(board=BoardFactory(sector=sector))
    (participant,) = enrolment.enroll_participants(registration=registration, rows=[participant_data(role=role)])
    page = client.get(page_path(participant)).content.decode()
    assert ('name="register_number"' in page) is expected
    assert selectors.expects_register_number(participant) is expected


@pytest.mark.parametrize(("sector", "role", "expected"), CASES)
def test_outside_a_register_the_certificate_is_issued_all_the_same(sector, role, expected, accreditation):
    cohort, with_number, without = completed_run(sector=sector, role=role)
    services.issue_cohort_certificates(cohort=cohort)
    issued = Certificate.objects.filter(participant__cohort=cohort, kind=Certificate.Kind.CERTIFICATE)
    assert set(issued.values_list("participant", flat=True)) == {with_number.pk, without.pk}


def test_a_number_not_asked_for_is_left_as_it_is_when_the_page_is_saved(client):
    registration = RegistrationFactory()
    (participant,) = enrolment.enroll_participants(
        registration=registration, rows=[participant_data(role=Participant.Role.INTERN_BEGELEIDER)]
    )
    enrolment.update_own_details(participant=participant, data={"register_number": NUMBER})
    data = {"action": "details", "initials": "J.", "first_name": "Jeroen", "tussenvoegsel": "", "last_name": "Vos"}
    assert client.post(page_path(participant), {**data, "register_number": "999"}).status_code == 302
    participant.refresh_from_db()
    assert (participant.last_name, participant.register_number) == ("Vos", NUMBER)


def test_the_office_changes_who_is_expected_and_every_reader_follows(client, accreditation):
    cohort, with_number, without = completed_run(sector=Sector.PO, role=Participant.Role.TEAMLEIDER)
    assert exports.paste_list(exports.export_rows(cohort)) == ""
    rule = RegisterRule.objects.get(register="po")
    rule.roles = [*rule.roles, Participant.Role.TEAMLEIDER]
    rule.full_clean()
    rule.save()
    rows = exports.export_rows(cohort)
    assert exports.paste_list(rows).splitlines() == [NUMBER]
    assert any(without.full_name in problem for problem in exports.validation_report(cohort, rows))
    assert 'name="register_number"' in client.get(page_path(with_number)).content.decode()


def test_a_board_of_both_sectors_is_served_by_either_register():
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.BOTH))
    rector, bestuurder = enrolment.enroll_participants(
        registration=registration,
        rows=[participant_data(0, role="rector"), participant_data(1, role="bestuurder")],
    )
    rules = selectors.register_rules_for(Participant.objects.select_related("registration__board"))
    assert (rules[rector.pk].register, rules[bestuurder.pk]) == ("vo", None)


# --- The register number rule per register -------------------------------------


def po_rule(**changes) -> RegisterRule:
    rule = RegisterRule.objects.get(register="po")
    for field, value in changes.items():
        setattr(rule, field, value)
    rule.full_clean()
    rule.save()
    return rule


def own_details(participant, number: str) -> OwnDetailsForm:
    data = {"initials": "J.", "first_name": "Jeroen", "tussenvoegsel": "", "last_name": "Vos"}
    return OwnDetailsForm({**data, "register_number": number}, instance=participant)


@pytest.mark.parametrize("number", ["1", "12", "0012345", "00123456789012345"])
def test_by_default_a_number_is_digits_of_any_length_with_its_leading_zeros(number):
    (participant,) = enrolment.enroll_participants(registration=RegistrationFactory(), rows=[participant_data()])
    form = own_details(participant, number)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["register_number"] == number


def test_by_default_letters_are_refused_in_dutch():
    (participant,) = enrolment.enroll_participants(registration=RegistrationFactory(), rows=[participant_data()])
    with translation.override("nl"):
        form = own_details(participant, "12AB")
        assert not form.is_valid()
        assert form.errors["register_number"] == [
            "Een nummer in het Schoolleidersregister PO bestaat alleen uit cijfers; voorloopnullen blijven staan."
        ]


def test_the_office_sets_a_pattern_and_the_page_and_the_export_check_it(accreditation):
    po_rule(number_pattern=r"P[0-9]{6}", number_example="P012345")
    (participant,) = enrolment.enroll_participants(registration=RegistrationFactory(), rows=[participant_data()])
    with translation.override("nl"):
        form = own_details(participant, "0012345")
        assert not form.is_valid()
        assert "P012345" in form.errors["register_number"][0]
        assert "0012345" in form.errors["register_number"][0]
    assert own_details(participant, "P012345").is_valid()
    cohort, with_number, _without = completed_run(sector=Sector.PO, role="directeur")
    rows = exports.export_rows(cohort)
    assert exports.paste_list(rows) == ""
    with translation.override("nl"):
        assert any(
            with_number.full_name in problem and NUMBER in problem and "Schoolleidersregister PO" in problem
            for problem in exports.validation_report(cohort, rows)
        )


def test_a_vo_number_is_checked_by_the_vo_rule_not_the_po_rule():
    po_rule(number_pattern=r"[0-9]{3}")
    registration = RegistrationFactory(board=BoardFactory(sector=Sector.VO))
    (participant,) = enrolment.enroll_participants(registration=registration, rows=[participant_data(role="rector")])
    assert own_details(participant, NUMBER).is_valid()


def test_the_admin_refuses_a_pattern_that_is_not_a_regular_expression(admin_client):
    rule = RegisterRule.objects.get(register="po")
    url = reverse("admin:registry_registerrule_change", args=[rule.pk])
    data = {"register": "po", "sectors": rule.sectors, "roles": rule.roles, "number_example": ""}
    with translation.override("nl"):
        response = admin_client.post(url, {**data, "number_pattern": "[0-9"}, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 200
    assert "Dit is geen reguliere expressie" in response.content.decode()
    rule.refresh_from_db()
    assert rule.number_pattern == "[0-9]+"
    response = admin_client.post(
        url, {**data, "roles": [*rule.roles, "teamleider"], "number_pattern": "[0-9]{4,}"}, HTTP_ACCEPT_LANGUAGE="nl"
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.number_pattern, "teamleider" in rule.roles) == ("[0-9]{4,}", True)


def test_an_example_that_does_not_match_the_pattern_is_refused():
    with pytest.raises(ValidationError) as raised:
        po_rule(number_pattern=r"[0-9]+", number_example="P1")
    assert "number_example" in raised.value.message_dict


def test_the_export_page_names_the_leaders_outside_the_registers(admin_client, accreditation):
    cohort, with_number, without = completed_run(sector=Sector.PO, role=Participant.Role.INTERN_BEGELEIDER)
    page = admin_client.get(reverse("admin:registry_register_export", args=[cohort.pk])).content.decode()
    section = page.split('id="outside-the-registers"', 1)[1].split("</ul>", 1)[0]
    assert with_number.full_name in section and without.full_name in section
    paste = page.split('id="paste-list"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    assert paste == ""


def test_the_office_keeps_the_rules_and_the_trainer_reads_them(client):
    rule = RegisterRule.objects.get(register="vo")
    url = reverse("admin:registry_registerrule_change", args=[rule.pk])
    data = {"register": "vo", "sectors": rule.sectors, "roles": rule.roles, "number_pattern": "[0-9]{5,}"}
    for name, can_change in (("Trainer", False), ("Kantoor", True)):
        user = User.objects.create_user(name.lower(), password="x-secret-123", is_staff=True)
        user.groups.add(Group.objects.get(name=name))
        client.force_login(user)
        assert client.get(reverse("admin:registry_registerrule_changelist")).status_code == 200
        page = client.get(url).content.decode()
        if can_change:
            assert re.search(r'<input type="checkbox" name="roles" value="rector"[^>]* checked>', page)
        else:
            assert "rector" in page.split('class="readonly"', 3)[3] and "&quot;" not in page
        assert client.post(url, data).status_code == (302 if can_change else 403)
    rule.refresh_from_db()
    assert rule.number_pattern == "[0-9]{5,}"


@pytest.mark.parametrize("register", ["po", "vo"])
def test_every_role_a_register_expects_can_be_chosen_on_the_forms_of_its_sectors(register):
    """A role a register lists but no form of its sectors offers would never be reported: the VO directeur was one."""
    from cohorts.models import roles_for_sector

    rule = RegisterRule.objects.get(register=register)
    for sector in rule.sectors:
        assert set(rule.roles) <= set(roles_for_sector(sector)), sector
