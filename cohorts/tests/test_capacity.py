"""
Capacity under load, on PostgreSQL: 40 enrolments at the same moment, each
in its own thread with its own database connection, for 5 free seats.
"""

import threading

import pytest
from django.db import connection

from cohorts.models import Cohort, Participant
from cohorts.services import enrolment
from conftest import require_service

from .factories import RawParticipantFactory, RawRegistrationFactory, participant_data

ATTEMPTS = 40


@pytest.fixture
def committed_postgres(transactional_db):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")


def enrol_at_once(registrations) -> list[Exception]:
    """Enrol ATTEMPTS new people, spread over the registrations, all released at the same instant."""
    barrier = threading.Barrier(ATTEMPTS)
    errors = []

    def enrol(n):
        try:
            barrier.wait()
            enrolment.enroll_participant(registration=registrations[n % len(registrations)], data=participant_data(n))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def cohort_with_five_seats_left():
    registration = RawRegistrationFactory()
    RawParticipantFactory.create_batch(25, registration=registration)
    return registration


def assert_exactly_full(cohort: Cohort):
    new = Participant.objects.filter(cohort=cohort, email__startswith="jeroen")
    assert new.count() == ATTEMPTS, "an enrolment was lost"
    assert new.filter(status=Participant.Status.ENROLLED).count() == 5
    assert new.filter(status=Participant.Status.WAITING).count() == ATTEMPTS - 5
    assert cohort.participants.filter(status=Participant.Status.ENROLLED).count() == 30
    numbers = sorted(new.filter(status=Participant.Status.WAITING).values_list("waitlist_number", flat=True))
    assert numbers == list(range(1, ATTEMPTS - 5 + 1)), "two people share a place on the waiting list"


def test_forty_enrolments_at_once_fill_five_seats_exactly(committed_postgres):
    registration = cohort_with_five_seats_left()
    assert enrol_at_once([registration]) == []
    assert_exactly_full(registration.cohort)


def test_two_boards_enrolling_at_once_fill_five_seats_exactly(committed_postgres):
    first = cohort_with_five_seats_left()
    second = RawRegistrationFactory(cohort=first.cohort)
    assert enrol_at_once([first, second]) == []
    assert_exactly_full(first.cohort)
    assert Participant.objects.filter(registration=second).count() == ATTEMPTS // 2


def test_the_same_person_enrolled_at_once_by_two_boards_is_enrolled_once(committed_postgres):
    first = RawRegistrationFactory()
    second = RawRegistrationFactory(cohort=first.cohort)
    barrier = threading.Barrier(2)
    outcomes = []

    def enrol(registration):
        try:
            barrier.wait()
            enrolment.enroll_participant(registration=registration, data=participant_data(1))
            outcomes.append("enrolled")
        except enrolment.EnrolmentError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=enrol, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["enrolled", "refused"]
    assert Participant.objects.filter(email=participant_data(1)["email"]).count() == 1


def _without_lock(registration):
    return Cohort.objects.get(pk=registration.cohort_id)


def _with_a_lock_django_drops(registration):
    # count() throws the FOR UPDATE away: no row is locked.
    Cohort.objects.select_for_update().filter(pk=registration.cohort_id).count()
    return Cohort.objects.get(pk=registration.cohort_id)


@pytest.mark.parametrize("broken", [_without_lock, _with_a_lock_django_drops])
def test_negative_control_without_the_row_lock_the_cohort_overbooks(committed_postgres, monkeypatch, broken):
    """Proves the tests above can fail: the same race without the lock puts more than 30 in."""
    monkeypatch.setattr(enrolment, "_locked_cohort_for", broken)
    registration = cohort_with_five_seats_left()
    enrol_at_once([registration])
    assert registration.cohort.participants.filter(status=Participant.Status.ENROLLED).count() > 30


# --- The waiting list's positions: always 1..n -------------------------------


def waiting_numbers(cohort):
    waiting = cohort.participants.filter(status=Participant.Status.WAITING).order_by("waitlist_number")
    return list(waiting.values_list("first_name", "waitlist_number"))


def full_run_with_waiting(n=4):
    registration = RawRegistrationFactory()
    RawParticipantFactory.create_batch(30, registration=registration)
    waiting = [
        enrolment.enroll_participant(registration=registration, data=participant_data(i, first_name=f"W{i}"))
        for i in range(1, n + 1)
    ]
    return registration, waiting


@pytest.mark.django_db
def test_leaving_the_waiting_list_closes_the_gap():
    registration, (w1, w2, *_others) = full_run_with_waiting()
    assert waiting_numbers(registration.cohort) == [("W1", 1), ("W2", 2), ("W3", 3), ("W4", 4)]
    enrolment.withdraw_participant(participant=w2)
    assert waiting_numbers(registration.cohort) == [("W1", 1), ("W3", 2), ("W4", 3)]
    # A seat frees up: the first moves up, the others move up a place.
    enrolment.withdraw_participant(participant=registration.cohort.participants.filter(status="enrolled").first())
    w1.refresh_from_db()
    assert w1.status == Participant.Status.ENROLLED
    assert waiting_numbers(registration.cohort) == [("W3", 1), ("W4", 2)]
    # Someone new joins at the end, right behind them.
    enrolment.enroll_participant(registration=registration, data=participant_data(9, first_name="W9"))
    assert waiting_numbers(registration.cohort) == [("W3", 1), ("W4", 2), ("W9", 3)]


@pytest.mark.django_db
def test_the_position_is_counted_not_read_from_the_stored_number():
    # Numbers as an older version left them: with gaps. The board page reads the position.
    registration, waiting = full_run_with_waiting(3)
    # From the back, so that no two share a number on the way (the database refuses that).
    for participant, number in reversed(list(zip(waiting, [2, 5, 9], strict=True))):
        Participant.objects.filter(pk=participant.pk).update(waitlist_number=number)
    other = RawRegistrationFactory(cohort=registration.cohort)
    theirs = enrolment.enroll_participant(registration=other, data=participant_data(7, first_name="Other"))
    positions = dict(
        Participant.objects.with_waitlist_position()
        .filter(registration=registration)
        .values_list("first_name", "waitlist_position")
    )
    assert {name: positions[name] for name in ("W1", "W2", "W3")} == {"W1": 1, "W2": 2, "W3": 3}
    assert {p for name, p in positions.items() if not name.startswith("W")} == {None}  # the enrolled have none
    # Counted over the whole run, also when only one board's participants are read.
    assert Participant.objects.with_waitlist_position().get(pk=theirs.pk).waitlist_position == 4
    from cohorts.selectors import board_page

    page = board_page(other)
    shown = [p.waitlist_position for run in page.runs for p in run.participants if p.status == "waiting"]
    assert shown == [4]


def test_withdrawals_and_enrolments_at_once_keep_the_waiting_list_1_to_n(committed_postgres):
    registration, waiting = full_run_with_waiting(10)
    barrier = threading.Barrier(10)
    errors = []

    def act(n):
        try:
            barrier.wait()
            if n % 2:
                enrolment.withdraw_participant(participant=waiting[n])
            else:
                enrolment.enroll_participant(registration=registration, data=participant_data(100 + n))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    numbers = [number for _name, number in waiting_numbers(registration.cohort)]
    assert numbers == list(range(1, 11))  # five left, five joined: ten waiting


@pytest.mark.django_db
def test_the_migration_closes_the_gaps_already_there():
    from importlib import import_module

    from django.apps import apps

    registration, waiting = full_run_with_waiting(3)
    other, theirs = full_run_with_waiting(2)
    for participant, number in reversed(list(zip([*waiting, *theirs], [2, 3, 7, 4, 5], strict=True))):
        Participant.objects.filter(pk=participant.pk).update(waitlist_number=number)
    import_module("cohorts.migrations.0008_waiting_lists_without_gaps").renumber(apps, None)
    assert waiting_numbers(registration.cohort) == [("W1", 1), ("W2", 2), ("W3", 3)]
    assert waiting_numbers(other.cohort) == [("W1", 1), ("W2", 2)]
