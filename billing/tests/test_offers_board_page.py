"""
The offer on the board page: shown to its own contact only, downloaded as a PDF, and accepted there with a form.

The page's link is the contact's signed personal link; an offer of another
board (or another contact) is a 404 on every route, as if it did not exist.
"""

import datetime
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import Offer
from billing.services import offers
from cohorts.services import links
from cohorts.tests.factories import board_data, placed_registration
from mail.models import OutgoingMail

from .factories import ACCEPTANCE, filled_in_provider, offered_registration, priced_programme
from .test_offers import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(fixed_clock):
    filled_in_provider()
    return priced_programme()


def board_path(registration) -> str:
    return urlsplit(links.board_page_url(registration)).path


def offer_path(registration, offer) -> str:
    token = board_path(registration).rstrip("/").rsplit("/", 1)[1]
    return reverse("public:board_offer", kwargs={"token": token, "offer_id": offer.pk})


def acceptance(offer, **overrides) -> dict:
    data = {"action": "accept_offer", "accept-offer": str(offer.pk)}
    data.update({f"accept-{name}": value for name, value in {**ACCEPTANCE, **overrides}.items()})
    return data


def accept(client, registration, offer, **overrides):
    return client.post(board_path(registration), acceptance(offer, **overrides), follow=True)


def page_text(response) -> str:
    return unescape(response.content.decode())


def test_the_board_page_shows_the_open_offer_with_its_pdf_and_the_acceptance_form(client, ready):
    registration, offer = offered_registration()
    page = page_text(client.get(board_path(registration)))
    assert f"Offerte {offer.number}, versie 1" in page
    assert "totaal € 20.300,00" in page and "vrijgesteld van btw" in page
    assert 'name="accept-kvk_number"' in page and "Versie 1 accepteren" in page
    download = client.get(offer_path(registration, offer))
    assert download["Content-Type"] == "application/pdf"
    assert f"{offer.number}, versie 1" in pdf_text(download.content)


def test_the_contact_accepts_the_offer_and_gets_a_confirmation(client, ready):
    registration, offer = offered_registration()
    response = accept(client, registration, offer)
    assert f"u hebt versie 1 van offerte {offer.number} geaccepteerd" in page_text(response)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.ACCEPTED
    assert (offer.po_number, offer.invoice_email, offer.kvk_number) == (
        "PO-2027-0815",
        "facturen@bestuur.example.nl",
        "41234567",
    )
    assert offer.accepted_by_email == registration.contact_email
    assert OutgoingMail.objects.filter(key=f"offer-accepted:{offer.pk}", to=[registration.contact_email]).exists()
    page = page_text(client.get(board_path(registration)))
    assert "Geaccepteerd op 1 maart 2027, 10:00 door Fatima el Amrani." in page
    assert "Inkooporder: PO-2027-0815." in page and 'name="accept-kvk_number"' not in page


def test_a_kvk_number_with_spaces_is_stored_as_its_eight_digits(client, ready):
    registration, offer = offered_registration()
    accept(client, registration, offer, kvk_number="4123 4567", po_number="")
    offer.refresh_from_db()
    assert (offer.status, offer.kvk_number, offer.po_number) == (Offer.Status.ACCEPTED, "41234567", "")


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"invoice_address": "", "invoice_email": "", "kvk_number": ""}, "Dit veld is verplicht."),
        ({"kvk_number": "1234567"}, "Een KvK-nummer heeft acht cijfers, zoals 12345678."),
        ({"kvk_number": "1234567A"}, "Een KvK-nummer heeft acht cijfers, zoals 12345678."),
        ({"invoice_email": "facturen@"}, "Voer een geldig e-mailadres in."),
        ({"po_number": "P" * 51}, "Zorg dat deze waarde niet meer dan 50 tekens bevat (het zijn er nu 51)."),
        ({"invoice_address": "x" * 100_000}, "Zorg dat deze waarde niet meer dan 500 tekens bevat"),
        ({"invoice_address": "<script>alert(1)</script>"}, "Laat de tekens < en > weg."),
        ({"po_number": '"><img src=x onerror=alert(1)>'}, "Laat de tekens < en > weg."),
    ],
    ids=["empty", "kvk-short", "kvk-letter", "email", "po-too-long", "huge", "script-tag", "markup-in-po"],
)
def test_a_bad_acceptance_is_sent_back_with_its_errors_in_dutch(client, ready, overrides, error):
    registration, offer = offered_registration()
    response = client.post(board_path(registration), acceptance(offer, **overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert error in unescape(page)
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN
    assert not OutgoingMail.objects.filter(key__startswith="offer-accepted").exists()


def test_a_second_submit_is_harmless_and_says_the_offer_was_accepted(client, ready):
    registration, offer = offered_registration()
    accept(client, registration, offer)
    response = accept(client, registration, offer, po_number="ANDERS")
    assert "Versie 1 van deze offerte is op 1 maart 2027 geaccepteerd door Fatima el Amrani" in page_text(response)
    offer.refresh_from_db()
    assert offer.po_number == "PO-2027-0815"
    assert OutgoingMail.objects.filter(key__startswith="offer-accepted:").count() == 1


def test_a_superseded_version_is_refused_with_a_clear_message(client, ready):
    registration, first = offered_registration()
    page_with_version_1 = acceptance(first)
    second = offers.make_offer(registration=registration)
    response = client.post(board_path(registration), page_with_version_1, follow=True)
    assert "Versie 1 van deze offerte is vervangen door een nieuwere versie; accepteer die." in page_text(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Offer.Status.SUPERSEDED, Offer.Status.OPEN)
    # The superseded version's PDF is no longer offered for download either.
    assert client.get(offer_path(registration, first)).status_code == 404


@pytest.mark.parametrize("offer_id", ["999999", "abc", ""])
def test_a_forged_offer_id_is_a_404(client, ready, offer_id):
    registration, offer = offered_registration()
    data = {**acceptance(offer), "accept-offer": offer_id}
    assert client.post(board_path(registration), data).status_code == 404
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN


def test_another_board_s_link_neither_sees_nor_accepts_nor_downloads_its_offer(client, ready):
    ours, our_offer = offered_registration()
    theirs, their_offer = offered_registration(board=board_data(name="Stichting Ander Bestuur"))
    our_page = page_text(client.get(board_path(ours)))
    assert f"Offerte {our_offer.number}" in our_page and their_offer.number not in our_page
    assert client.post(board_path(ours), acceptance(their_offer)).status_code == 404
    assert client.get(offer_path(ours, their_offer)).status_code == 404
    their_offer.refresh_from_db()
    assert their_offer.status == Offer.Status.OPEN
    # Their own link still works for them.
    accept(client, theirs, their_offer)
    their_offer.refresh_from_db()
    assert their_offer.status == Offer.Status.ACCEPTED


def test_another_contact_of_the_same_board_cannot_accept_the_offer(client, ready):
    board = board_data()
    _ours, our_offer = offered_registration(board=board, contact_email="een@bestuur.example.nl")
    other = placed_registration(board=board, contact_email="ander@bestuur.example.nl")
    assert our_offer.number not in page_text(client.get(board_path(other)))
    assert client.post(board_path(other), acceptance(our_offer)).status_code == 404


def test_the_acceptance_needs_the_page_s_csrf_token(ready):
    registration, offer = offered_registration()
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(board_path(registration), acceptance(offer)).status_code == 403
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN


def _offers_on_one_board(count: int):
    board = board_data()
    registrations = []
    for n in range(count):
        registration, _offer = offered_registration(board=board, contact_email="contact@bestuur.example.nl")
        registrations.append(registration)
        if n % 2:
            offers.make_offer(registration=registration)  # a second version: the first superseded
        if n % 3 == 2:
            offers.accept_offer(offer=registration.offers.get(status="open"), data=ACCEPTANCE)
    return registrations


@pytest.mark.parametrize("count", [1, 4])
def test_the_board_page_runs_the_same_queries_however_many_offers(client, ready, django_assert_num_queries, count):
    registrations = _offers_on_one_board(count)
    url = board_path(registrations[0])
    client.get(url)
    # The page without participants, 8, the live offers of the contact's registrations, 1, and their invoices, 1.
    with django_assert_num_queries(10):
        page = page_text(client.get(url))
    live = Offer.objects.exclude(status="superseded")
    assert page.count("Download de offerte") == live.count() == count
    assert page.count("accepteren</button>") == live.filter(status="open").count()


def test_the_contact_s_own_data_page_lists_their_offers_in_dutch(client, ready):
    registration, offer = offered_registration()
    accept(client, registration, offer)
    token = board_path(registration).rstrip("/").rsplit("/", 1)[1]
    page = page_text(client.get(reverse("public:registration_data", kwargs={"token": token})))
    assert "Offertes" in page and "Offertenummer" in page and offer.number in page
    assert "Inkoopordernummer" in page and "PO-2027-0815" in page and "geaccepteerd" in page


def test_an_expired_offer_shows_no_form_but_says_to_ask_for_a_new_version(client, ready, fixed_clock):
    registration, offer = offered_registration()
    fixed_clock.shift(datetime.timedelta(days=31))
    page = page_text(client.get(board_path(registration)))
    assert "Deze offerte was geldig tot 31 maart 2027; vraag ons om een nieuwe versie." in page
    assert 'name="accept-kvk_number"' not in page
    response = accept(client, registration, offer)
    assert "Deze offerte was geldig tot 31 maart 2027" in page_text(response)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN
