"""
Rules that lived in views and templates, now in the services (which refuse) and the selectors (which tell the pages).
"""

import datetime
import uuid

import pytest
from django.db.models import F
from django.utils import timezone

from cohorts import selectors
from cohorts.models import Attendance, Board, Cohort, CourseDay, Participant, Registration
from cohorts.services import enrolment, links, registrations
from mail.models import OutgoingMail
from registry.models import Certificate

from .factories import CohortFactory
from .test_admin_guards import TODAY, board_in, on_today, small_run  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def run_from(first: datetime.date, status=Cohort.Status.PLANNED) -> Registration:
    """A board in a run of at most four whose days begin on `first`: four participants enrolled, one waiting."""
    cohort = small_run(status=status)
    registration = board_in(cohort, 5)
    CourseDay.objects.filter(cohort=cohort).update(
        date=F("date") - (cohort.days.get(programme_day__number=1).date - first)
    )
    return registration


def issue(participant, status=Certificate.Status.VALID):
    return Certificate.objects.create(
        participant=participant,
        kind=Certificate.Kind.CERTIFICATE,
        number=f"{participant.cohort.code}-001",
        version=1,
        snapshot={},
        issued_at=timezone.now(),
        status=status,
    )


# --- The lock on a participant's details -------------------------------------------


def test_a_valid_certificate_locks_the_participants_own_details_in_the_service():
    participant = run_from(TODAY + datetime.timedelta(days=30)).participants.first()
    assert selectors.details_locked(participant) is False
    certificate = issue(participant)
    assert selectors.details_locked(participant) is True
    with pytest.raises(enrolment.EnrolmentError, match="Uw certificaat is uitgereikt"):
        enrolment.update_own_details(participant=participant, data={"first_name": "Anders"})
    participant.refresh_from_db()
    assert participant.first_name != "Anders"
    # A revoked certificate holds nothing: the participant corrects their name again.
    Certificate.objects.filter(pk=certificate.pk).update(status=Certificate.Status.REVOKED)
    assert selectors.details_locked(participant) is False
    enrolment.update_own_details(participant=participant, data={"first_name": "Anders"})
    participant.refresh_from_db()
    assert participant.first_name == "Anders"


def test_the_participant_page_shows_the_lock_the_selector_gives_and_a_post_changes_nothing(client):
    participant = run_from(TODAY + datetime.timedelta(days=30)).participants.first()
    issue(participant)
    url = links.participant_page_url(participant).split("8000", 1)[-1]
    page = client.get(url)
    assert page.context["locked"] is True
    assert 'name="action" value="details"' not in page.content.decode()
    response = client.post(url, {"action": "details", "first_name": "Anders", "last_name": "X"}, follow=True)
    assert "vraag de trainer" in response.content.decode().lower()
    participant.refresh_from_db()
    assert participant.first_name != "Anders"


# --- Absence notices ---------------------------------------------------------------


@pytest.mark.parametrize("status", [Participant.Status.WAITING, Participant.Status.WITHDRAWN])
def test_only_an_enrolled_participant_can_report_an_absence(status):
    registration = run_from(TODAY + datetime.timedelta(days=30))
    participant = registration.participants.get(status=Participant.Status.WAITING)
    if status == Participant.Status.WITHDRAWN:
        enrolment.withdraw_participant(participant=participant)
        participant.refresh_from_db()
    day = registration.cohort.days.get(programme_day__number=2)
    assert enrolment.can_notify_absence(participant, day) is False
    with pytest.raises(enrolment.EnrolmentError, match="Alleen een ingeschreven deelnemer"):
        enrolment.notify_absence(participant=participant, day=day)
    assert not Attendance.objects.filter(participant=participant).exists()
    enrolled = registration.participants.filter(status=Participant.Status.ENROLLED).first()
    assert enrolment.can_notify_absence(enrolled, day) is True
    enrolment.notify_absence(participant=enrolled, day=day)
    assert Attendance.objects.get(participant=enrolled).absence_notified_at is not None


def test_the_participant_page_offers_the_absence_buttons_the_service_accepts(client):
    registration = run_from(TODAY + datetime.timedelta(days=30))
    waiting = registration.participants.get(status=Participant.Status.WAITING)
    enrolled = registration.participants.filter(status=Participant.Status.ENROLLED).first()
    for participant, buttons in [(waiting, 0), (enrolled, 6)]:
        page = client.get(links.participant_page_url(participant).split("8000", 1)[-1]).content.decode()
        assert page.count('value="absent"') == buttons


# --- Whether the board may still change its participants ---------------------------


@pytest.mark.parametrize(("first", "can_change"), [(TODAY + datetime.timedelta(days=1), True), (TODAY, False)])
def test_the_board_page_offers_changes_exactly_when_the_service_accepts_them(first, can_change):
    registration = run_from(first, status=Cohort.Status.CONFIRMED)
    (run,) = selectors.board_page(registration).runs
    assert run.can_change is can_change
    participant = registration.participants.filter(status=Participant.Status.ENROLLED).first()
    if can_change:
        assert enrolment.withdraw_participant(participant=participant) is not None
    else:
        with pytest.raises(enrolment.EnrolmentError):
            enrolment.withdraw_participant(participant=participant)


# --- The advice to a small board ---------------------------------------------------


@pytest.mark.parametrize(("expected", "advised"), [(3, True), (20, False)])
def test_the_small_group_advice_follows_the_one_rule(expected, advised):
    programme = CohortFactory().programme
    assert selectors.small_group(expected=expected, programme=programme) is advised
    registration = registrations.submit_registration(
        board_data={"name": "Stichting Klein", "kind": Board.Kind.BESTUUR, "bestuursnummer": "54321", "sector": "po"},
        registration_data={
            "kind": Registration.Kind.NEW_COHORT,
            "contact_name": "Bea",
            "contact_email": "bea@klein.example.nl",
            "expected_participants": expected,
        },
        submission_key=uuid.uuid4().hex,
        language="nl",
        programme=programme,
    )
    mail = OutgoingMail.objects.get(key=f"registration-received:{registration.pk}")
    assert ("combineren we uw bestuur met andere besturen" in mail.body_text) is advised
