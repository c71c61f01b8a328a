"""The completion rule, applied to a programme and the days someone attended: no course run needed."""

import pytest

from programme.completion import Outcome, outcome

from .factories import ProgrammeFactory


@pytest.mark.parametrize(
    ("attended", "expected"),
    [(6, Outcome.COMPLETED), (5, Outcome.COMPLETED), (4, Outcome.ATTENDED), (1, Outcome.ATTENDED)],
)
def test_the_required_days_decide_between_completed_and_attended(attended, expected):
    programme = ProgrammeFactory.build(number_of_days=6, required_days=5)
    assert outcome(programme=programme, days_attended=attended) == expected


def test_no_day_attended_is_not_completed():
    assert outcome(programme=ProgrammeFactory.build(), days_attended=0) == Outcome.NOT_COMPLETED


def test_the_required_days_are_the_programmes_own():
    programme = ProgrammeFactory.build(number_of_days=6, required_days=6)
    assert outcome(programme=programme, days_attended=5) == Outcome.ATTENDED
    assert outcome(programme=programme, days_attended=6) == Outcome.COMPLETED


def test_a_required_final_assignment_must_be_approved():
    programme = ProgrammeFactory.build(final_assignment_required=True)
    assert outcome(programme=programme, days_attended=6) == Outcome.ATTENDED
    assert outcome(programme=programme, days_attended=6, final_assignment_approved=True) == Outcome.COMPLETED


def test_a_final_assignment_that_is_not_required_does_not_count():
    programme = ProgrammeFactory.build(final_assignment_required=False)
    assert outcome(programme=programme, days_attended=5, final_assignment_approved=False) == Outcome.COMPLETED
    assert outcome(programme=programme, days_attended=4, final_assignment_approved=True) == Outcome.ATTENDED


def test_withdrawn_whatever_was_attended():
    programme = ProgrammeFactory.build()
    assert (
        outcome(programme=programme, days_attended=6, final_assignment_approved=True, withdrawn=True)
        == Outcome.WITHDRAWN
    )
