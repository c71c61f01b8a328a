"""
Every admin action of the course runs, registrations and participants, for both staff groups.

An action that changes a run's life or mails people first shows what it
will do and to whom; only the page's own POST (post=yes) does it. An action
the group may not run is not offered, and a forged POST changes nothing.
"""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Cohort, Participant, Registration
from mail.models import OutgoingMail

from .conftest import member
from .factories import CohortFactory, ParticipantFactory, RegistrationFactory, stored_days

pytestmark = pytest.mark.django_db
COHORTS = reverse("admin:cohorts_cohort_changelist")
REGISTRATIONS = reverse("admin:cohorts_registration_changelist")
PARTICIPANTS = reverse("admin:cohorts_participant_changelist")


def run_with_two_boards(status=Cohort.Status.PLANNED, first=None):
    """A run of 12 enrolled participants from two boards (one more on the waiting list, one withdrawn)."""
    cohort = CohortFactory(status=status)
    first_board = RegistrationFactory(cohort=cohort)
    second_board = RegistrationFactory(cohort=cohort)
    ParticipantFactory.create_batch(7, registration=first_board)
    ParticipantFactory.create_batch(5, registration=second_board)
    ParticipantFactory(registration=second_board, status=Participant.Status.WAITING, waitlist_number=1)
    ParticipantFactory(registration=second_board, status=Participant.Status.WITHDRAWN)
    RegistrationFactory(cohort=cohort, status=Registration.Status.CANCELLED)
    stored_days(cohort, first=first or timezone.localdate() + datetime.timedelta(days=60))
    return cohort


def act(client, changelist, action, objects, **fields):
    return client.post(
        changelist, {"action": action, "_selected_action": [obj.pk for obj in objects], **fields}, follow=True
    )


def offered(client, changelist):
    """Return the actions the changelist offers this user."""
    response = client.get(changelist)
    assert response.status_code == 200
    form = response.context["action_form"]
    if form is None:  # no action at all for this user
        return set()
    return {name for name, _label in form.fields["action"].choices if name}


# --- Course runs: confirm, cancel, complete (the trainer's) ---------------------


def test_the_trainer_is_offered_the_run_actions_and_the_office_none(client):
    client.force_login(member("Trainer"))
    assert {"confirm", "cancel", "complete"} <= offered(client, COHORTS)
    client.force_login(member("Kantoor"))
    assert not {"confirm", "cancel", "complete"} & offered(client, COHORTS)


def test_confirm_shows_who_gets_the_schedule_first_and_changes_nothing(trainer):
    cohort = run_with_two_boards()
    page = act(trainer, COHORTS, "confirm", [cohort])
    text = page.content.decode()
    assert page.templates[0].name == "admin/action_confirmation.html"
    assert "1 uitvoering wordt bevestigd." in text
    assert "12 deelnemers krijgen het rooster met agenda-uitnodiging." in text
    assert "2 contactpersonen van besturen krijgen het rooster met agenda-uitnodiging." in text
    assert 'name="post" value="yes"' in text
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.PLANNED
    assert not OutgoingMail.objects.exists()


def test_confirm_after_the_page_sends_what_the_page_counted(trainer):
    cohort = run_with_two_boards()
    page = act(trainer, COHORTS, "confirm", [cohort], post="yes")
    assert "1 uitvoering bevestigd; het rooster is verstuurd." in page.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CONFIRMED
    mails = OutgoingMail.objects.filter(template="cohorts/mail/cohort_confirmed")
    assert mails.count() == 12 + 2


def test_two_runs_confirmed_read_in_the_plural(trainer):
    runs = [run_with_two_boards(), run_with_two_boards(first=timezone.localdate() + datetime.timedelta(days=61))]
    page = act(trainer, COHORTS, "confirm", runs)
    assert "2 uitvoeringen worden bevestigd." in page.content.decode()
    assert "24 deelnemers krijgen" in page.content.decode()
    page = act(trainer, COHORTS, "confirm", runs, post="yes")
    assert "2 uitvoeringen bevestigd; het rooster is verstuurd." in page.content.decode()


def test_a_run_the_action_does_not_apply_to_is_not_counted(trainer):
    cohort = run_with_two_boards(status=Cohort.Status.CANCELLED)
    text = act(trainer, COHORTS, "confirm", [cohort]).content.decode()
    assert "0 uitvoeringen worden bevestigd." in text
    assert "0 deelnemers krijgen" in text
    assert "deze uitvoering blijft zoals ze is" in text


def test_cancel_asks_a_reason_and_counts_who_is_told(trainer):
    cohort = run_with_two_boards(status=Cohort.Status.CONFIRMED)
    text = act(trainer, COHORTS, "cancel", [cohort]).content.decode()
    assert "1 uitvoering wordt geannuleerd." in text
    assert "12 deelnemers krijgen de annulering met uw reden" in text
    assert "2 contactpersonen van besturen krijgen de annulering met uw reden." in text
    assert 'name="reason"' in text
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CONFIRMED
    assert not OutgoingMail.objects.exists()


def test_cancel_without_a_reason_is_refused_with_a_message(trainer):
    cohort = run_with_two_boards(status=Cohort.Status.CONFIRMED)
    page = act(trainer, COHORTS, "cancel", [cohort], post="yes", reason="   ")
    assert page.status_code == 200
    assert "Dit veld is verplicht." in page.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CONFIRMED
    assert not OutgoingMail.objects.exists()


def test_cancel_with_a_reason_tells_everyone_why(trainer):
    cohort = run_with_two_boards(status=Cohort.Status.CONFIRMED)
    reason = "De trainer is langdurig ziek; we plannen graag een nieuwe uitvoering met u."
    page = act(trainer, COHORTS, "cancel", [cohort], post="yes", reason=reason)
    assert "1 uitvoering geannuleerd; iedereen is op de hoogte gebracht." in page.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.CANCELLED
    mails = OutgoingMail.objects.filter(template="cohorts/mail/cohort_cancelled")
    assert mails.count() == 12 + 2
    for mail in mails:
        assert reason in mail.body_text
        assert "De reden:" in mail.body_text
        assert "langdurig ziek" in mail.body_html


def test_complete_shows_the_page_first_and_mails_nobody(trainer):
    cohort = run_with_two_boards(
        status=Cohort.Status.RUNNING, first=timezone.localdate() - datetime.timedelta(weeks=12)
    )
    text = act(trainer, COHORTS, "complete", [cohort]).content.decode()
    assert "1 uitvoering wordt als afgerond gemarkeerd" in text
    assert "Niemand krijgt een e-mail." in text
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.RUNNING
    page = act(trainer, COHORTS, "complete", [cohort], post="yes")
    assert "1 uitvoering afgerond." in page.content.decode()
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.COMPLETED
    assert not OutgoingMail.objects.exists()


@pytest.mark.parametrize(
    ("action", "status", "fields"),
    [
        ("confirm", Cohort.Status.PLANNED, {}),
        ("cancel", Cohort.Status.CONFIRMED, {"reason": "Vervalt"}),
        ("complete", Cohort.Status.RUNNING, {}),
    ],
)
def test_the_office_cannot_run_the_run_actions_even_by_a_forged_post(office, action, status, fields):
    cohort = run_with_two_boards(status=status, first=timezone.localdate() - datetime.timedelta(weeks=12))
    for extra in ({}, {"post": "yes", **fields}):
        page = act(office, COHORTS, action, [cohort], **extra)
        assert page.status_code == 200
        assert page.templates[0].name != "admin/action_confirmation.html"
    cohort.refresh_from_db()
    assert cohort.status == status
    assert not OutgoingMail.objects.exists()


# --- Registrations: form a run, add to a run (the trainer's) ---------------------


def test_form_cohort_shows_the_page_first(trainer):
    first = RegistrationFactory(cohort=None, status="intake", expected_participants=7)
    second = RegistrationFactory(cohort=None, status="received", expected_participants=6)
    text = act(trainer, REGISTRATIONS, "form_cohort", [first, second]).content.decode()
    assert "13 deelnemers verwacht." in text
    assert "2 contactpersonen krijgen een e-mail met de uitvoering" in text
    assert first.board.name in text
    assert not Cohort.objects.exists()
    assert not OutgoingMail.objects.exists()
    act(trainer, REGISTRATIONS, "form_cohort", [first, second], post="yes")
    cohort = Cohort.objects.get()
    assert set(cohort.registrations.all()) == {first, second}
    assert OutgoingMail.objects.filter(template="cohorts/mail/registration_placed").count() == 2


def test_add_to_cohort_asks_which_run_and_who_is_told(trainer):
    cohort = CohortFactory()
    registration = RegistrationFactory(cohort=None, status="intake")
    text = act(trainer, REGISTRATIONS, "add_to_cohort", [registration]).content.decode()
    assert cohort.code in text
    assert "1 contactpersoon krijgt een e-mail met de uitvoering" in text
    registration.refresh_from_db()
    assert registration.cohort is None
    act(trainer, REGISTRATIONS, "add_to_cohort", [registration], post="yes", cohort=cohort.pk)
    registration.refresh_from_db()
    assert registration.cohort == cohort
    assert OutgoingMail.objects.filter(template="cohorts/mail/registration_placed").count() == 1


def test_add_to_cohort_without_a_run_is_asked_again(trainer):
    registration = RegistrationFactory(cohort=None, status="intake")
    page = act(trainer, REGISTRATIONS, "add_to_cohort", [registration], post="yes", cohort="not-a-run")
    assert page.status_code == 200
    assert "Selecteer een geldige keuze" in page.content.decode()
    registration.refresh_from_db()
    assert registration.cohort is None


@pytest.mark.parametrize("action", ["form_cohort", "add_to_cohort"])
def test_the_office_cannot_form_or_place_even_by_a_forged_post(office, action):
    cohort = CohortFactory()
    registration = RegistrationFactory(cohort=None, status="intake")
    assert action not in offered(office, REGISTRATIONS)
    for extra in ({}, {"post": "yes", "cohort": cohort.pk}):
        page = act(office, REGISTRATIONS, action, [registration], **extra)
        assert page.templates[0].name != "admin/action_confirmation.html"
    registration.refresh_from_db()
    assert registration.cohort is None
    assert Cohort.objects.count() == 1
    assert not OutgoingMail.objects.exists()


@pytest.mark.parametrize("group", ["Trainer", "Kantoor"])
def test_both_groups_may_rotate_a_boards_links(client, group):
    registration = RegistrationFactory()
    client.force_login(member(group))
    old = registration.access_key
    assert "rotate_links" in offered(client, REGISTRATIONS)
    act(client, REGISTRATIONS, "rotate_links", [registration])
    registration.refresh_from_db()
    assert registration.access_key != old


def test_a_user_without_change_rights_cannot_rotate_links(client):
    registration = RegistrationFactory()
    user = User.objects.create_user("kijker", password="x-secret-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_registration"))
    client.force_login(user)
    assert "rotate_links" not in offered(client, REGISTRATIONS)
    old = registration.access_key
    act(client, REGISTRATIONS, "rotate_links", [registration])
    registration.refresh_from_db()
    assert registration.access_key == old


# --- Erasure (the office's) ---------------------------------------------------------


def test_the_office_erases_after_the_page_and_the_trainer_cannot(client):
    participant = ParticipantFactory(first_name="Ilse")
    registration = participant.registration
    client.force_login(member("Trainer"))
    assert "anonymise" not in offered(client, PARTICIPANTS)
    assert "anonymise_contacts" not in offered(client, REGISTRATIONS)
    act(client, PARTICIPANTS, "anonymise", [participant], confirm="yes")
    act(client, REGISTRATIONS, "anonymise_contacts", [registration], confirm="yes")
    participant.refresh_from_db()
    registration.refresh_from_db()
    assert participant.first_name == "Ilse"
    assert registration.contact_name != "Gewist"
    client.force_login(member("Kantoor"))
    assert "Ilse" in act(client, PARTICIPANTS, "anonymise", [participant]).content.decode()
    participant.refresh_from_db()
    assert participant.first_name == "Ilse"
    act(client, PARTICIPANTS, "anonymise", [participant], confirm="yes")
    participant.refresh_from_db()
    assert participant.first_name == "Gewist"


def test_a_run_below_the_minimum_or_not_fully_scheduled_is_named_and_not_counted(trainer):
    short = run_with_two_boards()
    short.participants.filter(status=Participant.Status.ENROLLED).first().delete()
    unscheduled = run_with_two_boards(first=timezone.localdate() + datetime.timedelta(days=61))
    unscheduled.days.filter(programme_day__number=6).delete()
    text = act(trainer, COHORTS, "confirm", [short, unscheduled]).content.decode()
    assert "0 uitvoeringen worden bevestigd." in text
    assert "0 deelnemers krijgen" in text
    assert "11 ingeschreven, minstens 12 nodig: deze uitvoering blijft zoals ze is" in text
    assert "5 van de 6 dagen gepland: deze uitvoering blijft zoals ze is" in text


@pytest.mark.parametrize("action", ["confirm", "cancel", "complete"])
def test_the_confirmation_page_costs_the_same_queries_for_one_run_or_five(trainer, action):
    runs = [run_with_two_boards(first=timezone.localdate() + datetime.timedelta(days=60 + n)) for n in range(5)]
    counts = []
    for selection in (runs[:1], runs):
        with CaptureQueriesContext(connection) as queries:
            page = act(trainer, COHORTS, action, selection)
        assert page.templates[0].name == "admin/action_confirmation.html"
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_form_cohort_page_costs_the_same_queries_for_one_board_or_five(trainer):
    registrations = [RegistrationFactory(cohort=None, status="intake") for _ in range(5)]
    counts = []
    for selection in (registrations[:1], registrations):
        with CaptureQueriesContext(connection) as queries:
            act(trainer, REGISTRATIONS, "form_cohort", selection)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_reason_is_quoted_as_text_never_as_html(trainer):
    cohort = run_with_two_boards(status=Cohort.Status.CONFIRMED)
    act(trainer, COHORTS, "cancel", [cohort], post="yes", reason='Zaal <b>dicht</b> & "verbouwd"')
    mail = OutgoingMail.objects.filter(template="cohorts/mail/cohort_cancelled").first()
    assert "Zaal &lt;b&gt;dicht&lt;/b&gt; &amp;" in mail.body_html
    assert 'Zaal <b>dicht</b> & "verbouwd"' in mail.body_text
