"""Every kind of .ics the product makes, read back with Mozilla's ical.js (Thunderbird's parser), not icalendar.

Each event's start and end, as ical.js computes them from the file's own VTIMEZONE, must be the instant zoneinfo
gives, on both sides of the spring and autumn transitions. The invitation rules of RFC 5546 (one UID per REQUEST
or CANCEL, an ORGANIZER and an ATTENDEE on each) are checked here too: each course day is a meeting of its own,
the whole schedule a PUBLISH file to import.
"""

import datetime
from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cohorts.models import CourseDay, IntakeAppointment
from cohorts.services import calendars as calendars_services
from cohorts.services import intakes, links, runs, scheduling
from cohorts.tests.factories import BoardFactory, CohortFactory, RawParticipantFactory, RawRegistrationFactory
from conftest import FIXED_NOW
from mail.models import OutgoingMail
from verbindend.tests.readers import read_ics, read_one_ics, require_ical_js

# The calendars hold days still to come, in the year after the fixed clock's.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def last_sunday(year: int, month: int) -> datetime.date:
    day = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


# The transitions of the year after the fixed clock's, so the dates are still to come: the Monday after summer
# time starts, the Friday before it ends and the Monday after.
YEAR = FIXED_NOW.year + 1
SPRING = last_sunday(YEAR, 3) + datetime.timedelta(days=1)
AUTUMN = last_sunday(YEAR, 10) - datetime.timedelta(days=2)
AFTER_AUTUMN = last_sunday(YEAR, 10) + datetime.timedelta(days=1)
DAY_DATES = [
    SPRING,
    SPRING + datetime.timedelta(weeks=2),
    SPRING + datetime.timedelta(weeks=4),
    AUTUMN - datetime.timedelta(weeks=1),
    AUTUMN,
    AFTER_AUTUMN,
]


def utc(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return datetime.datetime.combine(day, time, tzinfo=AMSTERDAM).astimezone(UTC)


def test_zoneinfo_itself_agrees_with_the_known_answer():
    """Pin the reference: 29-03-2027 09:00 in Amsterdam is 07:00Z, 29-10-2027 09:00 also, 01-11-2027 08:00Z."""
    assert utc(datetime.date(2027, 3, 29), datetime.time(9)) == datetime.datetime(2027, 3, 29, 7, tzinfo=UTC)
    assert utc(datetime.date(2027, 10, 29), datetime.time(9)) == datetime.datetime(2027, 10, 29, 7, tzinfo=UTC)
    assert utc(datetime.date(2027, 11, 1), datetime.time(9)) == datetime.datetime(2027, 11, 1, 8, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _ical_js():
    require_ical_js()


@pytest.fixture
def trainer(admin_user):
    admin_user.email = "jan@natuurlijkleren.example"
    admin_user.save()
    return admin_user


def attachment_of(mail: OutgoingMail) -> bytes:
    (attachment,) = mail.attachments.all()
    return bytes(attachment.content)


def contact_mails(address: str, template: str) -> list[bytes]:
    mails = OutgoingMail.objects.filter(to=[address], template=f"cohorts/mail/{template}").order_by("pk")
    return [attachment_of(mail) for mail in mails]


@pytest.fixture
def intake_files(trainer):
    """The contact's intake invitation, its move to late October and its cancellation."""
    registration = RawRegistrationFactory(cohort=None, status="received", contact_email="bestuur@example.nl")
    intake = IntakeAppointment(
        registration=registration,
        trainer=trainer,
        starts_at=datetime.datetime.combine(SPRING, datetime.time(10), tzinfo=AMSTERDAM),
        duration_minutes=60,
        mode="video",
        video_link="https://meet.example.nl/intake",
    )
    intakes.save_intake(intake=intake, changed_fields=[])
    planned = {"starts_at": utc(SPRING, datetime.time(10))}
    intake.starts_at = datetime.datetime.combine(AUTUMN, datetime.time(14), tzinfo=AMSTERDAM)
    intakes.save_intake(intake=intake, changed_fields=["starts_at"])
    intake.status = IntakeAppointment.Status.CANCELLED
    intakes.save_intake(intake=intake, changed_fields=["status"])
    (invitation, moved) = contact_mails("bestuur@example.nl", "intake_invitation")
    (cancelled,) = contact_mails("bestuur@example.nl", "intake_cancelled")
    moved_start = utc(AUTUMN, datetime.time(14))
    return {
        "intake planned": (invitation, {f"intake-{intake.pk}@verbindend": planned["starts_at"]}),
        "intake moved": (moved, {f"intake-{intake.pk}@verbindend": moved_start}),
        "intake cancelled": (cancelled, {f"intake-{intake.pk}@verbindend": moved_start}),
    }


def scheduled_cohort(trainer, *, boards=("Stichting Kindcentra Noord",)):
    cohort = CohortFactory(trainer=trainer)
    for name in boards:
        registration = RawRegistrationFactory(cohort=cohort, board=BoardFactory(name=name))
    RawParticipantFactory.create_batch(cohort.programme.min_participants, registration=registration)
    for number, day in enumerate(DAY_DATES, start=1):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=number),
            date=day,
            start_time=datetime.time(9),
            end_time=datetime.time(16, 30),
        )
    return cohort, registration


def starts(days) -> dict[str, datetime.datetime]:
    return {f"courseday-{day.pk}@verbindend": utc(day.date, day.start_time) for day in days}


@pytest.fixture
def course_files(trainer, client):
    """The schedule to import, a day's invitation, its move and cancellation, the participant's file and feeds."""
    cohort, _ = scheduled_cohort(trainer)
    participant = cohort.participants.first()
    runs.confirm_cohort(cohort=cohort)
    confirmed = starts(cohort.days.all())
    first = cohort.days.get(programme_day__number=1)
    (schedule,) = contact_mails(participant.email, "cohort_confirmed")
    invitations = contact_mails(participant.email, "course_day_invitation")
    assert len(invitations) == len(DAY_DATES)
    day = cohort.days.get(programme_day__number=5)
    day.date = AUTUMN + datetime.timedelta(days=2)  # Sunday: the clocks go back at 03:00, the day starts at 09:00
    scheduling.save_course_day(day=day, changed_fields=["date"])
    (change,) = contact_mails(participant.email, "day_changed")
    participant_path = links.participant_page_url(participant).replace("http://127.0.0.1:8000", "")
    participant_file = client.get(participant_path + "rooster.ics").content
    trainer_feed = client.get(
        calendars_services.calendar_feed_url(trainer).replace("http://127.0.0.1:8000", "")
    ).content
    all_days = starts(cohort.days.all())
    runs.cancel_cohort(cohort=cohort, reason="Te weinig aanmeldingen")
    cancellations = {
        read_one_ics(content).uids[0]: content for content in contact_mails(participant.email, "course_day_cancelled")
    }
    return {
        "schedule to import": (schedule, confirmed),
        "course day invitation": (invitations[0], starts([first])),
        "course day changed": (change, starts([day])),
        "course day cancelled": (cancellations[f"courseday-{day.pk}@verbindend"], starts([day])),
        "participant's file": (participant_file, all_days),
        "trainer's feed": (trainer_feed, all_days),
    }


INTAKE_KINDS = ["intake planned", "intake moved", "intake cancelled"]
MEETING_KINDS = ["course day invitation", "course day changed", "course day cancelled"]
COURSE_KINDS = ["schedule to import", *MEETING_KINDS]
FEED_KINDS = ["participant's file", "trainer's feed"]


def files_of(kind, request):
    fixture = "intake_files" if kind.startswith("intake") else "course_files"
    return request.getfixturevalue(fixture)[kind]


@pytest.mark.parametrize("kind", INTAKE_KINDS + COURSE_KINDS + FEED_KINDS)
def test_each_event_starts_at_zoneinfos_instant(kind, request):
    content, expected = files_of(kind, request)
    calendar = read_one_ics(content)

    assert {event.uid: event.start for event in calendar.events} == expected
    for event in calendar.events:
        assert event.tzid == "Europe/Amsterdam"
    (zone,) = calendar.timezones
    rules = {rule["kind"]: rule for rule in zone["rules"]}
    assert rules["daylight"]["rrule"] == "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"
    assert rules["standard"]["rrule"] == "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"
    assert all(rule["rdates"] == 0 for rule in zone["rules"])


def test_a_late_march_and_a_late_october_day_land_on_the_right_utc_hour(request):
    content, _ = files_of("participant's file", request)
    hours = sorted((event.start.date(), event.start.hour) for event in read_one_ics(content).events)

    assert hours[0] == (SPRING, 7)  # 09:00 summer time
    assert (AFTER_AUTUMN, 8) in hours  # 09:00 winter time


@pytest.mark.parametrize(
    ("kind", "method"),
    [
        ("intake planned", "REQUEST"),
        ("intake moved", "REQUEST"),
        ("intake cancelled", "CANCEL"),
        ("course day invitation", "REQUEST"),
        ("course day changed", "REQUEST"),
        ("course day cancelled", "CANCEL"),
    ],
)
def test_a_request_or_cancel_carries_one_uid(kind, method, request):
    calendar = read_one_ics(files_of(kind, request)[0])

    assert calendar.method == method
    assert len(set(calendar.uids)) == 1


@pytest.mark.parametrize(
    "kind",
    [
        *INTAKE_KINDS,
        *MEETING_KINDS,
    ],
)
def test_a_request_or_cancel_names_organizer_and_attendee(kind, request, settings):
    calendar = read_one_ics(files_of(kind, request)[0])

    assert calendar.events
    for event in calendar.events:
        assert event.organizer == f"mailto:{settings.PROVIDER_EMAIL}"
        assert event.attendees


def test_the_intakes_sequence_rises_with_each_change(intake_files):
    calendars = read_ics(*(intake_files[kind][0] for kind in INTAKE_KINDS))

    assert [calendar.events[0].sequence for calendar in calendars] == [0, 1, 2]
    assert [calendar.events[0].status for calendar in calendars] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]


def test_the_schedule_to_import_is_published_not_a_meeting(course_files):
    schedule = read_one_ics(course_files["schedule to import"][0])

    assert schedule.method == "PUBLISH"
    assert len(set(schedule.uids)) == len(DAY_DATES)


def test_a_moved_day_rises_in_sequence_and_its_cancellation_above_it(course_files):
    invitation, changed, cancelled = read_ics(*(course_files[kind][0] for kind in MEETING_KINDS))
    (first,), (moved,), (gone,) = invitation.events, changed.events, cancelled.events

    assert first.sequence == 0
    assert moved.sequence == 1
    assert gone.uid == moved.uid
    assert gone.sequence == 2
    assert gone.status == "CANCELLED"


def test_the_trainers_feed_names_the_run_and_its_boards_in_each_course_day(client, trainer):
    cohort, _ = scheduled_cohort(trainer, boards=("Stichting Kindcentra Noord", "Stichting Openbaar Onderwijs Zuid"))
    path = calendars_services.calendar_feed_url(trainer).replace("http://127.0.0.1:8000", "")
    with CaptureQueriesContext(connection) as one_run:
        feed = client.get(path).content
    course_days = [event for event in read_one_ics(feed).events if event.uid.startswith("courseday-")]

    assert len(course_days) == 6
    for event in course_days:
        assert event.summary.startswith(f"{cohort.code}, dag ")
        assert event.summary.endswith("(Stichting Kindcentra Noord, Stichting Openbaar Onderwijs Zuid)")

    other, registration = scheduled_cohort(trainer, boards=("Stichting Primair Oost",))
    IntakeAppointment.objects.create(
        registration=registration, trainer=trainer, starts_at=timezone.now() + datetime.timedelta(days=3)
    )
    with CaptureQueriesContext(connection) as two_runs:
        feed = client.get(path).content
    summaries = [event.summary for event in read_one_ics(feed).events]
    assert len(summaries) == 13
    assert sum(summary.startswith(f"{other.code}, dag ") for summary in summaries) == 6
    assert f"{other.code}, Intakegesprek Verbindend leiderschap: Stichting Primair Oost" in summaries
    assert (len(one_run), len(two_runs)) == (4, 4)


def test_the_participants_titles_name_no_run_code(client, trainer):
    cohort, _ = scheduled_cohort(trainer)
    participant = cohort.participants.first()
    path = links.participant_page_url(participant).replace("http://127.0.0.1:8000", "")
    summaries = [event.summary for event in read_one_ics(client.get(path + "rooster.ics").content).events]

    assert summaries[0].startswith("Verbindend leiderschap, dag 1:")
    assert not any(cohort.code in summary for summary in summaries)
