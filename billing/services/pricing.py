"""
What each board pays for its part of a course run, and what the terms make a withdrawal or a cancellation cost.

Pure functions of the price model and the numbers: the invoices are made from
them, the offers too, and the tests prove the rules on them alone.
Amounts are Decimals in euros with two places; the sums are done in whole
cents, so that nothing is lost or made in rounding.
"""

import datetime
from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext

from billing.models import PriceModel

CENT = Decimal("0.01")


class PricingError(Exception):
    """A price cannot be computed from the price model as it stands; the message says why, translated."""


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(rounding=ROUND_HALF_UP))


def to_euros(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)


def percentage_of(amount: Decimal, percent: Decimal | int) -> Decimal:
    """Return `percent` % of `amount`, rounded to the cent, half a cent up."""
    return (amount * Decimal(percent) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def board_parts(*, price: PriceModel, participants: Mapping[Hashable, int]) -> dict[Hashable, Decimal]:
    """
    Return what each board pays for its part of one course run.

    Per participant: the price times the board's participants, and at least
    the minimum charge. Per run: the run's price shared by the boards in
    proportion to their participants (see `split_in_proportion`); a board
    whose part would be below the minimum charge pays the minimum, and the
    rest of the run's price is shared by the others in the same way. When
    the minimums alone reach the run's price, every board pays the minimum.
    A board without participants pays nothing and gets no minimum.

    :param participants: each board's (registration's) enrolled participants, in the order of the registrations:
        that order breaks ties in rounding
    :raises PricingError: when the price model has no price yet (on request)
    """
    if price.amount is None:
        raise PricingError(gettext("The programme's price is on request: enter the price before invoicing."))
    paying = {board: count for board, count in participants.items() if count > 0}
    parts = {board: Decimal("0.00") for board in participants}
    if price.kind == PriceModel.Kind.PER_PARTICIPANT:
        parts.update({board: max(price.amount * count, price.minimum_charge) for board, count in paying.items()})
    else:
        parts.update(_shared_with_minimum(to_cents(price.amount), to_cents(price.minimum_charge), paying))
    return {board: part.quantize(CENT) for board, part in parts.items()}


def _shared_with_minimum(total: int, minimum: int, participants: dict) -> dict[Hashable, Decimal]:
    if total < minimum * len(participants):
        return dict.fromkeys(participants, to_euros(minimum))
    at_minimum: set = set()
    while True:
        # Raising a board to the minimum leaves less for the others: share again until none is below it.
        others = {board: count for board, count in participants.items() if board not in at_minimum}
        cents = split_in_proportion(total - minimum * len(at_minimum), others)
        below = {board for board, part in cents.items() if part < minimum}
        if not below:
            break
        at_minimum |= below
    cents.update(dict.fromkeys(at_minimum, minimum))
    return {board: to_euros(cents[board]) for board in participants}


def split_in_proportion(total: int, weights: Mapping[Hashable, int]) -> dict[Hashable, int]:
    """
    Split `total` cents over the keys in proportion to their weights, to the cent, adding up exactly.

    The rounding rule (largest remainder): each key gets the whole cents of
    its exact share, rounded down; the cents left over (fewer than there are
    keys) go one each to the keys with the largest fraction of a cent
    dropped; between equal fractions, to the larger weight, then to the key
    given first.

    Two boards with 14 and 9 participants sharing € 4.500,00: exactly
    € 2.739,1304… and € 1.760,8695…; rounded down € 2.739,13 and € 1.760,86,
    one cent left, which goes to the second (0,95 of a cent dropped against
    0,04): € 2.739,13 and € 1.760,87.
    """
    whole = sum(weights.values())
    if whole <= 0:
        raise ValueError("Nothing to split over: the weights add up to zero.")
    parts = {key: total * weight // whole for key, weight in weights.items()}
    left = total - sum(parts.values())
    position = {key: index for index, key in enumerate(weights)}
    order = sorted(weights, key=lambda key: (-(total * weights[key] % whole), -weights[key], position[key]))
    for key in order[:left]:
        parts[key] += 1
    return parts


def lines_of_part(line: type, *, description: str, price: PriceModel, count: int, part: Decimal) -> list:
    """
    Return the lines (`line`: InvoiceLine or OfferLine) of a board's part: one line for its part of a run's price,
    or its participants at the price per participant and, when the minimum charge is more, a supplement up to it.
    """
    if price.kind == PriceModel.Kind.PER_RUN:
        return [line(description=description, quantity=Decimal(1), unit_price=part, amount=part)]
    participants = price.amount * count
    lines = [line(description=description, quantity=Decimal(count), unit_price=price.amount, amount=participants)]
    if part > participants:
        supplement = part - participants
        description = gettext("Supplement up to the minimum charge per board")
        lines.append(line(description=description, quantity=Decimal(1), unit_price=supplement, amount=supplement))
    return lines


def participant_price(*, price: PriceModel, run_participants: int) -> Decimal:
    """Return what one participant costs: the price per participant, or the run's price over its participants."""
    if price.amount is None:
        return Decimal("0.00")
    if price.kind == PriceModel.Kind.PER_PARTICIPANT:
        return price.amount
    return (price.amount / max(run_participants, 1)).quantize(CENT, rounding=ROUND_HALF_UP)


def free_until(*, price: PriceModel, first_day: datetime.date) -> datetime.date:
    """Return the last day on which withdrawing or cancelling costs nothing."""
    return first_day - datetime.timedelta(days=price.withdrawal_cutoff_days)


def withdrawal_fee(
    *, price: PriceModel, participant_price: Decimal, first_day: datetime.date, withdrawn_on: datetime.date
) -> Decimal:
    """
    Return what a participant who withdraws on `withdrawn_on` still costs.

    Nothing up to and including `free_until`; from the day after, the
    withdrawal fee: its percentage of the participant's price, to the cent.
    """
    if withdrawn_on <= free_until(price=price, first_day=first_day):
        return Decimal("0.00")
    return percentage_of(participant_price, price.withdrawal_fee_percent)


def cancellation_fee(
    *, price: PriceModel, board_part: Decimal, first_day: datetime.date, cancelled_on: datetime.date
) -> Decimal:
    """Return what a board that cancels its part of a run on `cancelled_on` pays: as `withdrawal_fee`, of its part."""
    if cancelled_on <= free_until(price=price, first_day=first_day):
        return Decimal("0.00")
    return percentage_of(board_part, price.cancellation_fee_percent)


def vat_amount(*, price: PriceModel, net: Decimal) -> Decimal:
    """Return the VAT on a net amount: none when exempt, else the rate's percentage, to the cent."""
    if price.is_exempt:
        return Decimal("0.00")
    return percentage_of(net, price.vat_rate)


def vat_note(*, price: PriceModel) -> str:
    """Return what an invoice states about VAT: the legal ground of the exemption, or nothing at a rate."""
    return price.exemption_text if price.is_exempt else ""
