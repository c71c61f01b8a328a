"""Registration with the keyboard alone, and proof that the axe-core check can fail."""

import pytest

from cohorts.models import Registration

from .helpers import Camera, assert_accessible, new_page

pytestmark = pytest.mark.browser


def tab_to(page, selector: str, limit: int = 60):
    """Press Tab until the element matching the selector has the focus, as someone without a mouse does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with the Tab key")


def test_a_board_registers_with_the_keyboard_alone(browser, stack, screenshots):
    page = new_page(browser, base_url=stack.url)
    page.goto("/")
    # The skip link comes first, then the navigation leads to the form.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    tab_to(page, "a[href='/aanmelden/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/aanmelden/")

    def type_into(name: str, text: str):
        tab_to(page, f"[name={name}]")
        page.keyboard.type(text)

    type_into("board_name", "Stichting Katholiek Onderwijs Eemland")
    tab_to(page, "input[name=board_kind]")
    page.keyboard.press("Space")  # the first choice: a school board
    type_into("bestuursnummer", "43456")
    tab_to(page, "input[name=sector]")
    page.keyboard.press("Space")  # primary education
    type_into("board_place", "Amersfoort")
    type_into("contact_name", "Ingrid Hoekstra")
    type_into("contact_email", "i.hoekstra@skoe.example.nl")
    type_into("contact_phone", "033 456 78 90")
    type_into("expected_participants", "14")
    tab_to(page, "[name=privacy_consent]")
    page.keyboard.press("Space")
    assert page.is_checked("[name=privacy_consent]")
    tab_to(page, "form.registration-form [type=submit]")
    Camera(screenshots, "keyboard").shoot(page, "registration-filled")
    page.keyboard.press("Enter")
    page.wait_for_url("**/aanmelden/bedankt/**")

    registration = Registration.objects.get(contact_email="i.hoekstra@skoe.example.nl")
    assert registration.board.name == "Stichting Katholiek Onderwijs Eemland"
    assert (registration.board.kind, registration.board.sector) == ("bestuur", "po")
    assert registration.expected_participants == 14
    stack.wait_for_mail(template="cohorts/mail/registration_received", to="i.hoekstra@skoe.example.nl")
    stack.assert_no_server_errors()


def test_the_axe_check_fails_on_a_page_with_serious_violations(browser):
    page = new_page(browser, base_url="http://127.0.0.1")
    page.set_content(
        "<!doctype html><html lang='nl'><head><title>Slecht</title></head>"
        "<body><main><img src='data:,'><form><input type='text'></form></main></body></html>"
    )
    with pytest.raises(AssertionError, match="image-alt"):
        assert_accessible(page, "a page without alt text and labels")
    page.context.close()
