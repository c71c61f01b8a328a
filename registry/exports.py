"""
The register export of a course run: a validation report first, then the
PE-online paste list, a CSV for programs, and an XLSX for people.

Leading zeros: a register number 00942561 or a bestuursnummer 07494 must reach PE-online as it is. Opened by hand,
a CSV loses them: LibreOffice and Excel read 00942561 as the number 942561 whatever the file says (quotes do not
help; a leading apostrophe stays visible in LibreOffice; ="00942561" is a formula, which no cell may be). So each
route keeps them its own way:

* the paste list is plain text, to copy with the button on the export page (or download) and paste into PE-online;
* the XLSX, for people, types every code column as text (number format "@", string cells);
* the CSV is for programs that import it (they read the text as written) and the admin says it is not for opening
  in a spreadsheet: for that there is the XLSX.

No cell can become a formula: text a spreadsheet could run (`verbindend.spreadsheets.could_run`) gets a leading
apostrophe in the CSV, and in the XLSX Excel's own quote prefix, which marks the cell as text without changing it.
"""

import csv
import io

from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from audit import services as audit
from audit.models import AuditEvent
from cohorts.models import Cohort, Participant
from cohorts.services import attendance
from programme.completion import Outcome
from verbindend.spreadsheets import could_run, safe_cell

from .models import Certificate, RegisterExport
from .rejections import with_latest_rejection
from .selectors import register_rules_for
from .services import _days_attended

COLUMNS = [
    ("initials", "Voorletters"),
    ("first_name", "Roepnaam"),
    ("tussenvoegsel", "Tussenvoegsel"),
    ("last_name", "Achternaam"),
    ("email", "E-mailadres"),
    ("register_number", "Registernummer"),
    ("board", "Bestuur"),
    ("bestuursnummer", "Bestuursnummer"),
    ("school", "School"),
    ("brin", "BRIN"),
    ("role", "Functie"),
    ("dates", "Data"),
    ("days_attended", "Dagen aanwezig"),
    ("outcome", "Resultaat"),
    ("certificate_number", "Certificaatnummer"),
]


def export_rows(cohort: Cohort) -> list[dict]:
    """
    Return a row per participant who attended or withdrew, with their outcome and certificate.

    In five queries however many participants: them with their boards, the
    register rules, their valid certificates, the run's dates, and the days
    each attended. A row's `register_rule` is the register that expects a
    number of the participant, None when none does.
    """
    # Each with their latest refused number, in the same query (`rejections`).
    participants = list(
        with_latest_rejection(cohort.participants.exclude(status=Participant.Status.WAITING))
        .select_related("registration__board")
        .order_by("last_name", "first_name")
    )
    # Counted as issuing counts them (attendance.days_attended, for many at once).
    attended_days = _days_attended(participants)
    rules = register_rules_for(participants)
    certificates = {
        c.participant_id: c
        for c in Certificate.objects.filter(participant__cohort=cohort, status=Certificate.Status.VALID)
    }
    dates = ", ".join(f"{d:%d-%m-%Y}" for d in cohort.days.order_by("date").values_list("date", flat=True))
    rows = []
    for participant in participants:
        attended = len(attended_days.get(participant.pk, ()))
        outcome = attendance.outcome(participant=participant, days_attended=attended, programme=cohort.programme)
        certificate = certificates.get(participant.pk)
        rows.append(
            {
                "participant_id": participant.pk,
                "initials": participant.initials,
                "first_name": participant.first_name,
                "tussenvoegsel": participant.tussenvoegsel,
                "last_name": participant.last_name,
                "email": participant.email,
                "register_number": participant.register_number,
                "register_rule": rules[participant.pk],
                "board": participant.registration.board.name,
                "bestuursnummer": participant.registration.board.bestuursnummer,
                "school": participant.school,
                "brin": participant.brin,
                "role": participant.get_role_display(),
                "dates": dates,
                "days_attended": attended,
                "outcome": str(outcome.label),
                "completed": outcome == Outcome.COMPLETED,
                "certificate_number": str(certificate) if certificate else "",
                "rejected_number": participant.rejected_number or "",
                "rejected_at": participant.rejected_at,
            }
        )
    return rows


def validation_report(cohort: Cohort, rows: list[dict]) -> list[str]:
    """
    Return what is wrong before the register gets it: numbers missing, malformed or doubled; dates invalid.

    Only the numbers a register expects are checked: a leader outside every
    register (an intern begeleider, a bestuurder) is never missing one.
    """
    problems = []
    seen = {}
    for row in rows:
        rule = row["register_rule"]
        if not row["completed"] or rule is None:
            continue
        name = " ".join(p for p in (row["first_name"], row["tussenvoegsel"], row["last_name"]) if p)
        number = row["register_number"]
        if not number:
            problems.append(_("%(name)s completed but has no register number.") % {"name": name})
        elif not rule.matches(number):
            problems.append(
                _("The register number of %(name)s, %(number)s, does not match the pattern of the %(register)s.")
                % {"name": name, "number": number, "register": rule.get_register_display()}
            )
        elif number in seen:
            problems.append(
                _("%(name)s and %(other)s have the same register number %(number)s.")
                % {"name": name, "other": seen[number], "number": number}
            )
        else:
            seen[number] = name
    last_day = cohort.days.order_by("-date").values_list("date", flat=True).first()
    # Each register reported to must have accredited the run on its last day.
    registers = {row["register_rule"].register for row in rows if row["completed"] and row["register_rule"]}
    for accreditation in cohort.programme.accreditations.filter(register__in=registers):
        if last_day and not accreditation.is_valid_on(last_day):
            problems.append(
                _(
                    "The course run was completed on %(date)s, "
                    "outside the validity of the accreditation by the %(register)s."
                )
                % {"date": f"{last_day:%d-%m-%Y}", "register": accreditation.get_register_display()}
            )
    return problems


def changes_since_report(cohort: Cohort, rows: list[dict]) -> dict:
    """Compare with what was last reported to the register: new completions and corrected numbers, of its leaders."""
    last = cohort.register_exports.filter(kind=RegisterExport.Kind.REPORTED).first()
    if last is None:
        return {"reported_at": None, "new": [], "corrected": []}
    reported = {row["participant_id"]: row for row in last.rows}
    new, corrected = [], []
    for row in rows:
        if not row["completed"] or row["register_rule"] is None:
            continue
        before = reported.get(row["participant_id"])
        if before is None or not before.get("completed"):
            new.append(row)
        elif before.get("register_number") != row["register_number"]:
            corrected.append({**row, "previous_number": before.get("register_number", "")})
    return {"reported_at": last.exported_at, "new": new, "corrected": corrected}


def paste_list(rows: list[dict]) -> str:
    """The register numbers of those who completed and are expected to have one, one per line, leading zeros kept."""
    return "".join(
        f"{row['register_number']}\n"
        for row in rows
        if row["completed"] and row["register_rule"] and row["register_rule"].matches(row["register_number"])
    )


def outside_the_registers(rows: list[dict]) -> list[dict]:
    """The rows of those no register expects a number of: they get their certificate, and are never reported."""
    return [row for row in rows if row["register_rule"] is None]


def to_csv(rows: list[dict]) -> bytes:
    """The export for programs: semicolons, UTF-8 with a byte order mark, codes exactly as they are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([title for _key, title in COLUMNS])
    for row in rows:
        writer.writerow([safe_cell(row[key]) for key, _title in COLUMNS])
    # The byte order mark makes Dutch Excel open it as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# Codes that look like numbers and are not: written as text in the XLSX so no leading zero is lost.
TEXT_COLUMNS = {"register_number", "bestuursnummer", "brin", "certificate_number", "email"}
# Readable widths in characters, about the longest value each column usually has.
WIDTHS = {
    "initials": 12,
    "first_name": 14,
    "tussenvoegsel": 13,
    "last_name": 18,
    "email": 32,
    "register_number": 16,
    "board": 32,
    "bestuursnummer": 16,
    "school": 28,
    "brin": 8,
    "role": 16,
    "dates": 40,
    "days_attended": 15,
    "outcome": 16,
    "certificate_number": 20,
}


def to_xlsx(rows: list[dict]) -> bytes:
    """The export for people: every code a text cell, the header bold and frozen, with a filter on each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Deelnemers"
    sheet.append([title for _key, title in COLUMNS])
    for row in rows:
        sheet.append([row[key] for key, _title in COLUMNS])
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for index, (key, _title) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(key, 14)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, str) or key in TEXT_COLUMNS:
                cell.value = "" if cell.value is None else str(cell.value)
                cell.data_type = "s"  # text, always: never a number, never a formula
                cell.number_format = "@"
                # Excel's quote prefix: shown and kept as text, also after the cell is edited; the value unchanged.
                cell.quotePrefix = could_run(cell.value)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FORMATS = {
    "paste": (lambda rows: paste_list(rows).encode(), "text/plain; charset=utf-8", "txt"),
    "csv": (to_csv, "text/csv; charset=utf-8", "csv"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}


@transaction.atomic
def export(*, cohort: Cohort, kind: str, user=None, request=None) -> tuple[bytes, str, str]:
    """Make an export in one of the formats and log it; return the content, its type and a file name."""
    if kind not in FORMATS:
        raise ValueError(kind)
    rows = export_rows(cohort)
    make, content_type, extension = FORMATS[kind]
    RegisterExport.objects.create(cohort=cohort, kind=kind, exported_by=user, rows=_logged(rows))
    audit.record(action=AuditEvent.Action.EXPORT, obj=cohort, actor=user, request=request, detail=kind)
    return make(rows), content_type, f"register-{cohort.code}.{extension}"


def mark_reported(*, cohort: Cohort, user=None) -> RegisterExport:
    """Record that the register now has this run's completions, so a later export shows what changed since."""
    return RegisterExport.objects.create(
        cohort=cohort, kind=RegisterExport.Kind.REPORTED, exported_by=user, rows=_logged(export_rows(cohort))
    )


def _logged(rows: list[dict]) -> list[dict]:
    keep = ("participant_id", "register_number", "completed", "certificate_number")
    return [{key: row[key] for key in keep} for row in rows]
