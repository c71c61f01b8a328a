"""
One course run lived through in time, from the public form to the certificates.

Two boards register on the public form (one contact writes in English),
have their intake, are formed into one run in December for dates in the next
year, enrol their leaders (one through the public enrolment link), are
confirmed, and follow six days; a day is moved while the run is running.
Meanwhile every Celery beat task of CELERY_BEAT_SCHEDULE runs at its own
interval: at every one of its moments around what matters (a reminder coming
due, a course day, the go/no-go point), and at least hourly in between. At
the end the e-mails each person received are counted, from the outbox rows
and from what was actually sent: each expected one exactly once.
"""

import bisect
import datetime
import itertools
from collections import Counter
from numbers import Number
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.utils.imports import symbol_by_name
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import mail as django_mail
from django.urls import reverse

from cohorts.models import Cohort, IntakeAppointment, Participant, Registration
from cohorts.services import enrolment as enrolment_services
from cohorts.services import intakes as intakes_services
from cohorts.services import links, runs, scheduling
from cohorts.services import registrations as registrations_services
from mail.models import OutgoingMail
from mail.tests.test_imip import imip_event, parse_message
from registry import tasks as registry_tasks
from registry.models import Accreditation, Certificate

from .factories import participant_data, seeded_programme

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
HOUR = 3600

# The six Mondays of the run; day 4 moves to Wednesday 1 March while the run is running.
DATES = [datetime.date(2028, 1, 17), datetime.date(2028, 1, 31), datetime.date(2028, 2, 14)]
DATES += [datetime.date(2028, 2, 28), datetime.date(2028, 3, 13), datetime.date(2028, 3, 27)]
DAY_4_MOVED_TO = datetime.date(2028, 3, 1)
START, END = datetime.time(9, 30), datetime.time(16, 30)
TRAINER_EMAIL = "trainer@natuurlijkleren.example"


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=AMSTERDAM)


class Beat:
    """
    Celery beat, in time: every task of CELERY_BEAT_SCHEDULE at its interval.

    Within the windows that matter each task runs at every moment of its
    schedule; elsewhere the tasks of less than an hour run hourly (the
    hourly and daily ones always run at each of their moments).
    """

    def __init__(self, traveller, captured, windows):
        self.traveller = traveller
        self.captured = captured
        self.tasks = []
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            interval = entry["schedule"]
            assert isinstance(interval, Number) and interval % 60 == 0, f"{name}: an interval in whole minutes"
            # By its dotted name, as beat sends it.
            self.tasks.append((name, symbol_by_name(entry["task"]), int(interval)))
        spans = sorted((int(start.timestamp()), int(end.timestamp())) for start, end in windows)
        self.starts = [start for start, _end in spans]
        # The latest end of the windows begun by then: windows may overlap.
        self.ends = list(itertools.accumulate((end for _start, end in spans), max))
        self.spans = spans
        self.ran = {name: set() for name, _task, _interval in self.tasks}  # the moments each task ran

    def fine(self, moment: int) -> bool:
        i = bisect.bisect_right(self.starts, moment) - 1
        return i >= 0 and moment <= self.ends[i]

    def until(self, moment: datetime.datetime) -> None:
        """Let time pass until `moment`, ticking every task that is due on the way; stop at `moment`."""
        now = datetime.datetime.now(tz=UTC)
        assert moment >= now, "time only runs forward"
        tick = int(now.timestamp()) // 60 * 60 + 60
        end = int(moment.timestamp())
        while tick <= end:
            fine = self.fine(tick)
            due = [
                (name, task)
                for name, task, interval in self.tasks
                if tick % interval == 0 and (fine or interval >= HOUR or tick % HOUR == 0)
            ]
            if due:
                self.traveller.move_to(datetime.datetime.fromtimestamp(tick, tz=UTC))
                with self.captured(execute=True):
                    for name, task in due:
                        task.delay()
                        self.ran[name].add(tick)
            tick += 60
        self.traveller.move_to(moment)


def windows_that_matter(intake_starts):
    """The moments around which every task must run at its own interval."""
    windows = []
    dates = [*DATES[:3], DAY_4_MOVED_TO, *DATES[4:]]
    for date in dates:
        start = datetime.datetime.combine(date, START, tzinfo=AMSTERDAM)
        for days_before in settings.REMINDER_DAYS_BEFORE:
            due = datetime.datetime.combine(date - datetime.timedelta(days=days_before), START, tzinfo=AMSTERDAM)
            windows.append((due - datetime.timedelta(minutes=40), due + datetime.timedelta(minutes=40)))
        # The day itself: no reminder once it has begun (the run starts at midnight, hourly anyway).
        windows.append((start - datetime.timedelta(hours=1), start + datetime.timedelta(minutes=30)))
    for start in intake_starts:
        windows.append((start - datetime.timedelta(hours=25), start - datetime.timedelta(hours=23)))
    go_no_go = at(DATES[0] - datetime.timedelta(weeks=settings.GO_NO_GO_WEEKS), 0)
    windows.append((go_no_go - datetime.timedelta(hours=2), go_no_go + datetime.timedelta(hours=2)))
    return windows


def register(client, *, board, number, contact, email, language):
    client.post(reverse("set_language"), {"language": language})
    response = client.post(
        reverse("public:registration"),
        {
            "path": "new",
            "board_name": board,
            "board_kind": "bestuur",
            "bestuursnummer": number,
            "swv_code": "",
            "sector": "po",
            "board_place": "Utrecht",
            "contact_name": contact,
            "contact_function": "HR-adviseur",
            "contact_email": email,
            "contact_phone": "030 123 4567",
            "expected_participants": "7",
            "preferred_period": "begin 2028",
            "preferred_place": "Utrecht",
            "remarks": "",
            "privacy_consent": "on",
            "website": "",
            "submission_key": f"lifecycle-{number}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Registration.objects.get(contact_email=email)


def post_grid(client, trainer, cohort, attendance):
    """The trainer logs in (the session of weeks ago has expired) and saves the grid: every cell of the days so far."""
    client.force_login(trainer)
    data = {f"s-{p}-{d}": status for (p, d), status in attendance.items()}
    response = client.post(reverse("admin:cohorts_cohort_attendance", args=[cohort.pk]), data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_a_whole_course_run_lived_through_in_time(client, django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    captured = django_capture_on_commit_callbacks
    programme = seeded_programme()
    accreditation = Accreditation.objects.get(programme=programme, register="po")
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2030, 12, 31)
    accreditation.save()
    intake_starts = [at(datetime.date(2027, 11, 15), 15), at(datetime.date(2027, 11, 16), 10)]

    with time_machine.travel(at(datetime.date(2027, 11, 1), 10), tick=False) as traveller:
        beat = Beat(traveller, captured, windows_that_matter(intake_starts))
        # The trainer works as a member of the Trainer group, as the README asks of staff.
        trainer = User.objects.create_user("jan", TRAINER_EMAIL, "x-secret-123", is_staff=True)
        trainer.groups.add(Group.objects.get(name="Trainer"))
        english = client.__class__()
        a, b = register_both_boards(beat, client, english)
        hold_intakes(beat, [a, b], intake_starts, trainer=trainer)
        cohort = form_and_schedule(beat, [a, b], programme=programme, trainer=trainer)
        enrol_and_confirm(beat, a, b, english=english, cohort=cohort)
        people, days = follow_the_six_days(beat, client.__class__(), cohort=cohort, trainer=trainer)

        # The day after: completed, and the certificates issued through the task.
        beat.until(at(datetime.date(2028, 3, 28), 10))
        runs.complete_cohort(cohort=cohort)
        with captured(execute=True):
            registry_tasks.issue_certificates.delay(cohort.pk, trainer.pk)
        beat.until(at(datetime.date(2028, 3, 29), 12))

    assert_every_task_ran_at_its_moments(
        beat, begin=at(datetime.date(2027, 11, 1), 10), end=at(datetime.date(2028, 3, 29), 12)
    )

    certificates = Certificate.objects.filter(participant__cohort=cohort)
    assert sorted(certificates.values_list("number", flat=True)) == [f"VL-2028-01-{n:03d}" for n in range(1, 13)]
    assert set(certificates.values_list("kind", flat=True)) == {Certificate.Kind.CERTIFICATE}

    rows = assert_every_row_sent_once(registration=a)
    assert_each_person_received_what_they_expect(rows, people, contacts=(a, b))
    assert_invitations_are_meetings_whose_sequence_rises(rows, people, contacts=(a, b), days=days)
    assert_reminders_at_their_moments(people, contacts=(a, b), days=days)


def register_both_boards(beat, client, english):
    """November: two boards register on the public form, one contact (on a client of their own) in English."""
    with beat.captured(execute=True):
        a = register(
            client,
            board="Stichting De Linde",
            number="71001",
            contact="Fatima el Amrani",
            email="f.elamrani@delinde.example.nl",
            language="nl",
        )
    beat.until(at(datetime.date(2027, 11, 1), 11))
    with beat.captured(execute=True):
        b = register(
            english,
            board="Stichting Het Baken",
            number="71002",
            contact="Oliver Grant",
            email="o.grant@hetbaken.example.nl",
            language="en",
        )
    assert (a.language, b.language) == ("nl", "en")
    return a, b


def hold_intakes(beat, registrations, intake_starts, *, trainer):
    """The intakes, planned a week ahead, each reminded the day before and then held."""
    beat.until(at(datetime.date(2027, 11, 8), 9))
    intakes = []
    for registration, start in zip(registrations, intake_starts, strict=True):
        with beat.captured(execute=True):
            intakes.append(
                intakes_services.save_intake(
                    intake=IntakeAppointment(
                        registration=registration,
                        trainer=trainer,
                        starts_at=start,
                        mode=IntakeAppointment.Mode.VIDEO,
                        video_link="https://meet.example.nl/intake",
                    ),
                    changed_fields=[],
                )
            )
    beat.until(at(datetime.date(2027, 11, 17), 9))
    for intake in intakes:
        intake.status = IntakeAppointment.Status.HELD
        intakes_services.save_intake(intake=intake, changed_fields=["status"])


def form_and_schedule(beat, registrations, *, programme, trainer):
    """December: both boards formed into one run, scheduled for next year; the run's code follows its days."""
    beat.until(at(datetime.date(2027, 12, 1), 10))
    with beat.captured(execute=True):
        cohort = registrations_services.form_cohort(registrations=registrations, programme=programme, trainer=trainer)
    assert cohort.code == "VL-2027-01"
    cohort.venue = "Zaal De Eik"
    cohort.save(update_fields=["venue"])
    planned = [
        scheduling.PlannedDay(programme_day=day, date=date, start_time=START, end_time=END, venue="")
        for day, date in zip(programme.days.order_by("number"), DATES, strict=True)
    ]
    scheduling.validate_schedule(cohort=cohort, days=planned)
    with beat.captured(execute=True):
        for day in planned:
            scheduling.save_course_day(day=day.new_course_day(cohort), changed_fields=[])
    cohort.refresh_from_db()
    assert cohort.code == "VL-2028-01", "a run's code takes the year of its first day"
    return cohort


def enrol_and_confirm(beat, a, b, *, english, cohort):
    """The leaders: seven of De Linde from its board page, four of Het Baken, one more by its link; then confirmed."""
    beat.until(at(datetime.date(2027, 12, 3), 14))
    a.refresh_from_db()
    b.refresh_from_db()
    with beat.captured(execute=True):
        enrolment_services.enroll_participants(registration=a, rows=[participant_data(n) for n in range(7)])
        enrolment_services.enroll_participants(registration=b, rows=[participant_data(n) for n in range(10, 14)])

    # Six weeks before day 1 the run is one below its minimum: the trainer and both contacts hear it, once.
    beat.until(at(datetime.date(2027, 12, 8), 20))
    assert OutgoingMail.objects.filter(key__startswith="go-no-go:").count() == 3
    # The twelfth leader enrols through Het Baken's link, in English.
    enrolment = links.enrolment_url(b).removeprefix(settings.SITE_URL)
    with beat.captured(execute=True):
        response = english.post(enrolment, participant_data(14) | {"privacy_consent": "on"})
    assert response.status_code == 302
    assert Participant.objects.get(email=participant_data(14)["email"]).language == "en"

    beat.until(at(datetime.date(2027, 12, 10), 10))
    with beat.captured(execute=True):
        runs.confirm_cohort(cohort=cohort)


def follow_the_six_days(beat, staff, *, cohort, trainer):
    """
    The run: attendance after each day, an absence notified, day 4 moved while running.

    :return: the enrolled participants and the run's days in programme order
    """
    people = list(cohort.participants.filter(status=Participant.Status.ENROLLED).order_by("pk"))
    assert len(people) == cohort.programme.min_participants == 12
    days = list(cohort.days.order_by("programme_day__number"))
    attendance = {}
    absentee = people[0]
    for number, day in enumerate(days, start=1):
        if number == 3:
            move_day_4_and_notify_an_absence(beat, cohort=cohort, days=days, absentee=absentee)
        beat.until(at(day.date, 17))
        for person in people:
            notified = person == absentee and number == 3
            attendance[(person.pk, day.pk)] = "absent" if notified else "present"
        page = post_grid(staff, trainer, cohort, attendance)
        assert f"{len(people)} cellen gewijzigd" in page
        assert_progress_shown(page, number=number)
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.RUNNING
    return people, days


def move_day_4_and_notify_an_absence(beat, *, cohort, days, absentee):
    """Between days 2 and 3 day 4 moves to a Wednesday, and a leader notifies an absence on day 3."""
    beat.until(at(datetime.date(2028, 2, 2), 9))
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.RUNNING
    days[3].date = DAY_4_MOVED_TO
    with beat.captured(execute=True):
        scheduling.save_course_day(day=days[3], changed_fields=["date"])
    beat.until(at(datetime.date(2028, 2, 7), 20))
    enrolment_services.notify_absence(participant=absentee, day=days[2])


def assert_progress_shown(page, *, number):
    """Progress so far, not an outcome, until the last day has passed; then the outcomes."""
    if number == 6:
        assert "afgerond" in page and "6 van 6" in page and "5 van 6" in page
        return
    held = "dag" if number == 1 else "dagen"
    left = "dag" if 6 - number == 1 else "dagen"
    assert f"{number} van {number} {held} tot nu toe" in page
    assert f"nog {6 - number} {left}" in page
    assert "alleen aanwezig" not in page


def assert_every_task_ran_at_its_moments(beat, *, begin, end):
    """
    Each beat task ran at every moment of its schedule in the windows that matter, the hourly and daily
    ones at every moment of the months of the run, the others at least hourly in between.
    """
    begin, end = int(begin.timestamp()), int(end.timestamp())
    for name, _task, interval in beat.tasks:
        moments = set(range(begin // interval * interval + interval, end + 1, interval))
        if interval < HOUR:
            hourly = set(range(begin // HOUR * HOUR + HOUR, end + 1, HOUR))
            in_windows = {m for m in moments if any(start <= m <= stop for start, stop in beat.spans)}
            moments = in_windows | hourly
            assert len(in_windows) > 1000 / (interval / 60), name
        assert beat.ran[name] == moments, name
    assert len(beat.ran["start-cohorts"]) == (end - begin) // HOUR  # 3,577 hours, across the DST change


def assert_every_row_sent_once(*, registration):
    """
    Every row in the outbox was sent, once; what was sent is what the rows say.

    :return: the outbox rows by Message-ID
    """
    rows = {row.message_id: row for row in OutgoingMail.objects.all()}
    assert {row.status for row in rows.values()} == {OutgoingMail.Status.SENT}
    sent_ids = Counter(message.extra_headers["Message-ID"] for message in django_mail.outbox)
    assert set(sent_ids.values()) == {1} and set(sent_ids) == set(rows)
    # The daily retention stripped the e-mails older than 90 days: the registration's first ones.
    received = next(m for m, r in rows.items() if r.key == f"registration-received:{registration.pk}")
    assert rows[received].subject == "[gewist]"
    return rows


def assert_each_person_received_what_they_expect(rows, people, *, contacts):
    """Each participant, contact and the trainer received each e-mail they should, exactly once."""
    received = Counter()
    for message in django_mail.outbox:
        for address in message.to:
            received[(address, rows[message.extra_headers["Message-ID"]].template)] += 1

    def templates(**counts):
        return {
            f"{'registry' if name == 'certificate_issued' else 'cohorts'}/mail/{name}": n for name, n in counts.items()
        }

    reminders = 6 * len(settings.REMINDER_DAYS_BEFORE)
    expected = {}
    for person in people:
        expected[person.email] = templates(
            participant_welcome=1,
            cohort_confirmed=1,
            # Each day a meeting of its own, at confirmation; day 4's move came as day_changed.
            course_day_invitation=6,
            course_day_reminder=reminders,
            day_changed=1,
            certificate_issued=1,
        )
        # The evaluation of each day they were present at, the evening after it, and the end form after the last
        # day; nobody answers, so each is reminded once, EVALUATION_REMINDER_DAYS later: all but the last day's and
        # the end form's, whose reminders fall after the story ends. The absentee gets none for day 3.
        present = 6 - (person == people[0])
        expected[person.email] |= {"evaluations/mail/invitation": present + 1, "evaluations/mail/reminder": present - 1}
    for contact in contacts:
        expected[contact.contact_email] = templates(
            registration_received=1,
            intake_invitation=1,
            intake_reminder=1,
            registration_placed=1,
            go_no_go=1,
            cohort_confirmed=1,
            course_day_invitation=6,
            course_day_reminder_board=reminders,
            day_changed_board=1,
        )
    expected[TRAINER_EMAIL] = templates(intake_invitation=2, go_no_go=1)
    expected[settings.TRAINER_NOTIFICATION_EMAIL] = templates(registration_notification=2)
    # After the last day the office is reminded, once, to enter the presentie in PE-online.
    expected.setdefault(settings.OFFICE_NOTIFICATION_EMAIL, {})["registry/mail/presentie_due"] = 1
    actual = {}
    for (address, template), count in received.items():
        actual.setdefault(address, {})[template] = count
    assert actual == expected


def assert_invitations_are_meetings_whose_sequence_rises(rows, people, *, contacts, days):
    """
    Every invitation as it went out is one meeting for its recipient (read as in test_invitations.py),
    and each meeting's SEQUENCE rises with every message about it. (Retention has emptied the early
    rows by now: the messages as sent are what is read.)
    """
    sequences = {}
    meetings = {"course_day_invitation", "day_changed", "day_changed_board", "intake_invitation"}
    for message in django_mail.outbox:
        parsed = parse_message(message.message().as_bytes())
        calendars = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
        template = rows[message.extra_headers["Message-ID"]].template.rsplit("/", 1)[-1]
        # A meeting is a calendar alternative of the text; a schedule to import is only a file beside it.
        alternatives = [part for part in calendars if part.get_content_disposition() is None]
        assert bool(alternatives) == (template in meetings), template
        if template in meetings:
            (address,) = message.to
            method = calendars[0].get_param("method")
            event = imip_event(parsed, method=method, recipient=address, only_recipient=address != TRAINER_EMAIL)
            sequences.setdefault((address, event["uid"]), []).append(event["sequence"])
    day_uids = {f"courseday-{day.pk}@verbindend" for day in days}
    addresses = [person.email for person in people] + [contact.contact_email for contact in contacts]
    for address in addresses:
        assert {uid for who, uid in sequences if who == address} >= day_uids
    assert sequences[(people[0].email, f"courseday-{days[3].pk}@verbindend")] == [0, 1]
    assert sequences[(contacts[0].contact_email, f"courseday-{days[3].pk}@verbindend")] == [0, 1]
    assert all(found == sorted(set(found)) for found in sequences.values()), "SEQUENCE rises per change"


def assert_reminders_at_their_moments(people, *, contacts, days):
    """The reminders of every day at both windows, for every participant and both contacts, in their language."""
    a, b = contacts
    keys = set(OutgoingMail.objects.values_list("key", flat=True))
    for day in days:
        for window in settings.REMINDER_DAYS_BEFORE:
            assert all(f"reminder:{p.pk}:{day.pk}:{window}" in keys for p in people)
            assert {f"reminder-board:{r.pk}:{day.pk}:{window}" for r in contacts} <= keys
    # Each at its moment: the day's start time, N days before, on the wall clock in Amsterdam (also for
    # the moved day 4, and for day 6 on the Monday after the clocks went forward).
    for day, window, moment in [
        (days[0], 7, at(datetime.date(2028, 1, 10), 9, 30)),
        (days[1], 1, at(datetime.date(2028, 1, 30), 9, 30)),
        (days[3], 7, at(datetime.date(2028, 2, 23), 9, 30)),
        (days[5], 1, at(datetime.date(2028, 3, 26), 9, 30)),
    ]:
        keys = [f"reminder:{p.pk}:{day.pk}:{window}" for p in people]
        keys += [f"reminder-board:{r.pk}:{day.pk}:{window}" for r in contacts]
        created = OutgoingMail.objects.filter(key__in=keys).values_list("created_at", flat=True)
        assert len(created) == 14 and set(created) == {moment}
    board_reminders = {
        row.to[0]: row.subject
        for row in OutgoingMail.objects.filter(key__startswith="reminder-board:", key__endswith=f":{days[5].pk}:1")
    }
    assert board_reminders[b.contact_email].startswith("Reminder: day 6 of Verbindend leiderschap on Monday 27 March")
    assert board_reminders[a.contact_email].startswith(
        "Herinnering: dag 6 van Verbindend leiderschap op maandag 27 maart"
    )
