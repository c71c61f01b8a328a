"""
Register numbers as people type them: one normaliser and validator behind every door.

"0123 4567", "0123.4567" and "0123-4567" are stored as 01234567 (text,
leading zeros kept) whether they come through the admin, the participant's
own page, a service's full_clean() or were stored before (the migration);
anything else is refused with a Dutch message, and a malformed number left
from before is named by the export's validation report, never silently
left out of the paste list.
"""

import datetime
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from cohorts.models import CourseDay, Participant
from cohorts.services import enrolment, links
from cohorts.validators import normalize_register_number
from public_pages.forms import OwnDetailsForm
from registry import exports
from registry.tests.conftest import completed_run

from .factories import RawParticipantFactory, RawRegistrationFactory

# The rules read today: a run's leaders can be changed until its first day.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
MESSAGE = "Een registernummer bestaat alleen uit letters en cijfers"
# What the PO register's rule (registry.RegisterRule, digits by default) says on the participant's own page.
PO_MESSAGE = "Een nummer in het Schoolleidersregister PO bestaat alleen uit cijfers"

TYPED = [
    ("0123 4567", "01234567"),
    ("0123.4567", "01234567"),
    ("0123-4567", "01234567"),
    (" 00942561 ", "00942561"),
    ("0123\u00a04567", "01234567"),  # a non-breaking space, as a copied text gives it
    ("0123\u20134567", "01234567"),  # an en dash, as a word processor makes of a hyphen
    ("0 0 1 2 3", "00123"),
]
MALFORMED = ["0123/4567", "٠١٢٣٤٥", "0123,4567", "+31 1234"]
# No length is known of any register, and a register's pattern may have letters: behind every door these pass,
# the register's own rule decides where the register is known.
FOR_THE_REGISTER_TO_DECIDE = ["12AB", "123", "1234567890123"]


@pytest.mark.parametrize(("typed", "stored"), TYPED)
def test_the_normaliser_keeps_the_digits_and_their_leading_zeros(typed, stored):
    assert normalize_register_number(typed) == stored


@pytest.mark.parametrize("typed", MALFORMED)
def test_the_normaliser_refuses_anything_else_in_dutch(typed):
    with translation.override("nl"):
        with pytest.raises(ValidationError) as raised:
            normalize_register_number(typed)
        assert MESSAGE in raised.value.messages[0]


@pytest.mark.parametrize("typed", FOR_THE_REGISTER_TO_DECIDE)
def test_the_normaliser_sets_no_length_and_leaves_letters_to_the_registers_rule(typed):
    assert normalize_register_number(typed) == typed


def test_an_empty_number_stays_empty():
    assert normalize_register_number("  ") == ""


@pytest.mark.parametrize(("typed", "stored"), TYPED[:3])
def test_the_model_normalises_on_full_clean(typed, stored):
    participant = RawParticipantFactory(register_number="")
    participant.register_number = typed
    participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
    assert participant.register_number == stored


def test_the_model_refuses_a_malformed_number():
    participant = RawParticipantFactory(register_number="")
    participant.register_number = "0123/4567"
    with translation.override("nl"):
        with pytest.raises(ValidationError) as raised:
            participant.full_clean(exclude=["registration", "cohort"], validate_constraints=False)
        assert MESSAGE in raised.value.message_dict["register_number"][0]


def admin_form(participant, **changes):
    data = {
        "first_name": participant.first_name,
        "initials": participant.initials,
        "tussenvoegsel": participant.tussenvoegsel,
        "last_name": participant.last_name,
        "email": participant.email,
        "role": participant.role,
        "school": participant.school,
        "brin": participant.brin,
        "register_number": participant.register_number,
        "language": participant.language,
    }
    return {**data, **changes}


@pytest.mark.parametrize(("typed", "stored"), TYPED[:3])
def test_the_admin_saves_the_number_as_digits(admin_client, typed, stored):
    participant = RawParticipantFactory(register_number="")
    url = reverse("admin:cohorts_participant_change", args=[participant.pk])
    response = admin_client.post(url, admin_form(participant, register_number=typed))
    assert response.status_code == 302, response.content.decode()[:3000]
    participant.refresh_from_db()
    assert participant.register_number == stored


def test_the_admin_refuses_a_malformed_number_with_a_dutch_message(admin_client):
    participant = RawParticipantFactory(register_number="0012345")
    url = reverse("admin:cohorts_participant_change", args=[participant.pk])
    response = admin_client.post(url, admin_form(participant, register_number="0123/4567"))
    assert response.status_code == 200
    assert MESSAGE in response.content.decode()
    participant.refresh_from_db()
    assert participant.register_number == "0012345"


@pytest.mark.parametrize(("typed", "stored"), TYPED[:3])
def test_the_participant_page_saves_the_number_as_digits(client, typed, stored):
    registration = RawRegistrationFactory()
    CourseDay.objects.create(
        cohort=registration.cohort,
        programme_day=registration.cohort.programme.days.get(number=1),
        date=timezone.localdate() + datetime.timedelta(days=30),
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    participant = RawParticipantFactory(registration=registration)
    path = links.participant_page_url(participant).removeprefix("http://127.0.0.1:8000")
    data = {
        "action": "details",
        "initials": "A.",
        "first_name": participant.first_name,
        "tussenvoegsel": "",
        "last_name": participant.last_name,
        "register_number": typed,
    }
    assert client.post(path, data).status_code == 302
    participant.refresh_from_db()
    assert participant.register_number == stored


def test_the_own_details_form_uses_the_same_field():
    participant = RawParticipantFactory()
    form = OwnDetailsForm(
        {"initials": "A.", "first_name": "Anne", "tussenvoegsel": "", "last_name": "Berg", "register_number": "12AB"},
        instance=participant,
    )
    with translation.override("nl"):
        assert not form.is_valid()
        assert PO_MESSAGE in form.errors["register_number"][0]


def test_the_service_normalises_what_it_is_given():
    participant = RawParticipantFactory()
    enrolment.update_own_details(participant=participant, data={"register_number": "0123 4567"})
    participant.refresh_from_db()
    assert participant.register_number == "01234567"


def test_a_number_typed_with_a_space_in_the_admin_reaches_the_paste_list(admin_client):
    cohort, people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7)})
    for person, typed in ((people["Anna"], "0123 4567"), (people["Bram"], "00942561")):
        url = reverse("admin:cohorts_participant_change", args=[person.pk])
        assert admin_client.post(url, admin_form(person, register_number=typed)).status_code == 302
    assert exports.paste_list(exports.export_rows(cohort)).splitlines() == ["01234567", "00942561"]


def test_the_migration_normalises_stored_numbers_and_leaves_the_rest_for_the_report():
    cohort, people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7), "Cees": range(1, 7)})
    # As the old admin stored them: in SQL, as the field now cleans what the ORM writes.
    typed = {"Anna": "0123 4567", "Bram": "0094.2561", "Cees": "12AB 34"}
    with connection.cursor() as cursor:
        for name, number in typed.items():
            table = Participant._meta.db_table
            cursor.execute(f"UPDATE {table} SET register_number = %s WHERE id = %s", [number, people[name].pk])  # noqa: S608
    migration = import_module("cohorts.migrations.0009_register_number_digits_only")
    migration.normalise(django_apps, None)
    stored = dict(Participant.objects.filter(cohort=cohort).values_list("first_name", "register_number"))
    assert stored == {"Anna": "01234567", "Bram": "00942561", "Cees": "12AB 34"}
    rows = exports.export_rows(cohort)
    assert exports.paste_list(rows).splitlines() == ["01234567", "00942561"]
    with translation.override("nl"):
        problems = exports.validation_report(cohort, rows)
    assert any("12AB 34" in problem and "Cees" in problem for problem in problems), problems
