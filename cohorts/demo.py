"""
Demo data: three boards, their registrations over time, and a course run in every status.

The story is told relative to today, so that it is current whenever it is loaded:

* Stichting Openbaar Onderwijs Rivierenland (PO, Tiel) saw a first group of
  leaders complete the course, attendance taken (its certificates are the
  registry's demo); has a second group, full with a waiting list, confirmed
  to start next month; and asked for a third run, its dates pencilled in
  around an intake that moved.
* Samenwerkingsverband Passend Onderwijs IJssel (Deventer) has four leaders
  in Zuid's running run, the run two boards share and are each invoiced for;
  had its own run cancelled when too few leaders enrolled, cancelled that registration, and
  joined another board's open run with six of the same leaders; a new
  request of theirs has just come in.
* Stichting Voortgezet Onderwijs Zuid (VO, Eindhoven) is halfway through a
  run with twelve of its leaders, with attendance taken and absences notified; has a planned run open
  for other boards to join; and an intake next week about a third.

Everything goes through the services, as in real use; only what has no
service yet (a run starting, a registration cancelled) is set as the admin
sets it.
"""

import datetime
import uuid

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from programme.models import Programme

from .demo_data import (
    CONTACTS,
    DOMAINS,
    FRIDAY,
    IJSSEL,
    MONDAY,
    MONTHS,
    PHONES,
    RIVIERENLAND,
    THURSDAY,
    TUESDAY,
    WEDNESDAY,
    ZUID,
    address_part,
    course_dates,
    leader,
    on_weekday,
    school_holiday,
)
from .models import Attendance, Board, Cohort, IntakeAppointment, Participant, Registration, RunMessage
from .services import assignments, enrolment, messages, runs, scheduling
from .services import attendance as attendance_services
from .services import intakes as intakes_services
from .services import links as links_services
from .services import registrations as registrations_services

# Every demo registration's submission key starts with this: how the demo finds its own data again.
KEY_PREFIX = "demo-"


def load(*, trainer) -> bool:
    """Tell the story, once; return False when the demo's registrations were there already, left as they are."""
    if demo_registrations().exists():
        return False
    with transaction.atomic():
        _Story(trainer=trainer).tell()
    return True


def links() -> list[tuple[str, str]]:
    """Return the pages worth opening first, as (what, URL)."""
    found = []
    form = settings.SITE_URL + reverse("public:registration")
    found.append(("The public registration form", form))
    confirmed = (
        demo_registrations().filter(cohort__status=Cohort.Status.CONFIRMED).select_related("board", "cohort").first()
    )
    if confirmed:
        found.append(
            (
                f"Board page of {confirmed.board.name} ({confirmed.cohort.code}, full, with a waiting list)",
                links_services.board_page_url(confirmed),
            )
        )
    notified = (
        Participant.objects.filter(
            cohort__status=Cohort.Status.RUNNING,
            registration__in=demo_registrations(),
            attendances__absence_notified_at__isnull=False,
        )
        .select_related("cohort")
        .first()
    )
    if notified:
        found.append(
            (
                f"Participant page of {notified.full_name} ({notified.cohort.code}, running; notified an absence)",
                links_services.participant_page_url(notified),
            )
        )
    return found


def demo_registrations():
    return Registration.objects.filter(submission_key__startswith=KEY_PREFIX)


def report(stdout) -> None:
    """Print what the demo holds, from the database, so that a second run says the same."""
    registrations = demo_registrations()
    cohorts = Cohort.objects.filter(pk__in=registrations.values("cohort")).with_counts().order_by("code")
    participants = Participant.objects.filter(registration__in=registrations)
    intakes = IntakeAppointment.objects.filter(registration__in=registrations)
    with translation.override("en"):
        boards = Board.objects.filter(pk__in=registrations.values("board")).order_by("pk")
        stdout.write(f"Boards: {', '.join(board.name for board in boards)}")
        stdout.write(
            f"Registrations: {registrations.count()} ({_tally(registrations, Registration.Status)}); "
            f"intakes: {intakes.count()} ({_tally(intakes, IntakeAppointment.Status)})"
        )
        stdout.write("Course runs:")
        for cohort in cohorts:
            days = list(cohort.days.order_by("date").values_list("date", flat=True))
            span = f"{days[0]:%d-%m-%Y} to {days[-1]:%d-%m-%Y}" if days else "no days"
            stdout.write(
                f"  {cohort.code}  {cohort.get_status_display():<9}  {len(days)} days, {span}  "
                f"{cohort.enrolled_count:>2} enrolled  {cohort.venue}, {cohort.place}"
            )
        attendance = Attendance.objects.filter(participant__in=participants).exclude(status="")
        notified = Attendance.objects.filter(participant__in=participants, absence_notified_at__isnull=False)
        stdout.write(
            f"Participants: {participants.count()} ({_tally(participants, Participant.Status)}); "
            f"attendance: {attendance.count()} marks ({_tally(attendance, Attendance.Status)}), "
            f"{notified.count()} absences notified ahead"
        )


def _tally(queryset, status) -> str:
    counts = {value: queryset.filter(status=value).count() for value in status.values if value}
    return ", ".join(f"{counts[value]} {label}" for value, label in status.choices if counts.get(value))


class _Story:
    """The demo's boards, registrations, course runs and participants, made in the order it happened."""

    def __init__(self, *, trainer):
        self.trainer = trainer
        self.today = timezone.localdate()
        self.programme = Programme.objects.get(slug="verbindend-leiderschap")
        self.people_handed_out = 0

    def tell(self) -> None:
        rivierenland_1 = self.register(
            "rivierenland-1",
            RIVIERENLAND,
            expected=14,
            weeks_ago=36,
            remarks="Graag op dinsdagen: dan kunnen onze directeuren het best weg.",
        )
        zuid_1 = self.register("zuid-1", ZUID, expected=12, weeks_ago=28)
        # A run shared by two boards: four of the samenwerkingsverband's leaders join Zuid's group in Vught.
        ijssel_0 = self.register(
            "ijssel-0",
            IJSSEL,
            expected=4,
            weeks_ago=26,
            remarks="Vier van onze schoolleiders sluiten graag aan bij een groep van een ander bestuur.",
        )
        ijssel_1 = self.register("ijssel-1", IJSSEL, expected=10, weeks_ago=20)
        rivierenland_2 = self.register(
            "rivierenland-2",
            RIVIERENLAND,
            expected=30,
            weeks_ago=17,
            remarks="Na de eerste groep willen al onze andere leiders ook. Kan het met dertig?",
        )
        zuid_2 = self.register("zuid-2", ZUID, expected=11, weeks_ago=9)
        for registration, weeks in [
            (rivierenland_1, -33),
            (zuid_1, -25),
            (ijssel_1, -17),
            (rivierenland_2, -15),
            (ijssel_0, -24),
        ]:
            self.intake(registration, weeks=weeks, held=True)
        self.intake(zuid_2, weeks=-7, held=True, mode=IntakeAppointment.Mode.ON_SITE)

        completed = self.run(
            [rivierenland_1],
            venue="Landgoed Zonheuvel",
            place="Doorn",
            dates=course_dates(self.today - datetime.timedelta(weeks=2), weekday=TUESDAY, forward=False),
            people=14,
        )
        running = self.run(
            [zuid_1, ijssel_0],
            venue="Landgoed Huize Bergen",
            place="Vught",
            dates=self.halfway_dates(weekday=THURSDAY),
            people=[12, 4],
            start=datetime.time(9),
            end=datetime.time(16),
            other_venue={5: "Kasteel Maurick"},
        )
        cancelled = self.run(
            [ijssel_1],
            venue="Landgoed De Wildenborch",
            place="Vorden",
            dates=course_dates(self.today + datetime.timedelta(weeks=3), weekday=FRIDAY),
            people=8,
        )
        confirmed = self.run(
            [rivierenland_2],
            venue="Congrescentrum De Reehorst",
            place="Ede",
            dates=course_dates(self.today + datetime.timedelta(weeks=4), weekday=WEDNESDAY),
            people=32,  # two more than fit: the waiting list
        )
        planned = self.run(
            [zuid_2],
            venue="Kontakt der Kontinenten",
            place="Soesterberg",
            dates=course_dates(self.today + datetime.timedelta(weeks=10), weekday=TUESDAY),
            people=11,
            open_for_joining=True,
        )

        # The completed run: confirmed back then, attendance taken, and completed after its last day.
        runs.confirm_cohort(cohort=completed)
        self.give_register_numbers(completed, missing=2)
        self.take_attendance(
            completed,
            absent={(2, 3), (5, 6), (7, 2), (7, 4), (10, 3), (12, 1)},
            made_up={(10, 3): running},
        )
        self.approve_final_assignments(completed, missing=1)
        runs.complete_cohort(cohort=completed)

        # The running run: confirmed, started, the past days taken, two absences notified ahead.
        runs.confirm_cohort(cohort=running)
        # Beat starts a confirmed run on its first day; the demo does not wait for beat.
        runs.start_due_cohorts()
        running.refresh_from_db()
        self.give_register_numbers(running, missing=6)
        self.take_attendance(running, absent={(3, 2), (9, 1)})
        self.notify_absence(running, participant=6, day=4)
        self.notify_absence(running, participant=11, day=5)
        # The trainer's message to the running run's participants, kept on the run.
        messages.send_run_message(
            cohort=running,
            audience=RunMessage.Audience.PARTICIPANTS,
            subject="Dag 4: andere zaal en het boek meenemen",
            body=(
                "Op dag 4 zitten we in de Bibliotheekzaal op de eerste verdieping, niet in de Eik.\n\n"
                "Neem het boek “De verbindende schoolleider” mee: we werken met hoofdstuk 5."
            ),
            form_token=uuid.uuid4(),
            by=self.trainer,
        )

        # Too few leaders for the samenwerkingsverband's own run: cancelled, and so was the registration.
        runs.cancel_cohort(cohort=cancelled)
        ijssel_1.status = Registration.Status.CANCELLED
        ijssel_1.save(update_fields=["status"])
        # Six of the same leaders join the open run instead.
        ijssel_2 = self.register(
            "ijssel-2",
            IJSSEL,
            expected=6,
            weeks_ago=1,
            cohort=planned,
            remarks="Onze eigen uitvoering ging niet door; zes van onze leiders sluiten graag bij u aan.",
        )
        enrolment.enroll_participants(
            registration=ijssel_2, rows=[_row_of(p) for p in cancelled.participants.order_by("pk")[:6]]
        )

        # A full run: one leader withdraws, the first on the waiting list moves up; then it is confirmed.
        enrolment.withdraw_participant(participant=confirmed.participants.order_by("pk")[3])
        runs.confirm_cohort(cohort=confirmed)
        self.notify_absence(confirmed, participant=8, day=2)

        # The newest requests: a third run pencilled in, an intake next week, one just received.
        rivierenland_3 = self.register(
            "rivierenland-3",
            RIVIERENLAND,
            contact=("Joost Verbeek", "Opleidingscoördinator"),
            expected=16,
            weeks_ago=3,
            remarks="Voor onze nieuwe locatieleiders en intern begeleiders.",
        )
        moved = self.intake(rivierenland_3, weeks=1, mode=IntakeAppointment.Mode.ON_SITE)
        moved.starts_at += datetime.timedelta(weeks=1, hours=-5)
        intakes_services.save_intake(intake=moved, changed_fields=["starts_at"])
        self.run(
            [rivierenland_3],
            venue="Landgoed Zonheuvel",
            place="Doorn",
            dates=course_dates(self.today + datetime.timedelta(weeks=22), weekday=THURSDAY),
            people=4,
            status=Cohort.Status.REQUESTED,
        )
        zuid_3 = self.register("zuid-3", ZUID, expected=14, weeks_ago=2)
        dropped = self.intake(zuid_3, weeks=-1, mode=IntakeAppointment.Mode.PHONE)
        dropped.status = IntakeAppointment.Status.CANCELLED
        intakes_services.save_intake(intake=dropped, changed_fields=["status"])
        self.intake(zuid_3, weeks=1)
        self.register(
            "ijssel-3",
            IJSSEL,
            contact=("Sanne Wolters", "Coördinator professionalisering"),
            expected=12,
            weeks_ago=0,
            remarks="Voor ons netwerk van intern begeleiders, het liefst in het najaar.",
        )

    def register(self, key, board, *, expected, weeks_ago, contact=None, cohort=None, remarks="") -> Registration:
        """Send in the public form as the board's contact (its usual one unless given) did, some weeks ago."""
        number = board.get("bestuursnummer") or board["swv_code"]
        name, function = contact or CONTACTS[number]
        first, *rest = name.split(" ")
        received = timezone.now() - datetime.timedelta(weeks=weeks_ago, days=2 if weeks_ago else 0, hours=3)
        start = timezone.localdate(received) + datetime.timedelta(weeks=12)
        period = f"vanaf {MONTHS[start.month - 1]} {start.year}"
        registration = registrations_services.submit_registration(
            board_data=board,
            registration_data={
                "kind": Registration.Kind.JOIN_COHORT if cohort else Registration.Kind.NEW_COHORT,
                "cohort": cohort,
                "contact_name": name,
                "contact_function": function,
                "contact_email": f"{address_part(first)}.{address_part(''.join(rest))}@{DOMAINS[number]}",
                "contact_phone": PHONES[number],
                "expected_participants": expected,
                "preferred_period": "" if cohort else period,
                "preferred_place": "" if cohort else board["place"],
                "remarks": remarks,
            },
            submission_key=f"{KEY_PREFIX}{key}",
            language="nl",
            programme=self.programme,
        )
        # The story happened over months: date the registration and its board back to when they came in.
        Registration.objects.filter(pk=registration.pk).update(created_at=received, privacy_consent_at=received)
        Board.objects.filter(pk=registration.board_id, created_at__gt=received).update(created_at=received)
        registration.refresh_from_db()
        return registration

    def _trainer_busy(self, start: datetime.datetime) -> bool:
        end = start + datetime.timedelta(minutes=IntakeAppointment._meta.get_field("duration_minutes").default)
        return bool(intakes_services.trainer_conflicts(trainer=self.trainer, start=start, end=end))

    def intake(self, registration, *, weeks, held=False, mode=IntakeAppointment.Mode.VIDEO) -> IntakeAppointment:
        """
        Plan an intake at 15:00 on a Monday, when no course day is held: the Monday of the week `weeks`
        from now (so -1 is last week's, 1 the coming one), or the nearest one outside the school holidays.
        """
        monday = on_weekday(self.today, MONDAY, forward=False) + datetime.timedelta(weeks=weeks)
        # Outside the holidays, and not on a Monday another intake has taken already (the service refuses a clash).
        while school_holiday(monday) or self._trainer_busy(_at(monday, datetime.time(15))):
            monday += datetime.timedelta(weeks=1 if weeks > 0 else -1)
        board = registration.board
        intake = intakes_services.save_intake(
            intake=IntakeAppointment(
                registration=registration,
                trainer=self.trainer,
                starts_at=_at(monday, datetime.time(15)),
                mode=mode,
                location=f"Bestuursbureau {board.name}, {board.place}"
                if mode == IntakeAppointment.Mode.ON_SITE
                else "",
                video_link="https://meet.example.nl/verbindend-intake" if mode == IntakeAppointment.Mode.VIDEO else "",
            ),
            changed_fields=[],
            replaying=True,  # last week's intakes are planned as they were then
        )
        if held:
            intake.status = IntakeAppointment.Status.HELD
            intake.notes = "Doelen en groepsgrootte besproken; data in overleg vastgesteld."
            intakes_services.save_intake(intake=intake, changed_fields=["status", "notes"])
        return intake

    def run(
        self,
        registrations,
        *,
        venue,
        place,
        dates,
        people,
        status=Cohort.Status.PLANNED,
        start=datetime.time(9, 30),
        end=datetime.time(16, 30),
        other_venue=None,
        open_for_joining=False,
    ) -> Cohort:
        """
        Form a course run for these registrations, enrol the leaders each board enters (`people` a number for the
        first board, or one number per board), and schedule it.
        """
        cohort = runs.create_cohort(
            programme=self.programme,
            year=dates[0].year,
            status=status,
            trainer=self.trainer,
            venue=venue,
            place=place,
            open_for_joining=open_for_joining,
        )
        registrations_services.place_registrations(registrations=registrations, cohort=cohort)
        for registration in registrations:
            registration.refresh_from_db()
        # Leaders are entered before the first day: afterwards the run is closed to changes.
        counts = people if isinstance(people, list) else [people]
        for registration, count in zip(registrations, counts, strict=False):
            enrolment.enroll_participants(registration=registration, rows=self.people(registration.board, count))
        days = [
            scheduling.PlannedDay(
                programme_day=programme_day,
                date=date,
                start_time=start,
                end_time=end,
                venue=(other_venue or {}).get(programme_day.number, ""),
            )
            for programme_day, date in zip(self.programme.days.order_by("number"), dates, strict=True)
        ]
        # Runs that have taken place are scheduled as they were, before their dates passed.
        scheduling.validate_schedule(cohort=cohort, days=days, replaying=True)
        for day in days:
            scheduling.save_course_day(day=day.new_course_day(cohort), changed_fields=[], replaying=True)
        # Leaders enrol in the weeks before the first day, not all on the day the demo is loaded.
        enrolled_at = _at(dates[0] - datetime.timedelta(weeks=6), datetime.time(20))
        if enrolled_at < timezone.now():
            cohort.participants.update(created_at=enrolled_at)
        return cohort

    def halfway_dates(self, *, weekday) -> list[datetime.date]:
        """Return six dates of which three have passed and three are to come."""
        past = course_dates(self.today - datetime.timedelta(days=1), weekday=weekday, forward=False, count=3)
        after = max(past[-1] + datetime.timedelta(weeks=3), self.today + datetime.timedelta(days=1))
        coming = course_dates(after, weekday=weekday, count=3)
        return past + coming

    def people(self, board, number) -> list[dict]:
        """Return leaders of this board's schools, each one only once in the whole demo."""
        first = self.people_handed_out
        self.people_handed_out += number
        return [leader(board=board, n=n) for n in range(first, first + number)]

    def give_register_numbers(self, cohort, *, missing) -> None:
        """Most leaders give their Schoolleidersregister number on their page; some have not yet."""
        for participant in cohort.participants.order_by("pk")[missing:]:
            # Eight digits, some with a leading zero: the register export must keep it.
            number = f"{participant.pk * 104729 % 10**8:08d}"
            enrolment.update_own_details(participant=participant, data={"register_number": number})

    def approve_final_assignments(self, cohort, *, missing) -> None:
        """The trainer approves the final assignments handed in; the last few have not handed theirs in."""
        participants = list(cohort.participants.filter(status=Participant.Status.ENROLLED).order_by("pk"))
        for participant in participants[: len(participants) - missing]:
            assignments.approve_final_assignment(participant=participant, by=self.trainer)

    def take_attendance(self, cohort, *, absent, made_up=None) -> None:
        """
        Record the attendance of the run's past days: present, except the (participant, day) pairs absent.

        :param made_up: (participant, day) pairs made up with the same day of another run, and that run
        """
        participants = list(cohort.participants.filter(status=Participant.Status.ENROLLED).order_by("pk"))
        days = [day for day in cohort.days.order_by("date") if day.date < self.today]
        entries = []
        for n, participant in enumerate(participants):
            for day in days:
                number = day.programme_day.number
                other_run = (made_up or {}).get((n, number))
                if other_run:
                    elsewhere = other_run.days.get(programme_day=day.programme_day).pk
                    status = Attendance.Status.MADE_UP
                    entries.append(
                        attendance_services.AttendanceEntry(participant.pk, day.pk, status, made_up_in_id=elsewhere)
                    )
                else:
                    status = Attendance.Status.ABSENT if (n, number) in absent else Attendance.Status.PRESENT
                    entries.append(attendance_services.AttendanceEntry(participant.pk, day.pk, status))
        attendance_services.record_attendance(cohort=cohort, entries=entries, recorded_by=self.trainer)

    def notify_absence(self, cohort, *, participant, day) -> None:
        """A participant tells, on their page, that they cannot come to a coming day."""
        who = cohort.participants.filter(status=Participant.Status.ENROLLED).order_by("pk")[participant]
        enrolment.notify_absence(participant=who, day=cohort.days.get(programme_day__number=day))


def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, time))


def _row_of(participant) -> dict:
    return {field: getattr(participant, field) for field in enrolment.PARTICIPANT_FIELDS}
