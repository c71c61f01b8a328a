"""
The migration before the backstops: data that contradicts them is repaired where the data says what is right,
and otherwise stops the migration with the rows named, changing nothing.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cohorts.models import Attendance, Participant, Registration
from cohorts.tests.factories import CourseDayFactory, RawParticipantFactory, RawRegistrationFactory

BEFORE = [("cohorts", "0010_erased_at")]
CHECK = [("cohorts", "0011_check_data_for_the_backstops")]

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


@pytest.fixture
def before_the_backstops():
    """
    Go back to the schema as it was before them, once the test has made its rows with today's models (which have
    columns added since); migrated to the newest again afterwards, whatever the test did.
    """
    yield lambda: migrate(BEFORE)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def board_model_before_the_backstops():
    """The board as the schema has it then: today's model writes columns added since (its address, its KvK number)."""
    return MigrationExecutor(connection).loader.project_state(BEFORE).apps.get_model("cohorts", "Board")


def made_up_attendance() -> Attendance:
    participant = RawParticipantFactory()
    day = CourseDayFactory(cohort=participant.cohort, date=datetime.date(2026, 2, 2))
    elsewhere = CourseDayFactory(programme_day=day.programme_day, date=datetime.date(2026, 2, 9))
    return Attendance.objects.create(participant=participant, course_day=day, status="made_up", made_up_in=elsewhere)


def test_what_the_data_itself_says_is_repaired(before_the_backstops):
    registration = RawRegistrationFactory()
    first, second, third = (
        RawParticipantFactory(registration=registration, status="waiting", waitlist_number=n) for n in (1, 2, 3)
    )
    attendance = made_up_attendance()
    before_the_backstops()
    Board = board_model_before_the_backstops()
    Participant.objects.filter(pk__in=[second.pk, third.pk]).update(waitlist_number=1)
    swv = Board.objects.create(name="SWV Rijnmond", kind="bestuur", swv_code="PO-28-01", sector="po")
    bestuur = Board.objects.create(name="Stichting Eem", kind="swv", bestuursnummer="41234", sector="po")
    Attendance.objects.filter(pk=attendance.pk).update(status="present")

    migrate(CHECK)

    numbers = Participant.objects.filter(registration=registration).order_by("waitlist_number")
    assert list(numbers.values_list("pk", "waitlist_number")) == [(first.pk, 1), (second.pk, 2), (third.pk, 3)]
    assert Board.objects.get(pk=swv.pk).kind == "swv"
    assert Board.objects.get(pk=bestuur.pk).kind == "bestuur"
    attendance.refresh_from_db()
    assert (attendance.status, attendance.made_up_in) == ("present", None)


def test_what_only_the_office_knows_stops_the_migration_naming_the_rows(before_the_backstops):
    registration = RawRegistrationFactory()
    waiting = [RawParticipantFactory(registration=registration, status="waiting", waitlist_number=n) for n in (1, 2)]
    placed = RawRegistrationFactory()
    received = RawRegistrationFactory(cohort=None, status="received")
    attendance = made_up_attendance()
    before_the_backstops()
    Board = board_model_before_the_backstops()
    Participant.objects.filter(pk__in=[p.pk for p in waiting]).update(waitlist_number=1)
    nameless = Board.objects.create(name="Stichting Zonder Nummer", kind="bestuur", sector="po")
    Registration.objects.filter(pk=placed.pk).update(cohort=None)
    Registration.objects.filter(pk=received.pk).update(cohort=registration.cohort)
    Attendance.objects.filter(pk=attendance.pk).update(made_up_in=None)

    with pytest.raises(Exception, match="correct them") as raised:
        migrate(CHECK)

    message = str(raised.value)
    assert f"board {nameless.pk} (Stichting Zonder Nummer): kind 'bestuur' but no bestuursnummer" in message
    assert f"registration {placed.pk}: status 'placed' with no course run" in message
    assert f"registration {received.pk}: status 'received' with course run {registration.cohort.pk}" in message
    assert f"attendance {attendance.pk} (participant {attendance.participant_id}, " in message
    assert message.count("\n  - ") == 4
    # Nothing changed, the repairs included, and the constraints are not there yet.
    assert sorted(
        Participant.objects.filter(pk__in=[p.pk for p in waiting]).values_list("waitlist_number", flat=True)
    ) == [1, 1]
    recorder = MigrationExecutor(connection).recorder
    assert ("cohorts", "0011_check_data_for_the_backstops") not in recorder.applied_migrations()

    # Corrected by the office, it runs.
    Board.objects.filter(pk=nameless.pk).update(bestuursnummer="41299")
    Registration.objects.filter(pk=placed.pk).update(status="received")
    Registration.objects.filter(pk=received.pk).update(status="placed")
    Attendance.objects.filter(pk=attendance.pk).update(status="absent")
    migrate(CHECK)
    assert sorted(
        Participant.objects.filter(pk__in=[p.pk for p in waiting]).values_list("waitlist_number", flat=True)
    ) == [1, 2]
