"""
Demo data for billing: the provider and the price filled in with demo values, an offer the confirmed run's board
accepted with its purchase-order number and one offer still open, the demo runs that are confirmed, running or
completed invoiced per board (the accepted offer's order on its board's invoice) three weeks before their first day,
one invoice corrected by a credit note, the running run's invoices paid, and the completed run's overdue, reminded.

The running run is shared by two boards, so its price is split over two invoices by their participants; the
planned run open for joining is shared too, not invoiced before it is confirmed: the report prints its split.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone, translation

from cohorts import demo as cohorts_demo
from cohorts.models import Board, Cohort, Participant, Registration
from cohorts.services import runs

from .models import Invoice, InvoiceLine, Offer, PriceModel, Provider
from .services import invoicing, offers, payments, pricing

# Demo values: the brochure names neither the provider's numbers nor a price.
DEMO_PROVIDER = {
    "address": "Voorbeeldstraat 1",
    "postcode": "3511 AB",
    "city": "Utrecht",
    "kvk_number": "12345678",
    "vat_number": "NL000099998B57",
    "iban": "NL91 ABNA 0417 1643 00",
    "crkbo_number": "DEMO-CRKBO-0001",
    "email": "administratie@natuurlijkleren.example.nl",
}
DEMO_PRICE = {"kind": PriceModel.Kind.PER_RUN, "amount": Decimal("24000.00"), "minimum_charge": Decimal("2500.00")}
CREDIT_REASON = "Eén deelnemer kon door ziekte twee dagen niet volgen; in overleg gecrediteerd."
DEMO_ACCEPTANCE = {
    "po_number": "IO-2027-00412",
    "invoice_address": "Crediteurenadministratie\nPostbus 2100\n3500 GC Utrecht",
    "invoice_email": "facturen@bestuur.example.nl",
    "cost_centre": "6120 Professionalisering",
    "kvk_number": "41234567",
}

# The demo boards' invoice details as the office enters them (an accepted offer gives a board its KvK number too),
# by bestuursnummer or samenwerkingsverband code: demo values.
DEMO_BOARD_DETAILS = {
    "41234": {"address": "Voorbeeldlaan 4", "postcode": "4001 AB", "kvk_number": "41234001"},
    "PO-22-02": {"address": "Voorbeeldweg 22", "postcode": "7411 AB", "kvk_number": "41234002"},
    "30127": {"address": "Voorbeeldplein 3", "postcode": "5611 AB", "kvk_number": "41234003"},
}


def load(*, trainer) -> bool:
    """Fill in what is empty and invoice the demo's invoiceable runs, once; say whether anything was made."""
    if Invoice.objects.filter(cohort__in=_demo_runs()).exists():
        return False
    fill_in_provider_and_price()
    office = get_user_model().objects.filter(groups__name="Kantoor", username__startswith="demo-").first()
    _fill_in_boards()
    _make_offers(by=trainer)
    for cohort in _demo_runs().filter(status__in=invoicing.INVOICED_STATUSES).order_by("code"):
        invoicing.issue_invoices_for_run(cohort=cohort, issued_by=office, today=_invoiced_on(cohort))
    _credit_one_participant(by=office)
    _pay_and_remind(by=office)
    return True


def fill_in_provider_and_price() -> None:
    """Fill in the provider's empty details and the programme's price with the demo values, when they are empty."""
    provider = Provider.objects.get()
    if not provider.is_complete:
        for name, value in DEMO_PROVIDER.items():
            setattr(provider, name, getattr(provider, name) or value)
        provider.full_clean()
        provider.save()
    price = PriceModel.objects.get(programme__slug="verbindend-leiderschap")
    if price.amount is None:
        for name, value in DEMO_PRICE.items():
            setattr(price, name, value)
        price.full_clean()
        price.save()


def _fill_in_boards() -> None:
    """Give the demo boards what their invoices need and they have not: an address and a KvK number."""
    for board in Board.objects.filter(registrations__in=cohorts_demo.demo_registrations()).distinct():
        details = DEMO_BOARD_DETAILS.get(board.bestuursnummer or board.swv_code, {})
        for name, value in details.items():
            setattr(board, name, getattr(board, name) or value)
        board.full_clean(validate_unique=False)
        board.save()


def _invoiced_on(cohort) -> datetime.date:
    """Three weeks before the run's first day, as the office invoices on confirmation; today for a run still ahead."""
    first_day = runs.first_day(cohort)
    today = timezone.localdate()
    return min(first_day - datetime.timedelta(weeks=3), today) if first_day else today


def _pay_and_remind(*, by) -> None:
    """The running run's boards paid their invoices; the completed run's did not, and got its one reminder."""
    running = Invoice.objects.filter(
        cohort__in=_demo_runs(), cohort__status=Cohort.Status.RUNNING, kind=Invoice.Kind.INVOICE
    )
    for invoice in running:
        payments.record_payment(
            invoice=invoice, amount=None, paid_on=invoice.due_date - datetime.timedelta(days=5), recorded_by=by
        )
    payments.send_payment_reminders()


def _make_offers(*, by) -> None:
    """An offer the confirmed run's board accepted with its purchase order, and one the shared run's board has open."""
    placed = cohorts_demo.demo_registrations().filter(status=Registration.Status.PLACED).order_by("created_at")
    confirmed = placed.filter(cohort__status=Cohort.Status.CONFIRMED).first()
    if confirmed is not None and not confirmed.offers.exists():
        offer = offers.make_offer(registration=confirmed, made_by=by, remark="Zoals besproken in het intakegesprek.")
        offers.accept_offer(
            offer=offer,
            data={
                **DEMO_ACCEPTANCE,
                "invoice_address": (f"{confirmed.board.name}\n{DEMO_ACCEPTANCE['invoice_address']}"),
            },
        )
    open_one = placed.filter(cohort__status=Cohort.Status.PLANNED, offers__isnull=True).first()
    if open_one is not None:
        offers.make_offer(registration=open_one, made_by=by)


def _credit_one_participant(*, by) -> None:
    """Credit the completed run's invoice for one participant's part, as the office agreed with the board."""
    invoice = (
        Invoice.objects.filter(cohort__in=_demo_runs(), cohort__status=Cohort.Status.COMPLETED, kind="invoice")
        .order_by("pk")
        .first()
    )
    if invoice is None or not invoice.participant_count:
        return
    one = (invoice.net_amount / invoice.participant_count).quantize(pricing.CENT)
    with translation.override(invoice.language):
        line = InvoiceLine(description=CREDIT_REASON, quantity=Decimal(1), unit_price=one)
    invoicing.credit_invoice(invoice=invoice, reason=CREDIT_REASON, lines=[line], issued_by=by)


def _demo_runs():
    return Cohort.objects.filter(pk__in=cohorts_demo.demo_registrations().values("cohort"))


def report(stdout) -> None:
    invoices = Invoice.objects.filter(cohort__in=_demo_runs()).select_related("cohort", "credits").order_by("pk")
    with translation.override("en"):
        stdout.write("Invoices:")
        for invoice in invoices:
            credits = f", credits {invoice.credits.number}" if invoice.credits else ""
            stdout.write(
                f"  {invoice.number}  {invoice.get_kind_display():<11}  {invoice.cohort.code}  {invoice.buyer_name}: "
                f"EUR {invoice.total_amount}{credits}"
            )
        stdout.write(_shared_run_split())
        stdout.write("Offers:")
        for offer in Offer.objects.filter(registration__in=cohorts_demo.demo_registrations()).order_by("pk"):
            po = f", PO {offer.po_number}" if offer.po_number else ""
            stdout.write(
                f"  {offer.number} v{offer.version}  {offer.get_status_display():<9}  {offer.buyer_name}: "
                f"EUR {offer.total_amount}{po}"
            )


def _shared_run_split() -> str:
    """Say how the demo's run shared by two boards will be invoiced once it is confirmed."""
    price = PriceModel.objects.filter(programme__slug="verbindend-leiderschap").first()
    shared = _demo_runs().filter(status=Cohort.Status.PLANNED).first()
    if price is None or price.amount is None or shared is None:
        return "No run shared by boards to split."
    registrations = list(shared.registrations.filter(status="placed").select_related("board").order_by("created_at"))
    counts = {
        registration: registration.participants.filter(status=Participant.Status.ENROLLED).count()
        for registration in registrations
    }
    parts = pricing.board_parts(price=price, participants=counts)
    split = "; ".join(f"{r.board.name} ({counts[r]}): EUR {parts[r]}" for r in registrations)
    return f"Shared run {shared.code}, invoiced per board once confirmed: {split}"


def links() -> list[tuple[str, str]]:
    return [
        ("The invoices, each a PDF to download", settings.SITE_URL + reverse("admin:billing_invoice_changelist")),
        ("The offers, each version a PDF to download", settings.SITE_URL + reverse("admin:billing_offer_changelist")),
    ]
