"""
The personal data registry holds: a participant's certificates, the register-export rows that name them, and the
register numbers PE-online refused of them (erased with them; not yet listed in their download).

A certificate is kept with what it printed (its snapshot and PDF): the
register may ask for it for seven years, and anyone may verify it. An
export's rows lose the register number of an erased participant, and the
numbers refused of them are deleted: they are of use only until corrected.
"""

import datetime

from verbindend.personal_data import PersonalDataHandler, Subject

from .models import Certificate, RegisterExport, RegisterNumberRejection

PARTICIPANT = "cohorts.participant"


def _naming(subjects: list[Subject]):
    ids = {s.pk for s in subjects if s.label == PARTICIPANT}
    exports = RegisterExport.objects.filter(cohort__participants__pk__in=ids).distinct().order_by("exported_at", "pk")
    return ids, exports


class RegistryHandler(PersonalDataHandler):
    app_label = "registry"

    def export(self, subject: Subject) -> dict:
        if subject.label != PARTICIPANT:
            return {}
        ids, exports = _naming([subject])
        certificates = Certificate.objects.filter(participant_id=subject.pk).order_by("number", "version")
        return {
            "certificates": [
                {"number": str(c), "kind": c.kind, "status": c.status, "issued": c.issued_at.isoformat()}
                for c in certificates
            ],
            "register_exports": [
                {
                    "exported": export.exported_at.isoformat(),
                    "kind": export.kind,
                    "register_number": row.get("register_number", ""),
                    "completed": row.get("completed"),
                    "certificate_number": row.get("certificate_number", ""),
                }
                for export in exports
                for row in export.rows
                if row.get("participant_id") in ids
            ],
        }

    def erase(self, subjects: list[Subject], *, now: datetime.datetime) -> None:
        ids, exports = _naming(subjects)
        if not ids:
            return
        changed = []
        for export in exports:
            rows = [{**row, "register_number": ""} if row.get("participant_id") in ids else row for row in export.rows]
            if rows != export.rows:
                export.rows = rows
                changed.append(export)
        RegisterExport.objects.bulk_update(changed, ["rows"])
        RegisterNumberRejection.objects.filter(participant_id__in=ids).delete()
