"""The numbers PE-online refused: pasted back on the export page, asked on the participant's page, shown corrected."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from cohorts.services import links
from cohorts.tests.conftest import member
from conftest import require_service
from privacy import services as privacy
from registry import exports, rejections
from registry.models import RegisterNumberRejection

from .test_bulk_export import completed_run as run_with_numbers

pytestmark = pytest.mark.django_db


def completed_run(size):
    """The bulk export's completed run, its people as they are now: the third onwards with a register number."""
    cohort, people = run_with_numbers(size)
    for participant in people:
        participant.refresh_from_db()
    return cohort, people


def export_url(cohort):
    return reverse("admin:registry_register_export", args=[cohort.pk])


def page_path(participant):
    return links.participant_page_url(participant).replace("http://127.0.0.1:8000", "")


def paste(client, cohort, text):
    return client.post(export_url(cohort), {"action": "rejected", "numbers": text}, follow=True)


@pytest.fixture
def office(client):
    client.force_login(member("Kantoor"))
    return client


def test_pasting_back_marks_exactly_those_participants_of_the_run(office, accreditation):
    cohort, people = completed_run(10)
    other_cohort, _others = completed_run(10)
    refused = [people[3], people[5]]
    # As copied from PE-online: one per line, a comma, a hyphen inside a number.
    second = refused[1].register_number
    text = f"{refused[0].register_number}\n {second[:3]}-{second[3:]}, "
    response = paste(office, cohort, text)
    assert response.status_code == 200
    marked = RegisterNumberRejection.objects.all()
    assert {(r.participant_id, r.number) for r in marked} == {(p.pk, p.register_number) for p in refused}
    # The other run holds the same numbers (the same test data) and is left alone.
    assert not RegisterNumberRejection.objects.filter(participant__cohort=other_cohort).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.REGISTER_NUMBER_REJECTED)
    assert event.object_id == str(cohort.pk)
    assert sorted(event.changes["rejected"][1]) == sorted(p.pk for p in refused)
    assert "2 deelnemers gemarkeerd" in response.content.decode()


def test_pasting_the_same_refusal_twice_marks_it_once(office, accreditation):
    cohort, people = completed_run(10)
    paste(office, cohort, people[4].register_number)
    response = paste(office, cohort, people[4].register_number)
    assert RegisterNumberRejection.objects.filter(participant=people[4]).count() == 1
    assert "Al gemarkeerd en nog niet verbeterd" in response.content.decode()


def test_numbers_not_in_the_run_are_reported_back(office, accreditation):
    cohort, people = completed_run(10)
    response = paste(office, cohort, f"{people[2].register_number}\n00123123")
    page = response.content.decode()
    assert "Geen deelnemer van deze uitvoering heeft deze nummers: 00123123." in page
    assert RegisterNumberRejection.objects.get().participant == people[2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Dit veld is verplicht."),
        (" ,; \n", "Plak de registernummers die PE-online niet accepteerde, één per regel."),
        ("00942561 <script>", "Dit zijn geen registernummers: &lt;script&gt;."),
        (" ".join(map(str, range(600))), "Dat zijn meer nummers dan een uitvoering deelnemers heeft: hoogstens 500."),
        ("1" * 20_001, "Zorg dat deze waarde niet meer dan 10000 tekens bevat"),
    ],
)
def test_bad_input_gets_a_clear_message_and_marks_nothing(office, accreditation, text, message):
    cohort, _people = completed_run(10)
    response = paste(office, cohort, text)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RegisterNumberRejection.objects.exists()


def test_too_much_text_is_refused_by_the_service_itself(accreditation):
    cohort, _people = completed_run(10)
    with pytest.raises(rejections.RejectionError, match="10000"):
        rejections.mark_rejected_numbers(cohort=cohort, text="1 " * 6000)


def test_only_the_office_marks_numbers(client, accreditation):
    cohort, people = completed_run(10)
    client.force_login(member("Trainer"))
    assert paste(client, cohort, people[2].register_number).status_code == 403
    assert not RegisterNumberRejection.objects.exists()
    client.logout()
    response = client.post(export_url(cohort), {"action": "rejected", "numbers": people[2].register_number})
    assert response.status_code == 302 and "login" in response["Location"]
    assert not RegisterNumberRejection.objects.exists()


def test_the_participant_page_asks_only_them_to_check_their_number(client, accreditation):
    cohort, people = completed_run(10)
    rejections.mark_rejected_numbers(cohort=cohort, text=people[3].register_number)
    theirs = client.get(page_path(people[3])).content.decode()
    assert "Controleer uw registernummer" in theirs
    assert people[3].register_number in theirs.split('id="rejected-number"')[1].split("</section>")[0]
    assert "Controleer uw registernummer" not in client.get(page_path(people[4])).content.decode()


def test_a_correction_on_the_page_is_kept_and_shown_in_the_next_export(client, office, accreditation):
    cohort, people = completed_run(10)
    leader = people[3]
    refused = leader.register_number
    rejections.mark_rejected_numbers(cohort=cohort, text=f"{refused} {people[4].register_number}")
    data = {
        "action": "details",
        "initials": leader.initials,
        "first_name": leader.first_name,
        "tussenvoegsel": leader.tussenvoegsel,
        "last_name": leader.last_name,
        "register_number": "00 777 111",
    }
    assert client.post(page_path(leader), data).status_code == 302
    mark = RegisterNumberRejection.objects.get(participant=leader)
    assert (mark.number, mark.corrected_number) == (refused, "00777111")
    assert mark.corrected_at is not None
    assert "Controleer uw registernummer" not in client.get(page_path(leader)).content.decode()

    rows = rejections.rejections_report(exports.export_rows(cohort))
    assert [r["participant_id"] for r in rows["corrected"]] == [leader.pk]
    assert [r["participant_id"] for r in rows["open"]] == [people[4].pk]
    page = office.get(export_url(cohort)).content.decode()
    section = page.split('id="rejections"')[1].split("</ul>")[0]
    assert f"{refused} → 00777111" in section
    assert f"nog open: {people[4].first_name}" in section


def test_a_number_refused_again_after_a_correction_keeps_the_history(client, accreditation):
    cohort, people = completed_run(10)
    leader = people[3]
    refused = leader.register_number
    rejections.mark_rejected_numbers(cohort=cohort, text=refused)
    rejections.update_own_details(participant=leader, data={"register_number": "00777111"})
    rejections.mark_rejected_numbers(cohort=cohort, text="00777111")
    history = list(RegisterNumberRejection.objects.filter(participant=leader).order_by("rejected_at", "pk"))
    assert [(m.number, m.corrected_number) for m in history] == [(refused, "00777111"), ("00777111", "")]
    assert history[0].corrected_at is not None and history[1].corrected_at is None


def test_the_refused_numbers_go_with_a_persons_erasure(accreditation):
    cohort, people = completed_run(10)
    leader = people[3]
    refused = leader.register_number
    rejections.mark_rejected_numbers(cohort=cohort, text=f"{refused} {people[4].register_number}")
    privacy.erase_person(person=leader)
    assert not RegisterNumberRejection.objects.filter(participant_id=leader.pk).exists()
    assert RegisterNumberRejection.objects.filter(participant=people[4]).exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_refusals_pasted_at_once_are_marked_once(accreditation):
    """The office pastes the same list twice at the same moment: each number is marked once, nobody gets an error."""
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    cohort, people = completed_run(6)
    numbers = "\n".join(person.register_number for person in people if person.register_number)
    at_once, barrier, results, errors = 4, threading.Barrier(4), [], []

    def paste_back():
        try:
            barrier.wait()
            results.append(rejections.mark_rejected_numbers(cohort=cohort, text=numbers))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=paste_back) for _ in range(at_once)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    marked = sorted(RegisterNumberRejection.objects.values_list("number", flat=True))
    assert marked == sorted(numbers.split())
    assert sum(len(result.marked) for result in results) == len(marked)
