"""The public registration form, from POST to the outbox rows, in Dutch and English."""

import re

import pytest
from django.conf import settings
from django.core import mail as django_mail
from django.urls import reverse

from cohorts.models import Board, Participant, Registration
from cohorts.tests.factories import (
    BoardFactory,
    CohortFactory,
    CourseDayFactory,
    RawParticipantFactory,
    new_cohort,
    placed_registration,
)
from mail.models import OutgoingMail

pytestmark = pytest.mark.django_db
URL = reverse("public:registration")


def form_data(**overrides):
    data = {
        "path": "new",
        "board_name": "Stichting Openbaar Onderwijs Rivierenland",
        "board_kind": "bestuur",
        "bestuursnummer": "77494",
        "swv_code": "",
        "sector": "po",
        "board_place": "Tiel",
        "contact_name": "Marieke de Boer",
        "contact_function": "Opleidingscoördinator",
        "contact_email": "m.deboer@rivierenland.example.nl",
        "contact_phone": "06 1234 5678",
        "expected_participants": "15",
        "preferred_period": "voorjaar 2027",
        "preferred_place": "Tiel",
        "remarks": "Graag op dinsdagen.",
        "privacy_consent": "on",
        "website": "",
        "submission_key": "3f1c6a4e9d2b4c7a8e5f0a1b2c3d4e5f",
    }
    data.update(overrides)
    return data


def test_form_page_in_dutch(client):
    page = client.get(URL).content.decode()
    assert "Meld uw bestuur aan" in page
    assert "Bestuursnummer" in page
    assert 'name="submission_key"' in page
    assert 'name="website"' in page
    # Nothing to choose without an open course run: no empty "your request" section.
    assert "Uw aanvraag" not in page
    # The page's title is plain text: nothing of the page's markup leaks into it.
    assert re.search(r"<title>([^<]*)</title>", page)[1].startswith("Meld uw bestuur aan ·")


def test_registration_writes_the_board_the_registration_and_two_emails(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("public:registration_thanks")
    registration = Registration.objects.get()
    assert registration.board.bestuursnummer == "77494"
    assert registration.contact_phone == "0612345678"
    assert registration.expected_participants == 15
    assert registration.privacy_consent_at is not None
    assert registration.language == "nl"
    confirmation = OutgoingMail.objects.get(to=["m.deboer@rivierenland.example.nl"])
    assert confirmation.subject == "Uw aanmelding voor Verbindend leiderschap"
    assert "Beste Marieke de Boer" in confirmation.body_text
    assert "/bestuur/" in confirmation.body_text
    notification = OutgoingMail.objects.get(to=["janjutten@natuurlijkleren.org"])
    assert "Stichting Openbaar Onderwijs Rivierenland" in notification.subject
    assert "Graag op dinsdagen." in notification.body_text
    assert {m.to[0] for m in django_mail.outbox} == {
        "m.deboer@rivierenland.example.nl",
        "janjutten@natuurlijkleren.org",
    }


def test_registration_in_english_sends_the_confirmation_in_english(client, django_capture_on_commit_callbacks):
    client.post(reverse("set_language"), {"language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data())
    confirmation = OutgoingMail.objects.get(to=["m.deboer@rivierenland.example.nl"])
    assert confirmation.language == "en"
    assert confirmation.subject == "Your registration for Verbindend leiderschap"
    assert "Dear Marieke de Boer" in confirmation.body_text
    # The trainer reads Dutch whatever the board's language.
    assert OutgoingMail.objects.get(to=["janjutten@natuurlijkleren.org"]).language == "nl"


def test_link_in_the_confirmation_opens_the_board_page(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data())
    body = OutgoingMail.objects.get(to=["m.deboer@rivierenland.example.nl"]).body_text
    link = next(word for word in body.split() if "/bestuur/" in word)
    page = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert "Stichting Openbaar Onderwijs Rivierenland" in page.content.decode()


def test_thank_you_page_guides_a_small_board(client):
    response = client.post(URL, form_data(expected_participants="6"), follow=True)
    page = response.content.decode()
    assert "Bedankt voor uw aanmelding" in page
    assert "combineren we uw bestuur met andere besturen" in page


def test_thank_you_page_for_a_large_board_has_no_guidance(client):
    page = client.post(URL, form_data(), follow=True).content.decode()
    assert "combineren we uw bestuur" not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("bestuursnummer", "7749", "Een bestuursnummer heeft precies 5 cijfers"),
        ("bestuursnummer", "", "Vul het bestuursnummer van het bestuur in"),
        ("contact_email", "geen-adres", "Voer een geldig e-mailadres in"),
        ("contact_phone", "12345", "Vul een Nederlands telefoonnummer"),
        ("expected_participants", "0", "Zorg ervoor dat deze waarde minstens 1 is"),
        ("expected_participants", "veel", "Voer een geheel getal in"),
        ("privacy_consent", "", "zonder kunnen we uw aanmelding niet behandelen"),
        ("board_name", "", "Dit veld is verplicht"),
    ],
)
def test_field_errors_are_specific_and_in_dutch(client, field, value, message):
    response = client.post(URL, form_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Registration.objects.exists()


def test_samenwerkingsverband_code_is_normalised(client):
    client.post(URL, form_data(board_kind="swv", bestuursnummer="", swv_code="po 22 02"))
    assert Board.objects.get().swv_code == "PO-22-02"


def test_malformed_samenwerkingsverband_code_is_refused(client):
    response = client.post(URL, form_data(board_kind="swv", bestuursnummer="", swv_code="XX-1"))
    assert "PO-22-02" in response.content.decode()
    assert not Registration.objects.exists()


def test_phone_numbers_in_common_notations(client):
    for n, phone in enumerate(["+31 6 1234 5678", "0031-30-1234567", "(030) 123 45 67", "+31 (0)30 1234567"]):
        client.post(URL, form_data(contact_phone=phone, submission_key=f"key-{n}"))
    assert sorted(Registration.objects.values_list("contact_phone", flat=True)) == [
        "0301234567",
        "0301234567",
        "0301234567",
        "0612345678",
    ]


def test_the_two_emails_go_to_the_worker_as_one_task(client, monkeypatch, django_capture_on_commit_callbacks):
    from mail.services import queueing as mail_queueing

    enqueued = []
    monkeypatch.setattr(mail_queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(sorted(mail_ids)))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data())
    assert enqueued == [sorted(OutgoingMail.objects.values_list("pk", flat=True))]
    assert len(enqueued[0]) == 2


@pytest.mark.parametrize("open_runs", [1, 8])
def test_a_valid_registration_runs_the_same_queries_however_many_runs_are_open(
    client, django_assert_num_queries, open_runs
):
    for _ in range(open_runs):
        placed_registration(new_cohort(open_for_joining=True))
    client.get(URL)  # the form's choices cached, as for nearly every visitor
    # Its own savepoint in the test's transaction; the board looked up and
    # written; the registration; the consent; both e-mails in one INSERT.
    with django_assert_num_queries(7):
        response = client.post(URL, form_data())
    assert response.status_code == 302
    registration = Registration.objects.get(contact_email="m.deboer@rivierenland.example.nl")
    assert response["Location"] == reverse("public:registration_thanks")
    assert registration.board.name == "Stichting Openbaar Onderwijs Rivierenland"
    assert sorted(OutgoingMail.objects.filter(key__endswith=f":{registration.pk}").values_list("key", "to")) == [
        (f"registration-notification:{registration.pk}", [settings.TRAINER_NOTIFICATION_EMAIL]),
        (f"registration-received:{registration.pk}", ["m.deboer@rivierenland.example.nl"]),
    ]


def test_double_submit_creates_one_registration(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(URL, form_data())
        second = client.post(URL, form_data())
    assert first["Location"] == second["Location"]
    assert Registration.objects.count() == 1
    assert OutgoingMail.objects.count() == 2


def test_existing_board_is_reused(client):
    board = BoardFactory(bestuursnummer="77494")
    client.post(URL, form_data())
    assert Registration.objects.get().board == board
    assert Board.objects.count() == 1


def test_joining_an_open_cohort(client):
    cohort = CohortFactory(open_for_joining=True, place="Zwolle")
    CourseDayFactory(cohort=cohort)
    page = client.get(URL).content.decode()
    assert cohort.code in page
    assert "Zwolle" in page
    assert "Uw aanvraag" in page  # the choice between a new run and this one
    response = client.post(URL, form_data(path="join", cohort=str(cohort.pk)))
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert registration.cohort == cohort
    assert registration.status == Registration.Status.PLACED


def test_full_cohort_is_not_offered_and_cannot_be_joined(client):
    cohort = CohortFactory(open_for_joining=True)
    RawParticipantFactory.create_batch(30, registration__cohort=cohort, cohort=cohort)
    before = Registration.objects.count()
    assert cohort.code not in client.get(URL).content.decode()
    response = client.post(URL, form_data(path="join", cohort=str(cohort.pk)))
    assert response.status_code == 200
    assert "Er staat op dit moment geen uitvoering open om bij aan te sluiten" in response.content.decode()
    assert Registration.objects.count() == before


def test_joining_a_cohort_that_is_not_among_the_open_ones(client):
    CohortFactory(open_for_joining=True)
    closed = CohortFactory(open_for_joining=False)
    response = client.post(URL, form_data(path="join", cohort=str(closed.pk)))
    assert "Kies een van de open uitvoeringen" in response.content.decode()
    assert not Registration.objects.exists()


def test_closed_cohort_cannot_be_joined_by_a_forged_id(client):
    cohort = CohortFactory(open_for_joining=False)
    response = client.post(URL, form_data(path="join", cohort=str(cohort.pk)))
    assert response.status_code == 200
    assert not Registration.objects.exists()


def test_participants_of_a_cohort_do_not_appear_on_the_form(client):
    participant = RawParticipantFactory(cohort__open_for_joining=True)
    page = client.get(URL).content.decode()
    assert participant.email not in page
    assert participant.last_name not in page
    assert Participant.objects.count() == 1


def test_each_visitor_gets_a_submission_key_of_their_own(client):
    """The rendered form is cached; the key that tells double submits apart must never be."""
    import re

    keys = {re.search(r'name="submission_key" value="([^"]+)"', client.get(URL).content.decode())[1] for _ in range(3)}
    assert len(keys) == 3


def test_cached_form_follows_a_newly_opened_cohort(client):
    client.get(URL)
    cohort = CohortFactory(open_for_joining=True)
    assert cohort.code in client.get(URL).content.decode()


def test_cached_form_follows_the_language(client):
    assert "Naam van het bestuur" in client.get(URL).content.decode()
    client.post(reverse("set_language"), {"language": "en"})
    assert "Name of the board" in client.get(URL).content.decode()
