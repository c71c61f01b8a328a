"""
Registrations at the same moment, on PostgreSQL: each in its own thread with its own database connection, all
released at once. The unique constraints decide; a registration that loses runs again and finds the winner's rows.
"""

import threading
import uuid
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.db import connection

from cohorts.models import Board, Registration
from cohorts.services import registrations
from conftest import require_service
from mail.models import OutgoingMail

from .factories import seeded_programme

AT_ONCE = 8


@pytest.fixture
def committed_postgres(transactional_db):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    # A transactional test before this one flushed the seeded rows.
    import_module("privacy.migrations.0002_first_statement").seed(django_apps, None)
    seeded_programme()


def board_data(number: str = "54321") -> dict:
    return {
        "name": "Stichting Gelijktijdig",
        "kind": Board.Kind.BESTUUR,
        "bestuursnummer": number,
        "swv_code": "",
        "sector": "po",
        "place": "Utrecht",
    }


def registration_data(n: int) -> dict:
    return {
        "kind": Registration.Kind.NEW_COHORT,
        "cohort": None,
        "contact_name": "Bea Gelijk",
        "contact_function": "",
        "contact_email": f"contact{n}@gelijktijdig.example.nl",
        "contact_phone": "0301234567",
        "expected_participants": 14,
        "preferred_period": "",
        "preferred_place": "",
        "remarks": "",
    }


def submit_at_once(submission_key) -> tuple[list[Registration], list[Exception]]:
    """Submit AT_ONCE registrations of the same new board; `submission_key(n)` gives each its key."""
    barrier = threading.Barrier(AT_ONCE)
    results, errors = [], []

    def submit(n):
        try:
            barrier.wait()
            results.append(
                registrations.submit_registration(
                    board_data=board_data(),
                    registration_data=registration_data(n),
                    submission_key=submission_key(n),
                    language="nl",
                )
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_one_form_submitted_many_times_at_once_is_one_registration_with_two_emails(committed_postgres):
    key = uuid.uuid4().hex
    results, errors = submit_at_once(lambda n: key)
    assert errors == []
    registration = Registration.objects.get()
    assert {result.pk for result in results} == {registration.pk}
    assert Board.objects.count() == 1
    assert sorted(OutgoingMail.objects.values_list("key", flat=True)) == [
        f"registration-notification:{registration.pk}",
        f"registration-received:{registration.pk}",
    ]


def test_one_new_board_registered_many_times_at_once_is_one_board_with_every_registration(committed_postgres):
    results, errors = submit_at_once(lambda n: uuid.uuid4().hex)
    assert errors == []
    board = Board.objects.get()
    assert Registration.objects.filter(board=board).count() == AT_ONCE
    assert {result.pk for result in results} == set(Registration.objects.values_list("pk", flat=True))
    assert OutgoingMail.objects.count() == 2 * AT_ONCE
