"""The board page: participants added one by one or pasted, corrected, withdrawn; the enrolment link."""

import datetime

import pytest
from django.core import mail as django_mail
from django.utils import timezone

from cohorts.models import Cohort, Participant
from cohorts.services import enrolment, links
from cohorts.tests.factories import (
    CourseDayFactory,
    board_data,
    enrolled_participants,
    participant_data,
    placed_registration,
    scheduled_days,
    submitted_registration,
)
from mail.models import OutgoingMail
from verbindend.tests.pages import table_rows

# The pages read today: which days have passed, whether a run still takes changes.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


def path(url: str) -> str:
    return url.replace("http://127.0.0.1:8000", "")


def board_url(registration):
    return path(links.board_page_url(registration))


def add_data(n=0, **overrides):
    return {f"add-{key}": value for key, value in participant_data(n, **overrides).items()} | {"action": "add"}


def test_board_page_shows_registration_cohort_days_and_own_participants(client):
    registration = placed_registration(board=board_data(name="Stichting PCO Gelderland"))
    day = CourseDayFactory(cohort=registration.cohort)
    (mine,) = enrolled_participants(registration)
    page = client.get(board_url(registration)).content.decode()
    assert "Stichting PCO Gelderland" in page
    assert registration.cohort.code in page
    assert day.programme_day.theme in page
    assert mine.email in page
    assert "/inschrijven/" in page


def test_board_page_before_placement_explains_the_next_step(client):
    registration = submitted_registration()
    page = client.get(board_url(registration)).content.decode()
    assert "nog niet in een uitvoering geplaatst" in page
    assert "Deelnemer toevoegen" not in page


def test_adding_a_participant_sends_a_welcome_with_the_personal_link(client, django_capture_on_commit_callbacks):
    registration = placed_registration()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(board_url(registration), add_data(brin="16sw"))
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert participant.status == Participant.Status.ENROLLED
    assert participant.brin == "16SW"
    welcome = OutgoingMail.objects.get(to=[participant.email])
    assert welcome.subject == "Welkom bij Verbindend leiderschap"
    assert path(links.participant_page_url(participant)) in welcome.body_text
    assert [m.subject for m in django_mail.outbox if participant.email in m.to] == [welcome.subject]
    page = client.get(board_url(registration)).content.decode()
    assert "1 deelnemer ingeschreven" in page


def test_role_must_fit_the_sector(client):
    registration = placed_registration(board=board_data(sector="po"))
    response = client.post(board_url(registration), add_data(role=Participant.Role.RECTOR))
    assert response.status_code == 200
    assert "Selecteer een geldige keuze" in response.content.decode()
    assert not Participant.objects.exists()


def test_same_email_twice_in_a_cohort_is_refused_case_insensitively(client):
    registration = placed_registration()
    client.post(board_url(registration), add_data(email="a.jansen@school.nl"))
    response = client.post(board_url(registration), add_data(1, email="A.Jansen@School.NL"))
    assert "A.Jansen@School.NL is al ingeschreven voor deze uitvoering." in response.content.decode()
    assert Participant.objects.count() == 1


PASTE = (
    "Voornaam\tTussenvoegsel\tAchternaam\tE-mail\tFunctie\tSchool\tBRIN\n"
    "Sanne\tvan\tDijk\ts.vandijk@school.nl\tdirecteur\tOBS Het Anker\t12AB\n"
    "Pieter\t\tBakker\tp.bakker@school.nl\tIntern begeleider\tCBS De Bron\t34cd\n"
    "Kees\t\tSmit\tgeen-mail\tdirecteur\tOBS Noord\t56EF\n"
    "Sanne\tvan\tDijk\ts.vandijk@school.nl\tdirecteur\tOBS Het Anker\t12AB\n"
    "Els\tde\tWit\te.dewit@school.nl\trector\tOBS Zuid\t78GH\n"
    "te weinig kolommen\n"
)


def test_paste_preview_shows_each_rows_errors_and_saves_nothing(client):
    registration = placed_registration(board=board_data(sector="po"))
    response = client.post(board_url(registration), {"action": "paste", "paste-rows": PASTE})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 rijen kunnen worden toegevoegd." in page
    assert "Voer een geldig e-mailadres in" in page
    assert "Dit e-mailadres staat al in een eerdere rij." in page
    assert "Selecteer een geldige keuze" in page  # rector is not a PO role
    assert "Verwacht 7 kolommen, gevonden 1." in page
    # An empty tussenvoegsel leaves no gap in the row as shown.
    assert "Pieter · Bakker · p.bakker@school.nl" in page
    assert not Participant.objects.exists()


def test_paste_confirm_saves_the_valid_rows_together(client, django_capture_on_commit_callbacks):
    registration = placed_registration(board=board_data(sector="po"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(board_url(registration), {"action": "paste_confirm", "paste-rows": PASTE})
    assert response.status_code == 302
    saved = Participant.objects.order_by("last_name")
    assert [(p.last_name, p.role, p.brin) for p in saved] == [
        ("Bakker", Participant.Role.INTERN_BEGELEIDER, "34CD"),
        ("Dijk", Participant.Role.DIRECTEUR, "12AB"),
    ]
    welcomed = OutgoingMail.objects.filter(template="cohorts/mail/participant_welcome").values_list("to", flat=True)
    assert sorted(welcomed) == sorted([p.email] for p in saved)


def test_bulk_enrolment_saves_all_rows_or_none():
    registration = placed_registration()
    other = placed_registration(registration.cohort)
    enrolment.enroll_participant(registration=other, data=participant_data(2, email="P.Bakker@school.nl"))
    rows = [participant_data(1), participant_data(2, email="p.bakker@school.nl"), participant_data(3)]
    with pytest.raises(enrolment.EnrolmentError, match=r"p\.bakker@school\.nl is al ingeschreven"):
        enrolment.enroll_participants(registration=registration, rows=rows)
    assert not Participant.objects.filter(registration=registration).exists()


def test_paste_confirm_rechecks_rows_taken_since_the_preview(client):
    registration = placed_registration(board=board_data(sector="po"))
    rows = "Sanne\tvan\tDijk\ts.vandijk@school.nl\tdirecteur\tOBS Het Anker\t12AB\n"
    rows += "Pieter\t\tBakker\tp.bakker@school.nl\tdirecteur\tCBS De Bron\t34CD\n"
    other = placed_registration(registration.cohort)
    enrolment.enroll_participant(registration=other, data=participant_data(2, email="P.Bakker@school.nl"))
    client.post(board_url(registration), {"action": "paste_confirm", "paste-rows": rows})
    assert list(registration.participants.values_list("email", flat=True)) == ["s.vandijk@school.nl"]


def test_paste_of_too_many_rows_is_refused(client):
    registration = placed_registration()
    rows = "\n".join(f"A\t\tB{n}\ta{n}@x.nl\tdirecteur\tS\t12AB" for n in range(150))
    response = client.post(board_url(registration), {"action": "paste", "paste-rows": rows})
    assert "Plak maximaal 100 rijen tegelijk." in response.content.decode()


def test_correcting_a_participant(client):
    registration = placed_registration()
    (participant,) = enrolled_participants(registration)
    url = board_url(registration) + f"deelnemer/{participant.pk}/"
    data = participant_data(last_name="Janssen-de Groot", email=participant.email)
    response = client.post(url, data)
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.last_name == "Janssen-de Groot"


def test_withdrawal_promotes_the_first_on_the_waiting_list(client, django_capture_on_commit_callbacks):
    registration = placed_registration()
    cohort = registration.cohort
    enrolled = enrolled_participants(registration, 30)
    waiting_first, waiting_second = enrolled_participants(registration, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            board_url(registration), {"action": "withdraw", "participant": enrolled[0].pk}, follow=True
        )
    page = response.content.decode()
    assert f"{enrolled[0].full_name} is afgemeld." in page
    assert f"{waiting_first.full_name} is van de wachtlijst doorgeschoven." in page
    waiting_first.refresh_from_db()
    waiting_second.refresh_from_db()
    assert waiting_first.status == Participant.Status.ENROLLED
    assert waiting_second.status == Participant.Status.WAITING
    assert cohort.participants.filter(status="enrolled").count() == 30
    # Told they were on the waiting list when entered, then that a seat came free.
    waiting_mail, promoted_mail = OutgoingMail.objects.filter(to=[waiting_first.email]).order_by("pk")
    assert "wachtlijst" in waiting_mail.subject
    assert "plaats vrijgekomen" in promoted_mail.subject


def test_withdrawing_twice_changes_nothing(client):
    registration = placed_registration()
    (participant,) = enrolled_participants(registration)
    for _ in range(2):
        client.post(board_url(registration), {"action": "withdraw", "participant": participant.pk})
    participant.refresh_from_db()
    assert participant.status == Participant.Status.WITHDRAWN


def test_a_withdrawn_participant_can_be_enrolled_again(client):
    registration = placed_registration()
    participant = enrolment.enroll_participant(
        registration=registration, data=participant_data(email="terug@school.nl")
    )
    enrolment.withdraw_participant(participant=participant)
    client.post(board_url(registration), add_data(email="terug@school.nl"))
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED
    assert Participant.objects.count() == 1


@pytest.mark.parametrize("reason", ["first day passed", "running", "completed", "cancelled"])
def test_no_changes_once_the_cohort_has_started(client, reason):
    registration = placed_registration()
    (participant,) = enrolled_participants(registration)
    if reason == "first day passed":
        CourseDayFactory(cohort=registration.cohort, date=timezone.localdate())
    else:
        Cohort.objects.filter(pk=registration.cohort_id).update(status=reason)
    page = client.get(board_url(registration)).content.decode()
    assert "Deelnemer toevoegen" not in page
    assert "kunnen hier niet meer gewijzigd worden" in page
    response = client.post(board_url(registration), add_data(5))
    assert "niet meer gewijzigd worden" in response.content.decode()
    client.post(board_url(registration), {"action": "withdraw", "participant": participant.pk})
    participant.refresh_from_db()
    assert participant.status == Participant.Status.ENROLLED
    assert Participant.objects.count() == 1


def test_self_enrolment_through_the_boards_link(client, django_capture_on_commit_callbacks):
    registration = placed_registration()
    url = path(links.enrolment_url(registration))
    data = participant_data(7) | {"privacy_consent": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data, follow=True)
    assert "U bent ingeschreven" in response.content.decode()
    participant = Participant.objects.get()
    assert participant.registration == registration
    assert OutgoingMail.objects.filter(to=[participant.email]).exists()


def test_self_enrolment_needs_consent(client):
    registration = placed_registration()
    response = client.post(path(links.enrolment_url(registration)), participant_data(7))
    assert "zonder kunnen we u niet inschrijven" in response.content.decode()
    assert not Participant.objects.exists()


def test_self_enrolment_in_a_full_cohort_lands_on_the_waiting_list(client, django_capture_on_commit_callbacks):
    registration = placed_registration()
    enrolled_participants(registration, 30)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            path(links.enrolment_url(registration)), participant_data(7) | {"privacy_consent": "on"}, follow=True
        )
    assert "U staat op de wachtlijst" in response.content.decode()
    late = Participant.objects.get(email=participant_data(7)["email"])
    assert (late.status, late.waitlist_number) == (Participant.Status.WAITING, 1)
    assert "wachtlijst" in OutgoingMail.objects.get(to=[late.email]).subject


def test_enrolment_link_does_not_open_the_board_page(client):
    registration = placed_registration()
    enrolment_token = links.enrolment_url(registration).rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/bestuur/{enrolment_token}/").status_code == 404


def participant_rows(response) -> list[tuple[str, str, str]]:
    """Return the board page's participants as their rows show them: name, e-mail address, status."""
    return sorted((row[0], row[1], row[5]) for row in table_rows(response.content.decode()) if "@" in row[1])


@pytest.mark.parametrize("size", [3, 30])
def test_the_board_page_runs_the_same_queries_however_many_participants(client, django_assert_num_queries, size):
    registration = placed_registration()
    people = enrolled_participants(registration, size)
    scheduled_days(registration.cohort, first=timezone.localdate() + datetime.timedelta(days=31))
    # 9, and 1 for the offers and 1 for the invoices of the board.
    with django_assert_num_queries(11):
        response = client.get(board_url(registration))
    assert response.status_code == 200
    assert participant_rows(response) == sorted((p.full_name, p.email, "ingeschreven") for p in people)
