"""
The attendance grid in a real browser: 'all present' as the trainer clicks it, and the page's width.

Chromium (Debian's) drives the page against Django's live server; no Redis
or Celery is involved. Screenshots go to E2E_SCREENSHOTS, or a temporary folder.
"""

import datetime
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Attendance, CourseDay
from conftest import require_service

from .factories import RawParticipantFactory, RawRegistrationFactory

pytestmark = [pytest.mark.browser]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-sync"]
DESKTOP, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def server(settings, transactional_db):
    """Django's live server, started once the test's settings hold: plain HTTP, as the browser speaks it here."""
    from pytest_django.live_server_helper import LiveServer

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    live = LiveServer("localhost:0")
    yield live
    live.stop()


def running_run(participants=8):
    """A run halfway: days 1 and 2 have passed, 3 to 6 are to come; long names, as people have them."""
    registration = RawRegistrationFactory(cohort__status="running")
    cohort = registration.cohort
    people = [
        RawParticipantFactory(
            registration=registration, first_name=f"Annemarie{n}", tussenvoegsel="van der", last_name="Wetering-Bos"
        )
        for n in range(participants)
    ]
    today = timezone.localdate()
    for day in cohort.programme.days.order_by("number"):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=today + datetime.timedelta(days=7 * (day.number - 2) - 3),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(16, 30),
        )
    return cohort, people


def test_all_present_leaves_who_notified_their_absence_and_the_grid_fits_the_screen(server, tmp_path):
    if not CHROMIUM.exists():
        require_service("Chromium", False, "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    cohort, people = running_run()
    day2 = cohort.days.get(programme_day__number=2)
    Attendance.objects.create(participant=people[0], course_day=day2, absence_notified_at=timezone.now())
    Attendance.objects.create(participant=people[1], course_day=day2, absence_notified_at=timezone.now())
    trainer = User.objects.create_superuser("jan", "jan@natuurlijkleren.example", "x-secret-123")
    client = Client()
    client.force_login(trainer)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    url = server.url + reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    # Playwright's sync API keeps an event loop in this thread; the database is not touched while it runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
            context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": server.url}])
            page = context.new_page()
            page.goto(url)
            widths = {}
            for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
                page.set_viewport_size(size)
                widths[name] = page.evaluate("document.documentElement.scrollWidth")
                page.screenshot(path=folder / f"attendance-grid-{name}.png", full_page=True)
            page.set_viewport_size(DESKTOP)
            # Only the days that have taken place offer 'all present'.
            buttons = page.locator("button.all-present")
            assert buttons.count() == 2
            page.locator(f'button.all-present[data-day="{day2.pk}"]').click()
            values = {p.pk: page.locator(f'select[name="s-{p.pk}-{day2.pk}"]').input_value() for p in people}
            # The trainer sets one of the two who notified their absence by hand: they came after all.
            page.locator(f'select[name="s-{people[1].pk}-{day2.pk}"]').select_option("present")
            page.locator('input[type="submit"]').click()
            page.wait_for_load_state()
            message = page.locator(".messagelist").inner_text()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    assert widths["desktop"] <= DESKTOP["width"], f"the grid is {widths['desktop']} px wide at 1366 px"
    assert widths["phone"] <= PHONE["width"], f"the grid is {widths['phone']} px wide on a 390 px phone"
    assert values[people[0].pk] == values[people[1].pk] == ""
    assert {values[p.pk] for p in people[2:]} == {"present"}
    assert "7 cellen gewijzigd" in message
    saved = dict(Attendance.objects.filter(course_day=day2).values_list("participant_id", "status"))
    assert saved[people[0].pk] == ""  # notified, left alone
    assert saved[people[1].pk] == "present"  # notified, but set by the trainer
    assert {saved[p.pk] for p in people[2:]} == {"present"}
