"""The register export of a whole run: every row right, in a number of queries that does not grow with the people."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from cohorts.services import attendance, enrolment, runs
from cohorts.services.attendance import AttendanceEntry
from cohorts.tests.factories import RawRegistrationFactory, participant_data, scheduled_days
from programme.models import Programme
from registry import exports, services
from registry.models import RegisterExport

from .conftest import FIRST_DAY

pytestmark = pytest.mark.django_db

SIZES = [10, 40]


def completed_run(size: int):
    """
    A completed run of `size` from two boards, made through the services: the first participant withdrew
    before it began, the second attended two days, the others all six and gave their register number.
    """
    Programme.objects.filter(slug="verbindend-leiderschap").update(min_participants=1, max_participants=40)
    first = RawRegistrationFactory()
    cohort = first.cohort
    second = RawRegistrationFactory(cohort=cohort)
    half = size // 2
    people = enrolment.enroll_participants(registration=first, rows=[participant_data(n) for n in range(half)])
    people += enrolment.enroll_participants(registration=second, rows=[participant_data(n) for n in range(half, size)])
    enrolment.withdraw_participant(participant=people[0])
    scheduled_days(cohort, first=FIRST_DAY, weeks_apart=2, replaying=True, end=datetime.time(16))
    runs.confirm_cohort(cohort=cohort)
    days = list(cohort.days.order_by("date"))
    attendance.record_attendance(
        cohort=cohort,
        entries=[
            AttendanceEntry(p.pk, day.pk, "present" if (p != people[1] or n < 2) else "absent")
            for p in people[1:]
            for n, day in enumerate(days)
        ],
        recorded_by=None,
    )
    for n, participant in enumerate(people[2:], start=2):
        enrolment.update_own_details(participant=participant, data={"register_number": f"00{9400000 + n}"})
    runs.complete_cohort(cohort=cohort)
    return cohort, people


def read_csv(content: bytes) -> dict[str, dict]:
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    return {row["E-mailadres"]: row for row in rows}


@pytest.mark.parametrize("size", SIZES)
def test_an_export_runs_the_same_queries_however_many_people(size, accreditation, django_assert_num_queries):
    cohort, people = completed_run(size)
    certificate = services.issue_certificate(participant=people[2])
    # The participants with their boards, the register rules, their
    # certificates, the dates, the days attended; the export logged and
    # audited, in a savepoint.
    with django_assert_num_queries(9):
        content, _type, filename = exports.export(cohort=cohort, kind="csv")
    assert filename == f"register-{cohort.code}.csv"
    rows = read_csv(content)
    assert set(rows) == {p.email for p in people}
    withdrawn, partly, completed = rows[people[0].email], rows[people[1].email], rows[people[2].email]
    assert (withdrawn["Dagen aanwezig"], withdrawn["Resultaat"]) == ("0", "afgemeld")
    assert (partly["Dagen aanwezig"], partly["Resultaat"]) == ("2", "alleen aanwezig")
    assert (completed["Dagen aanwezig"], completed["Resultaat"]) == ("6", "afgerond")
    assert completed["Registernummer"] == "009400002"
    assert completed["Certificaatnummer"] == str(certificate)
    assert completed["Bestuursnummer"] == people[2].registration.board.bestuursnummer
    assert rows[people[-1].email]["Bestuursnummer"] == people[-1].registration.board.bestuursnummer
    (logged,) = RegisterExport.objects.filter(cohort=cohort, kind="csv")
    assert len(logged.rows) == size
    assert sum(row["completed"] for row in logged.rows) == size - 2


@pytest.mark.parametrize("size", SIZES)
def test_the_export_page_runs_the_same_queries_however_many_people(
    size, admin_client, accreditation, django_assert_num_queries
):
    cohort, _people = completed_run(size)
    url = reverse("admin:registry_register_export", args=[cohort.pk])
    admin_client.get(url)  # the session and the user's permissions, read once
    with django_assert_num_queries(12):
        page = admin_client.get(url).content.decode()
    paste = page.split('id="paste-list"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0]
    assert sorted(paste.split()) == sorted(f"00{9400000 + n}" for n in range(2, size))
    assert "Geen problemen gevonden." in page
