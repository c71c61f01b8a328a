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
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import AuditEvent
from cohorts.models import Attendance, Cohort, Participant
from cohorts.services import attendance, links
from mail.services.queueing import Email, queue_emails
from programme.completion import Outcome

from . import pdf, selectors
from .models import Accreditation, Certificate


class CertificateError(Exception):
    """A certificate cannot be issued or revoked; the message says why."""


def verification_url(certificate: Certificate) -> str:
    return settings.SITE_URL + reverse("public:verify", kwargs={"code": certificate.verification_code})


def accreditation_for(
    participant: Participant, *, accreditations: dict | None = None, rules: list | None = None
) -> Accreditation | None:
    """
    Return the accreditation of the participant's register.

    That is the register that expects a number of them (their board's sector
    and their role, see `selectors.register_rule_for`); for anyone no register
    expects a number of, the first register serving their board's sector. A
    leader of a board of both sectors is so reported to the register of their
    role, a rector to VO and a directeur to PO, by the rules the office keeps.

    :param accreditations: the programme's accreditations by register, when the caller has read them already
    :param rules: every register's rule, when the caller has read them already
    """
    if accreditations is None:
        accreditations = {a.register: a for a in participant.cohort.programme.accreditations.prefetch_related("themes")}
    rules = selectors.register_rules() if rules is None else rules
    rule = selectors.register_rule_for(participant, rules=rules)
    sector = participant.registration.board.sector
    registers = [rule.register] if rule else []
    registers += [r.register for r in rules if sector in r.sectors]
    chosen = next((accreditations[register] for register in registers if register in accreditations), None)
    return chosen or next(iter(accreditations.values()), None)


def _amount(value) -> str:
    """Hours or points as a certificate prints them in its language: 36 and 1,5 in Dutch, never 36.0 or 6E+1."""
    if value is None:
        return ""
    text = f"{value:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))


def build_snapshot(
    *,
    participant: Participant,
    kind: str,
    accreditation: Accreditation,
    attended: int,
    number: str,
    version: int,
    issued_on,
    days: list | None = None,
    attended_day_ids: Collection[int] | None = None,
) -> dict:
    """
    Return what a certificate prints, as it stands now.

    A certificate prints the completion, the register's facts and the study load. A proof of attendance prints
    only what was done: the days attended and their dates. It names no completion date, register theme, study
    load, points or accreditation, which the participant has not earned, so it cannot pass for a certificate.

    :param days: the course run's days by date, when the caller has read them already
    :param attended_day_ids: the course days the participant attended, when the caller has read them already
    """
    cohort = participant.cohort
    programme = cohort.programme
    if days is None:
        days = list(cohort.days.select_related("programme_day").order_by("date"))
    initials_or_first = participant.initials or participant.first_name
    name = " ".join(part for part in (initials_or_first, participant.tussenvoegsel, participant.last_name) if part)
    with translation.override(participant.language):
        snapshot = {
            "language": participant.language,
            "kind": kind,
            "kind_label": str(Certificate.Kind(kind).label),
            "name": name,
            "first_name": participant.first_name,
            "course": programme.title,
            "subtitle": programme.subtitle,
            "cohort_code": cohort.code,
            "place": ", ".join(p for p in (cohort.venue, cohort.place) if p),
            "days_attended": attended,
            "days_total": programme.number_of_days,
            "issued_on": formats.date_format(issued_on, "j F Y"),
            "provider": settings.PROVIDER_NAME,
            "signatory": settings.PROVIDER_CONTACT_NAME,
            "number": number,
            "version": version,
        }
        if kind == Certificate.Kind.ATTENDANCE:
            if attended_day_ids is None:
                attended_day_ids = _days_attended([participant]).get(participant.pk, frozenset())
            present = [day for day in days if day.pk in attended_day_ids]
            snapshot["attended"] = [
                _("day %(number)s, %(date)s")
                % {"number": day.programme_day.number, "date": formats.date_format(day.date, "j F Y")}
                for day in present
            ]
            snapshot["last_attended_on"] = formats.date_format(present[-1].date, "j F Y") if present else ""
            return snapshot
        snapshot.update(
            {
                "register_number": participant.register_number,
                "dates": [formats.date_format(day.date, "j F Y") for day in days],
                "contact_hours": _amount(accreditation.contact_hours),
                "self_study_hours": _amount(accreditation.self_study_hours),
                "total_hours": _amount(accreditation.total_hours),
                "register": accreditation.get_register_display(),
                "accreditation_number": accreditation.number,
                "points": _amount(accreditation.points),
                "themes": accreditation.theme_names(),
                "wording": accreditation.certificate_wording,
                "completed_on": formats.date_format(days[-1].date, "j F Y"),
                "completed_on_iso": days[-1].date.isoformat(),
            }
        )
        return snapshot


# --- Issuing ---------------------------------------------------------------------------------
#
# Certificates are prepared and rendered first, outside any transaction, and
# only then written, in one short transaction that locks their participants
# and checks that their certificates are still as they were when prepared.
# Rendering takes far longer than everything else, so holding the locks
# through it would make every other change to those participants wait for
# WeasyPrint; and one transaction for a whole course run is one commit (one
# wait for the disk) rather than thirty. A certificate whose participant's
# certificates changed meanwhile (someone issued or revoked) is prepared and
# rendered again. The constraints on Certificate (one valid per participant;
# number and version unique) stay the backstop.


@dataclass(frozen=True)
class _Run:
    """What issuing reads once per course run rather than once per participant."""

    cohort: Cohort
    days: list  # the course days, by date
    accreditations: dict  # the programme's accreditations, by register
    rules: list  # every register's rule


@dataclass(frozen=True)
class _History:
    """A participant's certificates so far, as far as issuing the next one depends on them."""

    number: str  # the number of their earlier certificates, or the one a first certificate gets
    version: int  # the highest version issued under that number (0: none yet)
    has_valid: bool


def _read_run(cohort: Cohort) -> _Run:
    cohort = Cohort.objects.select_related("programme").get(pk=cohort.pk)
    return _Run(
        cohort=cohort,
        days=list(cohort.days.select_related("programme_day").order_by("date")),
        accreditations={a.register: a for a in cohort.programme.accreditations.prefetch_related("themes")},
        rules=selectors.register_rules(),
    )


def _days_attended(participants: list[Participant]) -> dict[int, frozenset[int]]:
    """Return the course days each participant attended, as cohorts.services.days_attended counts them, in one query."""
    counted = [Attendance.Status.PRESENT, Attendance.Status.MADE_UP]
    rows = Attendance.objects.filter(participant__in=participants, status__in=counted).values_list(
        "participant_id", "course_day_id"
    )
    attended = {}
    for participant_id, course_day_id in rows:
        attended.setdefault(participant_id, set()).add(course_day_id)
    return {participant_id: frozenset(days) for participant_id, days in attended.items()}


def _histories(participants: list[Participant], cohort: Cohort) -> dict[int, _History]:
    """Return each participant's certificate history, in three queries whatever their number."""
    # A participant keeps the number of their first certificate; a first
    # certificate gets the run's code and the participant's place in the run,
    # such as VL-2027-01-017.
    pks = Participant.objects.filter(cohort=cohort).order_by("pk").values_list("pk", flat=True)
    places = {pk: place for place, pk in enumerate(pks, start=1)}
    own = {}
    for participant_id, number, status in Certificate.objects.filter(participant__in=participants).values_list(
        "participant_id", "number", "status"
    ):
        own.setdefault(participant_id, []).append((number, status))
    numbers = {
        p.pk: min(number for number, _status in own[p.pk]) if p.pk in own else f"{cohort.code}-{places[p.pk]:03d}"
        for p in participants
    }
    versions = dict(
        Certificate.objects.filter(number__in=set(numbers.values()))
        .values("number")
        .annotate(latest=Max("version"))
        .values_list("number", "latest")
    )
    return {
        p.pk: _History(
            number=numbers[p.pk],
            version=versions.get(numbers[p.pk], 0),
            has_valid=any(status == Certificate.Status.VALID for _number, status in own.get(p.pk, [])),
        )
        for p in participants
    }


@dataclass(frozen=True, eq=False)
class _Prepared:
    """A certificate ready to be written: unsaved, with its PDF and the history it was prepared from."""

    participant: Participant
    history: _History
    certificate: Certificate
    content: bytes


def _prepare(
    *, participant: Participant, run: _Run, attended: frozenset[int], history: _History, issued_by
) -> _Prepared:
    """
    Return the participant's next certificate, unsaved, with its PDF.

    :raises CertificateError: the participant has nothing to be certified for (see `issue_certificate`)
    """
    cohort = run.cohort
    if cohort.status != Cohort.Status.COMPLETED:
        raise CertificateError(_("Certificates are issued once the course run is completed."))
    outcome = attendance.outcome(participant=participant, days_attended=len(attended), programme=cohort.programme)
    if outcome == Outcome.COMPLETED:
        kind = Certificate.Kind.CERTIFICATE
    elif outcome == Outcome.ATTENDED:
        kind = Certificate.Kind.ATTENDANCE
    else:
        raise CertificateError(
            _("%(name)s did not attend the course run; there is nothing to certify.") % {"name": participant.full_name}
        )
    accreditation = accreditation_for(participant, accreditations=run.accreditations, rules=run.rules)
    last_day = run.days[-1].date if run.days else None
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
    now = timezone.now()
    version = history.version + 1
    certificate = Certificate(
        participant=participant,
        number=history.number,
        version=version,
        kind=kind,
        snapshot=build_snapshot(
            participant=participant,
            kind=kind,
            accreditation=accreditation,
            attended=len(attended),
            number=history.number,
            version=version,
            issued_on=timezone.localdate(now),
            days=run.days,
            attended_day_ids=attended,
        ),
        issued_at=now,
        issued_by=issued_by,
    )
    content = pdf.render_certificate(
        certificate.snapshot, verification_url=verification_url(certificate), language=participant.language
    )
    return _Prepared(participant=participant, history=history, certificate=certificate, content=content)


def _store(prepared: list[_Prepared], *, cohort: Cohort, issued_by) -> list[_Prepared]:
    """
    Write prepared certificates, superseding their participants' valid ones, and queue their e-mails.

    Return the prepared certificates left unwritten because their
    participant's certificates are no longer as when they were prepared.
    """
    if not prepared:
        return []
    written = []
    try:
        with transaction.atomic():
            participants = [p.participant for p in prepared]
            # In the order of their keys, as every issuing takes them: two
            # issuings of the same run wait for each other, never deadlock.
            locked = Participant.objects.select_for_update().filter(pk__in=[p.pk for p in participants])
            list(locked.order_by("pk").values_list("pk"))
            histories = _histories(participants, cohort)
            stale = [p for p in prepared if histories[p.participant.pk] != p.history]
            ready = [p for p in prepared if histories[p.participant.pk] == p.history]
            superseding = [p.participant for p in ready if p.history.has_valid]
            if superseding:
                Certificate.objects.filter(participant__in=superseding, status=Certificate.Status.VALID).update(
                    status=Certificate.Status.SUPERSEDED
                )
            for p in ready:
                certificate = p.certificate
                certificate.sha256 = hashlib.sha256(p.content).hexdigest()
                name = f"{certificate.number}-v{certificate.version}.pdf"
                certificate.pdf.save(name, ContentFile(p.content), save=False)
                written.append(certificate)
            Certificate.objects.bulk_create(written)
            for certificate in written:
                audit.record(
                    action=AuditEvent.Action.CERTIFICATE_ISSUED,
                    obj=certificate,
                    actor=issued_by,
                    detail=certificate.kind,
                )
            # The keys name the certificates just made, so none can exist yet.
            queue_emails(
                emails=[
                    Email(
                        to=certificate.participant.email,
                        template="registry/mail/certificate_issued",
                        context={
                            "participant": certificate.participant,
                            "certificate": certificate,
                            "participant_page_url": links.participant_page_url(certificate.participant),
                        },
                        key=f"certificate-issued:{certificate.pk}",
                        language=certificate.participant.language,
                        about=[certificate.participant],
                    )
                    for certificate in written
                ]
            )
    except BaseException:
        # No row names these files now: remove them rather than keep
        # participants' data where erasure would never find it.
        for certificate in written:
            certificate.pdf.delete(save=False)
        raise
    return stale


# Each attempt renders the certificates again; another attempt is needed only
# for a participant whose certificates someone changes in those moments.
ATTEMPTS = 3


def _issue(
    *, participants: list[Participant], run: _Run, reissue: bool, issued_by
) -> tuple[list[Certificate], list[tuple[Participant, CertificateError]]]:
    """
    Prepare, render and store the next certificate of each participant; see "Issuing" above.

    :param reissue: supersede a valid certificate; otherwise skip, silently, whoever has one
    :return: the certificates issued, and the participants who have nothing to be certified for, with the reason
    """
    issued, refused = [], []
    attended = _days_attended(participants)
    histories = _histories(participants, run.cohort)
    for _attempt in range(ATTEMPTS):
        prepared = []
        for participant in participants:
            history = histories[participant.pk]
            if history.has_valid and not reissue:
                continue
            try:
                prepared.append(
                    _prepare(
                        participant=participant,
                        run=run,
                        attended=attended.get(participant.pk, frozenset()),
                        history=history,
                        issued_by=issued_by,
                    )
                )
            except CertificateError as error:
                refused.append((participant, error))
        stale = _store(prepared, cohort=run.cohort, issued_by=issued_by)
        issued += [p.certificate for p in prepared if p not in stale]
        if not stale:
            return issued, refused
        participants = [p.participant for p in stale]
        attended = _days_attended(participants)
        histories = _histories(participants, run.cohort)
    raise RuntimeError(f"Certificates kept changing while issuing them: participants {[p.pk for p in participants]}")


def issue_certificate(*, participant: Participant, issued_by=None) -> Certificate:
    """
    Issue a participant's certificate (completed) or proof of attendance (attended only), or a new version of it.

    :raises CertificateError: the course run is not completed, the participant did not qualify, or the
        completion falls outside the accreditation's validity
    """
    participant = Participant.objects.select_related("cohort__programme", "registration__board").get(pk=participant.pk)
    run = _read_run(participant.cohort)
    issued, refused = _issue(participants=[participant], run=run, reissue=True, issued_by=issued_by)
    if refused:
        _participant, error = refused[0]
        raise error
    return issued[0]


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
    run = _read_run(cohort)
    participants = list(
        run.cohort.participants.exclude(status=Participant.Status.WAITING)
        .select_related("cohort__programme", "registration__board")
        .order_by("pk")
    )
    issued, refused = _issue(participants=participants, run=run, reissue=False, issued_by=issued_by)
    return {
        "issued": len(issued),
        "skipped": [f"{participant.full_name}: {error}" for participant, error in refused],
    }


def certificates_zip(*, cohort: Cohort) -> bytes:
    """Return every valid certificate of a course run as one ZIP of PDFs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in Certificate.objects.filter(participant__cohort=cohort, status=Certificate.Status.VALID):
            if certificate.pdf:
                with certificate.pdf.open("rb") as file:
                    archive.writestr(f"{certificate}.pdf", file.read())
    return buffer.getvalue()
