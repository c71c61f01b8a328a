"""The registry of personal-data handlers: every app holding personal data is asked, in one transaction."""

import pytest

from cohorts.models import Board, Participant
from cohorts.tests.factories import RawParticipantFactory
from privacy import services as privacy
from verbindend.personal_data import PersonalDataHandler, handlers

pytestmark = pytest.mark.django_db


class Failing(PersonalDataHandler):
    app_label = "failing"

    def erase(self, subjects, *, now):
        raise RuntimeError("this app could not erase")


@pytest.fixture
def registered(settings):
    def register(*paths):
        settings.PERSONAL_DATA_HANDLERS = [*settings.PERSONAL_DATA_HANDLERS, *paths]
        handlers.cache_clear()

    yield register
    handlers.cache_clear()


def test_every_app_that_holds_personal_data_has_its_handler():
    assert [h.app_label for h in handlers()] == [
        "cohorts",
        "registry",
        "materials",
        "billing",
        "evaluations",
        "mail",
        "privacy",
        "audit",
    ]
    for handler in handlers():
        assert type(handler).__module__ == f"{handler.app_label}.personal_data"


def test_a_record_that_is_no_person_is_refused():
    board = RawParticipantFactory().registration.board
    with pytest.raises(LookupError):
        privacy.personal_data(person=Board.objects.get(pk=board.pk))


def test_an_erasure_one_handler_fails_leaves_nothing_half_erased(registered):
    participant = RawParticipantFactory(last_name="Zuiderduin")
    registered("privacy.tests.test_handlers.Failing")
    with pytest.raises(RuntimeError):
        privacy.erase_person(person=participant)
    participant = Participant.objects.get(pk=participant.pk)
    assert participant.last_name == "Zuiderduin" and participant.erased_at is None
