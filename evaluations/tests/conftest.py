import datetime
from zoneinfo import ZoneInfo

import pytest

from cohorts.tests.conftest import member, office, trainer  # noqa: F401
from evaluations.models import Invitation
from evaluations.services import sending

from .factories import all_present, confirmed_run

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def evaluated_run(fixed_clock):
    """A confirmed run whose first day (1 March 2027) has ended with everyone present, and its forms sent."""

    def make(participants=3):
        cohort = confirmed_run(first=datetime.date(2027, 3, 1), participants=participants)
        all_present(cohort.days.order_by("date").first())
        fixed_clock.move_to(datetime.datetime(2027, 3, 1, 17, tzinfo=AMSTERDAM))  # the day has ended
        sending.send_due_evaluations()
        return cohort

    return make


@pytest.fixture
def staff_client(fixed_clock, admin_user):
    """A second browser, logged in as a superuser once the clock stands still (a session from before would expire)."""
    from django.test import Client

    browser = Client()
    browser.force_login(admin_user)
    return browser


def invitations(cohort):
    return list(Invitation.objects.filter(cohort=cohort).select_related("participant").order_by("pk"))
