"""
Invoice numbers under load, on PostgreSQL: 20 runs invoiced at the same moment, each in its own thread with its
own database connection, take 20 consecutive numbers, none twice and none left out.
"""

import threading

import pytest
from django.db import IntegrityError, connection
from django.db.models import Max
from django.utils import timezone

from billing.models import Invoice
from billing.services import invoicing
from conftest import require_service

from .factories import filled_in_provider, priced_programme, raw_confirmed_run

ATTEMPTS = 20


@pytest.fixture
def committed_postgres(transactional_db):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")


def issue_at_once() -> list[Exception]:
    """Invoice ATTEMPTS confirmed runs, each of one board, all released at the same instant; return the errors."""
    filled_in_provider()
    priced_programme()
    runs = [raw_confirmed_run(participants=3) for _ in range(ATTEMPTS)]
    barrier = threading.Barrier(ATTEMPTS)
    errors = []

    def issue(cohort):
        try:
            barrier.wait()
            invoicing.issue_invoices_for_run(cohort=cohort)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(cohort,)) for cohort in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_twenty_runs_invoiced_at_once_take_twenty_consecutive_numbers(committed_postgres):
    errors = issue_at_once()
    assert errors == []
    year = timezone.localdate().year
    numbers = sorted(Invoice.objects.values_list("year", "sequence", "number"))
    assert numbers == [(year, n, f"{year}-{n:04d}") for n in range(1, ATTEMPTS + 1)]
    assert Invoice.objects.values("cohort").distinct().count() == ATTEMPTS


def _number_from_the_invoices(year: int) -> int:
    # What the counter row replaces: the highest number so far plus one, read without a lock.
    highest = Invoice.objects.filter(year=year).aggregate(highest=Max("sequence"))["highest"]
    return (highest or 0) + 1


def test_negative_control_numbers_read_from_the_invoices_collide(committed_postgres, monkeypatch):
    monkeypatch.setattr(invoicing, "_next_sequence", _number_from_the_invoices)
    errors = issue_at_once()
    # Two issuings read the same highest number; the database refuses the second with it.
    assert any(isinstance(error, IntegrityError) for error in errors), errors
    assert Invoice.objects.count() < ATTEMPTS
