"""
Demo data for the registry: the accreditation's facts filled in, the completed demo run's certificates issued, and
its steps in PE-online: entered as an uitvoering, its presentie due, one register number refused by "Controleren".
"""

import datetime

from django.utils import timezone, translation

from cohorts import demo as cohorts_demo
from cohorts.models import Cohort
from cohorts.services import links as links_services

from . import exports, presentie, rejections, selectors, services
from .models import Accreditation, Certificate, RegisterNumberRejection, RegisterRun


def load(*, trainer) -> bool:
    """Enter the accreditation where it is empty, and issue what the completed demo runs have earned."""
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    if not accreditation.valid_from:
        # Demo values: the brochure names no accreditation number, hours or validity.
        year = timezone.localdate().year
        accreditation.number = f"DEMO-{year - 2}-0117"
        accreditation.contact_hours, accreditation.self_study_hours = 36, 24
        accreditation.valid_from, accreditation.valid_until = (
            datetime.date(year - 2, 1, 1),
            datetime.date(year + 2, 12, 31),
        )
        accreditation.full_clean()
        accreditation.save()
    issued = 0
    for cohort in _completed_demo_runs():
        issued += services.issue_cohort_certificates(cohort=cohort, issued_by=trainer)["issued"]
        _register_steps(cohort, by=trainer)
    return bool(issued)


def _register_steps(cohort, *, by) -> None:
    """Enter the run in PE-online as an uitvoering, presentie left to do, and have "Controleren" refuse one number."""
    if not RegisterRun.objects.filter(cohort=cohort).exists():
        presentie.record_uitvoering(cohort=cohort, uitvoering_id=f"{480000 + cohort.pk}", by=by)
    if not RegisterNumberRejection.objects.filter(participant__cohort=cohort).exists():
        numbers = exports.paste_list(exports.export_rows(cohort)).split()
        if numbers:
            rejections.mark_rejected_numbers(cohort=cohort, text=numbers[-1], user=by)


def report(stdout) -> None:
    certificates = _demo_certificates()
    with translation.override("en"):
        for cohort in _completed_demo_runs():
            issued = certificates.filter(participant__cohort=cohort)
            kinds = ", ".join(
                f"{label}: {issued.filter(kind=kind).count()}" for kind, label in Certificate.Kind.choices
            )
            stdout.write(f"Issued for {cohort.code}: {kinds}")
            stdout.write(_register_split(cohort))
            stdout.write(_register_steps_report(cohort))


def _register_steps_report(cohort) -> str:
    run = RegisterRun.objects.filter(cohort=cohort).first()
    due = {item.cohort.pk: item for item in selectors.presentie_due_runs(today=timezone.localdate())}.get(cohort.pk)
    refused = RegisterNumberRejection.objects.filter(participant__cohort=cohort, corrected_at__isnull=True).count()
    return (
        f"PE-online for {cohort.code}: uitvoering {run.uitvoering_id if run else 'not entered'}; presentie "
        f"{f'due by {due.due_on:%d-%m-%Y}' if due else 'not due'}; {refused} register number(s) refused, still open"
    )


def links() -> list[tuple[str, str]]:
    certificate = (
        _demo_certificates()
        .filter(kind=Certificate.Kind.CERTIFICATE)
        .select_related("participant__cohort")
        .order_by("pk")
        .first()
    )
    if certificate is None:
        return []
    participant = certificate.participant
    return [
        (
            f"Participant page of {participant.full_name} ({participant.cohort.code}, completed, with the certificate)",
            links_services.participant_page_url(participant),
        ),
        (
            f"Check of certificate {certificate.number}, as anyone with it in hand does",
            services.verification_url(certificate),
        ),
    ]


def _register_split(cohort) -> str:
    """Say who of the run the register export reports, who lacks a number, and who is in no register at all."""
    rows = exports.export_rows(cohort)
    pasted = len(exports.paste_list(rows).splitlines())
    missing = sum(1 for row in rows if row["completed"] and row["register_rule"] and not row["register_number"])
    outside = exports.outside_the_registers(rows)
    roles = ", ".join(sorted({row["role"] for row in outside}))
    return (
        f"Register export of {cohort.code}: {pasted} numbers in the paste list, {missing} completed without one, "
        f"{len(outside)} in no register ({roles})"
    )


def _completed_demo_runs():
    demo_runs = cohorts_demo.demo_registrations().values("cohort")
    return Cohort.objects.filter(status=Cohort.Status.COMPLETED, pk__in=demo_runs).order_by("code")


def _demo_certificates():
    return Certificate.objects.filter(status=Certificate.Status.VALID, participant__cohort__in=_completed_demo_runs())
