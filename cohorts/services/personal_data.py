"""A person's own data, erasure and retention."""

import datetime
import logging

from django.conf import settings
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from audit import services as audit
from audit.models import AuditEvent
from mail.models import OutgoingMail, OutgoingMailAttachment
from privacy import services as privacy
from privacy.models import Consent

from ..models import (
    Attendance,
    Cohort,
    IntakeAppointment,
    Participant,
    Registration,
    new_access_key,
)

logger = logging.getLogger(__name__)


# --- A person's own data (AVG) -----------------------------------------------


def _mails_to(address: str) -> list[dict]:
    candidates = OutgoingMail.objects.filter(to__icontains=address).order_by("created_at")
    return [
        {
            "subject": m.subject,
            "queued": m.created_at.isoformat(),
            "sent": m.sent_at.isoformat() if m.sent_at else None,
            "status": m.status,
        }
        for m in candidates
        if address.lower() in (t.lower() for t in m.to)
    ]


def _consents(subject) -> list[dict]:
    return [
        {
            "purpose": c.purpose,
            "statement_version": c.statement.version,
            "form": c.form,
            "given": c.given_at.isoformat(),
        }
        for c in privacy.consents_of(subject)
    ]


def participant_data(participant: Participant) -> dict:
    """Everything the product holds about a participant, for their own download."""
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
                "notified_absence": bool(day.pk in attendance and attendance[day.pk].absence_notified_at),
            }
            for day in cohort.days.select_related("programme_day").order_by("date")
        ],
        "certificates": [
            {"number": str(c), "kind": c.kind, "status": c.status, "issued": c.issued_at.isoformat()}
            for c in participant.certificates.all()
        ],
        "emails": _mails_to(participant.email),
        "consents": _consents(participant),
    }


def registration_data(registration: Registration) -> dict:
    """Everything the product holds about a board's registration and its contact person."""
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
        "emails": _mails_to(registration.contact_email),
        "consents": _consents(registration),
    }


# --- Erasure -----------------------------------------------------------------

ERASED = "Gewist"


def _wipe_mail_to(address: str) -> int:
    """Remove an address and everything written to it from the outbox; the rows stay as a count."""
    wiped = 0
    for mail in OutgoingMail.objects.filter(to__icontains=address):
        if address.lower() not in (t.lower() for t in mail.to):
            continue
        mail.to = [f"gewist-{mail.pk}@verbindend.invalid"]
        mail.reply_to = []
        mail.subject = "[gewist]"
        mail.body_text = ""
        mail.body_html = ""
        mail.last_error = ""
        mail.save(update_fields=["to", "reply_to", "subject", "body_text", "body_html", "last_error"])
        mail.attachments.all().delete()
        wiped += 1
    return wiped


@transaction.atomic
def anonymise_participant(*, participant: Participant, by=None, request=None) -> Participant:
    """
    Anonymise a participant in every table: name, e-mail, school, register number, notes and e-mails go.

    Kept, for the legal period: the completion record (status, attendance), and any certificate with its
    number and the name as printed, so that the certificate still verifies.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    address = participant.email
    participant.first_name = ERASED
    participant.initials = participant.tussenvoegsel = participant.school = participant.brin = ""
    participant.last_name = ""
    participant.register_number = ""
    participant.email = f"gewist-{participant.pk}@verbindend.invalid"
    participant.access_key = new_access_key()
    participant.save()
    participant.attendances.update(note="", absence_notified_at=None)
    _wipe_mail_to(address)
    audit.record(action=AuditEvent.Action.ERASURE, obj=participant, actor=by, request=request, detail="participant")
    return participant


@transaction.atomic
def anonymise_contact(*, registration: Registration, by=None, request=None) -> Registration:
    """Anonymise a board's contact person: their name, function, e-mail, phone, remarks and e-mails go."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    address = registration.contact_email
    registration.contact_name = ERASED
    registration.contact_function = registration.contact_phone = registration.remarks = ""
    registration.contact_email = f"gewist-contact-{registration.pk}@verbindend.invalid"
    registration.access_key = new_access_key()
    registration.save()
    registration.intakes.update(notes="")
    _wipe_mail_to(address)
    audit.record(action=AuditEvent.Action.ERASURE, obj=registration, actor=by, request=request, detail="contact")
    return registration


# --- Retention -----------------------------------------------------------------


def apply_retention(*, now: datetime.datetime | None = None, dry_run: bool = False, batch: int = 1000) -> dict:
    """
    Apply the retention periods; return what was (or, with dry_run, would be) done.

    - Participants and contact persons of course runs completed more than RETENTION_CONTACT_DAYS ago are
      anonymised, their attendance notes and absence notices cleared. Certificates and the completion
      record stay (the register needs them for seven years).
    - Registrations that never became part of a course run are deleted RETENTION_UNPLACED_DAYS after they came in.
    - Outbox rows older than RETENTION_MAIL_DAYS lose their addresses and text.

    Runs in batches, a bounded number of queries per batch; a second run finds nothing to do.
    """
    now = now or timezone.now()
    contact_limit = timezone.localdate(now) - datetime.timedelta(days=settings.RETENTION_CONTACT_DAYS)
    old_cohorts = (
        Cohort.objects.filter(status=Cohort.Status.COMPLETED)
        .annotate(last=models.Max("days__date"))
        .filter(last__lt=contact_limit)
    )
    participants = Participant.objects.filter(cohort__in=old_cohorts).exclude(email__endswith="@verbindend.invalid")
    contacts = Registration.objects.filter(cohort__in=old_cohorts).exclude(
        contact_email__endswith="@verbindend.invalid"
    )
    unplaced = Registration.objects.filter(
        cohort__isnull=True, created_at__lt=now - datetime.timedelta(days=settings.RETENTION_UNPLACED_DAYS)
    )
    mails = OutgoingMail.objects.filter(
        created_at__lt=now - datetime.timedelta(days=settings.RETENTION_MAIL_DAYS),
        status__in=[OutgoingMail.Status.SENT, OutgoingMail.Status.FAILED],
    ).exclude(subject="[verwijderd]")
    report = {
        "participants": participants.count(),
        "contacts": contacts.count(),
        "unplaced_registrations": unplaced.count(),
        "emails": mails.count(),
    }
    if dry_run:
        return report
    while ids := list(participants.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            Participant.objects.filter(pk__in=ids).update(
                first_name=ERASED,
                initials="",
                tussenvoegsel="",
                last_name="",
                school="",
                brin="",
                register_number="",
                email=Concat(Value("gewist-"), Cast("pk", models.CharField()), Value("@verbindend.invalid")),
                access_key=Concat(Value("gewist-"), Cast("pk", models.CharField())),
            )
            Attendance.objects.filter(participant_id__in=ids).update(note="", absence_notified_at=None)
    while ids := list(contacts.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            Registration.objects.filter(pk__in=ids).update(
                contact_name=ERASED,
                contact_function="",
                contact_phone="",
                remarks="",
                contact_email=Concat(
                    Value("gewist-contact-"), Cast("pk", models.CharField()), Value("@verbindend.invalid")
                ),
                access_key=Concat(Value("gewist-"), Cast("pk", models.CharField())),
                enrolment_key=Concat(Value("gewist-enrol-"), Cast("pk", models.CharField())),
            )
            IntakeAppointment.objects.filter(registration_id__in=ids).update(notes="")
    while ids := list(unplaced.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            Consent.objects.filter(subject_type=Registration._meta.label, subject_id__in=[str(i) for i in ids]).delete()
            Registration.objects.filter(pk__in=ids).delete()
    while ids := list(mails.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            OutgoingMail.objects.filter(pk__in=ids).update(
                to=[], reply_to=[], subject="[verwijderd]", body_text="", body_html="", last_error=""
            )
            # An invitation names its recipient as ATTENDEE.
            OutgoingMailAttachment.objects.filter(mail_id__in=ids).delete()
    logger.info("Retention applied: %s", report)
    return report
