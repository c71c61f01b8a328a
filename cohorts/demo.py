"""
Demo data for boards, registrations, course runs and participants.

Three boards: one with its own course run, confirmed and almost full; one
small board that joined an open course run; one fresh registration waiting
for an intake. Everything goes through the services, as in real use.
"""

import datetime
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from programme.models import Programme

from . import services
from .models import Attendance, Board, Cohort, CourseDay, IntakeAppointment, Participant, Registration

FIRST_NAMES = [
    "Anne",
    "Bram",
    "Carola",
    "Daan",
    "Esther",
    "Freek",
    "Gerda",
    "Hanneke",
    "Ivo",
    "Joyce",
    "Karim",
    "Lotte",
    "Maarten",
    "Nadia",
    "Olga",
    "Pieter",
    "Quirine",
    "Ruud",
    "Sanne",
    "Thijs",
    "Ursula",
    "Vincent",
    "Wendy",
    "Yusuf",
    "Zoë",
    "Bart",
    "Fatima",
    "Jelle",
]
LAST_NAMES = [
    ("van", "Dijk"),
    ("de", "Vries"),
    ("", "Bakker"),
    ("van der", "Berg"),
    ("", "Jansen"),
    ("de", "Boer"),
    ("", "Mulder"),
    ("van den", "Heuvel"),
    ("", "Smit"),
    ("", "Meijer"),
    ("de", "Groot"),
    ("", "Bos"),
    ("van", "Leeuwen"),
    ("", "El Amrani"),
    ("ter", "Horst"),
    ("", "Visser"),
    ("van 't", "Hof"),
    ("", "Yılmaz"),
    ("de", "Jong"),
    ("", "Kok"),
    ("van", "Beek"),
    ("", "Hendriks"),
    ("van", "Wijk"),
    ("", "Dekker"),
    ("in 't", "Veld"),
    ("", "Brouwer"),
    ("de", "Wit"),
    ("van", "Dam"),
]
SCHOOLS = [
    ("OBS De Regenboog", "16SW"),
    ("CBS De Wegwijzer", "12AB"),
    ("KBS Sint Jozef", "07XK"),
    ("OBS Het Anker", "21PL"),
]


def load(stdout) -> None:
    if Registration.objects.filter(submission_key__startswith="demo-").exists():
        stdout.write("Boards: demo data present")
        return
    programme = Programme.objects.get(slug="verbindend-leiderschap")
    with transaction.atomic():
        own = _registration(
            Board(name="Stichting Openbaar Onderwijs Rivierenland", bestuursnummer="41234", sector="po", place="Tiel"),
            contact="Marieke de Boer",
            expected=24,
        )
        cohort = services.create_cohort(
            programme=programme, status=Cohort.Status.PLANNED, venue="Landgoed De Wildenborch", place="Vorden"
        )
        _schedule(cohort, first=timezone.localdate() + datetime.timedelta(weeks=8))
        _place(own, cohort)
        for n in range(22):
            _enrol(own, n)

        open_cohort = services.create_cohort(
            programme=programme,
            status=Cohort.Status.PLANNED,
            venue="Kasteel De Berckt",
            place="Baarlo",
            open_for_joining=True,
        )
        _schedule(open_cohort, first=timezone.localdate() + datetime.timedelta(weeks=12))
        joined = _registration(
            Board(
                name="Samenwerkingsverband Passend Onderwijs IJssel",
                kind="swv",
                swv_code="PO-22-02",
                sector="po",
                place="Deventer",
            ),
            contact="Hamid Ouali",
            expected=6,
            cohort=open_cohort,
        )
        for n in range(22, 28):
            _enrol(joined, n)

        fresh = _registration(
            Board(name="Stichting Voortgezet Onderwijs Zuid", bestuursnummer="30127", sector="vo", place="Eindhoven"),
            contact="Ingrid van Kessel",
            expected=14,
        )
        trainer = get_user_model().objects.filter(username="demo-trainer").first()
        Cohort.objects.filter(pk__in=[cohort.pk, open_cohort.pk]).update(trainer=trainer)
        services.save_intake(
            intake=IntakeAppointment(
                registration=fresh,
                trainer=trainer,
                starts_at=timezone.make_aware(
                    datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=5), datetime.time(14))
                ),
                mode=IntakeAppointment.Mode.VIDEO,
                video_link="https://meet.example.nl/verbindend-intake",
            ),
            changed_fields=[],
        )
        past = _completed_run(programme, trainer)
    stdout.write(
        f"Boards: 3 registrations; course runs {cohort.code}, {open_cohort.code} (open to join) "
        f"and {past.code} (completed, attendance taken); an intake next week"
    )
    stdout.write(f"  board page of {own.board.name}: {services.board_page_url(own)}")


def _registration(board, *, contact, expected, cohort=None) -> Registration:
    board.full_clean()
    board.save()
    first = contact.split(" ")[0]
    return Registration.objects.create(
        board=board,
        kind=Registration.Kind.JOIN_COHORT if cohort else Registration.Kind.NEW_COHORT,
        cohort=cohort,
        status=Registration.Status.PLACED if cohort else Registration.Status.RECEIVED,
        contact_name=contact,
        contact_function="Bestuurssecretaris",
        contact_email=f"{first.lower()}@{board.place.lower()}.example.nl",
        contact_phone="0301234567",
        expected_participants=expected,
        preferred_period="voorjaar",
        privacy_consent_at=timezone.now(),
        submission_key=f"demo-{uuid.uuid4().hex}",
    )


def _place(registration, cohort):
    registration.cohort = cohort
    registration.status = Registration.Status.PLACED
    registration.save(update_fields=["cohort", "status"])


def _schedule(cohort, *, first):
    for offset, day in enumerate(cohort.programme.days.order_by("number")):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=first + datetime.timedelta(weeks=3 * offset),
            start_time=datetime.time(9, 30),
            end_time=datetime.time(16, 30),
        )


def _enrol(registration, n) -> Participant:
    tussenvoegsel, last_name = LAST_NAMES[n % len(LAST_NAMES)]
    school, brin = SCHOOLS[n % len(SCHOOLS)]
    first_name = FIRST_NAMES[n % len(FIRST_NAMES)]
    return services.enroll_participant(
        registration=registration,
        data={
            "first_name": first_name,
            "initials": f"{first_name[0]}.",
            "tussenvoegsel": tussenvoegsel,
            "last_name": last_name,
            "email": f"{slugify(first_name)}.{slugify(tussenvoegsel + last_name)}{n}@school.example.nl",
            "role": ["directeur", "adjunct_directeur", "locatieleider", "intern_begeleider", "teamleider"][n % 5],
            "school": school,
            "brin": brin,
        },
        language=settings.LANGUAGE_CODE,
    )


def _completed_run(programme, trainer) -> Cohort:
    """A course run of last season, completed, with attendance taken: some missed a day, one made it up."""
    registration = _registration(
        Board(name="Stichting Katholiek Onderwijs Brabant", bestuursnummer="52811", sector="po", place="Tilburg"),
        contact="Kees van Gils",
        expected=14,
    )
    cohort = services.create_cohort(
        programme=programme,
        status=Cohort.Status.PLANNED,
        venue="Huize De Berg",
        place="Oisterwijk",
        trainer=trainer,
        year=timezone.localdate().year - 1,
    )
    _place(registration, cohort)
    people = [_enrol(registration, 40 + n) for n in range(14)]
    _schedule(cohort, first=timezone.localdate() - datetime.timedelta(weeks=30))
    days = list(cohort.days.order_by("date"))
    entries = []
    for n, participant in enumerate(people):
        for day in days:
            missed = (n % 5 == 0 and day.programme_day.number == 3) or (n == 7 and day.programme_day.number in (2, 4))
            status = Attendance.Status.ABSENT if missed else Attendance.Status.PRESENT
            entries.append(services.AttendanceEntry(participant.pk, day.pk, status))
    services.record_attendance(cohort=cohort, entries=entries, recorded_by=trainer)
    Cohort.objects.filter(pk=cohort.pk).update(status=Cohort.Status.COMPLETED)
    return cohort
