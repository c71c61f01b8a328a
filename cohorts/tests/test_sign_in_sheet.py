"""
The sign-in sheet (presentielijst) of a course day, read as a trainer's printer and an accreditation file read it:
by poppler's pdftotext and pdfinfo, never by the library that wrote it.
"""

import datetime
import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cohorts.models import Participant
from cohorts.services import enrolment
from cohorts.tests.conftest import member
from cohorts.tests.factories import enrolled_participants, participant_data, placed_registration, scheduled_days
from conftest import require_service

pytestmark = pytest.mark.django_db

FIRST_DAY = datetime.date(2027, 3, 9)


@pytest.fixture(autouse=True)
def _poppler():
    require_service("poppler-utils", shutil.which("pdftotext") is not None, "apt-get install poppler-utils")


def read(pdf: bytes, tmp_path, *, tool: str = "pdftotext") -> str:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    command = [tool, "-layout", str(path), "-"] if tool == "pdftotext" else [tool, str(path)]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def run_with_people(count: int = 3):
    registration = placed_registration()
    people = enrolled_participants(registration, count)
    days = scheduled_days(registration.cohort, first=FIRST_DAY)
    registration.cohort.refresh_from_db()  # its code follows the first day's year
    return registration, people, days


def sheet_url(cohort, day=None) -> str:
    if day is None:
        return reverse("admin:cohorts_cohort_sign_in", args=[cohort.pk])
    return reverse("admin:cohorts_cohort_sign_in_day", args=[cohort.pk, day.pk])


def test_a_days_sheet_lists_who_is_enrolled_by_last_name_with_room_to_sign(trainer, tmp_path):
    registration, _people, days = run_with_people(0)
    rows = [
        participant_data(0, first_name="Zoë", tussenvoegsel="", last_name="Aalders"),
        participant_data(1, first_name="Bram", tussenvoegsel="van", last_name="Zanten"),
        participant_data(2, first_name="Cees", tussenvoegsel="", last_name="Mulder"),
    ]
    aalders, zanten, mulder = enrolment.enroll_participants(registration=registration, rows=rows)
    enrolment.withdraw_participant(participant=mulder)
    response = trainer.get(sheet_url(registration.cohort, days[2]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f"presentielijst-{registration.cohort.code}-dag-3.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    text = read(response.content, tmp_path)
    assert "Presentielijst" in text
    assert "Dag 3: Cultiveren van de samenwerking" in text
    assert "dinsdag 20 april 2027" in text  # three weeks apart: 9 March, 30 March, 20 April
    # By last name: Aalders before Van Zanten (sorted on "Zanten", as Dutch lists sort a tussenvoegsel).
    assert (aalders.full_name, zanten.full_name) == ("Zoë Aalders", "Bram van Zanten")
    assert text.index(aalders.full_name) < text.index(zanten.full_name)
    assert mulder.full_name not in text  # withdrawn: not coming
    assert "2 deelnemers ingeschreven" in text
    assert "handtekening" in text.casefold() and "Aantal aanwezig" in text


def test_every_day_of_the_run_on_pages_of_its_own_in_a4(trainer, tmp_path):
    registration, _people, days = run_with_people(2)
    response = trainer.get(sheet_url(registration.cohort))
    assert response.status_code == 200
    info = read(response.content, tmp_path, tool="pdfinfo")
    assert re.search(r"^Pages:\s+6$", info, re.M)
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)$", info, re.M)
    assert "Tagged:          yes" in info
    text = read(response.content, tmp_path)
    assert all(f"Dag {day.programme_day.number}:" in text for day in days)
    assert text.count("\f") >= 5  # pdftotext marks each new page


def test_a_long_list_runs_over_pages_with_its_header_repeated(trainer, tmp_path):
    registration, people, days = run_with_people(30)
    response = trainer.get(sheet_url(registration.cohort, days[0]))
    text = read(response.content, tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert len(pages) >= 2
    # The table's head on every page, and at every page's foot the sheet's name and the page of how many.
    assert all("handtekening" in page.casefold() for page in pages)
    sheet_name = f"Presentielijst {registration.cohort.code} · dag 1 · 9 maart 2027"
    assert all(sheet_name in page and f"{n}/{len(pages)}" in page for n, page in enumerate(pages, 1))
    assert all(person.full_name in text for person in people)


def test_the_waiting_list_is_not_on_the_sheet(trainer, tmp_path):
    registration, _people, days = run_with_people(30)
    [waiting] = enrolled_participants(registration, 1)
    assert waiting.status == Participant.Status.WAITING
    text = read(trainer.get(sheet_url(registration.cohort, days[0])).content, tmp_path)
    assert waiting.full_name not in text
    assert "30 deelnemers ingeschreven" in text


def test_a_name_is_printed_as_text_and_makes_nothing_fetched(trainer, tmp_path):
    registration, _people, days = run_with_people(0)
    enrolment.enroll_participants(
        registration=registration, rows=[participant_data(0, last_name='<img src="file:///etc/passwd">')]
    )
    response = trainer.get(sheet_url(registration.cohort, days[0]))
    assert response.status_code == 200
    assert '<img src="file:///etc/passwd">' in " ".join(read(response.content, tmp_path).split())


@pytest.mark.parametrize("size", [3, 20])
def test_the_sheets_take_the_same_queries_however_many_people(trainer, django_assert_num_queries, size):
    registration, _people, _days = run_with_people(size)
    # Session, user and their two-factor device and permissions; the run, its days, its participants; the audit.
    with django_assert_num_queries(9):
        response = trainer.get(sheet_url(registration.cohort))
    assert response.status_code == 200


def test_the_download_is_in_the_audit_trail(trainer):
    registration, _people, days = run_with_people(1)
    trainer.get(sheet_url(registration.cohort, days[1]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.object_id, event.detail) == (str(registration.cohort.pk), "sign-in sheet, day 2")


def test_only_staff_who_may_see_the_run_get_its_sheets(client, django_user_model):
    registration, _people, days = run_with_people(1)
    url = sheet_url(registration.cohort, days[0])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(django_user_model.objects.create_user("stagiair", password="x-secret-123", is_staff=True))
    assert client.get(url).status_code == 403
    client.force_login(member("Kantoor"))
    assert client.get(url).status_code == 200


def test_a_day_of_another_run_is_not_found(trainer):
    registration, _people, _days = run_with_people(1)
    other = placed_registration()
    [other_day, *_rest] = scheduled_days(other.cohort, first=FIRST_DAY + datetime.timedelta(days=1))
    assert trainer.get(sheet_url(registration.cohort, other_day)).status_code == 404


def test_the_run_page_links_each_days_sheet(trainer):
    registration, _people, days = run_with_people(1)
    page = trainer.get(reverse("admin:cohorts_cohort_change", args=[registration.cohort.pk])).content.decode()
    assert sheet_url(registration.cohort) in page
    assert all(sheet_url(registration.cohort, day) in page for day in days)
