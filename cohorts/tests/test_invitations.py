"""
Every invitation the product sends, read as a calendar client reads it.

Intakes (planned, moved, cancelled), each course day at confirmation, its
change and its cancellation, the days for who joins or moves up after
confirmation, and the boards' contacts' copies: each message is sent through
the real send step and parsed with Python's `email` package; the calendar
is read with `read_ics` (mail/tests/test_imip.py), not with icalendar.
"""

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from cohorts.models import Cohort, CourseDay, IntakeAppointment, Participant
from cohorts.services import enrolment, intakes, registrations, runs, scheduling
from mail.models import OutgoingMail, OutgoingMailAttachment
from mail.tests.test_imip import imip_event, read_ics, send_all, value
from privacy import services as privacy

from .factories import RawParticipantFactory, RawRegistrationFactory, participant_data

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
TODAY = datetime.date(2026, 12, 1)
CONTACT = "contact@bestuur.example.nl"


@pytest.fixture(autouse=True)
def on_today():
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=AMSTERDAM), tick=False) as t:
        yield t


def a_run(enrolled=12, *, english=0):
    registration = RawRegistrationFactory(contact_email=CONTACT, contact_name="Fatima el Amrani")
    RawParticipantFactory.create_batch(enrolled - english, registration=registration)
    RawParticipantFactory.create_batch(english, registration=registration, language="en")
    cohort = registration.cohort
    for offset, day in enumerate(cohort.programme.days.order_by("number")):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=TODAY + datetime.timedelta(days=60 + 14 * offset),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(16, 30),
        )
    return cohort


def by_template(sent, template):
    return [(row, message) for row, message in sent.values() if row.template == f"cohorts/mail/{template}"]


def uid(day):
    return f"courseday-{day.pk}@verbindend"


def test_an_intake_planned_moved_and_cancelled_is_one_meeting_with_a_rising_sequence():
    trainer = User.objects.create_user("jan", "jan@natuurlijkleren.example", first_name="Jan", last_name="Jutten")
    registration = RawRegistrationFactory(cohort=None, status="received", contact_email=CONTACT)
    intake = intakes.save_intake(
        intake=IntakeAppointment(
            registration=registration,
            trainer=trainer,
            starts_at=datetime.datetime(2027, 3, 29, 10, tzinfo=AMSTERDAM),
            mode=IntakeAppointment.Mode.VIDEO,
            video_link="https://meet.example.nl/intake",
        ),
        changed_fields=[],
    )
    seen = []
    for change, method in [(None, "REQUEST"), ("moved", "REQUEST"), ("cancelled", "CANCEL")]:
        if change == "moved":
            intake.starts_at += datetime.timedelta(days=1)
            intakes.save_intake(intake=intake, changed_fields=["starts_at"])
        elif change == "cancelled":
            intake.status = IntakeAppointment.Status.CANCELLED
            intakes.save_intake(intake=intake, changed_fields=["status"])
        sent = send_all()
        assert len(sent) == 2, "the contact and the trainer"
        (_row, contact), (_row2, copy) = sorted(sent.values(), key=lambda pair: pair[0].to[0] != CONTACT)
        event = imip_event(contact, method=method, recipient=CONTACT)
        assert event["attendee_name"] == "Fatima el Amrani"
        # The trainer's copy names both who meet; the trainer is the recipient there.
        trainer_copy = copy.get_payload()[0].get_payload()[-1].get_payload(decode=True)
        (vevent,) = (c for c in read_ics(trainer_copy) if c["component"] == "VEVENT")
        attendees = [address for prop, _params, address in vevent["properties"] if prop == "ATTENDEE"]
        assert attendees == [f"mailto:{CONTACT}", "mailto:jan@natuurlijkleren.example"]
        seen.append((event["uid"], event["sequence"]))
    assert seen == [(f"intake-{intake.pk}@verbindend", n) for n in (0, 1, 2)]


def test_confirming_sends_the_schedule_to_import_and_each_day_as_a_meeting_of_its_own():
    cohort = a_run(english=1)
    runs.confirm_cohort(cohort=cohort)
    sent = send_all()
    days = list(cohort.days.order_by("date"))
    recipients = [p.email for p in cohort.participants.all()] + [CONTACT]

    # The confirmation: the schedule as a PUBLISH file, and no meeting in it.
    confirmations = by_template(sent, "cohort_confirmed")
    assert sorted(row.to[0] for row, _m in confirmations) == sorted(recipients)
    for _row, message in confirmations:
        assert [p.get_content_type() for p in message.get_payload()[0].get_payload()] == ["text/plain", "text/html"]
        (file,) = message.iter_attachments()
        assert (file.get_content_type(), file.get_filename()) == ("text/calendar", "rooster.ics")
        components = read_ics(file.get_payload(decode=True))
        assert value(components[0], "METHOD") == "PUBLISH"
        assert [value(c, "UID") for c in components if c["component"] == "VEVENT"] == [uid(d) for d in days]

    # Then one invitation per day and person: its own UID, the person as ATTENDEE.
    invitations = defaultdict(list)
    for row, message in by_template(sent, "course_day_invitation"):
        (address,) = row.to
        event = imip_event(message, method="REQUEST", recipient=address)
        assert event["sequence"] == 0
        invitations[address].append(event["uid"])
    assert set(invitations) == set(recipients)
    assert all(sorted(uids) == sorted(uid(d) for d in days) for uids in invitations.values())
    # In the recipient's language: an English participant gets an English invitation.
    english = cohort.participants.get(language="en")
    (row, message) = next(pair for pair in by_template(sent, "course_day_invitation") if pair[0].to == [english.email])
    assert row.subject.startswith("Invitation: day")
    assert imip_event(message, method="REQUEST", recipient=english.email)["summary"].startswith(
        "Verbindend leiderschap, day"
    )
    # Confirming is one action: sent once.
    with pytest.raises(runs.CohortError):
        runs.confirm_cohort(cohort=cohort)
    assert send_all() == {}


def test_a_moved_day_updates_that_day_only_for_participants_and_the_boards_contact():
    cohort = a_run()
    runs.confirm_cohort(cohort=cohort)
    send_all()
    day = cohort.days.get(programme_day__number=2)
    sequences = []
    for shift in (1, 2):
        day.date += datetime.timedelta(days=shift)
        scheduling.save_course_day(day=day, changed_fields=["date"])
        sent = send_all()
        assert {row.template for row, _m in sent.values()} == {
            "cohorts/mail/day_changed",
            "cohorts/mail/day_changed_board",
        }
        events = {row.to[0]: imip_event(m, method="REQUEST", recipient=row.to[0]) for row, m in sent.values()}
        assert set(events) == {p.email for p in cohort.participants.all()} | {CONTACT}
        assert {e["uid"] for e in events.values()} == {uid(day)}
        assert {e["dtstart"] for e in events.values()} == {f"{day.date:%Y%m%d}T093000"}
        (sequence,) = {e["sequence"] for e in events.values()}
        sequences.append(sequence)
    assert sequences == [1, 2]


def test_cancelling_a_confirmed_run_cancels_each_day_to_come_on_its_own():
    cohort = a_run()
    runs.confirm_cohort(cohort=cohort)
    day = cohort.days.get(programme_day__number=3)
    day.date += datetime.timedelta(days=1)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    send_all()
    runs.cancel_cohort(cohort=cohort, reason="De trainer is ziek.")
    sent = send_all()
    (notice,) = (m for row, m in by_template(sent, "cohort_cancelled") if row.to == [CONTACT])
    assert not list(notice.iter_attachments()), "the meetings are cancelled one by one"
    cancels = defaultdict(dict)
    for row, message in by_template(sent, "course_day_cancelled"):
        event = imip_event(message, method="CANCEL", recipient=row.to[0])
        cancels[row.to[0]][event["uid"]] = event["sequence"]
    expected = {uid(d): 2 if d.pk == day.pk else 1 for d in cohort.days.all()}
    assert set(cancels) == {p.email for p in cohort.participants.all()} | {CONTACT}
    assert all(found == expected for found in cancels.values()), "SEQUENCE above the last REQUEST's"


def test_cancelling_a_running_run_leaves_the_days_that_took_place(on_today):
    cohort = a_run()
    runs.confirm_cohort(cohort=cohort)
    send_all()
    on_today.move_to(datetime.datetime.combine(TODAY + datetime.timedelta(days=80), datetime.time(12), AMSTERDAM))
    runs.start_due_cohorts()
    runs.cancel_cohort(cohort=Cohort.objects.get(pk=cohort.pk))
    to_come = {uid(d) for d in cohort.days.filter(date__gte=TODAY + datetime.timedelta(days=80))}
    assert len(to_come) == 4
    sent = by_template(send_all(), "course_day_cancelled")
    assert {imip_event(m, method="CANCEL", recipient=row.to[0])["uid"] for row, m in sent} == to_come
    assert len(sent) == 4 * 13


def test_a_run_never_confirmed_sends_no_meetings_to_cancel():
    cohort = a_run()
    runs.cancel_cohort(cohort=cohort)
    sent = send_all()
    assert {row.template for row, _m in sent.values()} == {"cohorts/mail/cohort_cancelled"}
    assert not OutgoingMailAttachment.objects.exists()


def test_who_enrols_after_confirmation_gets_each_day_as_an_invitation():
    cohort = a_run()
    registration = cohort.registrations.get()
    runs.confirm_cohort(cohort=cohort)
    send_all()
    late = enrolment.enroll_participant(registration=registration, data=participant_data(1), language="en")
    sent = send_all()
    (welcome,) = by_template(sent, "participant_welcome")
    assert "Each course day still to come follows as an invitation of its own" in welcome[0].body_text
    invitations = by_template(sent, "course_day_invitation")
    events = [imip_event(m, method="REQUEST", recipient=late.email) for _row, m in invitations]
    assert sorted(e["uid"] for e in events) == sorted(uid(d) for d in cohort.days.all())
    assert {row.to[0] for row, _m in invitations} == {late.email}
    assert all(e["summary"].startswith("Verbindend leiderschap, day") for e in events), "in their language"


def test_who_enrols_before_confirmation_gets_the_invitations_at_confirmation_only():
    cohort = a_run(11)
    participant = enrolment.enroll_participant(registration=cohort.registrations.get(), data=participant_data(1))
    sent = send_all()
    assert {row.template for row, _m in sent.values()} == {"cohorts/mail/participant_welcome"}
    assert "follows as an invitation" not in next(iter(sent.values()))[0].body_text
    runs.confirm_cohort(cohort=cohort)
    mine = [row for row, _m in send_all().values() if row.to == [participant.email]]
    assert sorted(row.template for row in mine) == ["cohorts/mail/cohort_confirmed"] + 6 * [
        "cohorts/mail/course_day_invitation"
    ]


def test_who_moves_up_from_the_waiting_list_after_confirmation_gets_the_invitations():
    cohort = a_run()
    cohort.programme.max_participants = 12
    cohort.programme.save()
    registration = cohort.registrations.get()
    waiting = enrolment.enroll_participant(registration=registration, data=participant_data(1))
    assert waiting.status == Participant.Status.WAITING
    runs.confirm_cohort(cohort=cohort)
    send_all()
    enrolment.withdraw_participant(participant=cohort.participants.filter(status="enrolled").first())
    sent = send_all()
    (promoted,) = by_template(sent, "participant_promoted")
    assert promoted[0].to == [waiting.email]
    invitations = by_template(sent, "course_day_invitation")
    assert len(invitations) == 6
    assert all(imip_event(m, method="REQUEST", recipient=waiting.email) for _row, m in invitations)


def test_a_board_placed_in_a_confirmed_run_gets_the_days_as_invitations():
    cohort = a_run()
    runs.confirm_cohort(cohort=cohort)
    send_all()
    other = RawRegistrationFactory(cohort=None, status="intake", contact_email="hr@anderbestuur.example.nl")
    registrations.place_registrations(registrations=[other], cohort=cohort)
    sent = send_all()
    invitations = by_template(sent, "course_day_invitation")
    events = [imip_event(m, method="REQUEST", recipient=other.contact_email) for _row, m in invitations]
    assert sorted(e["uid"] for e in events) == sorted(uid(d) for d in cohort.days.all())
    assert "Schoolleiders van" in invitations[0][0].body_text


def test_erasing_a_participant_removes_their_invitations():
    cohort = a_run()
    runs.confirm_cohort(cohort=cohort)
    send_all()
    participant = cohort.participants.first()
    mine = OutgoingMail.objects.filter(to=[participant.email])
    assert OutgoingMailAttachment.objects.filter(mail__in=mine).count() == 7
    privacy.erase_person(person=participant)
    assert not OutgoingMailAttachment.objects.filter(content__contains=participant.email.encode()).exists()


def test_retention_strips_the_invitations_with_the_e_mails(on_today):
    cohort = a_run()
    runs.confirm_cohort(cohort=cohort)
    send_all()
    assert OutgoingMailAttachment.objects.exists()
    on_today.move_to(datetime.datetime.combine(TODAY + datetime.timedelta(days=91), datetime.time(12), AMSTERDAM))
    privacy.apply_retention()
    assert not OutgoingMailAttachment.objects.exists()
