"""
Two board contacts, each in a browser of their own, accept their own board's offer on their board page.

Both open their page first and then send the form one after the other, as
people do: each gets the page with their own CSRF token and only their own
offer, and each acceptance is recorded for the version that contact saw,
with that contact's purchase-order number, and confirmed by e-mail.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Offer
from billing.services import offers
from billing.tests.factories import filled_in_provider, priced_programme
from cohorts.services import links

from .helpers import Camera, assert_accessible, new_page
from .test_visitors import link, placed_registration

pytestmark = pytest.mark.browser

CONTACTS = [
    ("Stichting Openbaar Onderwijs Rivierenland", "Marieke de Boer", "m.deboer@rivierenland.example.nl", "IO-4410"),
    ("Stichting Katholiek Onderwijs Eemland", "Pieter Smit", "p.smit@skoe.example.nl", ""),
]
KVK = ["41234567", "30123456"]


def test_two_contacts_each_accept_their_own_board_s_offer(browser, stack, screenshots):
    camera = Camera(screenshots, "offer-acceptance")
    filled_in_provider()
    priced_programme()
    made = []
    for board, contact, email, _po in CONTACTS:
        registration = placed_registration(board__name=board, contact_name=contact, contact_email=email)
        made.append((registration, offers.make_offer(registration=registration)))
    pages = [new_page(browser, base_url=stack.url) for _ in made]
    for page, (registration, _offer) in zip(pages, made, strict=True):
        page.goto(link(stack, links.board_page_url, registration))
    for page, (_registration, offer) in zip(pages, made, strict=True):
        others = [other for _r, other in made if other.pk != offer.pk]
        expect(page.locator(f"[data-offer='{offer.pk}']")).to_have_count(1)
        expect(page.locator(f"[data-offer='{others[0].pk}']")).to_have_count(0)
    assert_accessible(pages[0], "board-page-offer")
    camera.shoot(pages[0], "open-offer")

    # A wrong KvK number first: the form comes back with the error, in Dutch, and nothing is accepted.
    first = pages[0]
    first.fill("[name=accept-kvk_number]", "1234")
    first.click("form:has(input[name=action][value=accept_offer]) [type=submit]")
    expect(first.locator("#id_accept-kvk_number_error")).to_contain_text("Een KvK-nummer heeft acht cijfers")
    assert not Offer.objects.filter(status="accepted").exists()
    camera.shoot(first, "wrong-kvk-number")

    for page, (_board, _contact, _email, po), kvk in zip(pages, CONTACTS, KVK, strict=True):
        page.fill("[name=accept-po_number]", po)
        page.fill("[name=accept-invoice_address]", "Crediteurenadministratie\nPostbus 2100\n3500 GC Utrecht")
        page.fill("[name=accept-invoice_email]", "facturen@bestuur.example.nl")
        page.fill("[name=accept-kvk_number]", kvk)
        page.click("form:has(input[name=action][value=accept_offer]) [type=submit]")
        expect(page.locator(".alert-success")).to_contain_text("u hebt versie 1 van offerte")
    camera.shoot(pages[0], "accepted")
    assert_accessible(pages[0], "board-page-offer-accepted")

    for (registration, offer), (_board, contact, email, po), kvk in zip(made, CONTACTS, KVK, strict=True):
        offer.refresh_from_db()
        assert (offer.status, offer.po_number, offer.kvk_number) == (Offer.Status.ACCEPTED, po, kvk)
        assert (
            (offer.accepted_by_name, offer.accepted_by_email)
            == (contact, email)
            == (
                registration.contact_name,
                registration.contact_email,
            )
        )
        assert offer.accepted_at > timezone.now() - datetime.timedelta(minutes=5)
        message = stack.wait_for_mail(template="billing/mail/offer_accepted", to=email)
        assert offer.number in message["Subject"]
    for page in pages:
        page.context.close()
    stack.assert_no_server_errors()
