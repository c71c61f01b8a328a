"""The office records payments from the admin and sees what is open, overdue and to invoice."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from billing.models import Payment, PriceModel
from billing.services import invoicing
from cohorts.tests.factories import new_cohort
from verbindend.admin import CONFIRM_FIELD

from .factories import confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db
INVOICES = reverse("admin:billing_invoice_changelist")
RUNS = reverse("admin:billing_runtoinvoice_changelist")


@pytest.fixture
def invoices(fixed_clock):
    # Asked for before the logged-in client: a session begun before the clock moves on to FIXED_NOW has expired there.
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, _registrations = confirmed_shared_run(14, 9)
    return invoicing.issue_invoices_for_run(cohort=cohort)


def record(client, invoices, **data):
    return client.post(
        INVOICES,
        {
            "action": "record_payments",
            "_selected_action": [i.pk for i in invoices],
            CONFIRM_FIELD: "yes",
            "paid_on": "2027-03-15",
            **data,
        },
    )


def test_the_office_records_a_payment_in_part_and_one_in_full(invoices, office):
    first, second = invoices
    assert "Registreer een betaling" in office.get(INVOICES).content.decode()
    record(office, [first], amount="1000.00")
    record(office, [second])
    assert [(p.invoice, p.amount, p.paid_on) for p in Payment.objects.order_by("pk")] == [
        (first, Decimal("1000.00"), datetime.date(2027, 3, 15)),
        (second, Decimal("1760.87"), datetime.date(2027, 3, 15)),
    ]
    assert [i.number for i in office.get(INVOICES, {"payment": "paid"}).context["cl"].result_list] == ["2027-0002"]
    assert [i.number for i in office.get(INVOICES, {"payment": "open"}).context["cl"].result_list] == ["2027-0001"]


def test_the_confirmation_page_asks_the_date_first(invoices, office):
    response = office.post(INVOICES, {"action": "record_payments", "_selected_action": [invoices[0].pk]})
    assert "Betaald op" in response.content.decode()
    assert not Payment.objects.exists()


def test_a_staff_member_who_may_see_invoices_but_not_record_payments_cannot(invoices, client):
    user = User.objects.create_user("kijker", password="x-secret-123", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_invoice"))
    client.force_login(user)
    assert "record_payments" not in client.get(INVOICES).content.decode()
    record(client, invoices)
    assert not Payment.objects.exists()


def test_overdue_lists_the_open_invoices_past_their_due_date(invoices, office, fixed_clock):
    _first, second = invoices
    record(office, [second])
    fixed_clock.move_to(datetime.datetime(2027, 4, 5, 9, tzinfo=datetime.UTC))
    # The session begun at FIXED_NOW has expired by now.
    office.force_login(User.objects.get(username="kantoor-user"))
    overdue = office.get(INVOICES, {"payment": "overdue"}).context["cl"].result_list
    assert [i.number for i in overdue] == ["2027-0001"]


def test_to_invoice_lists_the_runs_with_boards_not_invoiced(invoices, office):
    cohort, _registrations = confirmed_shared_run(12)
    new_cohort()
    listed = office.get(RUNS, {"to_invoice": "yes"}).context["cl"].result_list
    assert [run.code for run in listed] == [cohort.code]


def test_an_amount_is_recorded_on_one_invoice_only(invoices, office):
    response = record(office, invoices, amount="100.00")
    assert response.status_code == 302
    assert not Payment.objects.exists()
