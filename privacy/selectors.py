"""
A person's own data (AVG) as a page for that person.

The JSON download (`privacy.services.personal_data`) is for machines: field names as keys, raw values, ISO
timestamps. The page shows the same dict, every key of it, as labelled
sections in the reader's language: the model field's verbose name as the
label, a choice's label for its value, yes or no for a boolean, and dates as
people write them. Reading the dict rather than the models again keeps the
page and the download in step, and costs no query.
"""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy

EMPTY = "–"


@dataclass(frozen=True)
class Row:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    # A section is either one record (rows) or a list of them (items), each a list of rows.
    rows: list[Row] | None = None
    items: list[list[Row]] | None = None


@dataclass(frozen=True)
class Label:
    """
    A key's own label: for a key with no model field behind it (a number, a name put together), its value shown
    as it is; or for a field whose verbose name does not say what the key holds, that field's value.
    """

    text: str
    field: str | None = None


# The sections both kinds of data end with.
EMAILS = (
    gettext_lazy("E-mails we sent you"),
    "mail.OutgoingMail",
    {
        "subject": "subject",
        "queued": Label(gettext_lazy("Written"), "created_at"),
        "sent": "sent_at",
        "status": "status",
    },
)
CONSENTS = (
    gettext_lazy("Your consent"),
    "privacy.Consent",
    {
        "purpose": "purpose",
        "statement_version": Label(gettext_lazy("Version of the privacy statement")),
        "form": "form",
        "given": "given_at",
    },
)

# Per kind of data, per section: its title, the model its keys come from, and
# per key the field it holds (a name on that model, "app.Model.field" for
# another model's, or a Label). Every key of the data has an entry here: a
# test holds the data functions and this table together.
SPECS = {
    "participant": {
        "details": (
            gettext_lazy("Personal details"),
            "cohorts.Participant",
            {
                "initials": "initials",
                "first_name": "first_name",
                "tussenvoegsel": "tussenvoegsel",
                "last_name": "last_name",
                "email": "email",
                "role": "role",
                "school": "school",
                "brin": "brin",
                "register_number": "register_number",
                "language": "language",
            },
        ),
        "enrolment": (
            gettext_lazy("Your enrolment"),
            "cohorts.Participant",
            {
                "programme": "cohorts.Cohort.programme",
                "course_run": "cohort",
                "board": "cohorts.Registration.board",
                "status": "status",
                "enrolled_at": "created_at",
                "withdrawn_at": "withdrawn_at",
            },
        ),
        "attendance": (
            gettext_lazy("Attendance"),
            "cohorts.Attendance",
            {
                "day": Label(gettext_lazy("Day")),
                "date": "cohorts.CourseDay.date",
                "attendance": "status",
                "note": "note",
                "notified_absence": "absence_notified_at",
            },
        ),
        "certificates": (
            gettext_lazy("Certificates"),
            "registry.Certificate",
            {"number": "number", "kind": "kind", "status": "status", "issued": "issued_at"},
        ),
        "register_exports": (
            gettext_lazy("Reports to the Schoolleidersregister"),
            "registry.RegisterExport",
            {
                "exported": "exported_at",
                "kind": "kind",
                "register_number": "cohorts.Participant.register_number",
                "completed": Label(gettext_lazy("Completed")),
                "certificate_number": Label(gettext_lazy("Certificate number")),
            },
        ),
        "final_assignment": (
            gettext_lazy("Final assignment"),
            "materials.Submission",
            {"file_name": "filename", "uploaded_at": "uploaded_at", "status": "status", "feedback": "feedback"},
        ),
        # Whether they were asked and answered; the answers themselves are kept without the person (evaluations).
        "evaluations": (
            gettext_lazy("Evaluations you were asked for (your answers are kept without your name)"),
            "evaluations.Invitation",
            {
                "form": Label(gettext_lazy("Form")),
                "day": Label(gettext_lazy("Day")),
                "sent_on": "sent_on",
                "answered": "answered",
            },
        ),
        "emails": EMAILS,
        "consents": CONSENTS,
    },
    "registration": {
        "board": (
            gettext_lazy("The board"),
            "cohorts.Board",
            {
                "name": "name",
                "kind": "kind",
                "bestuursnummer": "bestuursnummer",
                "swv_code": "swv_code",
                "sector": "sector",
                "place": "place",
            },
        ),
        "contact": (
            gettext_lazy("Contact person"),
            "cohorts.Registration",
            {
                "name": "contact_name",
                "function": "contact_function",
                "email": "contact_email",
                "phone": "contact_phone",
            },
        ),
        "registration": (
            gettext_lazy("The registration"),
            "cohorts.Registration",
            {
                "received": "created_at",
                "status": "status",
                "expected_participants": "expected_participants",
                "preferred_period": "preferred_period",
                "preferred_place": "preferred_place",
                "remarks": "remarks",
                "course_run": "cohort",
            },
        ),
        "intakes": (
            gettext_lazy("Intake meetings"),
            "cohorts.IntakeAppointment",
            {"start": "starts_at", "how": "mode", "status": "status"},
        ),
        "participants": (
            gettext_lazy("Participants"),
            "cohorts.Participant",
            {"name": Label(gettext_lazy("Name")), "email": "email", "status": "status"},
        ),
        "offers": (
            gettext_lazy("Offers"),
            "billing.Offer",
            {
                "number": Label(gettext_lazy("Offer number")),
                "version": "version",
                "status": "status",
                "made": "offer_date",
                "contact": "contact_name",
                "total": "total_amount",
                "accepted": "accepted_at",
                "accepted_by": "accepted_by_name",
                "accepted_by_email": "accepted_by_email",
                "po_number": "po_number",
                "invoice_address": "invoice_address",
                "invoice_email": "invoice_email",
                "cost_centre": "cost_centre",
                "kvk_number": "kvk_number",
            },
        ),
        "emails": EMAILS,
        "consents": CONSENTS,
    },
}

# The forms a consent was given on, by the name recorded with it.
FORMS = {
    "aanmelden": gettext_lazy("the registration form"),
    "inschrijven": gettext_lazy("the enrolment form"),
}


def own_data_sections(data: dict, *, kind: str) -> list[Section]:
    """
    Return a person's own data as labelled sections, in the active language.

    :param data: what `privacy.services.personal_data` returns
    :param kind: "participant" or "registration", the key into SPECS
    """
    spec = SPECS[kind]
    sections = []
    for key, value in data.items():
        title, model, fields = spec.get(key, (capfirst(key.replace("_", " ")), None, {}))
        if isinstance(value, dict):
            sections.append(Section(key, str(title), rows=_rows(value, model, fields)))
        else:
            sections.append(Section(key, str(title), items=[_rows(item, model, fields) for item in value]))
    return sections


def _rows(record: dict, model: str | None, fields: dict) -> list[Row]:
    rows = []
    for key, value in record.items():
        field = _field(model, fields.get(key))
        if isinstance(field, Label):
            label = field.text
            field = _field(model, field.field)
        elif field is not None:
            label = field.verbose_name
        else:
            label = key.replace("_", " ")
        rows.append(Row(capfirst(str(label)), _value(value, field)))
    return rows


def _field(model: str | None, name):
    if name is None or isinstance(name, Label):
        return name
    if name.count(".") == 2:
        model, name = name.rsplit(".", 1)
    return apps.get_model(model)._meta.get_field(name)


def _value(value, field) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if value is None or value == "":
        return EMPTY
    if not isinstance(field, models.Field):
        return str(value)
    if field.name == "language":
        return str(dict(settings.LANGUAGES).get(value, value))
    if field.name == "form" and field.model._meta.label == "privacy.Consent":
        return str(FORMS.get(value, value))
    if field.choices:
        # Already a label (the role is written out in the download): shown as it is.
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = timezone.localtime(datetime.datetime.fromisoformat(value))
        return date_format(moment, "j F Y, H:i")
    if isinstance(field, models.DateField) and isinstance(value, str):
        return date_format(datetime.date.fromisoformat(value), "j F Y")
    return str(value)
