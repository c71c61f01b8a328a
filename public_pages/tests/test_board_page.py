"""
One page per board contact: every registration of theirs, its intake, run, days and participants.

A board is reused by its public bestuursnummer, so anyone can file a
registration on an existing board: a registration's link reaches only the
registrations of the same board with the same contact e-mail address.
"""

import datetime
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from cohorts.models import Cohort, Participant
from cohorts.services import attendance, links
from cohorts.services.attendance import AttendanceEntry
from cohorts.tests.factories import (
    BoardFactory,
    CourseDayFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
    board_data,
    enrolled_participants,
    participant_data,
    placed_registration,
    scheduled_days,
    submitted_registration,
)
from verbindend.tests.pages import table_rows

# The pages read today: which days have passed, whether a run still takes changes.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


CONTACT = "m.deboer@rivierenland.example.nl"


def board_path(registration) -> str:
    return urlsplit(links.board_page_url(registration)).path


def add_data(registration=None, n=0, **overrides) -> dict:
    data = {f"add-{key}": value for key, value in participant_data(n, **overrides).items()} | {"action": "add"}
    if registration is not None:
        data["registration"] = str(registration.pk)
    return data


def schedule(cohort, first: datetime.date, days: int = 6) -> list:
    return [
        CourseDayFactory(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=number),
            date=first + datetime.timedelta(weeks=2 * (number - 1)),
        )
        for number in range(1, days + 1)
    ]


@pytest.fixture
def board_with_three():
    """One contact's three registrations of one board: in a running run, in a planned run, and not yet placed."""
    board = BoardFactory(name="Stichting Openbaar Onderwijs Rivierenland")
    now = timezone.now()
    running = RawRegistrationFactory(
        board=board,
        contact_email=CONTACT,
        cohort__code="VL-2026-03",
        cohort__status=Cohort.Status.RUNNING,
        created_at=now - datetime.timedelta(days=300),
    )
    schedule(running.cohort, timezone.localdate() - datetime.timedelta(days=20))
    planned = RawRegistrationFactory(
        board=board,
        contact_email=CONTACT.upper(),  # typed in capitals the second time: the same mailbox
        cohort__code="VL-2027-01",
        created_at=now - datetime.timedelta(days=100),
    )
    schedule(planned.cohort, timezone.localdate() + datetime.timedelta(days=60))
    newest = RawRegistrationFactory(
        board=board, contact_email=CONTACT, cohort=None, status="received", created_at=now - datetime.timedelta(days=2)
    )
    RawParticipantFactory(registration=running, first_name="Anouk", last_name="Berg")
    RawParticipantFactory(registration=planned, first_name="Daan", last_name="Jansen")
    return running, planned, newest


@pytest.fixture
def stranger(board_with_three):
    """Someone else who filed a registration on the same board, with their own leader in the planned run."""
    running, planned, _newest = board_with_three
    theirs = RawRegistrationFactory(
        board=running.board, contact_email="iemand@elders.example.nl", cohort=planned.cohort
    )
    participant = RawParticipantFactory(registration=theirs, first_name="Vreemde", last_name="Eend")
    return theirs, participant


def test_every_link_of_the_contact_leads_to_one_page_with_everything(client, board_with_three):
    for registration in board_with_three:
        page = client.get(board_path(registration)).content.decode()
        assert "Stichting Openbaar Onderwijs Rivierenland" in page
        assert "Uw 3 aanmeldingen" in page
        assert "VL-2026-03" in page and "VL-2027-01" in page
        assert "Anouk" in page and "Daan" in page
        # The newest is not placed yet, but the board is: no "your board has not been placed".
        assert "Uw bestuur is nog niet in een uitvoering geplaatst" not in page
        assert "Deze aanvraag is nog niet in een uitvoering geplaatst" in page
        # The running run takes no changes; the planned one does.
        assert "Deze uitvoering is begonnen of gesloten" in page
        assert "Deelnemer toevoegen" in page


def test_a_strangers_registration_on_the_same_board_is_never_shown(client, board_with_three, stranger):
    theirs, their_participant = stranger
    for registration in board_with_three:
        page = client.get(board_path(registration)).content.decode()
        assert their_participant.email not in page
        assert "Vreemde" not in page
        assert "iemand@elders.example.nl" not in page
        assert "Uw 3 aanmeldingen" in page
    page = client.get(board_path(theirs)).content.decode()
    assert "Vreemde" in page
    assert "Anouk" not in page and "Daan" not in page
    assert "Uw aanmelding" in page


def test_actions_never_reach_a_strangers_registration(client, board_with_three, stranger):
    _running, planned, newest = board_with_three
    theirs, their_participant = stranger
    url = board_path(newest)
    # Add to their registration: refused, nothing written.
    assert client.post(url, add_data(theirs, 5)).status_code == 404
    response = client.post(url, {"action": "paste", "registration": str(theirs.pk), "paste-rows": "x"})
    assert response.status_code == 404
    # Withdraw or correct their participant: refused.
    assert client.post(url, {"action": "withdraw", "participant": str(their_participant.pk)}).status_code == 404
    assert client.get(f"{url}deelnemer/{their_participant.pk}/").status_code == 404
    assert client.post(f"{url}deelnemer/{their_participant.pk}/", participant_data(9)).status_code == 404
    their_participant.refresh_from_db()
    assert their_participant.status == Participant.Status.ENROLLED
    assert not theirs.participants.exclude(pk=their_participant.pk).exists()
    # And the stranger's link does not reach the contact's.
    daan = planned.participants.get()
    assert client.post(board_path(theirs), {"action": "withdraw", "participant": str(daan.pk)}).status_code == 404
    assert client.post(board_path(theirs), add_data(planned, 6)).status_code == 404


def test_actions_of_the_contact_work_from_any_of_their_links(client, board_with_three):
    running, planned, newest = board_with_three
    url = board_path(newest)  # the newest link has no run of its own: the action names the run
    assert client.post(url, add_data(planned, 3)).status_code == 302
    assert planned.participants.filter(email=participant_data(3)["email"]).exists()
    daan = planned.participants.get(first_name="Daan")
    response = client.get(f"{url}deelnemer/{daan.pk}/")
    assert response.status_code == 200
    assert client.post(url, {"action": "withdraw", "participant": str(daan.pk)}).status_code == 302
    daan.refresh_from_db()
    assert daan.status == Participant.Status.WITHDRAWN
    # A run that has started refuses, whichever link is used.
    anouk = running.participants.get()
    response = client.post(url, add_data(running, 4))
    assert "niet meer gewijzigd worden" in response.content.decode()
    client.post(url, {"action": "withdraw", "participant": str(anouk.pk)})
    anouk.refresh_from_db()
    assert anouk.status == Participant.Status.ENROLLED


def test_with_two_open_runs_the_contact_chooses_the_run(client):
    board = BoardFactory()
    first = RawRegistrationFactory(board=board, contact_email=CONTACT, cohort__code="VL-2027-04")
    second = RawRegistrationFactory(board=board, contact_email=CONTACT, cohort__code="VL-2027-05")
    schedule(first.cohort, timezone.localdate() + datetime.timedelta(days=30), days=1)
    schedule(second.cohort, timezone.localdate() + datetime.timedelta(days=90), days=1)
    page = client.get(board_path(first)).content.decode()
    assert 'name="registration"' in page and "Voor uitvoering" in page
    assert f'<option value="{second.pk}"' in page
    assert client.post(board_path(first), add_data(second, 1)).status_code == 302
    assert second.participants.count() == 1 and first.participants.count() == 0
    rows = "\t".join(participant_data(2)[k] for k in ("first_name", "tussenvoegsel", "last_name", "email"))
    rows += "\tdirecteur\tOBS Noord\t12AB"
    response = client.post(
        board_path(second), {"action": "paste_confirm", "registration": str(first.pk), "paste-rows": rows}
    )
    assert response.status_code == 302
    assert first.participants.count() == 1


def test_after_completion_each_participant_shows_their_outcome(client):
    registration = RawRegistrationFactory(cohort__status=Cohort.Status.RUNNING)
    cohort = registration.cohort
    days = schedule(cohort, timezone.localdate() - datetime.timedelta(weeks=12))
    done = RawParticipantFactory(registration=registration, first_name="Compleet")
    partly = RawParticipantFactory(registration=registration, first_name="Deels")
    never = RawParticipantFactory(registration=registration, first_name="Nooit")
    entries = [AttendanceEntry(done.pk, day.pk, "present") for day in days]
    entries += [AttendanceEntry(partly.pk, day.pk, "present") for day in days[:2]]
    attendance.record_attendance(cohort=cohort, entries=entries, recorded_by=None)
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.COMPLETED)
    page = client.get(board_path(registration)).content.decode()
    assert ">afgerond</span>" in page
    assert ">alleen aanwezig</span>" in page
    assert ">niet afgerond</span>" in page
    assert ">ingeschreven</span>" not in page
    assert "Resultaat" in page
    assert never.first_name in page


def participant_rows(response) -> list[tuple[str, str, str]]:
    """Return the page's participants as their rows show them: name, e-mail address, status."""
    return sorted((row[0], row[1], row[5]) for row in table_rows(response.content.decode()) if "@" in row[1])


def test_query_count_stays_the_same_as_registrations_and_participants_grow(client, django_assert_num_queries):
    board = board_data()
    first = placed_registration(board=board, contact_email=CONTACT)
    scheduled_days(first.cohort, first=timezone.localdate() + datetime.timedelta(days=30), weeks_apart=2)
    people = enrolled_participants(first, 2)
    url = board_path(first)
    client.get(url)
    # 9, and 1 for the offers and 1 for the invoices of the board.
    with django_assert_num_queries(11):
        response = client.get(url)
    assert participant_rows(response) == sorted((p.full_name, p.email, "ingeschreven") for p in people)
    submitted_registration(board=board, contact_email=CONTACT)
    for n in range(2):
        more = placed_registration(board=board, contact_email=CONTACT)
        scheduled_days(more.cohort, first=timezone.localdate() + datetime.timedelta(days=60 + n))
        people += enrolled_participants(more, 15)
    people += enrolled_participants(first, 20)
    # 9, and 1 for the offers and 1 for the invoices of the board.
    with django_assert_num_queries(11):
        response = client.get(url)
    assert participant_rows(response) == sorted((p.full_name, p.email, "ingeschreven") for p in people)
    assert "Uw 4 aanmeldingen" in response.content.decode()


# --- Pasting rows -----------------------------------------------------------------------


def test_excel_quoted_cells_with_the_separator_inside_are_read_right(client):
    registration = RawRegistrationFactory(board__sector="po")
    rows = (
        'Anouk;van der;Berg;anouk@school.nl;directeur;"OBS De Linde; locatie Noord";12AB\n'
        'Daan;;Jansen;daan@school.nl;directeur;"KBS ""De Wilg""";13CD\n'
    )
    assert client.post(board_path(registration), {"action": "paste_confirm", "paste-rows": rows}).status_code == 302
    schools = dict(registration.participants.values_list("first_name", "school"))
    assert schools == {"Anouk": "OBS De Linde; locatie Noord", "Daan": 'KBS "De Wilg"'}


def test_comma_separated_rows_with_a_quoted_comma(client):
    registration = RawRegistrationFactory(board__sector="po")
    rows = 'Sanne,,Bakker,sanne@school.nl,directeur,"Het Anker, Tiel",15GH\n'
    assert client.post(board_path(registration), {"action": "paste_confirm", "paste-rows": rows}).status_code == 302
    assert registration.participants.get().school == "Het Anker, Tiel"


def test_a_semicolon_inside_quotes_does_not_make_comma_rows_look_like_semicolon_rows(client):
    registration = RawRegistrationFactory(board__sector="po")
    rows = 'Sanne,,Bakker,sanne@school.nl,directeur,"Het Anker; Tiel",15GH\n'
    rows += "Joris,de,Vries,joris@school.nl,directeur,De Kleine Prins,14EF\n"
    assert client.post(board_path(registration), {"action": "paste_confirm", "paste-rows": rows}).status_code == 302
    assert registration.participants.count() == 2


def test_rows_that_failed_stay_in_the_box_after_the_others_are_added(client):
    registration = RawRegistrationFactory(board__sector="po")
    rows = (
        "Anouk\tvan der\tBerg\tanouk@school.nl\tdirecteur\tOBS De Linde\t12AB\n"
        "Kees\t\tSmit\tgeen-mail\tdirecteur\tOBS Noord\t56EF\n"
        'Els\tde\tWit\te.dewit@school.nl\trector\t"OBS Zuid\tannex"\t78GH\n'
    )
    response = client.post(board_path(registration), {"action": "paste_confirm", "paste-rows": rows}, follow=True)
    assert response.status_code == 200
    assert list(registration.participants.values_list("first_name", flat=True)) == ["Anouk"]
    page = response.content.decode()
    assert "2 rijen konden niet worden toegevoegd" in page
    box = page[page.index('name="paste-rows"') : page.index("</textarea>")]
    assert "geen-mail" in box and "e.dewit@school.nl" in box
    assert "anouk@school.nl" not in box
    assert "Voer een geldig e-mailadres in" in page  # the errors are shown next to the box
    # Corrected in the box, they go in.
    corrected = box.split(">", 1)[1].replace("geen-mail", "kees@school.nl").replace("rector", "directeur")
    response = client.post(board_path(registration), {"action": "paste_confirm", "paste-rows": unescape(corrected)})
    assert response.status_code == 302
    assert registration.participants.count() == 3
    assert registration.participants.get(first_name="Els").school == "OBS Zuid\tannex"
