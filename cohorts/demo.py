"""
Demo data: three boards, their registrations over time, and a course run in every status.

The story is told relative to today, so that it is current whenever it is loaded:

* Stichting Openbaar Onderwijs Rivierenland (PO, Tiel) saw a first group of
  leaders complete the course, attendance taken (its certificates are the
  registry's demo); has a second group, full with a waiting list, confirmed
  to start next month; and asked for a third run, its dates pencilled in
  around an intake that moved.
* Samenwerkingsverband Passend Onderwijs IJssel (Deventer) had its own run
  cancelled when too few leaders enrolled, cancelled that registration, and
  joined another board's open run with six of the same leaders; a new
  request of theirs has just come in.
* Stichting Voortgezet Onderwijs Zuid (VO, Eindhoven) is halfway through a
  run, with attendance taken and absences notified; has a planned run open
  for other boards to join; and an intake next week about a third.

Everything goes through the services, as in real use; only what has no
service yet (a run starting, a registration cancelled) is set as the admin
sets it.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify

from programme.models import Programme

from .models import Attendance, Board, Cohort, CourseDay, IntakeAppointment, Participant, Registration
from .services import attendance as attendance_services
from .services import enrolment, runs, scheduling
from .services import intakes as intakes_services
from .services import links as links_services
from .services import registrations as registrations_services

# Every demo registration's submission key starts with this: how the demo finds its own data again.
KEY_PREFIX = "demo-"

RIVIERENLAND = {
    "name": "Stichting Openbaar Onderwijs Rivierenland",
    "kind": Board.Kind.BESTUUR,
    "bestuursnummer": "41234",
    "sector": "po",
    "place": "Tiel",
}
IJSSEL = {
    "name": "Samenwerkingsverband Passend Onderwijs IJssel",
    "kind": Board.Kind.SWV,
    "swv_code": "PO-22-02",
    "sector": "po",
    "place": "Deventer",
}
ZUID = {
    "name": "Stichting Voortgezet Onderwijs Zuid",
    "kind": Board.Kind.BESTUUR,
    "bestuursnummer": "30127",
    "sector": "vo",
    "place": "Eindhoven",
}
# Per board: its e-mail domain and its schools with their BRIN codes.
DOMAINS = {
    "41234": "openbaarrivierenland.example.nl",
    "PO-22-02": "swv-ijssel.example.nl",
    "30127": "vozuid.example.nl",
}
SCHOOLS = {
    "41234": [
        ("OBS De Regenboog", "16SW"),
        ("OBS Het Kompas", "17TL"),
        ("OBS De Toverfluit", "18KR"),
        ("OBS De Wielewaal", "19BG"),
        ("OBS Het Baken", "20HN"),
        ("OBS De Plantage", "21DP"),
    ],
    "PO-22-02": [
        ("CBS De Wegwijzer", "12AB"),
        ("KBS Sint Jozef", "07XK"),
        ("OBS Het Anker", "21PL"),
        ("SBO De Klimop", "23KL"),
        ("CBS De Borgh", "24BD"),
    ],
    "30127": [
        ("Zuiderlicht College", "02ZC"),
        ("Kempenhorst Lyceum", "03KH"),
        ("Dommeldal College", "04DC"),
        ("Veldhovens Atheneum", "05VA"),
    ],
}
ROLES = {
    "po": [
        "directeur", "directeur", "adjunct_directeur", "locatieleider",
        "intern_begeleider", "bouwcoordinator", "meerscholendirecteur", "teamleider",
    ],
    "vo": [
        "teamleider", "afdelingsleider", "teamleider", "conrector",
        "afdelingsleider", "centrale_directie", "rector",
    ],
}  # fmt: skip
MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip
FIRST_NAMES = [
    "Anne", "Bram", "Carolien", "Daan", "Esther", "Femke", "Gerrit", "Hanneke", "Ilse", "Jeroen",
    "Karin", "Lars", "Marloes", "Niels", "Mohamed", "Pieter", "Renske", "Sander", "Tamara", "Vera",
    "Willem", "Yvonne", "Zeynep", "Bas", "Charlotte", "Dirk", "Eline", "Frank", "Geert", "Hilde",
    "Inge", "Joost", "Kees", "Linda", "Nienke", "Otto", "Petra", "Rik", "Saskia", "Thijs",
    "Wendy", "Youssef", "Fatima", "Jelle", "Sven", "Noor", "Ruben", "Iris", "Maarten", "Anouk",
    "Koen", "Lieke", "Mehmet", "Sarah", "Tom", "Evelien", "Ayşe", "Wouter", "Miriam", "Hans",
]  # fmt: skip
# (tussenvoegsel, achternaam): about half with a tussenvoegsel, as in a Dutch staff room.
LAST_NAMES = [
    ("van", "Dijk"), ("de", "Vries"), ("", "Bakker"), ("van der", "Meer"), ("", "Jansen"),
    ("'t", "Hart"), ("ten", "Brink"), ("el", "Amrani"), ("van den", "Heuvel"), ("", "Mulder"),
    ("ter", "Horst"), ("van 't", "Hof"), ("in 't", "Veld"), ("van de", "Ven"), ("den", "Hartog"),
    ("", "Yılmaz"), ("", "Visser"), ("van", "Leeuwen"), ("de", "Groot"), ("", "Smit"),
    ("van der", "Linden"), ("ten", "Cate"), ("el", "Idrissi"), ("", "Meijer"), ("de", "Jong"),
    ("van", "Beek"), ("", "Hendriks"), ("", "Dekker"), ("van den", "Broek"), ("'t", "Lam"),
    ("", "Brouwer"), ("de", "Wit"), ("van", "Dam"), ("", "Koster"), ("", "Bos"),
    ("van der", "Veen"), ("", "Verhoeven"), ("op den", "Kamp"), ("", "Kaya"), ("", "Peeters"),
    ("van", "Gils"), ("", "Schouten"), ("de", "Haan"), ("van", "Wijk"), ("", "Postma"),
    ("", "Huisman"), ("ter", "Steege"), ("van", "Vliet"), ("", "Kok"), ("de", "Bruijn"),
]  # fmt: skip
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = range(5)


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
            contact=("Marieke de Boer", "Manager HR"),
            expected=14,
            weeks_ago=36,
            remarks="Graag op dinsdagen: dan kunnen onze directeuren het best weg.",
        )
        zuid_1 = self.register("zuid-1", ZUID, contact=("Ingrid van Kessel", "HR-adviseur"), expected=16, weeks_ago=28)
        ijssel_1 = self.register(
            "ijssel-1", IJSSEL, contact=("Hamid Ouali", "Directeur-bestuurder"), expected=10, weeks_ago=20
        )
        rivierenland_2 = self.register(
            "rivierenland-2",
            RIVIERENLAND,
            contact=("Marieke de Boer", "Manager HR"),
            expected=30,
            weeks_ago=17,
            remarks="Na de eerste groep willen al onze andere leiders ook. Kan het met dertig?",
        )
        zuid_2 = self.register("zuid-2", ZUID, contact=("Ingrid van Kessel", "HR-adviseur"), expected=11, weeks_ago=9)
        for registration, weeks in [(rivierenland_1, -33), (zuid_1, -25), (ijssel_1, -17), (rivierenland_2, -15)]:
            self.intake(registration, weeks=weeks, held=True)
        self.intake(zuid_2, weeks=-7, held=True, mode=IntakeAppointment.Mode.ON_SITE)

        completed = self.run(
            [rivierenland_1],
            venue="Landgoed Zonheuvel",
            place="Doorn",
            dates=_dates(self.today - datetime.timedelta(weeks=2), weekday=TUESDAY, forward=False),
            people=14,
        )
        running = self.run(
            [zuid_1],
            venue="Landgoed Huize Bergen",
            place="Vught",
            dates=self.halfway_dates(weekday=THURSDAY),
            people=16,
            start=datetime.time(9),
            end=datetime.time(16),
            other_venue={5: "Kasteel Maurick"},
        )
        cancelled = self.run(
            [ijssel_1],
            venue="Landgoed De Wildenborch",
            place="Vorden",
            dates=_dates(self.today + datetime.timedelta(weeks=3), weekday=FRIDAY),
            people=8,
        )
        confirmed = self.run(
            [rivierenland_2],
            venue="Congrescentrum De Reehorst",
            place="Ede",
            dates=_dates(self.today + datetime.timedelta(weeks=4), weekday=WEDNESDAY),
            people=32,  # two more than fit: the waiting list
        )
        planned = self.run(
            [zuid_2],
            venue="Kontakt der Kontinenten",
            place="Soesterberg",
            dates=_dates(self.today + datetime.timedelta(weeks=10), weekday=TUESDAY),
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

        # Too few leaders for the samenwerkingsverband's own run: cancelled, and so was the registration.
        runs.cancel_cohort(cohort=cancelled)
        ijssel_1.status = Registration.Status.CANCELLED
        ijssel_1.save(update_fields=["status"])
        # Six of the same leaders join the open run instead.
        ijssel_2 = self.register(
            "ijssel-2",
            IJSSEL,
            contact=("Hamid Ouali", "Directeur-bestuurder"),
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
            dates=_dates(self.today + datetime.timedelta(weeks=22), weekday=THURSDAY),
            people=4,
            status=Cohort.Status.REQUESTED,
        )
        zuid_3 = self.register("zuid-3", ZUID, contact=("Ingrid van Kessel", "HR-adviseur"), expected=14, weeks_ago=2)
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

    def register(self, key, board, *, contact, expected, weeks_ago, cohort=None, remarks="") -> Registration:
        """Send in the public form as the board's contact did, some weeks ago."""
        name, function = contact
        first, *rest = name.split(" ")
        received = timezone.now() - datetime.timedelta(weeks=weeks_ago, days=2 if weeks_ago else 0, hours=3)
        number = board.get("bestuursnummer") or board["swv_code"]
        start = timezone.localdate(received) + datetime.timedelta(weeks=12)
        period = f"vanaf {MONTHS[start.month - 1]} {start.year}"
        registration = registrations_services.submit_registration(
            board_data=board,
            registration_data={
                "kind": Registration.Kind.JOIN_COHORT if cohort else Registration.Kind.NEW_COHORT,
                "cohort": cohort,
                "contact_name": name,
                "contact_function": function,
                "contact_email": f"{_slug(first)}.{_slug(''.join(rest))}@{DOMAINS[number]}",
                "contact_phone": {"41234": "0344612345", "PO-22-02": "0570745210", "30127": "0402961100"}[number],
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
        monday = _on_weekday(self.today, MONDAY, forward=False) + datetime.timedelta(weeks=weeks)
        # Outside the holidays, and not on a Monday another intake has taken already (the service refuses a clash).
        while _school_holiday(monday) or self._trainer_busy(_at(monday, datetime.time(15))):
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
        """Form a course run for these registrations, enrol the leaders the first board enters, and schedule it."""
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
        enrolment.enroll_participants(registration=registrations[0], rows=self.people(registrations[0].board, people))
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
            scheduling.save_course_day(
                day=CourseDay(
                    cohort=cohort,
                    programme_day=day.programme_day,
                    date=day.date,
                    start_time=day.start_time,
                    end_time=day.end_time,
                    venue=day.venue,
                ),
                changed_fields=[],
                replaying=True,
            )
        # Leaders enrol in the weeks before the first day, not all on the day the demo is loaded.
        enrolled_at = _at(dates[0] - datetime.timedelta(weeks=6), datetime.time(20))
        if enrolled_at < timezone.now():
            cohort.participants.update(created_at=enrolled_at)
        return cohort

    def halfway_dates(self, *, weekday) -> list[datetime.date]:
        """Return six dates of which three have passed and three are to come."""
        past = _dates(self.today - datetime.timedelta(days=1), weekday=weekday, forward=False, count=3)
        after = max(past[-1] + datetime.timedelta(weeks=3), self.today + datetime.timedelta(days=1))
        coming = _dates(after, weekday=weekday, count=3)
        return past + coming

    def people(self, board, number) -> list[dict]:
        """Return leaders of this board's schools, each one only once in the whole demo."""
        key = board.bestuursnummer or board.swv_code
        rows = []
        for _ in range(number):
            n = self.people_handed_out
            self.people_handed_out += 1
            first_name = FIRST_NAMES[n % len(FIRST_NAMES)]
            tussenvoegsel, last_name = LAST_NAMES[n * 7 % len(LAST_NAMES)]
            school, brin = SCHOOLS[key][n % len(SCHOOLS[key])]
            roles = ROLES[board.sector]
            rows.append(
                {
                    "first_name": first_name,
                    "initials": f"{first_name[0]}.{'MJCAHW'[n % 6]}." if n % 3 == 0 else f"{first_name[0]}.",
                    "tussenvoegsel": tussenvoegsel,
                    "last_name": last_name,
                    "email": f"{_slug(first_name)}.{_slug(tussenvoegsel + last_name)}@{DOMAINS[key]}",
                    "role": roles[n % len(roles)],
                    "school": school,
                    "brin": brin,
                }
            )
        return rows

    def give_register_numbers(self, cohort, *, missing) -> None:
        """Most leaders give their Schoolleidersregister number on their page; some have not yet."""
        for participant in cohort.participants.order_by("pk")[missing:]:
            # Eight digits, some with a leading zero: the register export must keep it.
            number = f"{participant.pk * 104729 % 10**8:08d}"
            enrolment.update_own_details(participant=participant, data={"register_number": number})

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


def _slug(text: str) -> str:
    return slugify(text).replace("-", "")


def _school_holiday(day: datetime.date) -> bool:
    """Return whether a day falls in (roughly) the Dutch school holidays: summer, Christmas, spring, May, autumn."""
    month_day = (day.month, day.day)
    summer = (7, 11) <= month_day <= (8, 31)
    christmas = month_day >= (12, 20) or month_day <= (1, 4)
    return summer or christmas or day.isocalendar().week in {8, 18, 43}


def _on_weekday(day: datetime.date, weekday: int, *, forward: bool = True) -> datetime.date:
    """Return the first date on this weekday (0 is Monday) on or after day, or on or before it."""
    step = datetime.timedelta(days=1 if forward else -1)
    while day.weekday() != weekday:
        day += step
    return day


def _dates(anchor, *, weekday, forward=True, count=6) -> list[datetime.date]:
    """
    Return count dates three weeks apart on one weekday, outside the school holidays, in order.

    The first falls on or after anchor, or, going back (not forward), the last on or before it.
    """
    step = datetime.timedelta(weeks=3 if forward else -3)
    week = datetime.timedelta(weeks=1 if forward else -1)
    dates = []
    day = _on_weekday(anchor, weekday, forward=forward)
    while len(dates) < count:
        while _school_holiday(day):
            day += week
        dates.append(day)
        day += step
    return sorted(dates)
