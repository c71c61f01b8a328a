"""
Certificates: issued from the attendance, frozen at issue, versioned, revocable.

What a certificate prints is gathered once into its snapshot; a later change
of a name, a date or an accreditation never changes an issued certificate.
Re-issuing makes a new version (same number) and marks the old one
superseded; revoking keeps the record with its reason.
"""

import hashlib
import io
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from cohorts import services as cohort_services
from cohorts.models import Cohort, Participant, Sector
from mail.services import queue_email

from . import pdf
from .models import Accreditation, Certificate


class CertificateError(Exception):
    """A certificate cannot be issued or revoked; the message says why."""


def verification_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("registry:verify", kwargs={"code": certificate.verification_code})


def accreditation_for(participant: Participant) -> Accreditation | None:
    """Return the accreditation of the participant's register: VO for a VO board, PO otherwise."""
    register = (
        Accreditation.Register.VO if participant.registration.board.sector == Sector.VO else Accreditation.Register.PO
    )
    accreditations = {a.register: a for a in participant.cohort.programme.accreditations.all()}
    return accreditations.get(register) or next(iter(accreditations.values()), None)


def _number(participant: Participant) -> str:
    """Return the participant's certificate number: the run's code and their place in it, such as VL-2027-01-017."""
    earlier = Certificate.objects.filter(participant=participant).values_list("number", flat=True).first()
    if earlier:
        return earlier
    place = Participant.objects.filter(cohort=participant.cohort, pk__lte=participant.pk).count()
    return f"{participant.cohort.code}-{place:03d}"


def build_snapshot(
    *,
    participant: Participant,
    kind: str,
    accreditation: Accreditation,
    attended: int,
    number: str,
    version: int,
    issued_on,
) -> dict:
    cohort = participant.cohort
    programme = cohort.programme
    days = list(cohort.days.order_by("date"))
    initials_or_first = participant.initials or participant.first_name
    name = " ".join(part for part in (initials_or_first, participant.tussenvoegsel, participant.last_name) if part)
    with translation.override(participant.language):
        return {
            "language": participant.language,
            "kind": kind,
            "kind_label": str(Certificate.Kind(kind).label),
            "name": name,
            "first_name": participant.first_name,
            "register_number": participant.register_number,
            "course": programme.title,
            "subtitle": programme.subtitle,
            "cohort_code": cohort.code,
            "place": ", ".join(p for p in (cohort.venue, cohort.place) if p),
            "dates": [formats.date_format(day.date, "j F Y") for day in days],
            "days_attended": attended,
            "days_total": programme.number_of_days,
            "contact_hours": f"{accreditation.contact_hours:g}",
            "self_study_hours": f"{accreditation.self_study_hours:g}",
            "total_hours": f"{accreditation.total_hours:g}",
            "register": accreditation.get_register_display(),
            "accreditation_number": accreditation.number,
            "points": f"{accreditation.points:g}" if accreditation.points is not None else "",
            "themes": accreditation.themes,
            "wording": accreditation.certificate_wording,
            "completed_on": formats.date_format(days[-1].date, "j F Y"),
            "completed_on_iso": days[-1].date.isoformat(),
            "issued_on": formats.date_format(issued_on, "j F Y"),
            "provider": settings.PROVIDER_NAME,
            "signatory": settings.PROVIDER_CONTACT_NAME,
            "number": number,
            "version": version,
        }


@transaction.atomic
def issue_certificate(*, participant: Participant, issued_by=None) -> Certificate:
    """
    Issue a participant's certificate (completed) or proof of attendance (attended only), or a new version of it.

    :raises CertificateError: the course run is not completed, the participant did not qualify, or the
        completion falls outside the accreditation's validity
    """
    participant = (
        Participant.objects.select_for_update()
        .select_related("cohort__programme", "registration__board")
        .get(pk=participant.pk)
    )
    cohort = participant.cohort
    if cohort.status != Cohort.Status.COMPLETED:
        raise CertificateError(_("Certificates are issued once the course run is completed."))
    attended = cohort_services.days_attended(participant)
    outcome = cohort_services.outcome(participant=participant, days_attended=attended, programme=cohort.programme)
    if outcome == cohort_services.Outcome.COMPLETED:
        kind = Certificate.Kind.CERTIFICATE
    elif outcome == cohort_services.Outcome.ATTENDED:
        kind = Certificate.Kind.ATTENDANCE
    else:
        raise CertificateError(
            _("%(name)s did not attend the course run; there is nothing to certify.") % {"name": participant.full_name}
        )
    accreditation = accreditation_for(participant)
    last_day = cohort.days.order_by("-date").values_list("date", flat=True).first()
    if accreditation is None or accreditation.valid_from is None:
        raise CertificateError(_("Enter the accreditation and its validity in the admin before issuing certificates."))
    if not accreditation.is_valid_on(last_day):
        raise CertificateError(
            _(
                "The course run was completed on %(date)s, outside the accreditation's validity; "
                "no certificate can be issued."
            )
            % {"date": formats.date_format(last_day, "j F Y")}
        )
    previous = (
        Certificate.objects.select_for_update().filter(participant=participant, status=Certificate.Status.VALID).first()
    )
    number = _number(participant)
    version = (
        Certificate.objects.filter(number=number).order_by("-version").values_list("version", flat=True).first() or 0
    ) + 1
    if previous:
        previous.status = Certificate.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    now = timezone.now()
    certificate = Certificate(
        participant=participant,
        number=number,
        version=version,
        kind=kind,
        snapshot=build_snapshot(
            participant=participant,
            kind=kind,
            accreditation=accreditation,
            attended=attended,
            number=number,
            version=version,
            issued_on=timezone.localdate(now),
        ),
        issued_at=now,
        issued_by=issued_by,
    )
    certificate.save()
    content = pdf.render_certificate(
        certificate.snapshot, verification_url=verification_url(certificate), language=participant.language
    )
    certificate.sha256 = hashlib.sha256(content).hexdigest()
    certificate.pdf.save(f"{number}-v{version}.pdf", ContentFile(content), save=False)
    certificate.save(update_fields=["pdf", "sha256"])
    audit.record(action=AuditEvent.Action.CERTIFICATE_ISSUED, obj=certificate, actor=issued_by, detail=certificate.kind)
    queue_email(
        to=participant.email,
        template="registry/mail/certificate_issued",
        context={
            "participant": participant,
            "certificate": certificate,
            "participant_page_url": cohort_services.participant_page_url(participant),
        },
        key=f"certificate-issued:{certificate.pk}",
        language=participant.language,
    )
    return certificate


@transaction.atomic
def revoke_certificate(*, certificate: Certificate, reason: str, revoked_by=None) -> Certificate:
    """Revoke a certificate, keeping its record and the reason."""
    if not reason.strip():
        raise CertificateError(_("Give the reason for the revocation."))
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    certificate.status = Certificate.Status.REVOKED
    certificate.revoked_reason = reason.strip()
    certificate.save(update_fields=["status", "revoked_reason"])
    audit.record(action=AuditEvent.Action.CERTIFICATE_REVOKED, obj=certificate, actor=revoked_by, detail=reason)
    return certificate


def issue_cohort_certificates(*, cohort: Cohort, issued_by=None) -> dict:
    """Issue a certificate or proof of attendance to everyone in a completed run who qualifies; report the counts."""
    issued, skipped = 0, []
    for participant in cohort.participants.exclude(status=Participant.Status.WAITING).order_by("pk"):
        if Certificate.objects.filter(participant=participant, status=Certificate.Status.VALID).exists():
            continue
        try:
            issue_certificate(participant=participant, issued_by=issued_by)
        except CertificateError as error:
            skipped.append(f"{participant.full_name}: {error}")
        else:
            issued += 1
    return {"issued": issued, "skipped": skipped}


def certificates_zip(*, cohort: Cohort) -> bytes:
    """Return every valid certificate of a course run as one ZIP of PDFs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in Certificate.objects.filter(participant__cohort=cohort, status=Certificate.Status.VALID):
            if certificate.pdf:
                with certificate.pdf.open("rb") as file:
                    archive.writestr(f"{certificate}.pdf", file.read())
    return buffer.getvalue()
