"""Two participants fill in a day's evaluation in their own browsers; the trainer's report reads at both widths."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from conftest import run_in_project
from evaluations.models import Response
from evaluations.tests.factories import all_present, confirmed_run

from .helpers import DESKTOP, PHONE, Camera, admin_log_in, assert_accessible, new_page
from .test_flow import link_in

pytestmark = pytest.mark.browser


def answer_in_own_browser(browser, stack, participant, *, scale: str, text: str):
    """Open the link of the e-mail the participant received, in a browser of their own, and answer."""
    message = stack.wait_for_mail(template="evaluations/mail/invitation", to=participant.email)
    page = new_page(browser, base_url=stack.url)
    page.goto(link_in(message, "/evaluatie/"))
    assert_accessible(page, "the answer page")
    for fieldset in page.locator("fieldset").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count() == 5:
            fieldset.locator(f"input[type=radio][value='{scale}']").check()
        elif radios.count():
            radios.first.check()
        else:
            fieldset.locator("textarea").fill(text)
    page.click("form.evaluation-form [type=submit]")
    page.wait_for_selector("text=Dank u wel voor uw antwoorden")
    return page


def test_two_participants_answer_and_the_report_passes_axe_at_phone_and_desktop(browser, stack, screenshots):
    cohort = confirmed_run(first=timezone.localdate() - datetime.timedelta(days=2), participants=2)
    all_present(cohort.days.order_by("date").first())
    # What beat runs every 15 minutes, run now in the stack's own configuration: its keys, site and worker.
    run_in_project("from evaluations.tasks import send_evaluations; send_evaluations()", stack.env)
    first, second = cohort.participants.order_by("pk")
    # Each in their own browser context: no cookie, session or CSRF token shared.
    one = answer_in_own_browser(browser, stack, first, scale="5", text="Het raamwerk helpt me enorm.")
    two = answer_in_own_browser(browser, stack, second, scale="3", text="Wat meer tijd voor casussen.")
    assert Response.objects.filter(cohort=cohort).count() == 2
    # Answering again from the same browser is refused, politely.
    one.goto(one.url)
    assert "al ingevuld" in one.content()
    two.close()

    get_user_model().objects.create_superuser("report-reader", "report@example.nl", "x-secret-123-abc")
    page = admin_log_in(new_page(browser, base_url=stack.url), "report-reader", "x-secret-123-abc")
    page.goto(f"/admin/evaluations/runevaluation/{cohort.pk}/change/")
    assert page.locator("svg.evaluation-chart").count() >= 6
    assert "Het raamwerk helpt me enorm." in page.content()
    for participant in (first, second):
        assert participant.last_name not in page.content()
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page, f"the evaluation report at {size['width']} px")
        chart = page.locator("svg.evaluation-chart").first.bounding_box()
        assert chart["x"] + chart["width"] <= size["width"], "a chart wider than the screen"
        page.screenshot(path=screenshots / f"evaluations-report-{size['width']}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    Camera(screenshots, "evaluations").shoot(one, "answered")
    stack.assert_no_server_errors()
