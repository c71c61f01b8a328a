"""
Invoices per board for a course run, and credit notes that correct them.

An invoice is issued in one transaction with its number: the number is taken
from the year's counter row in that transaction (`_next_sequence`), so a
failed issuing gives its number back and the numbers of a year run without a
gap. An issued invoice never changes (the models refuse a second save); a
withdrawal or a cancellation makes a credit note that refers to it.
"""

import datetime
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

from audit import services as audit
from audit.models import AuditEvent
from billing import selectors, ubl
from billing.models import Invoice, InvoiceLine, PriceModel, Provider
from cohorts.models import Cohort, Participant, Registration
from cohorts.services import runs

from . import einvoice, offers, pricing

INVOICED_STATUSES = {Cohort.Status.CONFIRMED, Cohort.Status.RUNNING, Cohort.Status.COMPLETED}


class InvoicingError(Exception):
    """An invoice or a credit note cannot be issued; the message says why, translated."""


def _next_sequence(year: int) -> int:
    """
    Take the next number of the year, inside the caller's transaction.

    One statement makes the year's counter row (whoever comes first) or
    raises its number, and returns the number: it locks the row until the
    transaction ends, so issuings of the same year take their numbers one
    after the other. The ORM has no UPDATE that returns, nor an upsert that
    adds to the stored value.
    """
    with connection.cursor() as cursor:
        cursor.execute(NEXT_SEQUENCE, [year])
        return cursor.fetchone()[0]


NEXT_SEQUENCE = """
    INSERT INTO billing_invoicecounter (year, last_number) VALUES (%s, 1)
    ON CONFLICT (year) DO UPDATE SET last_number = billing_invoicecounter.last_number + 1
    RETURNING last_number
"""


def _complete_provider() -> Provider:
    provider, missing = selectors.provider_with_missing_details()
    if missing:
        raise InvoicingError(
            gettext("Fill in the provider's details before invoicing: %(fields)s.") % {"fields": missing}
        )
    return provider


def _provider_fields(provider: Provider) -> dict:
    return {
        "seller_name": provider.legal_name,
        "seller_address": provider.address,
        "seller_postcode": provider.postcode,
        "seller_city": provider.city,
        "seller_kvk_number": provider.kvk_number,
        "seller_vat_number": provider.vat_number,
        "seller_iban": provider.iban,
        "seller_crkbo_number": provider.crkbo_number,
        "seller_email": provider.email,
    }


def _board_fields(registration: Registration, offer) -> dict:
    board = registration.board
    # Written as the invoice prints it and the e-invoice reads it back (ubl.postal_address): the name, the street,
    # the postcode with the place.
    city_line = " ".join(part for part in (board.postcode, board.place) if part)
    return {
        "buyer_name": board.name,
        "invoice_address": "\n".join(part for part in (board.name, board.address, city_line) if part),
        "invoice_email": registration.contact_email,
        "po_number": "",
        "buyer_kvk_number": board.kvk_number,
        # The board's accepted offer, when it has one, names its purchase order and where the invoice goes.
        **offers.invoice_fields(offer),
    }


def _e_invoice_gaps(fields: dict) -> list[str]:
    """Return what the e-invoice of a board's invoice would lack of what the Peppol and Dutch rules require."""
    address = ubl.postal_address(fields["invoice_address"])
    required = [
        (fields["buyer_kvk_number"], gettext("KvK number")),
        (address["street"], gettext("street")),
        (address["postcode"], gettext("postcode")),
        (address["city"], gettext("place")),
    ]
    return [name for value, name in required if not value]


def _refuse_incomplete_buyers(buyers: dict[Registration, dict]) -> None:
    """
    Refuse to invoice a run while a board's e-invoice would lack its KvK number or a part of its address.

    The e-invoice is the invoice (an issued one never changes): one that
    the receiving side refuses under Peppol's rule R010 (the buyer's
    electronic address, its KvK number) or the Dutch NL-R-004 (the buyer's
    street, postcode and place) is not sent at all. No board of the run is
    invoiced until every one is complete, so issuing again invoices them all.
    """
    missing = []
    for registration, fields in buyers.items():
        gaps = _e_invoice_gaps(fields)
        if gaps:
            missing.append(
                gettext("%(board)s (%(fields)s)") % {"board": registration.board.name, "fields": ", ".join(gaps)}
            )
    if missing:
        raise InvoicingError(
            gettext(
                "No invoice was issued: an e-invoice needs each board's KvK number and its address with street, "
                "postcode and place. Fill them in on the board before invoicing: %(boards)s."
            )
            % {"boards": "; ".join(missing)}
        )


def _save_invoice(*, invoice: Invoice, lines: list[InvoiceLine], vat_amount: Decimal, request=None) -> Invoice:
    invoice.net_amount = sum((line.amount for line in lines), Decimal("0.00"))
    invoice.vat_amount = vat_amount
    invoice.total_amount = invoice.net_amount + vat_amount
    invoice.year = invoice.issue_date.year
    invoice.sequence = _next_sequence(invoice.year)
    invoice.number = f"{invoice.year}-{invoice.sequence:04d}"
    # The fields' own rules; the constraints are the database's, checked by the INSERT without a query of their own.
    invoice.full_clean(
        exclude=["credits", "registration", "cohort", "issued_by"], validate_unique=False, validate_constraints=False
    )
    invoice.save()
    for position, line in enumerate(lines, start=1):
        line.invoice, line.position = invoice, position
    InvoiceLine.objects.bulk_create(lines)
    audit.record(
        action=AuditEvent.Action.CREDIT_NOTE_ISSUED if invoice.is_credit_note else AuditEvent.Action.INVOICE_ISSUED,
        obj=invoice,
        actor=invoice.issued_by,
        request=request,
        detail=f"{invoice.number}: {invoice.total_amount} EUR"
        + (f", credits {invoice.credits.number}: {invoice.reason}" if invoice.is_credit_note else ""),
    )
    return invoice


@transaction.atomic
def issue_invoices_for_run(
    *, cohort: Cohort, issued_by=None, request=None, today: datetime.date | None = None
) -> list[Invoice]:
    """
    Issue one invoice per board of a confirmed course run, for its enrolled participants at the programme's price.

    Boards invoiced before are left out, so issuing again invoices only the
    boards that joined since. Each invoice copies the provider, the board's
    address and e-mail address, the price and the VAT as they are now. At a
    price per run, a board's part is of the run's participants now: a board
    that joins after the others were invoiced pays its part of the larger
    run, and the earlier invoices stay as issued.

    :param issued_by: the staff user, for the invoice and the audit trail (with ``request``, the address)
    :param today: the invoice date; today when not given
    :raises InvoicingError: when the run is not confirmed, the provider incomplete, the price on request, or a
        board to invoice lacks its KvK number or a part of its address (none is invoiced then)
    """
    # The run's row only (not its programme's, which every run shares): issuings of other runs go on side by side
    # up to the year's counter.
    cohort = Cohort.objects.select_for_update(of=("self",)).select_related("programme").get(pk=cohort.pk)
    if cohort.status not in INVOICED_STATUSES:
        raise InvoicingError(
            gettext("%(code)s is %(status)s: a course run is invoiced once it is confirmed.")
            % {"code": cohort.code, "status": cohort.get_status_display()}
        )
    provider = _complete_provider()
    price = PriceModel.objects.filter(programme=cohort.programme).first()
    if price is None:
        raise InvoicingError(gettext("%(programme)s has no price model.") % {"programme": cohort.programme})
    registrations = list(
        cohort.registrations.filter(status=Registration.Status.PLACED)
        .select_related("board")
        .annotate(
            enrolled=models.Count(
                "participants",
                filter=models.Q(participants__status=Participant.Status.ENROLLED, participants__cohort=cohort),
            ),
            invoiced=models.Exists(Invoice.objects.filter(registration=models.OuterRef("pk"), kind="invoice")),
        )
        .order_by("created_at", "pk")
    )
    try:
        parts = pricing.board_parts(price=price, participants={r.pk: r.enrolled for r in registrations})
    except pricing.PricingError as error:
        raise InvoicingError(str(error)) from error
    total = sum(r.enrolled for r in registrations)
    today = today or timezone.localdate()
    to_invoice = [registration for registration in registrations if registration.enrolled and not registration.invoiced]
    accepted = offers.accepted_offers(to_invoice)
    buyers = {registration: _board_fields(registration, accepted.get(registration.pk)) for registration in to_invoice}
    _refuse_incomplete_buyers(buyers)
    invoices = [
        _issue(
            registration=registration,
            buyer=buyer,
            cohort=cohort,
            part=parts[registration.pk],
            price=price,
            run_participants=total,
            provider=provider,
            issued_by=issued_by,
            request=request,
            today=today,
        )
        for registration, buyer in buyers.items()
    ]
    einvoice.queue_new_invoice_mails(invoices=invoices)
    return invoices


def _issue(
    *, registration, buyer, cohort, part, price, run_participants, provider, issued_by, request, today
) -> Invoice:
    with translation.override(registration.language):
        lines = _run_lines(
            registration=registration, cohort=cohort, part=part, price=price, run_participants=run_participants
        )
        invoice = Invoice(
            kind=Invoice.Kind.INVOICE,
            registration=registration,
            cohort=cohort,
            issue_date=today,
            due_date=today + datetime.timedelta(days=price.payment_term_days),
            issued_at=timezone.now(),
            issued_by=issued_by,
            language=registration.language,
            participant_count=registration.enrolled,
            vat_rate=None if price.is_exempt else price.vat_rate,
            vat_note=pricing.vat_note(price=price),
            **_provider_fields(provider),
            **buyer,
        )
        vat = pricing.vat_amount(price=price, net=part)
        return _save_invoice(invoice=invoice, lines=lines, vat_amount=vat, request=request)


def _run_lines(*, registration, cohort, part, price, run_participants) -> list[InvoiceLine]:
    """Return a board's invoice lines: its participants or its part of the run, and the minimum if it applies."""
    count = registration.enrolled
    names = {"programme": cohort.programme.title, "code": cohort.code}
    if price.kind == PriceModel.Kind.PER_RUN:
        description = gettext(
            "%(programme)s, course run %(code)s: your part of the run, %(count)s of its %(total)s participants"
        ) % {**names, "count": count, "total": run_participants}
    else:
        description = gettext("%(programme)s, course run %(code)s: participants") % names
    return pricing.lines_of_part(InvoiceLine, description=description, price=price, count=count, part=part)


@transaction.atomic
def credit_invoice(
    *,
    invoice: Invoice,
    reason: str,
    lines: list[InvoiceLine] | None = None,
    issued_by=None,
    request=None,
    today: datetime.date | None = None,
) -> Invoice:
    """
    Issue a credit note for an invoice: its lines negated (the whole invoice), or the `lines` given.

    The credit notes of an invoice together never credit more than it charged.

    :param lines: unsaved lines as they are credited (a fee kept back with a negative quantity); the whole invoice
        when None
    :raises InvoicingError: when the invoice is a credit note itself, or more would be credited than it charged
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note:
        raise InvoicingError(gettext("A credit note cannot be credited."))
    credited = (invoice.credit_notes.aggregate(total=models.Sum("net_amount"))["total"] or 0) + Decimal("0.00")
    if lines is None:
        lines = [
            InvoiceLine(description=line.description, quantity=line.quantity, unit_price=line.unit_price)
            for line in invoice.lines.all()
        ]
    for line in lines:
        line.quantity = -line.quantity
        line.amount = (line.quantity * line.unit_price).quantize(pricing.CENT)
    net = sum((line.amount for line in lines), Decimal("0.00"))
    left = (invoice.net_amount + credited).quantize(pricing.CENT)
    if net >= 0 or left + net < 0:
        raise InvoicingError(
            gettext("%(number)s has € %(left)s left to credit; this credit note would credit € %(amount)s.")
            % {"number": invoice.number, "left": _money(left), "amount": _money(-net)}
        )
    today = today or timezone.localdate()
    credit_note = Invoice(
        kind=Invoice.Kind.CREDIT_NOTE,
        credits=invoice,
        reason=reason,
        registration_id=invoice.registration_id,
        cohort_id=invoice.cohort_id,
        issue_date=today,
        due_date=today,
        issued_at=timezone.now(),
        issued_by=issued_by,
        **{field: getattr(invoice, field) for field in COPIED_FROM_THE_INVOICE},
    )
    vat = -pricing.percentage_of(-net, invoice.vat_rate) if invoice.vat_rate is not None else Decimal("0.00")
    _save_invoice(invoice=credit_note, lines=lines, vat_amount=vat, request=request)
    einvoice.queue_new_invoice_mails(invoices=[credit_note])
    return credit_note


COPIED_FROM_THE_INVOICE = [
    "language",
    "seller_name",
    "seller_address",
    "seller_postcode",
    "seller_city",
    "seller_kvk_number",
    "seller_vat_number",
    "seller_iban",
    "seller_crkbo_number",
    "seller_email",
    "buyer_name",
    "invoice_address",
    "invoice_email",
    "po_number",
    "buyer_kvk_number",
    "vat_rate",
    "vat_note",
]


@transaction.atomic
def credit_withdrawal(
    *, participant: Participant, issued_by=None, today: datetime.date | None = None
) -> Invoice | None:
    """
    Credit a withdrawn participant on their board's invoice, less the withdrawal fee the terms charge.

    Free up to and including the cut-off day before the first course day (the
    participant's whole price is credited), the fee after it (the price less
    the fee is credited). Return the credit note, or None when the fee is the
    whole price, or the board has no invoice or had it after the withdrawal
    (which left the participant out).

    :param today: the credit note's date; the withdrawal is dated by `participant.withdrawn_at`
    """
    invoice = Invoice.objects.filter(registration_id=participant.registration_id, kind=Invoice.Kind.INVOICE).first()
    if participant.status != Participant.Status.WITHDRAWN or participant.withdrawn_at is None:
        raise InvoicingError(gettext("%(name)s has not withdrawn.") % {"name": participant.full_name})
    if invoice is None or participant.withdrawn_at < invoice.issued_at:
        # Not invoiced: withdrawn before the board's invoice, which did not count them.
        return None
    cohort = invoice.cohort
    price = PriceModel.objects.get(programme_id=cohort.programme_id)
    their_price = _participant_price(invoice=invoice, price=price)
    withdrawn_on = timezone.localdate(participant.withdrawn_at)
    first_day = runs.first_day(cohort) or withdrawn_on
    fee = pricing.withdrawal_fee(
        price=price, participant_price=their_price, first_day=first_day, withdrawn_on=withdrawn_on
    )
    if fee >= their_price:
        return None
    with translation.override(invoice.language):
        description = gettext("Withdrawal of %(name)s on %(date)s") % {
            "name": participant.full_name,
            "date": date_format(withdrawn_on, "d-m-Y"),
        }
        reason = gettext("Withdrawal of a participant")
        lines = [InvoiceLine(description=description, quantity=Decimal(1), unit_price=their_price)]
        if fee:
            lines.append(InvoiceLine(description=gettext("Withdrawal fee"), quantity=Decimal(-1), unit_price=fee))
    return credit_invoice(invoice=invoice, reason=reason, lines=lines, issued_by=issued_by, today=today)


@transaction.atomic
def credit_cancellation(
    *,
    registration: Registration,
    cancelled_on: datetime.date,
    issued_by=None,
    request=None,
    today: datetime.date | None = None,
) -> Invoice | None:
    """
    Credit a board that cancels its part of a course run: what is left of its invoice, less the cancellation fee.

    Free up to and including the cut-off day before the first course day
    (all that is left is credited), the fee after it (its percentage of the
    board's part is kept). Return the credit note, or None when the board has
    no invoice or nothing would be credited.

    :param cancelled_on: the day the board cancelled, which the terms read
    """
    invoice = Invoice.objects.filter(registration=registration, kind=Invoice.Kind.INVOICE).first()
    if invoice is None:
        return None
    price = PriceModel.objects.get(programme_id=invoice.cohort.programme_id)
    first_day = runs.first_day(invoice.cohort) or cancelled_on
    fee = pricing.cancellation_fee(
        price=price, board_part=invoice.net_amount, first_day=first_day, cancelled_on=cancelled_on
    )
    credited = invoice.credit_notes.aggregate(total=models.Sum("net_amount"))["total"] or 0
    left = (invoice.net_amount + credited).quantize(pricing.CENT)
    if fee >= left:
        return None
    with translation.override(invoice.language):
        lines = [
            InvoiceLine(
                description=gettext("Cancellation of the board's part on %(date)s")
                % {"date": date_format(cancelled_on, "d-m-Y")},
                quantity=Decimal(1),
                unit_price=left,
            )
        ]
        if fee:
            lines.append(InvoiceLine(description=gettext("Cancellation fee"), quantity=Decimal(-1), unit_price=fee))
        reason = gettext("Cancellation by the board")
    return credit_invoice(
        invoice=invoice, reason=reason, lines=lines, issued_by=issued_by, request=request, today=today
    )


def _participant_price(*, invoice: Invoice, price: PriceModel) -> Decimal:
    """Return what one participant cost on the invoice: the price per participant, or the board's part over them."""
    if price.kind == PriceModel.Kind.PER_PARTICIPANT:
        return invoice.lines.order_by("position").first().unit_price
    return (invoice.net_amount / invoice.participant_count).quantize(pricing.CENT)


def _money(amount: Decimal) -> str:
    return number_format(amount, 2, force_grouping=True)
