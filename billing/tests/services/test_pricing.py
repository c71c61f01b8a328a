"""The price split per board and the terms, on the price model alone."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.models import PriceModel
from billing.services import pricing

FIRST_DAY = datetime.date(2027, 9, 14)


def per_run(amount="4500.00", minimum="0.00", **fields) -> PriceModel:
    return PriceModel(kind=PriceModel.Kind.PER_RUN, amount=Decimal(amount), minimum_charge=Decimal(minimum), **fields)


def per_participant(amount="1450.00", minimum="0.00", **fields) -> PriceModel:
    return PriceModel(
        kind=PriceModel.Kind.PER_PARTICIPANT, amount=Decimal(amount), minimum_charge=Decimal(minimum), **fields
    )


def test_two_boards_of_14_and_9_share_a_run_to_the_cent():
    parts = pricing.board_parts(price=per_run("4500.00"), participants={"first": 14, "second": 9})
    # Exactly 2739.1304... and 1760.8695...: rounded down, the cent left over goes to the larger fraction dropped.
    assert parts == {"first": Decimal("2739.13"), "second": Decimal("1760.87")}
    assert sum(parts.values()) == Decimal("4500.00")


def test_the_cent_left_over_goes_to_the_larger_fraction_whichever_board_is_larger():
    # 1000.00 over 14 and 9: 608.6956... and 391.3043...; the cent goes to the first board this time.
    parts = pricing.board_parts(price=per_run("1000.00"), participants={"first": 14, "second": 9})
    assert parts == {"first": Decimal("608.70"), "second": Decimal("391.30")}


def test_equal_fractions_go_to_the_larger_board_then_to_the_first_registered():
    assert pricing.split_in_proportion(100, {"a": 1, "b": 2}) == {"a": 33, "b": 67}
    assert pricing.split_in_proportion(100, {"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    assert pricing.split_in_proportion(100, {"c": 1, "b": 1, "a": 1}) == {"c": 34, "b": 33, "a": 33}


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=10),
)
def test_the_parts_always_add_up_to_the_cent_and_stay_within_a_cent_of_the_exact_share(total, weights):
    keyed = dict(enumerate(weights))
    parts = pricing.split_in_proportion(total, keyed)
    assert sum(parts.values()) == total
    whole = sum(weights)
    for key, weight in keyed.items():
        assert abs(parts[key] - total * weight / whole) < 1


def test_a_board_below_the_minimum_pays_the_minimum_and_the_others_share_the_rest():
    parts = pricing.board_parts(
        price=per_run("6000.00", minimum="1000.00"), participants={"large": 20, "small": 2, "middle": 8}
    )
    # In proportion the small board would pay 400.00; raised to 1000.00, the other two share 5000.00 as 20 to 8.
    assert parts == {"large": Decimal("3571.43"), "small": Decimal("1000.00"), "middle": Decimal("1428.57")}
    assert sum(parts.values()) == Decimal("6000.00")


def test_raising_one_board_to_the_minimum_can_bring_another_below_it():
    parts = pricing.board_parts(price=per_run("3000.00", minimum="600.00"), participants={"a": 20, "b": 5, "c": 4})
    # In proportion: 2068.97, 517.24, 413.79: c is raised, then b (2400 over 20 and 5 gives it 480).
    assert parts == {"a": Decimal("1800.00"), "b": Decimal("600.00"), "c": Decimal("600.00")}


def test_when_the_minimums_reach_the_run_price_every_board_pays_the_minimum():
    parts = pricing.board_parts(price=per_run("1500.00", minimum="1000.00"), participants={"a": 14, "b": 9})
    assert parts == {"a": Decimal("1000.00"), "b": Decimal("1000.00")}


def test_per_participant_the_price_times_the_participants_with_the_minimum():
    parts = pricing.board_parts(
        price=per_participant("1450.00", minimum="5000.00"), participants={"a": 14, "b": 3, "none": 0}
    )
    assert parts == {"a": Decimal("20300.00"), "b": Decimal("5000.00"), "none": Decimal("0.00")}


def test_a_board_without_participants_pays_nothing_of_a_shared_run():
    parts = pricing.board_parts(price=per_run("4500.00", minimum="500.00"), participants={"a": 14, "gone": 0})
    assert parts == {"a": Decimal("4500.00"), "gone": Decimal("0.00")}


def test_no_invoice_while_the_price_is_on_request():
    with pytest.raises(pricing.PricingError):
        pricing.board_parts(price=PriceModel(amount=None), participants={"a": 14})


def test_withdrawal_is_free_up_to_and_including_the_cut_off_day_and_costs_the_fee_after():
    price = per_participant("1450.00", withdrawal_cutoff_days=28, withdrawal_fee_percent=50)
    cut_off = datetime.date(2027, 8, 17)
    assert pricing.free_until(price=price, first_day=FIRST_DAY) == cut_off

    def fee(on):
        return pricing.withdrawal_fee(price=price, participant_price=price.amount, first_day=FIRST_DAY, withdrawn_on=on)

    assert fee(cut_off - datetime.timedelta(days=30)) == Decimal("0.00")
    assert fee(cut_off) == Decimal("0.00")
    assert fee(cut_off + datetime.timedelta(days=1)) == Decimal("725.00")
    assert fee(FIRST_DAY) == Decimal("725.00")


def test_the_withdrawal_fee_of_a_shared_run_is_of_one_participant_s_part():
    price = per_run("4500.00", withdrawal_cutoff_days=28, withdrawal_fee_percent=50)
    one = pricing.participant_price(price=price, run_participants=23)
    assert one == Decimal("195.65")
    late = pricing.withdrawal_fee(price=price, participant_price=one, first_day=FIRST_DAY, withdrawn_on=FIRST_DAY)
    assert late == Decimal("97.83")  # 97.825, half a cent up


def test_a_board_cancelling_after_the_cut_off_pays_its_percentage():
    price = per_run("4500.00", withdrawal_cutoff_days=28, cancellation_fee_percent=100)
    before = pricing.cancellation_fee(
        price=price, board_part=Decimal("1760.87"), first_day=FIRST_DAY, cancelled_on=datetime.date(2027, 8, 17)
    )
    after = pricing.cancellation_fee(
        price=price, board_part=Decimal("1760.87"), first_day=FIRST_DAY, cancelled_on=datetime.date(2027, 8, 18)
    )
    assert (before, after) == (Decimal("0.00"), Decimal("1760.87"))


@pytest.mark.django_db
def test_the_exemption_text_is_the_seeded_legal_ground_and_no_vat_is_charged():
    price = PriceModel.objects.get(programme__slug="verbindend-leiderschap")
    assert pricing.vat_note(price=price) == (
        "Vrijgesteld van btw op grond van artikel 11, lid 1, onderdeel o, van de Wet op de omzetbelasting 1968: "
        "beroepsonderwijs gegeven door een instelling die is ingeschreven in het Centraal Register Kort "
        "Beroepsonderwijs (CRKBO)."
    )
    assert pricing.vat_amount(price=price, net=Decimal("4500.00")) == Decimal("0.00")


def test_at_a_rate_vat_is_charged_and_no_exemption_stated():
    price = per_participant(vat_treatment=PriceModel.VatTreatment.RATE, vat_rate=Decimal("21.00"), exemption_text="")
    assert pricing.vat_note(price=price) == ""
    assert pricing.vat_amount(price=price, net=Decimal("1760.87")) == Decimal("369.78")  # 369.7827
