"""
Test state for the course runs.

Most tests build their state as users do, through the services: a board sends
in the form (`submitted_registration`), the office places it in a run
(`placed_registration`), the contact enters leaders (`enrolled_participants`)
and the trainer schedules the days (`scheduled_days`). That state holds what
the services give it: the board's consent, the e-mails in the outbox, the
audit trail.

The `Raw...Factory` classes write rows directly, for the tests that need a
state the services refuse (a backstop, a migration) or that are about the
rows alone.
"""

import datetime
import itertools
import uuid
from importlib import import_module

import factory
from django.apps import apps as django_apps
from django.utils import timezone

from cohorts.models import Board, Cohort, CourseDay, Participant, Registration, Sector
from cohorts.services import enrolment, runs, scheduling
from cohorts.services import registrations as registrations_services
from programme.models import Programme

# Numbers for the boards, contacts and leaders of the service-built state: each one only once in a test run.
_numbers = itertools.count(1)


def seeded_programme() -> Programme:
    """Return the brochure's programme; a transactional test's flush removes it, so seed it again then."""
    programme = Programme.objects.filter(slug="verbindend-leiderschap").first()
    if programme is None:
        seed = import_module("programme.migrations.0002_seed_verbindend_leiderschap")
        seed.seed(django_apps, None)
        programme = Programme.objects.get(slug="verbindend-leiderschap")
    return programme


def _next_free_code(prefix: str) -> str:
    taken = Cohort.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    numbers = [int(code.removeprefix(prefix)) for code in taken if code.removeprefix(prefix).isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board

    name = factory.Sequence(lambda n: f"Stichting Kindcentra {n}")
    kind = Board.Kind.BESTUUR
    bestuursnummer = factory.Sequence(lambda n: f"{70000 + n:05d}")
    sector = Sector.PO
    place = "Utrecht"
    address = "Maliebaan 12"
    postcode = "3512 JE"
    kvk_number = factory.Sequence(lambda n: f"{40000000 + n:08d}")


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.LazyFunction(seeded_programme)
    # The next free code, as the services number runs: a run made by `new_cohort` beside it takes no code twice.
    code = factory.LazyFunction(lambda: _next_free_code("VL-2027-"))
    status = Cohort.Status.PLANNED
    venue = "Zaal De Eik"
    place = "Utrecht"


class RawRegistrationFactory(factory.django.DjangoModelFactory):
    """A registration row, placed in a new run, with a consent date but no consent record and no e-mail."""

    class Meta:
        model = Registration

    board = factory.SubFactory(BoardFactory)
    cohort = factory.SubFactory(CohortFactory)
    # Placed when it has a run, received otherwise, as the database demands.
    status = factory.LazyAttribute(
        lambda r: Registration.Status.PLACED if r.cohort is not None else Registration.Status.RECEIVED
    )
    contact_name = "Fatima el Amrani"
    contact_function = "HR-adviseur"
    contact_email = factory.Sequence(lambda n: f"contact{n}@bestuur.example.nl")
    contact_phone = "0301234567"
    expected_participants = 14
    privacy_consent_at = factory.LazyFunction(timezone.now)
    submission_key = factory.LazyFunction(lambda: uuid.uuid4().hex)


class RawParticipantFactory(factory.django.DjangoModelFactory):
    """A participant row, enrolled whatever the run's capacity, with no welcome e-mail."""

    class Meta:
        model = Participant

    registration = factory.SubFactory(RawRegistrationFactory)
    cohort = factory.LazyAttribute(lambda p: p.registration.cohort)
    first_name = factory.Sequence(lambda n: f"Anne{n}")
    tussenvoegsel = "van der"
    last_name = factory.Sequence(lambda n: f"Berg{n}")
    email = factory.Sequence(lambda n: f"leider{n}@school.example.nl")
    role = Participant.Role.DIRECTEUR
    school = "OBS De Regenboog"
    brin = "16SW"


class CourseDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseDay

    cohort = factory.SubFactory(CohortFactory)
    programme_day = factory.LazyAttribute(lambda d: d.cohort.programme.days.get(number=1))
    date = factory.LazyFunction(lambda: timezone.localdate() + timezone.timedelta(days=60))
    start_time = "09:00"
    end_time = "16:30"


def participant_data(n: int = 0, **overrides) -> dict:
    data = {
        "first_name": f"Jeroen{n}",
        "initials": "J.",
        "tussenvoegsel": "de",
        "last_name": f"Vries{n}",
        "email": f"jeroen{n}@school.example.nl",
        "role": Participant.Role.DIRECTEUR,
        "school": "CBS De Wegwijzer",
        "brin": "12AB",
    }
    data.update(overrides)
    return data


# The raw factories' former names, still used by the benchmarks and by the admin-action, bulk and browser tests;
# each of those is to move to the service-built state or to the Raw names, and then these go.
RegistrationFactory = RawRegistrationFactory
ParticipantFactory = RawParticipantFactory


# --- State built through the services -----------------------------------------


def board_data(**overrides) -> dict:
    """Return a new school board as the public form sends it."""
    n = next(_numbers)
    data = {
        "name": f"Stichting Kindcentra {n}",
        "kind": Board.Kind.BESTUUR,
        # Five digits, apart from BoardFactory's; a test never makes ten thousand boards.
        "bestuursnummer": f"{80000 + n % 10000:05d}",
        "sector": Sector.PO,
        "place": "Utrecht",
    }
    data.update(overrides)
    return data


def submitted_registration(*, board: dict | None = None, cohort: Cohort | None = None, **fields) -> Registration:
    """
    Send in the public form for a board: a received registration, or one placed in the open run `cohort`
    it asks to join, with the board's consent recorded and the confirmation and notification queued.

    :param board: the board as the form sends it (`board_data`); a new board when not given
    :param fields: registration fields to send other than the defaults (contact, expected number, ...)
    """
    n = next(_numbers)
    data = {
        "kind": Registration.Kind.JOIN_COHORT if cohort else Registration.Kind.NEW_COHORT,
        "cohort": cohort,
        "contact_name": "Fatima el Amrani",
        "contact_function": "HR-adviseur",
        "contact_email": f"contact{n}@bestuur.example.nl",
        "contact_phone": "0301234567",
        "expected_participants": 14,
        "preferred_period": "" if cohort else "najaar",
        "preferred_place": "" if cohort else "Utrecht",
    }
    language = fields.pop("language", "nl")
    data.update(fields)
    return registrations_services.submit_registration(
        board_data=board or board_data(),
        registration_data=data,
        submission_key=uuid.uuid4().hex,
        language=language,
        programme=seeded_programme(),
    )


def new_cohort(**fields) -> Cohort:
    """Create a course run of the brochure's programme as the office does, with the next free code."""
    fields.setdefault("venue", "Zaal De Eik")
    fields.setdefault("place", "Utrecht")
    return runs.create_cohort(programme=seeded_programme(), **fields)


def placed_registration(cohort: Cohort | None = None, **fields) -> Registration:
    """
    Send in the form and place the registration in a course run, a new one when not given;
    the contact is told they can enter their leaders.

    :param fields: as `submitted_registration`
    """
    registration = submitted_registration(**fields)
    cohort = cohort or new_cohort()
    registrations_services.place_registrations(registrations=[registration], cohort=cohort)
    registration.refresh_from_db()
    return registration


def enrolled_participants(registration: Registration, count: int = 1) -> list[Participant]:
    """Enter `count` new leaders for a placed registration, as its contact does: enrolled, or waiting when full."""
    return enrolment.enroll_participants(
        registration=registration, rows=[participant_data(next(_numbers)) for _ in range(count)]
    )


def unsaved_days(
    cohort: Cohort,
    *,
    first: datetime.date,
    weeks_apart: int,
    start: datetime.time = datetime.time(9),
    end: datetime.time = datetime.time(16, 30),
) -> list[CourseDay]:
    """A course run's days, one per programme day, the first on `first` and the others weeks apart; not saved."""
    return [
        CourseDay(
            cohort=cohort,
            programme_day=programme_day,
            date=first + datetime.timedelta(weeks=weeks_apart * (programme_day.number - 1)),
            start_time=start,
            end_time=end,
        )
        for programme_day in cohort.programme.days.order_by("number")
    ]


def scheduled_days(
    cohort: Cohort, *, first: datetime.date, weeks_apart: int = 3, replaying: bool = False, **times
) -> list[CourseDay]:
    """
    Schedule every programme day of a course run, the first on `first` and the others weeks apart,
    as the trainer does in the admin.

    :param replaying: for a run whose days have already taken place, scheduled as it was before they did
    :param times: `start` and `end`, as `unsaved_days` takes them
    """
    days = unsaved_days(cohort, first=first, weeks_apart=weeks_apart, **times)
    return [scheduling.save_course_day(day=day, changed_fields=[], replaying=replaying) for day in days]


def stored_days(cohort: Cohort, *, first: datetime.date) -> None:
    """A run's days, two weeks apart from 9:30, stored as rows without the schedule's rules (past dates too)."""
    for day in unsaved_days(cohort, first=first, weeks_apart=2, start=datetime.time(9, 30)):
        day.save()
