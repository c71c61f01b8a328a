"""
The start page's to-do list: each line says what is still to do and links to where it is done, and goes once done.

Days past without attendance, completed runs without certificates, failed
e-mails, registrations waiting for an intake, the register's steps and runs to
invoice; each shown only to who may do it.
"""

import datetime

import pytest
from django.urls import reverse

from billing.services import invoicing
from billing.tests.factories import confirmed_shared_run, filled_in_provider, priced_programme
from cohorts.models import Attendance, IntakeAppointment
from cohorts.services import attendance, intakes, runs
from cohorts.services.attendance import AttendanceEntry
from cohorts.tests.conftest import member
from cohorts.tests.factories import enrolled_participants, placed_registration, scheduled_days, submitted_registration
from conftest import FIXED_NOW
from mail.models import OutgoingMail
from registry import services as certificates
from registry.tests.conftest import accreditation, completed_run  # noqa: F401 (a fixture)
from verbindend.tests.pages import table_rows

pytestmark = pytest.mark.django_db


def to_do(client) -> list[tuple[str, str, str, str]]:
    """The to-do lines as (subject, detail, action, link), read from the page."""
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    page = response.content.decode()
    section = page[page.index("<h2>Te doen</h2>") : page.index("</div>", page.index("<h2>Te doen</h2>"))]
    links = [chunk.split('"', 1)[0].replace("&amp;", "&") for chunk in section.split('<a href="')[1:]]
    return [(*row, link) for row, link in zip(table_rows(section), links, strict=True)]


def lines_about(client, subject: str) -> list[tuple[str, str, str, str]]:
    return [line for line in to_do(client) if line[0] == subject]


def confirmed_run(first: datetime.date):
    registration = placed_registration()
    enrolled_participants(registration, registration.cohort.programme.min_participants)
    scheduled_days(registration.cohort, first=first)
    return runs.confirm_cohort(cohort=registration.cohort)


def test_a_day_past_without_attendance_is_to_do_until_it_is_taken(client, fixed_clock):
    cohort = confirmed_run(first=FIXED_NOW.date() + datetime.timedelta(days=7))
    trainer = member("Trainer")
    client.force_login(trainer)
    assert not [line for line in lines_about(client, cohort.code) if line[2] == "Aanwezigheid invullen"]

    fixed_clock.shift(datetime.timedelta(days=8))
    client.force_login(trainer)  # afresh: the session does not outlive the days the clock moved
    [line] = [line for line in lines_about(client, cohort.code) if line[2] == "Aanwezigheid invullen"]
    day = cohort.days.order_by("date").first()
    assert line[1] == f"dag 1, {day.date.day} mrt 2027"
    assert line[3] == reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
    assert client.get(line[3]).status_code == 200

    attendance.record_attendance(
        cohort=cohort,
        entries=[AttendanceEntry(p.pk, day.pk, Attendance.Status.PRESENT) for p in cohort.participants.all()],
        recorded_by=None,
    )
    assert not [line for line in lines_about(client, cohort.code) if line[2] == "Aanwezigheid invullen"]


@pytest.mark.usefixtures("accreditation")
def test_a_completed_run_without_certificates_is_to_do_until_they_are_issued(client):
    cohort, _people = completed_run({"Anna": range(1, 7), "Bram": range(1, 7)})
    client.force_login(member("Trainer"))
    [line] = [line for line in lines_about(client, cohort.code) if line[2] == "Certificaten uitreiken"]
    assert line[1].startswith("afgerond op")
    assert client.get(line[3]).status_code == 200
    certificates.issue_cohort_certificates(cohort=cohort)
    assert not [line for line in lines_about(client, cohort.code) if line[2] == "Certificaten uitreiken"]


def test_failed_emails_are_one_line_for_the_office(client):
    for n in range(3):
        OutgoingMail.objects.create(key=f"failed:{n}", to=[f"x{n}@example.nl"], subject="s", status="failed")
    OutgoingMail.objects.create(key="pending", to=["pending@example.nl"], subject="s")
    client.force_login(member("Kantoor"))
    [line] = lines_about(client, "Postvak uit")
    assert line[1:3] == ("3 e-mails mislukt", "Bekijken en opnieuw versturen")
    page = client.get(line[3]).content.decode()
    assert all(f"x{n}@example.nl" in page for n in range(3)) and "pending@example.nl" not in page


def test_a_registration_waits_for_an_intake_until_one_is_planned(client):
    registration = submitted_registration(expected_participants=9)
    trainer = member("Trainer")
    client.force_login(trainer)
    [line] = lines_about(client, registration.board.name)
    assert line[1].endswith("9 deelnemers verwacht") and line[2] == "Intakegesprek plannen"
    assert client.get(line[3]).status_code == 200
    intake = IntakeAppointment(
        registration=registration, trainer=trainer, starts_at=FIXED_NOW + datetime.timedelta(days=2), mode="phone"
    )
    intakes.save_intake(intake=intake, changed_fields=[])
    assert lines_about(client, registration.board.name) == []


def test_a_confirmed_run_is_to_invoice_until_each_board_has_its_invoice(client, fixed_clock):
    filled_in_provider()
    priced_programme()
    cohort, _registrations = confirmed_shared_run(14, 9)
    client.force_login(member("Kantoor"))
    [line] = [line for line in lines_about(client, cohort.code) if line[2] == "Facturen maken"]
    assert client.get(line[3]).status_code == 200
    invoicing.issue_invoices_for_run(cohort=cohort)
    assert not [line for line in lines_about(client, cohort.code) if line[2] == "Facturen maken"]


def test_each_line_is_shown_only_to_who_may_do_it(client, django_user_model):
    submitted_registration()
    OutgoingMail.objects.create(key="failed:0", to=["x@example.nl"], subject="s", status="failed")
    client.force_login(django_user_model.objects.create_user("stagiair", password="x-secret-123", is_staff=True))
    assert to_do(client) == []
    assert "Niets: alles is bijgewerkt." in client.get(reverse("admin:index")).content.decode()
    client.force_login(member("Trainer"))
    assert [line[0] for line in to_do(client) if line[0] == "Postvak uit"] == []


def test_an_overdue_invoice_is_to_do_for_the_office_until_it_is_paid(client, fixed_clock):
    from billing.services import payments

    filled_in_provider()
    priced_programme()
    cohort, _registrations = confirmed_shared_run(14, 9)
    first, second = invoicing.issue_invoices_for_run(cohort=cohort)
    office = member("Kantoor")
    client.force_login(office)
    assert lines_about(client, first.number) == []
    fixed_clock.move_to(datetime.datetime.combine(first.due_date + datetime.timedelta(days=1), datetime.time(9)))
    client.force_login(office)
    [line] = lines_about(client, first.number)
    assert line[1].startswith(f"{first.buyer_name}, vervaldatum") and line[2] == "Betaling vastleggen of navragen"
    assert first.number in client.get(line[3]).content.decode()
    payments.record_payment(invoice=first, amount=None, paid_on=first.due_date)
    assert lines_about(client, first.number) == [] and len(lines_about(client, second.number)) == 1
