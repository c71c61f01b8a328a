"""The personal data privacy holds: a person's consents, which name the statement, the purpose and the form."""

from django.apps import apps

from verbindend.personal_data import PersonalDataHandler, Subject

from .models import Consent


class PrivacyHandler(PersonalDataHandler):
    """
    Consents hold no name or address, only the record they were given for:
    they stay after an erasure, as proof of what was agreed, and go with the
    record when it is deleted (`services.forget_consents`).
    """

    app_label = "privacy"

    def export(self, subject: Subject) -> dict:
        label = apps.get_model(subject.label)._meta.label
        consents = Consent.objects.filter(subject_type=label, subject_id=str(subject.pk))
        return {
            "consents": [
                {
                    "purpose": c.purpose,
                    "statement_version": c.statement.version,
                    "form": c.form,
                    "given": c.given_at.isoformat(),
                }
                for c in consents.select_related("statement")
            ]
        }
