"""
Pasting many participants: the same rules as one by one (seats, the waiting list in paste order, someone who
withdrew coming back on their own row, each address once), in a number of queries that does not grow with them.
"""

import datetime

import pytest
from django.utils import timezone

from cohorts.models import Cohort, Participant
from cohorts.services import enrolment, runs
from mail.models import OutgoingMail
from programme.models import Programme
from public_pages.tests.test_registration import URL

from .factories import CourseDayFactory, RegistrationFactory, participant_data, scheduled_days

pytestmark = pytest.mark.django_db

SIZES = [10, 40]


def rows(count: int, start: int = 0) -> list[dict]:
    return [participant_data(n) for n in range(start, start + count)]


def welcome_keys(participants) -> set[str]:
    return {
        f"participant_{'welcome' if p.status == Participant.Status.ENROLLED else 'waiting'}:{p.pk}:"
        f"{p.created_at.timestamp()}"
        for p in participants
    }


@pytest.mark.parametrize("size", SIZES)
def test_pasting_enrols_the_seats_left_and_waitlists_the_rest_in_the_same_queries(size, django_assert_num_queries):
    registration = RegistrationFactory(language="en")
    # The run locked and its start read, the addresses looked up, the seats and
    # the waiting list counted, the programme, the rows inserted in a
    # savepoint, the days, the e-mails' keys looked up and the e-mails inserted.
    with django_assert_num_queries(13):
        pasted = enrolment.enroll_participants(registration=registration, rows=rows(size), language="en")
    assert [p.email for p in pasted] == [row["email"] for row in rows(size)]
    stored = {p.email: p for p in registration.cohort.participants.all()}
    assert [stored[p.email].status for p in pasted] == [Participant.Status.ENROLLED] * min(size, 30) + [
        Participant.Status.WAITING
    ] * max(size - 30, 0)
    # The waiting list in the order pasted, numbered on from 1.
    assert [stored[p.email].waitlist_number for p in pasted[30:]] == list(range(1, size - 29))
    mails = {mail.key: mail for mail in OutgoingMail.objects.all()}
    assert set(mails) == welcome_keys(pasted)
    for participant in pasted:
        (mail,) = (m for m in mails.values() if m.to == [participant.email])
        assert mail.language == "en"
        waiting = participant.status == Participant.Status.WAITING
        assert mail.subject.startswith("You are on the waiting list" if waiting else "Welcome to")


@pytest.mark.parametrize("size", SIZES)
def test_pasting_into_a_confirmed_run_invites_the_new_people_to_the_days_to_come(size, django_assert_num_queries):
    Programme.objects.filter(slug="verbindend-leiderschap").update(min_participants=1)
    registration = RegistrationFactory()
    cohort = registration.cohort
    enrolment.enroll_participants(registration=registration, rows=rows(1, start=100))
    start = timezone.localdate() + datetime.timedelta(weeks=3)
    scheduled_days(cohort, first=start, weeks_apart=2, start=datetime.time(9, 30))
    runs.confirm_cohort(cohort=cohort)
    before = set(OutgoingMail.objects.values_list("pk", flat=True))
    # As above, and the invitations' attachments inserted.
    with django_assert_num_queries(14):
        pasted = enrolment.enroll_participants(registration=registration, rows=rows(size))
    enrolled = [p for p in pasted if p.status == Participant.Status.ENROLLED]
    assert len(enrolled) == min(size, 29)
    days = list(cohort.days.order_by("date"))
    new = OutgoingMail.objects.exclude(pk__in=before)
    assert set(new.values_list("key", flat=True)) == welcome_keys(pasted) | {
        f"courseday-request:{day.pk}:{day.sequence}:participant-{p.pk}" for p in enrolled for day in days
    }
    invitations = new.filter(template="cohorts/mail/course_day_invitation")
    assert {tuple(mail.to) for mail in invitations} == {(p.email,) for p in enrolled}
    assert all(mail.subject.startswith("Uitnodiging: dag") for mail in invitations)


def test_the_waiting_list_continues_and_someone_who_withdrew_comes_back_on_their_own_row():
    registration = RegistrationFactory()
    cohort = registration.cohort
    enrolment.enroll_participants(registration=registration, rows=rows(32))
    left = cohort.participants.get(email=participant_data(3)["email"])
    enrolment.withdraw_participant(participant=left)  # the first waiting (number 1) takes the seat
    other = RegistrationFactory(cohort=cohort)
    pasted = enrolment.enroll_participants(
        registration=other, rows=[participant_data(50), participant_data(3, email="JEROEN3@school.example.nl")]
    )
    assert pasted[1].pk == left.pk
    left.refresh_from_db()
    assert (left.status, left.waitlist_number, left.registration, left.email, left.withdrawn_at) == (
        Participant.Status.WAITING,
        3,
        other,
        "JEROEN3@school.example.nl",
        None,
    )
    assert cohort.participants.get(email=participant_data(50)["email"]).waitlist_number == 2
    assert list(
        cohort.participants.filter(status=Participant.Status.WAITING)
        .order_by("waitlist_number")
        .values_list("waitlist_number", flat=True)
    ) == [1, 2, 3]
    assert OutgoingMail.objects.filter(key__startswith=f"participant_waiting:{left.pk}:").exists()


def test_an_address_pasted_twice_is_refused_and_nothing_is_saved():
    registration = RegistrationFactory()
    pasted = [participant_data(1), participant_data(2), participant_data(3, email="Jeroen1@School.example.nl")]
    with pytest.raises(enrolment.EnrolmentError, match=r"Jeroen1@School\.example\.nl is al ingeschreven"):
        enrolment.enroll_participants(registration=registration, rows=pasted)
    assert not Participant.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_a_paste_counts_at_once_on_the_registration_form(client):
    cohort = RegistrationFactory().cohort
    Cohort.objects.filter(pk=cohort.pk).update(open_for_joining=True)
    CourseDayFactory(cohort=cohort, date=timezone.localdate() + datetime.timedelta(days=60))
    registration = cohort.registrations.get()
    enrolment.enroll_participants(registration=registration, rows=rows(27))
    assert "nog 3 plaatsen vrij" in client.get(URL).content.decode()
    enrolment.enroll_participants(registration=registration, rows=rows(2, start=27))
    assert "nog 1 plaats vrij" in client.get(URL).content.decode()
