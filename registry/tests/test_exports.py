"""The register export: validation first, three formats read back, formula-safe, logged, changes since reported."""

import csv
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from registry import exports, services
from registry.models import RegisterExport

from .conftest import completed_run

pytestmark = pytest.mark.django_db


def run_with_numbers(numbers):
    """A completed run; numbers maps first names to register numbers; all complete except 'Xander'."""
    attendance = {name: (range(1, 3) if name == "Xander" else range(1, 7)) for name in numbers}
    cohort, people = completed_run(attendance)
    for name, number in numbers.items():
        people[name].register_number = number
        people[name].save()
    return cohort, people


def test_paste_list_has_the_completed_numbers_with_leading_zeros(accreditation):
    cohort, _people = run_with_numbers({"Anna": "0012345", "Bram": "0098765", "Xander": "0011111"})
    assert exports.paste_list(exports.export_rows(cohort)).splitlines() == ["0012345", "0098765"]


def test_validation_report_names_missing_malformed_and_double_numbers(accreditation):
    cohort, _people = run_with_numbers({"Anna": "", "Bram": "12AB", "Cees": "0012345", "Dirk": "0012345"})
    problems = exports.validation_report(cohort, exports.export_rows(cohort))
    assert any("Anna Bakker heeft de cursus afgerond maar heeft geen registernummer" in p for p in problems)
    assert any("Bram" in p and "12AB" in p and "Schoolleidersregister PO" in p for p in problems)
    assert any("hetzelfde registernummer 0012345" in p for p in problems)


def test_validation_report_names_a_completion_outside_the_accreditation(accreditation):
    cohort, _people = run_with_numbers({"Anna": "0012345"})
    accreditation.valid_until = cohort.days.order_by("date").first().date
    accreditation.save()
    problems = exports.validation_report(cohort, exports.export_rows(cohort))
    assert any("buiten de geldigheid van de accreditatie" in p for p in problems)


def test_csv_reads_back_with_bom_semicolons_and_no_formulas(accreditation):
    cohort, people = run_with_numbers({"Anna": "0012345"})
    people["Anna"].school = '=HYPERLINK("http://evil")'
    people["Anna"].save()
    services.issue_cohort_certificates(cohort=cohort)
    content, content_type, filename = exports.export(cohort=cohort, kind="csv")
    assert content.startswith("\ufeff".encode())
    assert content_type.startswith("text/csv") and filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    header, row = rows[0], rows[1]
    record = dict(zip(header, row, strict=True))
    assert record["Registernummer"] == "0012345"
    assert record["School"] == '\'=HYPERLINK("http://evil")'
    assert record["Resultaat"] == "afgerond"
    assert record["Certificaatnummer"].startswith(cohort.code)
    assert record["Bestuursnummer"] == people["Anna"].registration.board.bestuursnummer


def test_xlsx_reads_back_as_text_never_formulas(accreditation):
    cohort, people = run_with_numbers({"Anna": "0012345"})
    people["Anna"].last_name = "+31 Bakker"
    people["Anna"].save()
    content, _type, _name = exports.export(cohort=cohort, kind="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    values = {header[i]: cell for i, cell in enumerate(sheet[2])}
    assert values["Registernummer"].value == "0012345"
    # Text with Excel's quote prefix rather than an apostrophe in the value, which a spreadsheet would show.
    assert values["Achternaam"].value == "+31 Bakker"
    assert values["Achternaam"].data_type == "s" and values["Achternaam"].quotePrefix
    assert all(cell.data_type != "f" for cell in sheet[2])


def test_every_export_is_logged(admin_client, admin_user, accreditation):
    cohort, _people = run_with_numbers({"Anna": "0012345"})
    url = reverse("admin:registry_register_export", args=[cohort.pk])
    page = admin_client.get(url).content.decode()
    assert "0012345" in page
    for kind in ("paste", "csv", "xlsx"):
        assert admin_client.get(url, {"format": kind}).status_code == 200
    assert list(RegisterExport.objects.values_list("kind", flat=True).order_by("pk")) == ["paste", "csv", "xlsx"]
    assert set(RegisterExport.objects.values_list("exported_by", flat=True)) == {admin_user.pk}


def test_a_later_export_shows_what_changed_since_the_report(accreditation):
    cohort, people = run_with_numbers({"Anna": "0012345", "Bram": "0098765"})
    exports.mark_reported(cohort=cohort)
    people["Bram"].register_number = "0098766"
    people["Bram"].save()
    changes = exports.changes_since_report(cohort, exports.export_rows(cohort))
    assert [row["first_name"] for row in changes["corrected"]] == ["Bram"]
    assert changes["corrected"][0]["previous_number"] == "0098765"
    assert changes["new"] == []


def test_the_command_exports_and_reports_problems(tmp_path, capsys, accreditation):
    cohort, _people = run_with_numbers({"Anna": "0012345", "Bram": ""})
    output = tmp_path / "plak.txt"
    call_command("export_register", cohort.code, "--format", "paste", "--output", str(output))
    assert output.read_text() == "0012345\n"
    assert "Bram Bakker heeft de cursus afgerond maar heeft geen registernummer" in capsys.readouterr().err
    assert RegisterExport.objects.get().kind == "paste"


def test_the_command_refuses_an_unknown_code():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No course run"):
        call_command("export_register", "VL-0000-00")


def test_the_export_page_is_staff_only(client, accreditation):
    cohort, _people = run_with_numbers({"Anna": "0012345"})
    response = client.get(reverse("admin:registry_register_export", args=[cohort.pk]), {"format": "csv"})
    assert response.status_code == 302
    assert not RegisterExport.objects.exists()


def test_the_admin_action_opens_the_export_of_one_run(admin_client, accreditation):
    cohort, _people = run_with_numbers({"Anna": "0012345"})
    changelist = reverse("admin:registry_completedcohort_changelist")
    response = admin_client.post(changelist, {"action": "export_for_the_register", "_selected_action": [cohort.pk]})
    assert response["Location"] == reverse("admin:registry_register_export", args=[cohort.pk])
