"""Demo data for the registry: the accreditation's facts filled in, and the completed run's certificates issued."""

import datetime

from django.contrib.auth import get_user_model

from cohorts.models import Cohort

from . import services
from .models import Accreditation, Certificate


def load(stdout) -> None:
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    if not accreditation.valid_from:
        # Demo values: the brochure names no accreditation number, hours or validity.
        accreditation.number = "DEMO-2024-0117"
        accreditation.contact_hours, accreditation.self_study_hours = 36, 24
        accreditation.valid_from, accreditation.valid_until = datetime.date(2024, 1, 1), datetime.date(2028, 12, 31)
        accreditation.save()
    trainer = get_user_model().objects.filter(username="demo-trainer").first()
    for cohort in Cohort.objects.filter(status=Cohort.Status.COMPLETED):
        # Most participants gave their register number; two did not yet, so the export has something to report.
        for n, participant in enumerate(cohort.participants.order_by("pk")[2:], start=1):
            participant.register_number = f"{(n * 104729) % 10**7:07d}"
            participant.save(update_fields=["register_number"])
        result = services.issue_cohort_certificates(cohort=cohort, issued_by=trainer)
        stdout.write(f"Registry: {cohort.code}: {result['issued']} certificates issued")
    example = Certificate.objects.filter(status=Certificate.Status.VALID).first()
    if example:
        stdout.write(f"  verify one at: {services.verification_url(example)}")
