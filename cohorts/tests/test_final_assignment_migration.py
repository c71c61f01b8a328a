"""The migration from "final assignment done" to its approval: who was done is approved when it runs, by nobody."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cohorts.models import Participant
from cohorts.tests.factories import RawParticipantFactory, RawRegistrationFactory

BEFORE = [("cohorts", "0012_backstops")]
APPROVAL = [("cohorts", "0013_final_assignment_approval")]
MIGRATED_AT = datetime.datetime(2027, 1, 4, 3, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def done_before(participants) -> dict[int, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, final_assignment_done FROM cohorts_participant")
        return {pk: bool(done) for pk, done in cursor.fetchall() if pk in {p.pk for p in participants}}


@pytest.fixture
def back_and_forth():
    yield
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_who_was_done_is_approved_at_the_migrations_time_and_back(back_and_forth):
    registration = RawRegistrationFactory()
    done, not_done = RawParticipantFactory.create_batch(2, registration=registration)
    migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cohorts_participant SET final_assignment_done = %s WHERE id = %s", [True, done.pk])

    with time_machine.travel(MIGRATED_AT, tick=False):
        migrate(APPROVAL)

    approved = dict(
        Participant.objects.filter(pk__in=[done.pk, not_done.pk]).values_list("pk", "final_assignment_approved_at")
    )
    assert approved == {done.pk: MIGRATED_AT, not_done.pk: None}
    assert Participant.objects.get(pk=done.pk).final_assignment_approved_by is None

    migrate(BEFORE)
    assert done_before([done, not_done]) == {done.pk: True, not_done.pk: False}
