"""Invoices per board for a confirmed run, their numbers, and the credit notes that correct them."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import transaction

from audit.models import AuditEvent
from billing.models import Invoice, InvoiceCounter, InvoiceLine, PriceModel, Provider
from billing.services import invoicing, offers
from cohorts.models import Participant, Registration
from cohorts.services import enrolment
from cohorts.tests.factories import enrolled_participants, new_cohort, placed_registration
from conftest import FIXED_NOW

from ..factories import accepted_offer, confirmed_shared_run, filled_in_provider, invoice_details, priced_programme

pytestmark = pytest.mark.django_db

TODAY = FIXED_NOW.date()
FIRST_DAY = TODAY + datetime.timedelta(days=60)


@pytest.fixture
def ready(fixed_clock):
    """The provider filled in and the run's price entered: a run shared by the boards, € 4.500,00."""
    filled_in_provider()
    return priced_programme(kind=PriceModel.Kind.PER_RUN, amount=Decimal("4500.00"))


def test_a_run_shared_by_two_boards_gets_one_invoice_per_board_that_adds_up_to_the_run(ready):
    cohort, (first, second) = confirmed_shared_run(14, 9)
    invoices = invoicing.issue_invoices_for_run(cohort=cohort)
    assert [(i.registration, i.number, i.net_amount, i.total_amount) for i in invoices] == [
        (first, "2027-0001", Decimal("2739.13"), Decimal("2739.13")),
        (second, "2027-0002", Decimal("1760.87"), Decimal("1760.87")),
    ]
    invoice = Invoice.objects.get(registration=first)
    assert (invoice.issue_date, invoice.due_date) == (TODAY, TODAY + datetime.timedelta(days=30))
    assert invoice.buyer_name == first.board.name
    # No offer accepted: the board's own address and KvK number, as the office entered them.
    assert invoice.invoice_address == f"{first.board.name}\nMaliebaan 12\n3512 JE Utrecht"
    assert invoice.buyer_kvk_number == first.board.kvk_number != ""
    assert invoice.invoice_email == first.contact_email
    assert invoice.po_number == ""
    assert (invoice.seller_name, invoice.seller_kvk_number, invoice.seller_vat_number, invoice.seller_iban) == (
        "Natuurlijk Leren BV",
        "12345678",
        "NL000099998B57",
        "NL91 ABNA 0417 1643 00",
    )
    assert invoice.vat_rate is None and invoice.vat_amount == Decimal("0.00")
    assert invoice.vat_note.startswith("Vrijgesteld van btw op grond van artikel 11, lid 1, onderdeel o")
    [line] = invoice.lines.all()
    assert line.description == (
        f"Verbindend leiderschap, uitvoering {cohort.code}: uw deel van de uitvoering, 14 van de 23 deelnemers"
    )
    assert (line.quantity, line.unit_price, line.amount) == (1, Decimal("2739.13"), Decimal("2739.13"))


def test_per_participant_the_board_pays_its_participants_and_the_supplement_to_the_minimum(fixed_clock):
    filled_in_provider()
    priced_programme(amount=Decimal("350.00"), minimum_charge=Decimal("5000.00"))
    cohort, (large, small) = confirmed_shared_run(14, 9)
    invoicing.issue_invoices_for_run(cohort=cohort)
    lines = {
        registration: [(line.quantity, line.unit_price, line.amount) for line in invoice.lines.all()]
        for registration in (large, small)
        for invoice in registration.invoices.all()
    }
    assert lines[large] == [(14, Decimal("350.00"), Decimal("4900.00")), (1, Decimal("100.00"), Decimal("100.00"))]
    assert lines[small] == [(9, Decimal("350.00"), Decimal("3150.00")), (1, Decimal("1850.00"), Decimal("1850.00"))]
    assert large.invoices.get().lines.last().description == "Aanvulling tot het minimumbedrag per bestuur"


def test_at_a_rate_the_invoice_charges_vat_and_states_no_exemption(fixed_clock):
    filled_in_provider()
    priced_programme(
        amount=Decimal("1450.00"), vat_treatment=PriceModel.VatTreatment.RATE, vat_rate=Decimal("21"), exemption_text=""
    )
    cohort, _registrations = confirmed_shared_run(13)
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    assert (invoice.net_amount, invoice.vat_amount, invoice.total_amount) == (
        Decimal("18850.00"),
        Decimal("3958.50"),
        Decimal("22808.50"),
    )
    assert invoice.vat_rate == Decimal("21.00") and invoice.vat_note == ""


def test_issuing_again_invoices_only_the_boards_not_yet_invoiced(ready):
    cohort, _registrations = confirmed_shared_run(14, 9)
    invoicing.issue_invoices_for_run(cohort=cohort)
    assert invoicing.issue_invoices_for_run(cohort=cohort) == []
    assert Invoice.objects.count() == 2


@pytest.mark.parametrize("problem", ["not confirmed", "provider incomplete", "price on request"])
def test_nothing_is_invoiced_or_numbered_when_the_run_cannot_be(ready, problem):
    if problem == "not confirmed":
        cohort = new_cohort()
        enrolled_participants(placed_registration(cohort=cohort), 12)
        expected = "is gepland: een uitvoering wordt gefactureerd als ze is bevestigd"
    else:
        cohort, _registrations = confirmed_shared_run(14)
    if problem == "provider incomplete":
        Provider.objects.update(iban="")
        expected = "Vul de gegevens van de aanbieder in vóór het factureren: IBAN."
    if problem == "price on request":
        PriceModel.objects.update(amount=None)
        expected = "De prijs van het programma is op aanvraag"
    with pytest.raises(invoicing.InvoicingError, match=expected):
        invoicing.issue_invoices_for_run(cohort=cohort)
    assert not Invoice.objects.exists()
    assert not InvoiceCounter.objects.filter(last_number__gt=0).exists()


def test_no_board_of_the_run_is_invoiced_while_one_lacks_its_kvk_number_or_address(ready):
    """An e-invoice without the buyer's KvK number or street fails Peppol R010 and NL-R-004: it is not issued."""
    cohort, (first, second) = confirmed_shared_run(14, 9)
    invoice_details(first.board, kvk_number="")
    invoice_details(second.board, address="", postcode="")
    with pytest.raises(invoicing.InvoicingError) as refused:
        invoicing.issue_invoices_for_run(cohort=cohort)
    assert str(refused.value) == (
        "Er is geen factuur gemaakt: een e-factuur vraagt van elk bestuur het KvK-nummer en het adres met straat, "
        "postcode en plaats. Vul ze in bij het bestuur vóór het factureren: "
        f"{first.board.name} (KvK-nummer); {second.board.name} (straat, postcode)."
    )
    assert not Invoice.objects.exists()
    assert not InvoiceCounter.objects.filter(last_number__gt=0).exists()
    invoice_details(first.board)
    invoice_details(second.board)
    assert len(invoicing.issue_invoices_for_run(cohort=cohort)) == 2


def test_a_board_s_accepted_offer_gives_its_kvk_number_to_a_later_invoice_without_an_offer(ready):
    cohort, [registration] = confirmed_shared_run(14)
    invoice_details(registration.board, kvk_number="")
    offers.make_offer(registration=registration)
    accepted_offer(registration, kvk_number="41234567")
    registration.board.refresh_from_db()
    assert registration.board.kvk_number == "41234567"
    # The same board in a later run, which it registered for without an offer.
    later, [again] = confirmed_shared_run(12)
    Registration.objects.filter(pk=again.pk).update(board=registration.board)
    invoicing.issue_invoices_for_run(cohort=cohort)
    [invoice] = invoicing.issue_invoices_for_run(cohort=later)
    assert (invoice.buyer_kvk_number, invoice.po_number) == ("41234567", "")


def test_an_issuing_rolled_back_takes_its_number_back(ready):
    cohort, _registrations = confirmed_shared_run(14)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoicing.issue_invoices_for_run(cohort=cohort)
        raise RuntimeError("the issuing fails after its number was taken")
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    assert invoice.number == "2027-0001"


def test_the_numbers_start_again_at_1_each_year(ready, fixed_clock):
    cohort, _registrations = confirmed_shared_run(14)
    invoicing.issue_invoices_for_run(cohort=cohort, today=datetime.date(2027, 12, 31))
    later, _registrations = confirmed_shared_run(14)
    [invoice] = invoicing.issue_invoices_for_run(cohort=later, today=datetime.date(2028, 1, 2))
    assert (invoice.year, invoice.sequence, invoice.number) == (2028, 1, "2028-0001")


def test_an_issued_invoice_never_changes(ready):
    cohort, _registrations = confirmed_shared_run(14)
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    invoice.po_number = "PO-123"
    with pytest.raises(ValueError, match="never changes"):
        invoice.save()
    line = invoice.lines.get()
    line.amount = Decimal("1.00")
    with pytest.raises(ValueError, match="never changes"):
        line.save()
    with pytest.raises(ValueError, match="never deleted"):
        invoice.delete()
    invoice.refresh_from_db()
    assert invoice.po_number == "" and invoice.lines.get().amount == Decimal("4500.00")


def test_a_credit_note_refers_to_the_invoice_and_negates_it(ready):
    cohort, (first, _second) = confirmed_shared_run(14, 9)
    invoice, _other = invoicing.issue_invoices_for_run(cohort=cohort)
    credit_note = invoicing.credit_invoice(invoice=invoice, reason="Geannuleerd")
    assert (credit_note.kind, credit_note.credits, credit_note.number) == ("credit_note", invoice, "2027-0003")
    assert credit_note.registration == first and credit_note.buyer_name == invoice.buyer_name
    assert credit_note.vat_note == invoice.vat_note
    [line] = credit_note.lines.all()
    assert (line.description, line.quantity, line.amount) == (
        invoice.lines.get().description,
        -1,
        Decimal("-2739.13"),
    )
    assert credit_note.total_amount == Decimal("-2739.13")
    nothing_left = "2027-0001 heeft nog € 0,00 te crediteren; deze creditnota zou € 2.739,13 crediteren."
    with pytest.raises(invoicing.InvoicingError, match=re.escape(nothing_left)):
        invoicing.credit_invoice(invoice=invoice, reason="Nog eens")
    with pytest.raises(invoicing.InvoicingError, match="Een creditnota kan niet worden gecrediteerd"):
        invoicing.credit_invoice(invoice=credit_note, reason="Terug")


def _withdraw(participant: Participant, *, on: datetime.date) -> Participant:
    enrolment.withdraw_participant(participant=participant)
    # The withdrawal's date as the terms read it: moved to the day the test is about.
    Participant.objects.filter(pk=participant.pk).update(
        withdrawn_at=datetime.datetime.combine(on, datetime.time(12), tzinfo=FIXED_NOW.tzinfo)
    )
    participant.refresh_from_db()
    return participant


@pytest.mark.parametrize(
    "days_before, credited",
    [
        (28, [("Afmelding van {name} op {date}", -1, Decimal("-1450.00"))]),
        (
            27,
            [
                ("Afmelding van {name} op {date}", -1, Decimal("-1450.00")),
                ("Afmeldkosten", 1, Decimal("725.00")),
            ],
        ),
    ],
)
def test_a_withdrawal_is_credited_whole_up_to_the_cut_off_and_less_the_fee_after(fixed_clock, days_before, credited):
    filled_in_provider()
    priced_programme(amount=Decimal("1450.00"), withdrawal_cutoff_days=28, withdrawal_fee_percent=50)
    cohort, (registration,) = confirmed_shared_run(14, first=FIRST_DAY)
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    withdrawn_on = FIRST_DAY - datetime.timedelta(days=days_before)
    participant = _withdraw(registration.participants.first(), on=withdrawn_on)
    credit_note = invoicing.credit_withdrawal(participant=participant)
    name, date = participant.full_name, withdrawn_on.strftime("%d-%m-%Y")
    assert [(line.description, line.quantity, line.amount) for line in credit_note.lines.all()] == [
        (description.format(name=name, date=date), quantity, amount) for description, quantity, amount in credited
    ]
    assert credit_note.credits == invoice
    assert credit_note.total_amount == sum(amount for _d, _q, amount in credited)


def test_a_withdrawal_that_costs_the_whole_price_credits_nothing(fixed_clock):
    filled_in_provider()
    priced_programme(amount=Decimal("1450.00"), withdrawal_cutoff_days=28, withdrawal_fee_percent=100)
    cohort, (registration,) = confirmed_shared_run(14, first=FIRST_DAY)
    invoicing.issue_invoices_for_run(cohort=cohort)
    participant = _withdraw(registration.participants.first(), on=FIRST_DAY)
    assert invoicing.credit_withdrawal(participant=participant) is None
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_a_participant_withdrawn_before_the_invoice_is_not_credited(fixed_clock):
    filled_in_provider()
    priced_programme(amount=Decimal("1450.00"))
    cohort, (registration,) = confirmed_shared_run(13, first=FIRST_DAY)
    participant = _withdraw(registration.participants.first(), on=TODAY - datetime.timedelta(days=1))
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    assert invoice.participant_count == 12
    assert invoicing.credit_withdrawal(participant=participant) is None
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_a_withdrawal_from_a_shared_run_credits_the_board_s_part_per_participant(ready):
    cohort, (first, _second) = confirmed_shared_run(14, 9, first=FIRST_DAY)
    invoicing.issue_invoices_for_run(cohort=cohort)
    participant = _withdraw(first.participants.first(), on=FIRST_DAY - datetime.timedelta(days=40))
    credit_note = invoicing.credit_withdrawal(participant=participant)
    # 2739.13 over 14 participants.
    assert credit_note.total_amount == Decimal("-195.65")


@pytest.mark.parametrize(
    "days_before, credited",
    [
        (28, [("Annulering van het deel van het bestuur op {date}", -1, Decimal("-1760.87"))]),
        (
            27,
            [
                ("Annulering van het deel van het bestuur op {date}", -1, Decimal("-1760.87")),
                ("Annuleringskosten", 1, Decimal("880.44")),  # half of 1760.87, half a cent up
            ],
        ),
    ],
)
def test_a_board_cancelling_is_credited_whole_up_to_the_cut_off_and_less_the_fee_after(ready, days_before, credited):
    PriceModel.objects.update(withdrawal_cutoff_days=28, cancellation_fee_percent=50)
    cohort, (_first, second) = confirmed_shared_run(14, 9, first=FIRST_DAY)
    _invoice, invoice = invoicing.issue_invoices_for_run(cohort=cohort)
    cancelled_on = FIRST_DAY - datetime.timedelta(days=days_before)
    credit_note = invoicing.credit_cancellation(registration=second, cancelled_on=cancelled_on)
    date = cancelled_on.strftime("%d-%m-%Y")
    assert [(line.description, line.quantity, line.amount) for line in credit_note.lines.all()] == [
        (description.format(date=date), quantity, amount) for description, quantity, amount in credited
    ]
    assert (credit_note.credits, credit_note.reason) == (invoice, "Annulering door het bestuur")


def test_a_cancellation_credits_only_what_is_left_of_the_invoice(ready):
    cohort, (registration,) = confirmed_shared_run(14, first=FIRST_DAY)
    [invoice] = invoicing.issue_invoices_for_run(cohort=cohort)
    invoicing.credit_invoice(
        invoice=invoice,
        reason="Korting",
        lines=[InvoiceLine(description="Korting", quantity=Decimal(1), unit_price=Decimal("500.00"))],
    )
    credit_note = invoicing.credit_cancellation(registration=registration, cancelled_on=TODAY)
    assert credit_note.total_amount == Decimal("-4000.00")
    assert invoicing.credit_cancellation(registration=registration, cancelled_on=TODAY) is None


@pytest.mark.parametrize("boards", [2, 4])
def test_issuing_takes_the_same_queries_per_invoice(ready, django_assert_num_queries, boards):
    cohort, _registrations = confirmed_shared_run(*[6] * boards)
    # Per run 7 (the boards' accepted offers among them), and 3 to queue the e-mails: the lines of all the invoices
    # (for the PDFs and the UBL), the rows, and their attachments; per invoice 4 to issue it (its number, the row,
    # its lines, the audit event).
    with django_assert_num_queries(7 + 3 + 4 * boards):
        invoices = invoicing.issue_invoices_for_run(cohort=cohort)
    assert len(invoices) == boards
    assert InvoiceLine.objects.count() == boards


def test_every_invoice_and_credit_note_is_in_the_audit_trail(ready):
    office = User.objects.create_user("kantoor-user", is_staff=True)
    cohort, _registrations = confirmed_shared_run(14, 9)
    invoice, second = invoicing.issue_invoices_for_run(cohort=cohort, issued_by=office)
    credit_note = invoicing.credit_invoice(invoice=invoice, reason="Geannuleerd", issued_by=office)
    events = AuditEvent.objects.filter(object_type="billing.Invoice").order_by("pk")
    assert [(e.action, e.object_id, e.actor, e.detail) for e in events] == [
        ("invoice_issued", str(invoice.pk), office, "2027-0001: 2739.13 EUR"),
        ("invoice_issued", str(second.pk), office, "2027-0002: 1760.87 EUR"),
        ("credit_note_issued", str(credit_note.pk), office, "2027-0003: -2739.13 EUR, credits 2027-0001: Geannuleerd"),
    ]
