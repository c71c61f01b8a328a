"""The run's page in the admin: its boards and participants, adding a participant, and the days pre-filled."""

import datetime

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse
from django.utils import timezone

from cohorts.models import CourseDay, Participant
from mail.models import OutgoingMail
from verbindend.tests.pages import input_values

from .factories import (
    CohortFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
    enrolled_participants,
    new_cohort,
    placed_registration,
)

# The pages read today: which days have passed, whether a run still takes changes.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]


def change_url(cohort):
    return reverse("admin:cohorts_cohort_change", args=[cohort.pk])


def add_url(cohort):
    return reverse("admin:cohorts_cohort_add_participant", args=[cohort.pk])


def member(group):
    user = User.objects.create_user(group.lower(), password="x-secret-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def new_participant(registration, **fields):
    return {
        "registration": registration.pk,
        "first_name": "Noor",
        "initials": "N.",
        "tussenvoegsel": "van",
        "last_name": "Dijk",
        "email": "noor.vandijk@school.example.nl",
        "role": "directeur",
        "school": "Basisschool De Linde",
        "brin": "16SW",
        "language": "nl",
        **fields,
    }


def test_the_run_page_lists_its_boards_and_participants_with_links(admin_client):
    cohort = CohortFactory()
    first = RawRegistrationFactory(cohort=cohort, contact_name="Fatima el Amrani", expected_participants=9)
    second = RawRegistrationFactory(cohort=cohort)
    enrolled = RawParticipantFactory(registration=first, first_name="Anna", tussenvoegsel="", last_name="Bakker")
    # Positions as the list reads them, whatever numbers promotions left behind.
    RawParticipantFactory(registration=second, first_name="Bram", status="waiting", waitlist_number=2)
    RawParticipantFactory(registration=second, first_name="Cor", status="waiting", waitlist_number=5)
    page = admin_client.get(change_url(cohort)).content.decode()
    assert first.board.name in page and second.board.name in page
    assert reverse("admin:cohorts_registration_change", args=[first.pk]) in page
    assert "Fatima el Amrani" in page and first.contact_email in page
    assert reverse("admin:cohorts_participant_change", args=[enrolled.pk]) in page
    assert "Anna Bakker" in page
    bram, cor = page.index("Bram"), page.index("Cor ")
    assert "<td>1</td>" in page[bram : bram + 300]
    assert "<td>2</td>" in page[cor : cor + 300]
    assert add_url(cohort) in page


@pytest.mark.parametrize("boards", [1, 5])
def test_the_run_page_runs_the_same_queries_however_many_boards_and_participants(
    admin_client, django_assert_num_queries, boards
):
    cohort = new_cohort()
    people = []
    for _ in range(boards):
        people += enrolled_participants(placed_registration(cohort), 4)
    admin_client.get(change_url(cohort))  # warm caches (content types, session)
    with django_assert_num_queries(24):
        response = admin_client.get(change_url(cohort))
    assert response.status_code == 200
    page = response.content.decode()
    for participant in people:
        link = reverse("admin:cohorts_participant_change", args=[participant.pk])
        assert f'href="{link}">{participant.full_name}</a>' in page, participant


@pytest.mark.parametrize("group", ["Trainer", "Kantoor"])
def test_staff_add_a_participant_who_gets_the_welcome_mail(client, group):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=cohort)
    client.force_login(member(group))
    page = client.get(add_url(cohort)).content.decode()
    assert registration.board.name in page
    response = client.post(add_url(cohort), new_participant(registration), follow=True)
    assert response.redirect_chain[-1][0] == change_url(cohort)
    assert "Noor van Dijk is ingeschreven; de welkomstmail is verstuurd." in response.content.decode()
    participant = Participant.objects.get(email="noor.vandijk@school.example.nl")
    assert participant.registration == registration
    assert participant.status == Participant.Status.ENROLLED
    assert OutgoingMail.objects.filter(
        template="cohorts/mail/participant_welcome", to=["noor.vandijk@school.example.nl"]
    ).exists()


def test_past_the_maximum_the_service_puts_them_on_the_waiting_list(admin_client):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=cohort)
    RawParticipantFactory.create_batch(cohort.programme.max_participants, registration=registration)
    response = admin_client.post(add_url(cohort), new_participant(registration), follow=True)
    assert "op de wachtlijst als nummer 1" in response.content.decode()
    assert Participant.objects.get(email="noor.vandijk@school.example.nl").status == Participant.Status.WAITING


def test_adding_someone_twice_or_with_bad_data_says_why_in_dutch(admin_client):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=cohort)
    admin_client.post(add_url(cohort), new_participant(registration))
    twice = admin_client.post(add_url(cohort), new_participant(registration))
    assert twice.status_code == 200
    assert "is al ingeschreven" in twice.content.decode()
    bad = admin_client.post(add_url(cohort), new_participant(registration, email="geen-adres", brin="x/\x00"))
    assert bad.status_code == 200
    assert "Voer een geldig e-mailadres in." in bad.content.decode()
    other_board = RawRegistrationFactory()
    foreign = admin_client.post(add_url(cohort), new_participant(other_board, email="ander@school.example.nl"))
    assert foreign.status_code == 200
    assert "Selecteer een geldige keuze" in foreign.content.decode()
    assert Participant.objects.filter(cohort=cohort).count() == 1


def test_a_started_or_closed_run_takes_no_participants(admin_client):
    cohort = CohortFactory(status="completed")
    registration = RawRegistrationFactory(cohort=cohort)
    assert add_url(cohort) not in admin_client.get(change_url(cohort)).content.decode()
    response = admin_client.post(add_url(cohort), new_participant(registration))
    assert response.status_code == 200
    assert not Participant.objects.exists()


def test_without_the_permission_no_participant_is_added(client):
    cohort = CohortFactory()
    registration = RawRegistrationFactory(cohort=cohort)
    user = User.objects.create_user("kijker", password="x-secret-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_cohort", "view_participant"]))
    client.force_login(user)
    assert add_url(cohort) not in client.get(change_url(cohort)).content.decode()
    assert client.get(add_url(cohort)).status_code == 403
    assert client.post(add_url(cohort), new_participant(registration)).status_code == 403
    assert not Participant.objects.exists()


def test_the_empty_day_rows_come_filled_in_from_the_programme_and_the_run(admin_client):
    cohort = CohortFactory(venue="Zaal De Eik")
    page = admin_client.get(change_url(cohort)).content.decode()
    days = list(cohort.programme.days.order_by("number"))
    for n, day in enumerate(days):
        assert f'<option value="{day.pk}" selected>' in page.split(f'name="days-{n}-programme_day"')[1][:2000]
    values = input_values(page)
    for n in range(len(days)):
        assert values[f"days-{n}-start_time"] == "09:00"
        assert values[f"days-{n}-venue"] == "Zaal De Eik"


def test_the_rows_take_the_times_the_run_already_uses(admin_client):
    cohort = CohortFactory()
    first = cohort.programme.days.get(number=1)
    CourseDay.objects.create(
        cohort=cohort,
        programme_day=first,
        date=timezone.localdate() + datetime.timedelta(days=40),
        start_time=datetime.time(8, 45),
        end_time=datetime.time(15, 15),
    )
    response = admin_client.get(change_url(cohort))
    formset = response.context["inline_admin_formsets"][0].formset
    extra = formset.extra_forms
    assert len(extra) == 5
    assert [form.initial["programme_day"] for form in extra] == list(
        cohort.programme.days.exclude(number=1).order_by("number").values_list("pk", flat=True)
    )
    assert {(form.initial["start_time"], form.initial["end_time"]) for form in extra} == {
        (datetime.time(8, 45), datetime.time(15, 15))
    }
