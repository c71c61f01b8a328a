"""
Under the strict Content-Security-Policy every page still works, and the browser blocks nothing on any of them.

Public, personal and staff pages are opened in Chromium against the production
processes, with a listener for `securitypolicyviolation` events and for the
console's reports of blocked content. Each page is then used the way people use
it (the menu, a confirmation, the admin's calendar, inline rows, actions, the
copy button, the e-mail preview), so that a script or style the policy blocks
shows as a page that no longer works as well as a violation.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from cohorts.models import Cohort
from cohorts.services import links
from cohorts.tests.factories import ParticipantFactory
from mail.models import OutgoingMail
from mail.services.queueing import queue_email
from registry import services as registry_services
from registry.models import Accreditation, Certificate

from .helpers import PHONE, Camera, admin_log_in, assert_accessible, new_page
from .test_visitors import link, placed_registration

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord-voor-de-test"

LISTENER = """() => document.addEventListener('securitypolicyviolation', (event) => window.reportCspViolation({
  page: location.href, directive: event.effectiveDirective, blocked: event.blockedURI, sample: event.sample,
  source: `${event.sourceFile}:${event.lineNumber}`,
}))"""


class Violations:
    """What the browser blocked in a page and its frames: the events the page saw, and the console's reports."""

    def __init__(self, page):
        self.seen = []
        page.expose_function("reportCspViolation", lambda violation: self.seen.append(violation))
        page.add_init_script(f"({LISTENER})()")
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.seen.append({"page": page.url, "script error": str(error)}))

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.seen.append({"console": message.text, "at": message.location})

    def assert_none(self, what: str):
        assert self.seen == [], f"{what}: {self.seen}"


def background_of(page, selector: str) -> str:
    return page.eval_on_selector(selector, "element => getComputedStyle(element).backgroundColor")


@pytest.fixture
def course(settings, tmp_path):
    """A run open for joining with a board and its participants, and a completed run with a certificate."""
    registration = placed_registration(board__name="Stichting Openbaar Onderwijs Rivierenland")
    Cohort.objects.filter(pk=registration.cohort_id).update(open_for_joining=True)
    participants = ParticipantFactory.create_batch(2, registration=registration)
    from registry.tests.conftest import completed_run

    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number = "SLR-2026-0042"
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    completed, people = completed_run({"Anna": range(1, 7), "Bram": range(1, 6)})
    registry_services.issue_cohort_certificates(cohort=completed)
    queue_email(to=registration.contact_email, template="mail/test", context={}, key="csp-preview")
    User.objects.create_superuser("beheer", "beheer@natuurlijkleren.example.nl", PASSWORD)
    return {
        "registration": registration,
        "participant": participants[0],
        "completed": completed,
        "certificate": Certificate.objects.get(participant=people["Anna"]),
    }


def test_the_public_and_personal_pages_work_and_the_browser_blocks_nothing(browser, stack, screenshots, course):
    camera = Camera(screenshots, "csp-public")
    page = new_page(browser, base_url=stack.url)
    violations = Violations(page)

    page.goto("/")
    assert_accessible(page, "home")
    # Bootstrap's menu opens on a phone.
    page.set_viewport_size(PHONE)
    page.click(".navbar-toggler")
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto("/aanmelden/")
    # The list of open runs shows only when the board chooses to join one (registration.js).
    expect(page.locator("#div_id_cohort")).to_be_hidden()
    page.check("input[name=path][value=join]")
    expect(page.locator("#div_id_cohort")).to_be_visible()
    camera.shoot(page, "registration")

    page.goto(link(stack, links.board_page_url, course["registration"]))
    # Withdrawing a participant asks first (confirm.js); saying no leaves them enrolled.
    withdraw = page.locator("button[data-confirm]")
    enrolled = withdraw.count()
    assert enrolled >= 2
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.locator("button[data-confirm]").first.click()
    assert questions and "?" in questions[0]
    expect(withdraw).to_have_count(enrolled)
    camera.shoot(page, "board-page")

    page.goto(link(stack, links.participant_page_url, course["participant"]))
    expect(page.locator("h1")).to_be_visible()
    camera.shoot(page, "participant-page")

    page.goto(f"/verificatie/{course['certificate'].verification_code}/")
    expect(page.locator("main")).to_contain_text(course["certificate"].number)
    # The page keeps its measure (site.css), which was an inline style before.
    assert page.eval_on_selector("main .container", "element => getComputedStyle(element).maxWidth") == "704px"
    camera.shoot(page, "verification")

    page.goto("/privacy/")
    page.goto("/bestaat/niet/")
    violations.assert_none("public and personal pages")
    page.context.close()
    stack.assert_no_server_errors()


def test_the_admin_works_and_the_browser_blocks_nothing(browser, stack, screenshots, course):
    camera = Camera(screenshots, "csp-admin")
    page = new_page(browser, base_url=stack.url)
    violations = Violations(page)
    admin_log_in(page, "beheer", PASSWORD)  # the two-factor login, set-up and code step
    violations.assert_none("the two-factor login")

    # The home page's overview: the run below the minimum has its badge (admin-theme.css).
    assert background_of(page, ".overview-module .seats-badge") == "rgb(180, 83, 9)"
    camera.shoot(page, "index")

    page.goto("/admin/cohorts/cohort/")
    assert background_of(page, "#result_list .seats-badge.seats-below") == "rgb(180, 83, 9)"
    # An action asks for confirmation on a page of its own (actions.js selects the row and counts it).
    open_run = course["registration"].cohort
    page.check(f"input[name=_selected_action][value='{open_run.pk}']")
    expect(page.locator(".action-counter")).to_contain_text("1")
    page.select_option("select[name=action]", "cancel")
    page.click("button[name=index]")
    expect(page.locator(".action-confirmation-page .selected-objects")).to_contain_text(open_run.code)
    camera.shoot(page, "action-confirmation")

    # The run with its course days inline: a row is added, and its date taken from the calendar widget.
    page.goto(f"/admin/cohorts/cohort/{open_run.pk}/change/")
    rows = page.locator(".inline-group .form-row.dynamic-days")
    before = rows.count()
    page.click(".inline-group .add-row a")
    expect(rows).to_have_count(before + 1)
    new_row = rows.nth(before)
    new_row.locator(".datetimeshortcuts a", has_text="Vandaag").click()
    assert new_row.locator("td.field-date input").input_value()
    new_row.locator("td.field-start_time .datetimeshortcuts a", has_text="Nu").click()
    assert new_row.locator("td.field-start_time input").input_value()
    # Each date field has its own calendar box, numbered as its link is.
    calendar_link = new_row.locator("td.field-date .datetimeshortcuts a[id^=calendarlink]")
    number = calendar_link.get_attribute("id").removeprefix("calendarlink")
    calendar_link.click()
    expect(page.locator(f"#calendarbox{number}")).to_be_visible()
    camera.shoot(page, "course-run")

    # The attendance of the completed run: "all present" fills a day's column (attendance.js).
    completed = course["completed"]
    page.goto(f"/admin/cohorts/cohort/{completed.pk}/attendance/")
    assert page.eval_on_selector(".attendance tbody th", "element => getComputedStyle(element).position") == "sticky"
    day = page.locator("button.all-present").first
    day_id = day.get_attribute("data-day")
    page.select_option(f"select[data-day='{day_id}'] >> nth=0", "absent")
    day.click()
    assert set(page.eval_on_selector_all(f"select[data-day='{day_id}']", "els => els.map(e => e.value)")) == {"present"}
    camera.shoot(page, "attendance")

    # The register export: the copy button answers in words (copy.js).
    page.goto(f"/admin/registry/completedcohort/{completed.pk}/register/")
    page.click("button[data-copy]")
    expect(page.locator("#paste-list-status")).not_to_be_empty()
    camera.shoot(page, "register-export")

    # The outbox's e-mail preview keeps the e-mail's own inline styles, in its own sandboxed document.
    mail = OutgoingMail.objects.get(key="csp-preview")
    page.goto(f"/admin/mail/outgoingmail/{mail.pk}/change/")
    frame = page.frame_locator("iframe.mail-preview")
    expect(frame.locator("body")).to_contain_text("Verbindend")
    assert frame.locator("body").evaluate("element => getComputedStyle(element).backgroundColor") == (
        "rgb(243, 246, 245)"
    )
    camera.shoot(page, "outbox-preview")

    violations.assert_none("admin pages")
    page.context.close()
    stack.assert_no_server_errors()
