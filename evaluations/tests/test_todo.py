"""A run whose evaluation few answered is a to-do on the start page, once the reminder has gone."""

import datetime

import pytest
from django.urls import reverse

from cohorts.tests.conftest import member
from verbindend.tests.pages import table_rows

from .conftest import invitations
from .factories import answered

pytestmark = pytest.mark.django_db


def evaluation_lines(client, cohort) -> list[list[str]]:
    page = client.get(reverse("admin:index")).content.decode()
    return [row for row in table_rows(page) if row[0] == cohort.code and row[2] == "De evaluatie bekijken"]


def test_a_low_response_is_to_do_after_the_reminder_until_enough_answered(client, evaluated_run, fixed_clock):
    cohort = evaluated_run(participants=5)
    pending = invitations(cohort)
    answered(pending[0])
    trainer = member("Trainer")
    client.force_login(trainer)
    assert evaluation_lines(client, cohort) == []  # the reminder has not gone yet
    fixed_clock.shift(datetime.timedelta(days=4))
    client.force_login(trainer)
    [line] = evaluation_lines(client, cohort)
    assert line[1] == "1 van 5 evaluaties ingevuld"
    for invitation in pending[1:3]:
        answered(invitation)
    assert evaluation_lines(client, cohort) == []  # 3 of 5: 60%
