"""
The trainer's and the office's admin fit the screen, in a real browser against the production processes.

Each page is opened as the group that works in it, at 1366 px and at 390 px:
the page itself never scrolls sideways. At 1366 px a list also fits its own
results box; at 390 px Django's responsive admin lets a list scroll inside
that box, which is the list's own scrolling, not the page's.
"""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from cohorts.models import Attendance, Cohort, Participant
from cohorts.tests.factories import BoardFactory, CohortFactory, ParticipantFactory, RegistrationFactory, stored_days
from mail.services.queueing import queue_email

from .helpers import DESKTOP, PHONE, admin_log_in, new_page

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord-voor-de-test"

MEASURE = """() => {
  const box = document.querySelector('#changelist .results');
  return {
    page: document.documentElement.scrollWidth,
    box: box ? box.clientWidth : null,
    list: box ? box.scrollWidth : null,
  };
}"""


def staff_user(username, group):
    user = User.objects.create_user(username, f"{username}@natuurlijkleren.example.nl", PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def running_run_with_six_days(trainer):
    """A running run of two boards with long names and addresses, its first three days past, attendance taken."""
    cohort = CohortFactory(status=Cohort.Status.RUNNING, trainer=trainer, venue="Landgoed De Horst, Driebergen")
    first = timezone.localdate() - datetime.timedelta(weeks=5)
    stored_days(cohort, first=first)
    for name in ("Stichting Openbaar Primair Onderwijs Rivierenland en Omstreken", "Samenwerkingsverband Passend"):
        registration = RegistrationFactory(
            board=BoardFactory(name=name),
            cohort=cohort,
            contact_name="Maria Johanna van den Heuvel-Oosterbeek",
            contact_email=f"m.vandenheuvel-oosterbeek.{len(name)}@bestuursbureau-rivierenland.example.nl",
        )
        ParticipantFactory.create_batch(7, registration=registration, school="Openbare Basisschool De Regenboog")
    ParticipantFactory(registration=registration, status=Participant.Status.WAITING, waitlist_number=1)
    for day in cohort.days.filter(date__lt=timezone.localdate()):
        for participant in cohort.participants.filter(status=Participant.Status.ENROLLED):
            Attendance.objects.create(participant=participant, course_day=day, status=Attendance.Status.PRESENT)
    return cohort


def log_in(browser, stack, username):
    return admin_log_in(new_page(browser, base_url=stack.url), username, PASSWORD)


def assert_fits(page, path, name, screenshots):
    """Open the page at desktop and phone width; it must not scroll sideways; photograph both."""
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        response = page.goto(path)
        assert response.status == 200, f"{name}: {response.status}"
        width = page.evaluate(MEASURE)
        page.screenshot(path=screenshots / f"admin-layout-{name}-{label}.png", full_page=True)
        assert width["page"] <= size["width"], f"{name}: {width['page']} px wide at {size['width']} px"
        if size is DESKTOP and width["box"] is not None:
            assert width["list"] <= width["box"], f"{name}: the list is {width['list']} px in a {width['box']} px box"


def test_the_admin_fits_the_screen_for_the_trainer_and_the_office(browser, stack, screenshots):
    trainer = staff_user("trainer-jan", "Trainer")
    staff_user("kantoor-els", "Kantoor")
    cohort = running_run_with_six_days(trainer)
    for _ in range(3):
        RegistrationFactory(
            cohort=None,
            status="received",
            board=BoardFactory(name="Vereniging voor Christelijk Primair en Voortgezet Onderwijs Midden-Nederland"),
            contact_email="secretariaat.bestuursbureau@vereniging-christelijk-onderwijs.example.nl",
            preferred_period="voorjaar 2027, bij voorkeur op dinsdagen en donderdagen",
        )
    registration = cohort.registrations.first()
    queue_email(to=registration.contact_email, template="mail/test", context={}, key="layout-test")
    audit.record(action=AuditEvent.Action.LINK_ROTATED, obj=registration, actor=trainer)
    audit.record(action=AuditEvent.Action.EXPORT, obj=cohort, actor=trainer, detail="xlsx")

    pages = {
        "trainer-kantoor": [
            ("registrations", "/admin/cohorts/registration/"),
            ("course-runs", "/admin/cohorts/cohort/"),
            ("course-run", f"/admin/cohorts/cohort/{cohort.pk}/change/"),
        ],
        "trainer": [
            ("attendance", f"/admin/cohorts/cohort/{cohort.pk}/attendance/"),
            ("add-participant", f"/admin/cohorts/cohort/{cohort.pk}/add-participant/"),
        ],
        # The outbox holds every personal link: the office's alone (verbindend/migrations/0003).
        "kantoor": [("audit-trail", "/admin/audit/auditevent/"), ("outbox", "/admin/mail/outgoingmail/")],
    }
    for username, group in (("trainer-jan", "trainer"), ("kantoor-els", "kantoor")):
        page = log_in(browser, stack, username)
        for name, path in pages["trainer-kantoor"] + pages[group]:
            assert_fits(page, path, f"{group}-{name}", screenshots)
        page.context.close()
    stack.assert_no_server_errors()
