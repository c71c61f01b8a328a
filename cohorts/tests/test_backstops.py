"""
The database's own backstops: each rule the services keep is also a constraint that refuses a bad row,
whoever writes it; validating the model says why, in Dutch, before the database would.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import translation

from cohorts.models import Attendance, Board, CourseDay, Participant, Registration
from cohorts.tests.factories import (
    BoardFactory,
    CohortFactory,
    CourseDayFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
)

pytestmark = pytest.mark.django_db


def refused(save):
    """Run a write that bypasses full_clean; return whether the database refused it."""
    try:
        with transaction.atomic():
            save()
    except IntegrityError:
        return True
    return False


def dutch_errors(instance, **kwargs) -> str:
    with translation.override("nl"), pytest.raises(ValidationError) as raised:
        instance.full_clean(**kwargs)
    return " ".join(raised.value.messages)


# --- Waiting lists -----------------------------------------------------------


def test_two_participants_waiting_on_the_same_place_are_refused():
    registration = RawRegistrationFactory()
    RawParticipantFactory(registration=registration, status="waiting", waitlist_number=1)
    second = RawParticipantFactory.build(registration=registration, status="waiting", waitlist_number=1)
    assert refused(second.save)
    assert not Participant.objects.filter(email=second.email).exists()


def test_the_same_number_is_allowed_on_another_run_and_for_who_no_longer_waits():
    registration = RawRegistrationFactory()
    RawParticipantFactory(registration=registration, status="waiting", waitlist_number=1)
    RawParticipantFactory(status="waiting", waitlist_number=1)  # another run
    withdrawn = RawParticipantFactory.build(registration=registration, status="withdrawn", waitlist_number=1)
    assert not refused(withdrawn.save)


def test_validating_the_participant_says_the_place_is_taken():
    registration = RawRegistrationFactory()
    RawParticipantFactory(registration=registration, status="waiting", waitlist_number=1)
    second = RawParticipantFactory.build(registration=registration, status="waiting", waitlist_number=1)
    assert "Twee deelnemers kunnen niet dezelfde plaats op een wachtlijst hebben." in dutch_errors(second)


# --- Boards ------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, bestuursnummer, swv_code",
    [("bestuur", "", ""), ("bestuur", "", "PO-22-02"), ("swv", "", ""), ("swv", "41234", "")],
)
def test_a_board_without_the_number_of_its_kind_is_refused(kind, bestuursnummer, swv_code):
    board = Board(name="Stichting Zonder", kind=kind, bestuursnummer=bestuursnummer, swv_code=swv_code, sector="po")
    assert refused(board.save)
    assert "Een schoolbestuur heeft een bestuursnummer nodig" in dutch_errors(board)


@pytest.mark.parametrize(
    "kind, bestuursnummer, swv_code",
    [("bestuur", "41234", ""), ("swv", "", "PO-22-02"), ("swv", "41235", "PO-22-03")],
)
def test_a_board_with_the_number_of_its_kind_is_stored(kind, bestuursnummer, swv_code):
    board = Board(name="Stichting Met", kind=kind, bestuursnummer=bestuursnummer, swv_code=swv_code, sector="po")
    assert not refused(board.save)


def test_a_board_cannot_lose_its_number_by_an_update():
    board = BoardFactory()
    assert refused(lambda: Board.objects.filter(pk=board.pk).update(bestuursnummer=""))
    board.refresh_from_db()
    assert board.bestuursnummer


# --- Registrations -----------------------------------------------------------


def test_a_placed_registration_without_its_run_is_refused():
    registration = RawRegistrationFactory()
    assert refused(lambda: Registration.objects.filter(pk=registration.pk).update(cohort=None))
    registration.cohort = None
    assert "Een aanmelding die in een uitvoering is geplaatst" in dutch_errors(registration)


@pytest.mark.parametrize("status", ["received", "intake"])
def test_a_registration_not_yet_placed_with_a_run_is_refused(status):
    registration = RawRegistrationFactory(cohort=None, status=status)
    run = CohortFactory()
    assert refused(lambda: Registration.objects.filter(pk=registration.pk).update(cohort=run))
    registration.cohort = run
    assert "Een aanmelding die in een uitvoering is geplaatst" in dutch_errors(registration)


@pytest.mark.parametrize("with_run", [True, False])
def test_a_cancelled_registration_may_keep_its_run_or_have_none(with_run):
    registration = RawRegistrationFactory(cohort=CohortFactory() if with_run else None)
    assert not refused(lambda: Registration.objects.filter(pk=registration.pk).update(status="cancelled"))


# --- Attendance ----------------------------------------------------------------


def attendance_of_a_past_day(**fields) -> Attendance:
    participant = RawParticipantFactory()
    day = CourseDayFactory(cohort=participant.cohort, date=datetime.date(2026, 2, 2))
    return Attendance(participant=participant, course_day=day, **fields)


def other_runs_day(attendance: Attendance) -> CourseDay:
    return CourseDayFactory(programme_day=attendance.course_day.programme_day, date=datetime.date(2026, 2, 9))


def test_a_day_made_up_without_the_day_it_was_made_up_on_is_refused():
    attendance = attendance_of_a_past_day(status="made_up")
    assert refused(attendance.save)
    assert "Een ingehaalde dag noemt de dag waarop hij is ingehaald" in dutch_errors(attendance)


@pytest.mark.parametrize("status", ["present", "absent", ""])
def test_only_a_day_made_up_names_the_day_it_was_made_up_on(status):
    attendance = attendance_of_a_past_day(status=status)
    attendance.made_up_in = other_runs_day(attendance)
    assert refused(attendance.save)
    assert "Een ingehaalde dag noemt de dag waarop hij is ingehaald" in dutch_errors(attendance)


def test_a_day_made_up_with_its_day_is_stored_and_that_day_cannot_be_deleted():
    attendance = attendance_of_a_past_day(status="made_up")
    attendance.made_up_in = elsewhere = other_runs_day(attendance)
    assert not refused(attendance.save)
    with pytest.raises(ProtectedError):
        elsewhere.delete()
    attendance.refresh_from_db()
    assert attendance.made_up_in == elsewhere


def test_the_admin_says_why_a_board_needs_its_number_and_stores_nothing(admin_client):
    response = admin_client.post(
        reverse("admin:cohorts_board_add"),
        {"name": "Stichting Zonder", "kind": "bestuur", "bestuursnummer": "", "swv_code": "PO-22-02", "sector": "po"},
    )
    assert response.status_code == 200
    assert "Een schoolbestuur heeft een bestuursnummer nodig, een samenwerkingsverband zijn code." in (
        response.content.decode()
    )
    assert not Board.objects.exists()


@pytest.mark.parametrize("kind", ["bestuur", "swv"])
def test_registering_a_new_board_without_the_number_of_its_kind_is_refused_with_its_reason(kind):
    from cohorts.services.enrolment import EnrolmentError
    from cohorts.services.registrations import submit_registration
    from cohorts.tests.test_registration_races import board_data, registration_data

    with translation.override("nl"), pytest.raises(EnrolmentError, match="heeft een bestuursnummer nodig"):
        submit_registration(
            board_data={**board_data(), "kind": kind, "bestuursnummer": "", "swv_code": ""},
            registration_data=registration_data(1),
            submission_key="zonder-nummer",
            language="nl",
        )
    assert not Board.objects.exists()
    assert not Registration.objects.exists()
