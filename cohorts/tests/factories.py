import uuid
from importlib import import_module

import factory
from django.apps import apps as django_apps
from django.utils import timezone

from cohorts.models import Board, Cohort, CourseDay, Participant, Registration, Sector
from programme.models import Programme


def seeded_programme() -> Programme:
    """Return the brochure's programme; a transactional test's flush removes it, so seed it again then."""
    programme = Programme.objects.filter(slug="verbindend-leiderschap").first()
    if programme is None:
        seed = import_module("programme.migrations.0002_seed_verbindend_leiderschap")
        seed.seed(django_apps, None)
        programme = Programme.objects.get(slug="verbindend-leiderschap")
    return programme


class BoardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Board

    name = factory.Sequence(lambda n: f"Stichting Kindcentra {n}")
    kind = Board.Kind.BESTUUR
    bestuursnummer = factory.Sequence(lambda n: f"{70000 + n:05d}")
    sector = Sector.PO
    place = "Utrecht"


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    programme = factory.LazyFunction(seeded_programme)
    code = factory.Sequence(lambda n: f"VL-2027-{n + 1:02d}")
    status = Cohort.Status.PLANNED
    venue = "Zaal De Eik"
    place = "Utrecht"


class RegistrationFactory(factory.django.DjangoModelFactory):
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


class ParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Participant

    registration = factory.SubFactory(RegistrationFactory)
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
