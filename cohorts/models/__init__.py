"""
The models of the course runs, by subdomain; every name the rest of the code imports from `cohorts.models` is here.

- `runs`: the course runs and their days
- `boards`: the boards and their registrations
- `people`: the participants, their roles per sector, their attendance
- `intakes`: the intake appointments
- `trainer`: the trainer's messages to a run and calendar feed
- `keys`: the random keys in the links people are sent
"""

# isort: off
# Not alphabetical: Django lists a model's reverse relations (and deletes
# along them) in the order the models pointing to it were declared, and this
# order keeps that of the one module these were split from, for every model
# of the app.
from .runs import Cohort, CohortQuerySet, CourseDay, participant_counts
from .boards import Board, Registration, Sector
from .people import ATTENDED, PO_ROLES, VO_ROLES, Attendance, Participant, ParticipantQuerySet, roles_for_sector
from .intakes import IntakeAppointment
from .trainer import CalendarFeed, RunMessage
from .keys import new_access_key

# isort: on

__all__ = [
    "ATTENDED",
    "PO_ROLES",
    "VO_ROLES",
    "Attendance",
    "Board",
    "CalendarFeed",
    "Cohort",
    "CohortQuerySet",
    "CourseDay",
    "IntakeAppointment",
    "Participant",
    "ParticipantQuerySet",
    "Registration",
    "RunMessage",
    "Sector",
    "new_access_key",
    "participant_counts",
    "roles_for_sector",
]
