"""The forms by which leaders are enrolled: by themselves through the enrolment link, or pasted in by their board."""

import csv
import io
import re
from dataclasses import dataclass, field

from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cohorts.forms import ParticipantForm
from cohorts.models import Participant, Sector

MAX_PASTED_ROWS = 100


class SelfEnrolmentForm(ParticipantForm):
    privacy_consent = forms.BooleanField(
        label=_("I agree to the privacy statement and to my completion being reported to the Schoolleidersregister."),
        error_messages={"required": _("Please agree to the privacy statement; without it we cannot enrol you.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["privacy_consent"].label = format_html(
            '{} <a href="{}" target="_blank" rel="noopener">{}</a>',
            _("I agree to the privacy statement and to my completion being reported to the Schoolleidersregister."),
            reverse("privacy"),
            _("Read the privacy statement"),
        )
        self.helper.layout.append("privacy_consent")
        self.helper.layout.append(Submit("submit", _("Enrol"), css_class="btn-primary btn-lg mt-2"))


@dataclass
class PastedRow:
    line: int
    cells: list[str]
    data: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def filled_cells(self) -> list[str]:
        """The row's cells as the preview shows them: empty ones (no tussenvoegsel) left out."""
        return [cell for cell in self.cells if cell]


COLUMNS = ["first_name", "tussenvoegsel", "last_name", "email", "role", "school", "brin"]


def role_lookup() -> dict[str, str]:
    """Map a role as people type it (value, Dutch or English name) to its value."""
    lookup = {}
    for language in ("en", "nl"):
        with translation.override(language):
            for role in Participant.Role:
                lookup[_squash(str(role.label))] = role.value
    for role in Participant.Role:
        lookup[_squash(role.value)] = role.value
    lookup.update({"ib": Participant.Role.INTERN_BEGELEIDER, "anders": Participant.Role.OTHER})
    return lookup


def _squash(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower().replace("ö", "o"))


class PasteParticipantsForm(forms.Form):
    """Rows copied from a spreadsheet: first name, tussenvoegsel, last name, e-mail, role, school, BRIN."""

    rows = forms.CharField(
        label=_("Rows from your spreadsheet"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        max_length=50_000,
        help_text=_(
            "One participant per row, with the columns: first name, tussenvoegsel, last name, e-mail address, "
            "role, school, BRIN. Copy them from Excel; columns separated by tabs, semicolons or commas."
        ),
    )

    def __init__(self, *args, sector: str = Sector.BOTH, taken_emails=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.sector = sector
        self.taken_emails = {email.lower() for email in taken_emails}

    def clean_rows(self):
        lines = [line for line in self.cleaned_data["rows"].splitlines() if line.strip()]
        if len(lines) > MAX_PASTED_ROWS + 1:
            raise forms.ValidationError(_("Paste at most %(count)s rows at a time.") % {"count": MAX_PASTED_ROWS})
        return self.cleaned_data["rows"]

    @cached_property
    def delimiter(self) -> str:
        return detect_delimiter(self.cleaned_data["rows"])

    def records(self) -> list[tuple[int, list[str]]]:
        """Return the rows as (line number, cells), read as Excel writes them: a quoted cell may hold a separator."""
        reader = csv.reader(io.StringIO(self.cleaned_data["rows"]), delimiter=self.delimiter, skipinitialspace=True)
        records = []
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error:  # a NUL or an unclosed quote: the rest is one row that cannot be read
                records.append((line, ["".join(self.cleaned_data["rows"].splitlines()[line - 1 : line])]))
                break
            if any(cell.strip() for cell in cells):
                records.append((line, [cell.strip() for cell in cells]))
        return records

    def parsed_rows(self) -> list[PastedRow]:
        roles = role_lookup()
        rows, seen = [], set()
        for index, (number, cells) in enumerate(self.records()):
            if index == 0 and _is_header(cells):
                continue
            row = PastedRow(line=number, cells=cells)
            rows.append(row)
            if len(cells) != len(COLUMNS):
                row.errors.append(
                    _("Expected %(expected)s columns, found %(found)s.")
                    % {"expected": len(COLUMNS), "found": len(cells)}
                )
                continue
            values = dict(zip(COLUMNS, cells, strict=True))
            values["role"] = roles.get(_squash(values["role"]), values["role"])
            form = ParticipantForm(data=values, sector=self.sector)
            if not form.is_valid():
                for name, errors in form.errors.items():
                    label = form.fields[name].label if name in form.fields else name
                    row.errors += [f"{label}: {error}" for error in errors]
                continue
            email = form.cleaned_data["email"].lower()
            if email in seen:
                row.errors.append(_("This e-mail address appears in an earlier row."))
            elif email in self.taken_emails:
                row.errors.append(_("This e-mail address is already enrolled in this course run."))
            seen.add(email)
            row.data = form.cleaned_data
        return rows

    def rows_text(self, rows: list[PastedRow]) -> str:
        """Write rows back as they were pasted, with the same separator and Excel's quoting: to be corrected."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=self.delimiter, lineterminator="\n")
        for row in rows:
            writer.writerow(row.cells)
        return out.getvalue()


HEADER_EMAIL = {"email", "emailadres", "emailaddress", "mail", "mailadres"}


def _is_header(cells: list[str]) -> bool:
    """A header row has a cell that names the e-mail column ("E-mail", "E-mailadres"), not one that holds an address."""
    return any(_squash(cell) in HEADER_EMAIL for cell in cells)


def detect_delimiter(text: str) -> str:
    """
    Return the separator of pasted rows: a tab (copied from Excel), a semicolon (a Dutch CSV file) or a comma.

    Each is tried with Excel's quoting, and the one that splits the most rows
    into the expected columns wins: a semicolon inside a quoted name does not
    make a comma-separated file look like a semicolon-separated one.
    """
    best, best_score = "\t", -1
    for delimiter in ("\t", ";", ","):
        if delimiter not in text:
            continue
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
        except csv.Error:
            continue
        score = sum(1 for row in rows if len(row) == len(COLUMNS))
        if score > best_score:
            best, best_score = delimiter, score
    return best
