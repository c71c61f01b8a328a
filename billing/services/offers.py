"""
The offer to a board: made by the trainer after the intake, in versions, and accepted by the contact online.

An offer copies what it prints when it is made (the provider, the board, the
run, the price and the terms), as an invoice does, so it reads as it was
sent. Making a new version supersedes the open one; an accepted version is
the board's order and never changes: making another is refused, and so is
accepting one that is superseded, accepted or expired. The accepted offer's
purchase-order number and invoice details are what the board's invoice
carries (`invoice_fields`).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from audit import services as audit
from audit.models import AuditEvent
from billing import offers_pdf, selectors
from billing.models import Offer, OfferLine, PriceModel, Provider
from cohorts.models import Board, Registration
from cohorts.services.links import board_page_url
from mail.services.queueing import Attachment, Email, queue_email, queue_emails
from programme.models import Programme

from . import pricing

OFFERED_STATUSES = {Registration.Status.INTAKE, Registration.Status.PLACED}


class OfferError(Exception):
    """An offer cannot be made or accepted; the message says why, translated."""


def _live_offer(registration: Registration) -> Offer | None:
    return registration.offers.exclude(status=Offer.Status.SUPERSEDED).first()


def _price_for(registration: Registration) -> PriceModel:
    programme = registration.cohort.programme if registration.cohort_id else Programme.objects.active().first()
    price = PriceModel.objects.filter(programme=programme).select_related("programme").first()
    if price is None:
        raise OfferError(gettext("%(programme)s has no price model.") % {"programme": programme})
    if price.amount is None:
        raise OfferError(gettext("The programme's price is on request: enter the price before making an offer."))
    return price


def _provider() -> Provider:
    provider, missing = selectors.provider_with_missing_details()
    if missing:
        raise OfferError(
            gettext("Fill in the provider's details before making an offer: %(fields)s.") % {"fields": missing}
        )
    return provider


def _run_weights(registration: Registration, participants: int) -> dict[int, int]:
    """Return the participants per registration of the run: this one's offered, the others' expected."""
    weights = {registration.pk: participants}
    if registration.cohort_id:
        others = (
            registration.cohort.registrations.filter(status=Registration.Status.PLACED)
            .exclude(pk=registration.pk)
            .order_by("created_at", "pk")
            .values_list("pk", "expected_participants")
        )
        weights.update(others)
    return weights


def offer_lines(*, registration: Registration, price: PriceModel, participants: int) -> list[OfferLine]:
    """
    Return the lines of an offer for `participants` of this registration, at the price model.

    Per participant: the participants at the price, and a supplement up to the
    minimum charge when it applies. Per course run: the whole run price when
    the board has the run to itself, or its share of it when the run is
    shared, split by the participants the boards expect (`pricing.board_parts`).
    """
    weights = _run_weights(registration, participants)
    part = pricing.board_parts(price=price, participants=weights)[registration.pk]
    names = {"programme": price.programme.title, "count": participants}
    if price.kind != PriceModel.Kind.PER_RUN:
        description = gettext("%(programme)s: participants") % names
    elif len([count for count in weights.values() if count]) > 1:
        description = gettext(
            "%(programme)s: your share of the course run, for %(count)s of its %(total)s expected participants"
        ) % {**names, "total": sum(weights.values())}
    else:
        description = gettext("%(programme)s: a course run for your board, up to %(count)s participants") % names
    return pricing.lines_of_part(OfferLine, description=description, price=price, count=participants, part=part)


def _run_fields(registration: Registration) -> dict:
    cohort = registration.cohort
    if cohort is None:
        return {"cohort_code": "", "first_day": None, "last_day": None}
    days = cohort.days.aggregate(first=Min("date"), last=Max("date"))
    return {"cohort_code": cohort.code, "first_day": days["first"], "last_day": days["last"]}


def _terms_fields(price: PriceModel) -> dict:
    return {
        "payment_term_days": price.payment_term_days,
        "withdrawal_cutoff_days": price.withdrawal_cutoff_days,
        "withdrawal_fee_percent": price.withdrawal_fee_percent,
        "cancellation_fee_percent": price.cancellation_fee_percent,
        "vat_rate": None if price.is_exempt else price.vat_rate,
        "vat_note": pricing.vat_note(price=price),
    }


def _provider_fields(provider: Provider) -> dict:
    return {
        "seller_name": provider.legal_name,
        "seller_address": provider.address,
        "seller_postcode": provider.postcode,
        "seller_city": provider.city,
        "seller_kvk_number": provider.kvk_number,
        "seller_vat_number": provider.vat_number,
        "seller_crkbo_number": provider.crkbo_number,
        "seller_email": provider.email,
    }


@transaction.atomic
def make_offer(
    *,
    registration: Registration,
    participants: int | None = None,
    remark: str = "",
    made_by=None,
    request=None,
    today: datetime.date | None = None,
) -> Offer:
    """
    Make the next version of a registration's offer, prefilled from the price model, and e-mail it to the contact.

    The open version before it is kept, marked superseded. The e-mail carries
    the offer's PDF and is queued once per version.

    :param participants: the participants offered; the registration's expected number when not given
    :param remark: printed on the offer, such as what the intake agreed
    :param made_by: the staff user, for the offer and the audit trail (with ``request``, the address)
    :raises OfferError: before the intake, when the offer was accepted, or the provider or the price is incomplete
    """
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("board", "cohort__programme")
        .get(pk=registration.pk)
    )
    if registration.status not in OFFERED_STATUSES:
        raise OfferError(
            gettext("An offer is made after the intake; this registration is %(status)s.")
            % {"status": registration.get_status_display()}
        )
    current = _live_offer(registration)
    if current is not None and current.is_accepted:
        raise OfferError(
            gettext("Version %(version)s of offer %(number)s was accepted; an accepted offer cannot change.")
            % {"version": current.version, "number": current.number}
        )
    provider, price = _provider(), _price_for(registration)
    participants = participants or registration.expected_participants
    today = today or timezone.localdate()
    if current is not None:
        current.status = Offer.Status.SUPERSEDED
        current.save(update_fields=["status"])
    with translation.override(registration.language):
        lines = offer_lines(registration=registration, price=price, participants=participants)
    net = sum((line.amount for line in lines), Decimal("0.00"))
    vat = pricing.vat_amount(price=price, net=net)
    board = registration.board
    offer = Offer(
        registration=registration,
        version=(registration.offers.aggregate(last=Max("version"))["last"] or 0) + 1,
        made_at=timezone.now(),
        made_by=made_by,
        offer_date=today,
        valid_until=today + datetime.timedelta(days=settings.OFFER_VALID_DAYS),
        language=registration.language,
        remark=remark,
        buyer_name=board.name,
        buyer_address="\n".join(part for part in (board.name, board.place) if part),
        contact_name=registration.contact_name,
        programme_title=price.programme.title,
        participant_count=participants,
        net_amount=net,
        vat_amount=vat,
        total_amount=net + vat,
        **_provider_fields(provider),
        **_run_fields(registration),
        **_terms_fields(price),
    )
    offer.full_clean(exclude=["registration", "made_by"], validate_unique=False, validate_constraints=False)
    offer.save()
    for position, line in enumerate(lines, start=1):
        line.offer, line.position = offer, position
    OfferLine.objects.bulk_create(lines)
    audit.record(
        action=AuditEvent.Action.OFFER_MADE,
        obj=offer,
        actor=made_by,
        request=request,
        detail=f"{offer.number} v{offer.version}: {offer.total_amount} EUR, {participants} participants",
    )
    _queue_offer_email(offer, lines)
    return offer


def _queue_offer_email(offer: Offer, lines: list[OfferLine]) -> None:
    """Queue a version's e-mail with its PDF: once, whoever asks again (the key names the version's own row)."""
    registration = offer.registration
    queue_email(
        to=registration.contact_email,
        template="billing/mail/offer",
        context={"offer": offer, "registration": registration, "board_page_url": board_page_url(registration)},
        key=f"offer:{offer.pk}",
        language=offer.language,
        about=[registration],
        reply_to=[settings.PROVIDER_EMAIL],
        attachments=[
            Attachment(offers_pdf.filename(offer), offers_pdf.render_offer(offer, lines=lines), "application/pdf")
        ],
    )


@transaction.atomic
def accept_offer(*, offer: Offer, data: dict, request=None) -> Offer:
    """
    Record that the registration's contact accepts this version of the offer, and confirm it by e-mail.

    The KvK number given becomes the board's, for its invoices without an
    accepted offer of their own (a later registration of the same board).

    Only the latest version, open and not expired, is accepted. Who accepted
    is the contact of the registration (whose personal link it is), when is
    now; both, the version and the details given go into the audit trail.

    :param data: the acceptance form's cleaned data: po_number, invoice_address, invoice_email, cost_centre,
        kvk_number
    :raises OfferError: when the version is accepted already, superseded, expired, or its registration cancelled
    """
    offer = Offer.objects.select_for_update(of=("self",)).select_related("registration").get(pk=offer.pk)
    registration = offer.registration
    _check_acceptable(offer)
    offer.status = Offer.Status.ACCEPTED
    offer.accepted_at = timezone.now()
    offer.accepted_by_name = registration.contact_name
    offer.accepted_by_email = registration.contact_email
    for name in ("po_number", "invoice_address", "invoice_email", "cost_centre", "kvk_number"):
        setattr(offer, name, (data.get(name) or "").strip())
    offer.full_clean(exclude=["registration", "made_by"], validate_unique=False)
    offer.save()
    # The board's KvK number as it gave it last: its invoices take it when no accepted offer is theirs to read.
    Board.objects.filter(pk=registration.board_id).update(kvk_number=offer.kvk_number)
    audit.record(
        action=AuditEvent.Action.OFFER_ACCEPTED,
        obj=offer,
        request=request,
        detail=(
            f"{offer.number} v{offer.version} accepted by {offer.accepted_by_name} <{offer.accepted_by_email}>"
            f", PO {offer.po_number or '-'}"
        ),
    )
    _queue_acceptance_emails(offer)
    return offer


def _check_acceptable(offer: Offer) -> None:
    with translation.override(offer.language):
        if offer.is_accepted:
            raise OfferError(
                gettext("Version %(version)s of this offer was accepted on %(date)s by %(name)s; nothing has changed.")
                % {
                    "version": offer.version,
                    "date": date_format(timezone.localtime(offer.accepted_at), "j F Y"),
                    "name": offer.accepted_by_name,
                }
            )
        if offer.status == Offer.Status.SUPERSEDED:
            raise OfferError(
                gettext("Version %(version)s of this offer has been replaced by a newer version; accept that one.")
                % {"version": offer.version}
            )
        if offer.registration.status == Registration.Status.CANCELLED:
            raise OfferError(gettext("This registration has been cancelled; its offer can no longer be accepted."))
        if offer.valid_until < timezone.localdate():
            raise OfferError(
                gettext("This offer was valid until %(date)s; please ask us for a new version.")
                % {"date": date_format(offer.valid_until, "j F Y")}
            )


def _queue_acceptance_emails(offer: Offer) -> None:
    registration = offer.registration
    context = {"offer": offer, "registration": registration, "board_page_url": board_page_url(registration)}
    # Their keys name the version, which is accepted once: neither exists yet.
    queue_emails(
        emails=[
            Email(
                to=registration.contact_email,
                template="billing/mail/offer_accepted",
                context=context,
                key=f"offer-accepted:{offer.pk}",
                language=offer.language,
                about=[registration],
                reply_to=[settings.PROVIDER_EMAIL],
            ),
            Email(
                to=settings.OFFICE_NOTIFICATION_EMAIL,
                template="billing/mail/offer_accepted_office",
                context=context,
                key=f"offer-accepted-office:{offer.pk}",
                language=settings.LANGUAGE_CODE,
                about=[registration],
                reply_to=[registration.contact_email],
            ),
        ]
    )


def accepted_offers(registrations) -> dict[int, Offer]:
    """Return the accepted offer of each of the registrations that has one, by registration id, in one query."""
    accepted = Offer.objects.filter(registration__in=registrations, status=Offer.Status.ACCEPTED)
    return {offer.registration_id: offer for offer in accepted}


def invoice_fields(offer: Offer | None) -> dict:
    """
    Return what the board's invoice takes from its accepted offer: the purchase-order number, the invoice details
    and the board's KvK number (the e-invoice's address of the buyer).

    The cost centre goes into the invoice address, where the board's
    administration routes an invoice by it. Empty when there is no accepted
    offer: the invoice then goes to the board as before.
    """
    if offer is None:
        return {}
    address = offer.invoice_address
    if offer.cost_centre:
        with translation.override(offer.language):
            address += "\n" + gettext("Cost centre: %(cost_centre)s") % {"cost_centre": offer.cost_centre}
    return {
        "po_number": offer.po_number,
        "invoice_address": address,
        "invoice_email": offer.invoice_email,
        "buyer_kvk_number": offer.kvk_number,
    }


def board_page_offers(registration_ids) -> dict[int, Offer]:
    """Return the live (open or accepted) offer of each of these registrations, in one query."""
    live = Offer.objects.filter(registration__in=registration_ids).exclude(status=Offer.Status.SUPERSEDED)
    return {offer.registration_id: offer for offer in live}
