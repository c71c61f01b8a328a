"""
The personal data cohorts holds: participants, board contacts, their attendance notes and intakes.

One anonymiser per model, used by a person's erasure and by retention alike:
the same placeholders, the same random keys, `erased_at` set. Kept, for the
legal period: a participant's status and attendance (the completion record),
and the board; registry keeps the certificates.
"""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from privacy import services as privacy
from verbindend.personal_data import Due, PersonalDataHandler, Subject

from .models import Attendance, Cohort, IntakeAppointment, Participant, Registration

ERASED = "Gewist"
PARTICIPANT = Participant._meta.label_lower
CONTACT = Registration._meta.label_lower


def _erased_address(prefix: str):
    return Concat(Value(prefix), Cast("pk", models.CharField()), Value("@verbindend.invalid"))


def _erased_key():
    # A secret drawn for this erasure, and the row's key after it: unique,
    # and known to no one, so that every link sent before stops working.
    return Concat(Value(f"gewist-{secrets.token_urlsafe(18)}-"), Cast("pk", models.CharField()))


def anonymise_participants(*, ids: list[int], now: datetime.datetime) -> None:
    """Remove the participants' names, address, school, register number, links and attendance notes."""
    Participant.objects.filter(pk__in=ids).update(
        first_name=ERASED,
        initials="",
        tussenvoegsel="",
        last_name="",
        school="",
        brin="",
        register_number="",
        email=_erased_address("gewist-"),
        access_key=_erased_key(),
        erased_at=now,
    )
    Attendance.objects.filter(participant_id__in=ids).update(note="", absence_notified_at=None)


def anonymise_contacts(*, ids: list[int], now: datetime.datetime) -> None:
    """Remove the board contacts' names, function, address, phone, remarks, links and intake notes."""
    Registration.objects.filter(pk__in=ids).update(
        contact_name=ERASED,
        contact_function="",
        contact_phone="",
        remarks="",
        contact_email=_erased_address("gewist-contact-"),
        access_key=_erased_key(),
        enrolment_key=_erased_key(),
        erased_at=now,
    )
    IntakeAppointment.objects.filter(registration_id__in=ids).update(notes="")


def _participant_data(participant: Participant) -> dict:
    cohort = participant.cohort
    attendance = {a.course_day_id: a for a in participant.attendances.all()}
    return {
        "details": {
            "initials": participant.initials,
            "first_name": participant.first_name,
            "tussenvoegsel": participant.tussenvoegsel,
            "last_name": participant.last_name,
            "email": participant.email,
            "role": participant.get_role_display(),
            "school": participant.school,
            "brin": participant.brin,
            "register_number": participant.register_number,
            "language": participant.language,
        },
        "enrolment": {
            "programme": cohort.programme.title,
            "course_run": cohort.code,
            "board": participant.registration.board.name,
            "status": participant.status,
            "enrolled_at": participant.created_at.isoformat(),
            "withdrawn_at": participant.withdrawn_at.isoformat() if participant.withdrawn_at else None,
        },
        "attendance": [
            {
                "day": day.programme_day.number,
                "date": day.date.isoformat(),
                "attendance": attendance[day.pk].status if day.pk in attendance else "",
                "note": attendance[day.pk].note if day.pk in attendance else "",
                "notified_absence": bool(day.pk in attendance and attendance[day.pk].absence_notified_at),
            }
            for day in cohort.days.select_related("programme_day").order_by("date")
        ],
    }


def _registration_data(registration: Registration) -> dict:
    board = registration.board
    return {
        "board": {
            "name": board.name,
            "kind": board.kind,
            "bestuursnummer": board.bestuursnummer,
            "swv_code": board.swv_code,
            "sector": board.sector,
            "place": board.place,
        },
        "contact": {
            "name": registration.contact_name,
            "function": registration.contact_function,
            "email": registration.contact_email,
            "phone": registration.contact_phone,
        },
        "registration": {
            "received": registration.created_at.isoformat(),
            "status": registration.status,
            "expected_participants": registration.expected_participants,
            "preferred_period": registration.preferred_period,
            "preferred_place": registration.preferred_place,
            "remarks": registration.remarks,
            "course_run": registration.cohort.code if registration.cohort else None,
        },
        "intakes": [
            {"start": i.starts_at.isoformat(), "how": i.mode, "status": i.status} for i in registration.intakes.all()
        ],
        "participants": [
            {"name": p.full_name, "email": p.email, "status": p.status} for p in registration.participants.all()
        ],
    }


def _ids(subjects: list[Subject], label: str) -> list[int]:
    return [s.pk for s in subjects if s.label == label]


class CohortsHandler(PersonalDataHandler):
    app_label = "cohorts"

    def subject(self, record) -> Subject | None:
        if isinstance(record, Participant):
            return Subject.of(record, (record.email,))
        if isinstance(record, Registration):
            return Subject.of(record, (record.contact_email,))
        return None

    def export(self, subject: Subject) -> dict:
        if subject.label == PARTICIPANT:
            participant = Participant.objects.select_related("cohort__programme", "registration__board")
            return _participant_data(participant.get(pk=subject.pk))
        if subject.label == CONTACT:
            return _registration_data(Registration.objects.select_related("board", "cohort").get(pk=subject.pk))
        return {}

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        if ids := _ids(subjects, PARTICIPANT):
            anonymise_participants(ids=ids, now=now)
        if ids := _ids(subjects, CONTACT):
            anonymise_contacts(ids=ids, now=now)

    def due(self, now: datetime.datetime) -> list[Due]:
        """
        Participants and contacts of runs completed more than RETENTION_CONTACT_DAYS ago; registrations that
        never became part of a run, RETENTION_UNPLACED_DAYS after they came in (erased, then deleted by `expire`).
        """
        contact_limit = timezone.localdate(now) - datetime.timedelta(days=settings.RETENTION_CONTACT_DAYS)
        old_cohorts = (
            Cohort.objects.filter(status=Cohort.Status.COMPLETED)
            .annotate(last=models.Max("days__date"))
            .filter(last__lt=contact_limit)
        )
        not_erased = Registration.objects.filter(erased_at__isnull=True)
        return [
            Due(
                "participants",
                Participant.objects.filter(cohort__in=old_cohorts, erased_at__isnull=True).order_by("pk"),
                "email",
            ),
            Due("contacts", not_erased.filter(cohort__in=old_cohorts).order_by("pk"), "contact_email"),
            Due("unplaced_registrations", self._unplaced(now, not_erased), "contact_email"),
        ]

    def expire(self, now: datetime.datetime, *, dry_run: bool) -> dict[str, int]:
        if not dry_run:
            # Erased with the others (`due`): now the records themselves go, and the consents that named them.
            while ids := list(self._unplaced(now, Registration.objects).values_list("pk", flat=True)[:1000]):
                privacy.forget_consents(model=Registration, pks=ids)
                Registration.objects.filter(pk__in=ids).delete()
        return {}

    @staticmethod
    def _unplaced(now: datetime.datetime, registrations: models.QuerySet) -> models.QuerySet:
        limit = now - datetime.timedelta(days=settings.RETENTION_UNPLACED_DAYS)
        return registrations.filter(cohort__isnull=True, created_at__lt=limit).order_by("pk")
