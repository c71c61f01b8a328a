"""The office invoices from the admin, through the services; an issued invoice is read only there."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Invoice, PriceModel
from billing.services import invoicing

from .factories import confirmed_shared_run, filled_in_provider, priced_programme

pytestmark = pytest.mark.django_db

RUNS = reverse("admin:billing_runtoinvoice_changelist")
INVOICES = reverse("admin:billing_invoice_changelist")


@pytest.fixture
def shared_run(fixed_clock):
    # Asked for before the logged-in client: a session begun before the clock moves on to FIXED_NOW has expired there.
    filled_in_provider()
    priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))
    cohort, _registrations = confirmed_shared_run(14, 9)
    return cohort


def test_the_office_issues_a_run_s_invoices_after_the_confirmation_page(shared_run, office):
    selected = {"action": "issue_invoices", "_selected_action": [shared_run.pk]}
    page = office.post(RUNS, selected)
    assert "Elk bestuur van de gekozen uitvoeringen" in page.content.decode()
    assert not Invoice.objects.exists()
    response = office.post(RUNS, {**selected, "post": "yes"}, follow=True)
    assert f"{shared_run.code}: 2 facturen uitgegeven." in response.content.decode()
    assert sorted(Invoice.objects.values_list("number", flat=True)) == ["2027-0001", "2027-0002"]


def test_the_trainer_cannot_issue_invoices(shared_run, trainer):
    assert trainer.get(RUNS).status_code == 403
    trainer.post(RUNS, {"action": "issue_invoices", "_selected_action": [shared_run.pk], "post": "yes"})
    assert not Invoice.objects.exists()


def test_an_issued_invoice_is_read_only_in_the_admin_and_credited_by_an_action(shared_run, office):
    invoice, _other = invoicing.issue_invoices_for_run(cohort=shared_run)
    change = reverse("admin:billing_invoice_change", args=[invoice.pk])
    page = office.get(change).content.decode()
    assert "2739,13" in page and 'name="po_number"' not in page
    assert office.post(change, {"po_number": "PO-1"}).status_code == 403
    assert office.post(reverse("admin:billing_invoice_delete", args=[invoice.pk]), {"post": "yes"}).status_code == 403
    selected = {"action": "credit_in_full", "_selected_action": [invoice.pk]}
    office.post(INVOICES, {**selected, "post": "yes"})  # without a reason: the page again, nothing credited
    assert not Invoice.objects.filter(kind="credit_note").exists()
    response = office.post(INVOICES, {**selected, "post": "yes", "reason": "Bestuur trekt zich terug"}, follow=True)
    assert "2027-0001 gecrediteerd met 2027-0003." in response.content.decode()
    credit_note = Invoice.objects.get(kind="credit_note")
    assert (credit_note.credits, credit_note.reason, credit_note.total_amount) == (
        invoice,
        "Bestuur trekt zich terug",
        Decimal("-2739.13"),
    )


@pytest.mark.parametrize("runs", [1, 3])
def test_the_runs_to_invoice_list_runs_the_same_queries_however_many_runs(
    fixed_clock, office, django_assert_num_queries, runs
):
    filled_in_provider()
    priced_programme()
    cohorts = [confirmed_shared_run(12)[0] for _ in range(runs)]
    office.get(RUNS)  # the session and the permissions, read once
    with django_assert_num_queries(7):
        page = office.get(RUNS).content.decode()
    for cohort in cohorts:
        assert cohort.code in page
