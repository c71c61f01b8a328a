"""
The personal data billing holds in its offers: the board contact's name on each version, and who accepted it.

An accepted offer is the board's order, which the invoices rest on, so it is
kept with its version, date and the board's invoice details (the board's, not
the contact's); erasing the contact takes their name and address off every
version. The e-mails that carried the offers are the outbox's (mail), about
the registration.
"""

import datetime

from verbindend.personal_data import PersonalDataHandler, Subject

from .models import Offer

CONTACT = "cohorts.registration"
ERASED = "Gewist"


def _registration_ids(subjects: list[Subject]) -> list[int]:
    return [subject.pk for subject in subjects if subject.label == CONTACT]


class BillingHandler(PersonalDataHandler):
    app_label = "billing"

    def export(self, subject: Subject) -> dict:
        if subject.label != CONTACT:
            return {}
        versions = Offer.objects.filter(registration_id=subject.pk).order_by("version")
        return {
            "offers": [
                {
                    "number": offer.number,
                    "version": offer.version,
                    "status": offer.status,
                    "made": offer.offer_date.isoformat(),
                    "contact": offer.contact_name,
                    "total": str(offer.total_amount),
                    "accepted": offer.accepted_at.isoformat() if offer.accepted_at else None,
                    "accepted_by": offer.accepted_by_name,
                    "accepted_by_email": offer.accepted_by_email,
                    "po_number": offer.po_number,
                    "invoice_address": offer.invoice_address,
                    "invoice_email": offer.invoice_email,
                    "cost_centre": offer.cost_centre,
                    "kvk_number": offer.kvk_number,
                }
                for offer in versions
            ]
        }

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        if ids := _registration_ids(subjects):
            Offer.objects.filter(registration_id__in=ids).update(contact_name=ERASED)
            Offer.objects.filter(registration_id__in=ids, status=Offer.Status.ACCEPTED).update(
                accepted_by_name=ERASED, accepted_by_email=""
            )
