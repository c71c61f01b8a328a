"""The register export opened by LibreOffice Calc (headless), as the office opens it, not by the library that wrote it.

The XLSX keeps every register number, bestuursnummer and BRIN code as written, and no cell becomes a formula.
The CSV is for programs: read as text it has every code as written; opened with Dutch defaults, LibreOffice
drops the leading zeros, which is what the export page says, so people get the XLSX. In both, an e-mail address
starting with + or - arrives as it is, and only what a spreadsheet would run is quoted.
"""

import csv
import io
import re
import shutil
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from cohorts.tests.factories import BoardFactory, RawRegistrationFactory
from conftest import require_service
from registry import exports

from .conftest import completed_run

pytestmark = pytest.mark.django_db
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
DUTCH_CSV = "CSV:59,34,76,1,,1043"  # semicolons, double quotes, UTF-8, from line 1, standard columns, nl-NL
PEOPLE = {
    # first name: (register number, bestuursnummer, BRIN, e-mail)
    "Anna": ("00942561", "07494", "04XY", "+anna@school.example.nl"),
    "Bram": ("0012345", "00123", "16SW", "-bram@school.example.nl"),
    "Cees": ("120034", "41234", "00AA", "cees@school.example.nl"),
}
HOSTILE_SCHOOL = '=HYPERLINK("http://evil.example/","klik")'


@pytest.fixture(scope="module")
def office(tmp_path_factory):
    """A private LibreOffice profile and HOME, so parallel runs never share one."""
    require_service("LibreOffice Calc", SOFFICE is not None, "apt-get install libreoffice-calc-nogui")
    folder = tmp_path_factory.mktemp("libreoffice")
    return folder


def soffice(office, source, target_format, infilter=None):
    """Convert `source` with LibreOffice headless and return the path of the result."""
    out = source.parent / f"out-{target_format.split(':')[0]}"
    command = [SOFFICE, f"-env:UserInstallation=file://{office}/profile", "--headless", "--norestore"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", target_format, "--outdir", str(out), str(source)]
    env = {"HOME": str(office), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    subprocess.run(command, capture_output=True, check=True, timeout=180, env=env)
    (result,) = out.iterdir()
    return result


@pytest.fixture
def run():
    attendance = {name: range(1, 7) for name in PEOPLE}
    cohort, people = completed_run(attendance)
    for name, (number, bestuursnummer, brin, email) in PEOPLE.items():
        participant = people[name]
        participant.register_number, participant.brin, participant.email = number, brin, email
        participant.registration = RawRegistrationFactory(
            cohort=cohort, board=BoardFactory(name=f"Stichting {name}", bestuursnummer=bestuursnummer)
        )
        participant.save()
    people["Cees"].school = HOSTILE_SCHOOL
    people["Cees"].save()
    return cohort, people


def export_file(cohort, kind, folder):
    content, _type, filename = exports.export(cohort=cohort, kind=kind)
    path = folder / filename
    path.write_bytes(content)
    return path


def by_first_name(sheet) -> dict[str, dict]:
    rows = list(sheet.iter_rows(values_only=False))
    header = [cell.value for cell in rows[0]]
    return {row[header.index("Roepnaam")].value: dict(zip(header, row, strict=False)) for row in rows[1:]}


def test_every_participant_is_on_a_board_of_their_own(run):
    """The data the tests below rely on: each participant's bestuursnummer is their own."""
    _cohort, people = run
    assert len({p.registration.board_id for p in people.values()}) == len(PEOPLE)


def test_libreoffice_opens_the_xlsx_with_every_code_as_written_and_no_formula(run, office, tmp_path):
    cohort, _people = run
    xlsx = export_file(cohort, "xlsx", tmp_path)
    # LibreOffice's own reading, saved again: what a person sees once they opened and saved it.
    again = openpyxl.load_workbook(soffice(office, xlsx, "xlsx")).active
    # And as text, exactly as LibreOffice shows each cell.
    shown = list(
        csv.reader(
            io.StringIO(soffice(office, xlsx, "csv:Text - txt - csv (StarCalc):59,34,76,1").read_text("utf-8")),
            delimiter=";",
        )
    )
    header = shown[0]
    shown_rows = {row[header.index("Roepnaam")]: dict(zip(header, row, strict=True)) for row in shown[1:]}

    rows = by_first_name(again)
    for name, (number, bestuursnummer, brin, email) in PEOPLE.items():
        assert rows[name]["Registernummer"].value == number
        assert rows[name]["Bestuursnummer"].value == bestuursnummer
        assert rows[name]["BRIN"].value == brin
        assert rows[name]["E-mailadres"].value == email
        assert shown_rows[name]["Registernummer"] == number
        assert shown_rows[name]["Bestuursnummer"] == bestuursnummer
        assert shown_rows[name]["E-mailadres"] == email
    assert rows["Cees"]["School"].value == HOSTILE_SCHOOL
    assert shown_rows["Cees"]["School"] == HOSTILE_SCHOOL
    for row in again.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate


def test_the_xlsx_is_laid_out_for_people(run, tmp_path):
    cohort, _people = run
    sheet = openpyxl.load_workbook(export_file(cohort, "xlsx", tmp_path)).active

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == sheet.dimensions
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["E"].width >= 30  # e-mail
    rows = by_first_name(sheet)
    for name in PEOPLE:
        for column in ("Registernummer", "Bestuursnummer", "BRIN"):
            cell = rows[name][column]
            assert (cell.data_type, cell.number_format) == ("s", "@"), (name, column)
    assert rows["Anna"]["E-mailadres"].quotePrefix is False
    assert rows["Cees"]["School"].quotePrefix is True


def test_libreoffice_turns_no_csv_cell_into_a_formula_and_keeps_plain_addresses(run, office, tmp_path):
    cohort, _people = run
    opened = openpyxl.load_workbook(soffice(office, export_file(cohort, "csv", tmp_path), "xlsx", DUTCH_CSV)).active

    for row in opened.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
    rows = by_first_name(opened)
    for name, (_number, _bestuursnummer, _brin, email) in PEOPLE.items():
        assert rows[name]["E-mailadres"].value == email  # no apostrophe before + or -
    assert rows["Cees"]["School"].value == "'" + HOSTILE_SCHOOL  # quoted, as text


def test_the_csv_for_programs_has_every_code_as_written(run, office, tmp_path):
    """Read as text, by a program or by LibreOffice told the code columns are text, every code is as written."""
    cohort, _people = run
    path = export_file(cohort, "csv", tmp_path)
    records = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    header = list(records[0])
    text_columns = "/".join(f"{header.index(c) + 1}/2" for c in ("Registernummer", "Bestuursnummer", "BRIN"))
    as_text = by_first_name(
        openpyxl.load_workbook(soffice(office, path, "xlsx", f"CSV:59,34,76,1,{text_columns},1043")).active
    )

    rows = {record["Roepnaam"]: record for record in records}
    for name, (number, bestuursnummer, brin, _email) in PEOPLE.items():
        assert (rows[name]["Registernummer"], rows[name]["Bestuursnummer"], rows[name]["BRIN"]) == (
            number,
            bestuursnummer,
            brin,
        )
        assert as_text[name]["Registernummer"].value == number
        assert as_text[name]["Bestuursnummer"].value == bestuursnummer


def test_opened_by_hand_the_csv_loses_leading_zeros_as_the_export_page_warns(run, office, tmp_path, admin_client):
    """Why the CSV is for programs: with Dutch defaults LibreOffice reads 00942561 as 942561."""
    cohort, _people = run
    opened = by_first_name(
        openpyxl.load_workbook(soffice(office, export_file(cohort, "csv", tmp_path), "xlsx", DUTCH_CSV)).active
    )
    page = admin_client.get(reverse("admin:registry_register_export", args=[cohort.pk])).content.decode()

    assert opened["Anna"]["Registernummer"].value == 942561
    assert "Niet om te openen in een spreadsheet" in page


def test_the_export_page_offers_the_paste_list_to_copy(run, admin_client):
    cohort, _people = run
    page = admin_client.get(reverse("admin:registry_register_export", args=[cohort.pk])).content.decode()

    assert '<textarea id="paste-list" readonly' in page
    assert "00942561\n0012345\n120034\n</textarea>" in page
    assert 'data-copy="paste-list"' in page and "Plaklijst kopiëren" in page
    assert re.search(r'<script src="[^"]*/js/copy\.js" defer></script>', page)
    assert not re.search(r"<script>(?!</script>)", page)  # no inline script: the copying is in static/js/copy.js
