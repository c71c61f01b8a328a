"""
Several visitors at once, each in a browser of their own, against the production processes.

The Django test client skips CSRF and is one visitor; these visitors are not.
Each opens the form first and then they send it one after another, as people
do: a page cached with one visitor's CSRF token fails every visitor after the
first (see public_pages/templates/public_pages/registration.html).
"""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Cohort, Participant, Registration
from cohorts.services import links
from cohorts.tests.factories import BoardFactory, CourseDayFactory, ParticipantFactory, RegistrationFactory

from .helpers import Camera, assert_accessible, fill_enrolment, fill_registration, new_page

pytestmark = pytest.mark.browser

VISITORS = [
    ("Stichting Openbaar Onderwijs Rivierenland", "41001", "Marieke de Boer", "m.deboer@rivierenland.example.nl"),
    ("Stichting Katholiek Onderwijs Eemland", "41002", "Pieter Smit", "p.smit@skoe.example.nl"),
    ("Stichting Christelijk Primair Onderwijs Amersfoort", "41003", "Fatima el Amrani", "f.elamrani@cpoa.example.nl"),
]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def link(stack, make_url, obj) -> str:
    """A personal link as the running stack signs it (its own SECRET_KEY), as its e-mails carry it."""
    with override_settings(SECRET_KEY=stack.env["SECRET_KEY"]):
        return path_of(make_url(obj))


def placed_registration(**fields) -> Registration:
    registration = RegistrationFactory(**fields)
    for number in (1, 2):
        CourseDayFactory(
            cohort=registration.cohort,
            programme_day=registration.cohort.programme.days.get(number=number),
            date=timezone.localdate() + datetime.timedelta(days=40 + 14 * number),
        )
    return registration


def test_three_visitors_who_open_the_registration_form_first_all_register(browser, stack, screenshots):
    pages = [new_page(browser, base_url=stack.url) for _ in VISITORS]
    for page in pages:
        page.goto("/aanmelden/")
    for page, (board, number, contact, email) in zip(pages, VISITORS, strict=True):
        fill_registration(page, board=board, number=number, contact=contact, email=email)
        assert "Bedankt voor uw aanmelding" in page.content()
    assert Registration.objects.count() == 3
    assert set(Registration.objects.values_list("contact_email", flat=True)) == {v[3] for v in VISITORS}
    for page in pages:
        page.context.close()
    stack.assert_no_server_errors()


def test_three_visitors_who_open_the_enrolment_form_first_all_enrol(browser, stack, screenshots):
    camera = Camera(screenshots, "visitors-enrol")
    registration = placed_registration()
    enrol_path = link(stack, links.enrolment_url, registration)
    pages = [new_page(browser, base_url=stack.url) for _ in range(3)]
    for page in pages:
        page.goto(enrol_path)
    assert_accessible(pages[0], "enrol-form")
    camera.shoot(pages[0], "enrol-form")
    leaders = [
        ("Anouk", "Berg", "anouk@obsdelinde.nl"),
        ("Daan", "Jansen", "daan@obsdelinde.nl"),
        ("Sanne", "Dijk", "sanne@obsdelinde.nl"),
    ]
    for page, (first, last, email) in zip(pages, leaders, strict=True):
        fill_enrolment(page, first_name=first, last_name=last, email=email)
        assert "U bent ingeschreven" in page.content()
        assert email in page.content()  # the thank-you page names the mailbox that brings the personal link
    assert_accessible(pages[-1], "enrol-thanks")
    camera.shoot(pages[-1], "enrol-thanks")
    assert registration.participants.filter(status=Participant.Status.ENROLLED).count() == 3
    for page in pages:
        page.context.close()
    stack.assert_no_server_errors()


def test_a_visitor_whose_session_is_gone_gets_a_page_that_says_what_to_do(browser, stack, screenshots):
    camera = Camera(screenshots, "visitors-csrf")
    page = new_page(browser, base_url=stack.url)
    page.goto("/aanmelden/")
    page.context.clear_cookies()  # as when the browser dropped the site's cookies while the form was open
    page.fill("[name=board_name]", "Stichting De Verloren Sessie")
    page.click("form.registration-form [type=submit]")
    expect(page.locator("h1")).to_have_text("Uw formulier kon niet worden verzonden")
    assert page.locator("a.btn", has_text="Open het formulier opnieuw").get_attribute("href") == "/aanmelden/"
    assert_accessible(page, "csrf-failure")
    camera.shoot(page, "csrf-failure")
    page.click("a.btn >> text=Open het formulier opnieuw")
    fill_registration(page, board="Stichting De Verloren Sessie", number="41009", contact="Kees Smit", email="k@x.nl")
    page.context.close()


def test_a_board_contact_sees_every_registration_on_one_page(browser, stack, screenshots):
    camera = Camera(screenshots, "visitors-board")
    board = BoardFactory(name="Stichting Openbaar Onderwijs Rivierenland")
    contact = "m.deboer@rivierenland.example.nl"
    now = timezone.now()
    running = placed_registration(
        board=board, contact_email=contact, cohort__code="VL-2026-03", created_at=now - datetime.timedelta(days=200)
    )
    Cohort.objects.filter(pk=running.cohort_id).update(status=Cohort.Status.RUNNING)
    ParticipantFactory.create_batch(3, registration=running)
    planned = placed_registration(
        board=board, contact_email=contact, cohort__code="VL-2027-01", created_at=now - datetime.timedelta(days=50)
    )
    newest = RegistrationFactory(board=board, contact_email=contact, cohort=None, status="received")
    stranger = RegistrationFactory(board=board, contact_email="iemand@elders.example.nl", cohort=planned.cohort)
    ParticipantFactory(registration=stranger, first_name="Vreemde", last_name="Eend")

    page = new_page(browser, base_url=stack.url)
    page.goto(link(stack, links.board_page_url, newest))
    expect(page.locator("#registrations-title")).to_have_text("Uw 3 aanmeldingen")
    assert "VL-2026-03" in page.content() and "VL-2027-01" in page.content()
    assert "Vreemde" not in page.content()
    assert_accessible(page, "board-page-three-registrations")
    camera.shoot(page, "board-page")
    page.fill("[name=add-first_name]", "Noor")
    page.fill("[name=add-last_name]", "Visser")
    page.fill("[name=add-email]", "n.visser@obsdelinde.nl")
    page.select_option("[name=add-role]", "directeur")
    page.fill("[name=add-school]", "OBS De Linde")
    page.fill("[name=add-brin]", "12AB")
    page.click("form:has(input[name=action][value=add]) [type=submit]")
    expect(page.locator("tbody tr", has_text="Noor Visser")).to_have_count(1)
    assert planned.participants.filter(email="n.visser@obsdelinde.nl").exists()
    # Rows that fail stay in the box, to be corrected.
    page.fill(
        "[name=paste-rows]",
        'Lotte;van den;Heuvel;lotte@obsdelinde.nl;directeur;"OBS De Linde; locatie Noord";12AB\n'
        "Kees;;Smit;geen-mail;directeur;OBS Noord;56EF",
    )
    page.click("button[name=action][value=paste]")
    expect(page.locator(".preview-table tr.table-success")).to_have_count(1)
    page.click("button[name=action][value=paste_confirm]")
    expect(page.locator("tbody tr", has_text="Lotte van den Heuvel")).to_have_count(1)
    assert "geen-mail" in page.input_value("[name=paste-rows]")
    assert "lotte@" not in page.input_value("[name=paste-rows]")
    assert_accessible(page, "board-page-failed-rows")
    camera.shoot(page, "board-page-failed-rows")
    assert planned.participants.get(email="lotte@obsdelinde.nl").school == "OBS De Linde; locatie Noord"
    page.context.close()
    stack.assert_no_server_errors()


def test_verification_and_the_rate_limited_form_as_seen(browser, stack, screenshots):
    camera = Camera(screenshots, "visitors-pages")
    page = new_page(browser, base_url=stack.url)
    page.goto("/verificatie/")
    assert_accessible(page, "verify-form")
    camera.shoot(page, "verify-form")
    page.fill("[name=code]", "vl-2026-01-001/")
    page.click("main form [type=submit]")
    expect(page.locator(".alert")).to_contain_text("VL-2026-01-001")
    assert_accessible(page, "verify-unknown")
    camera.shoot(page, "verify-unknown")
    page.context.close()
