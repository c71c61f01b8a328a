"""
The whole story in a real browser, against the production processes: two boards register, the trainer
plans an intake and forms a course run for both, the boards add their leaders, the run is confirmed,
attended and completed, certificates are issued and verified, and the office downloads the register export.

Every page a board, a participant or a visitor sees is checked with axe-core in Dutch and in English, and
every step is photographed at desktop and phone width.
"""

import csv
import datetime
import io
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from cohorts.models import Cohort, CourseDay, Participant, Registration
from harness import wait_until
from mail.models import OutgoingMail
from registry.models import Certificate

from .helpers import Camera, admin_log_in, assert_accessible, fill_registration, new_page

pytestmark = pytest.mark.browser

PASSWORD = "een-lang-wachtwoord-voor-de-test"

BOARD_A_ROWS = """Voornaam\tTussenvoegsel\tAchternaam\tE-mail\tFunctie\tSchool\tBRIN
Anouk\tvan der\tBerg\tanouk.vanderberg@obsdelinde.nl\tdirecteur\tOBS De Linde\t12AB
Daan\t\tJansen\td.jansen@kbsdewilg.nl\tdirecteur\tKBS De Wilg\t13CD
Fatima\tel\tAmrani\tf.elamrani@obsdelinde.nl\tadjunct-directeur\tOBS De Linde\t12AB
Joris\tde\tVries\tj.devries@dekleineprins.nl\tlocatieleider\tDe Kleine Prins\t14EF
Marieke\tvan\tDijk\tm.vandijk@hetanker.nl\tintern begeleider\tHet Anker\t15GH
Sanne\t\tBakker\ts.bakker@dezonnewijzer.nl\tdirecteur\tDe Zonnewijzer\t16JK
Thijs\tten\tBrink\tt.tenbrink@kbsdewilg.nl\tteamleider\tKBS De Wilg\t13CD
Yvonne\t't\tHart\ty.thart@hetanker.nl\tbouwcoördinator\tHet Anker\t15GH"""

BOARD_B_ROWS = """Lotte;van den;Heuvel;l.vandenheuvel@cbsdebron.nl;directeur;CBS De Bron;21AB
Pieter;;Smit;p.smit@cbsdebron.nl;adjunct-directeur;CBS De Bron;21AB"""


def register(page, *, board, number, contact, email, sector="po", place="Utrecht"):
    """Fill in and send the registration form as a board does, up to the thank-you page."""
    page.goto("/aanmelden/")
    fill_registration(page, board=board, number=number, contact=contact, email=email, sector=sector, place=place)


def link_in(message, path_prefix: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"https?://\S+({re.escape(path_prefix)}[^\s>]+)", text)
    assert match, f"no {path_prefix} link in: {text}"
    return match[1]


def admin_login(browser, stack, username):
    return admin_log_in(new_page(browser, base_url=stack.url), username, PASSWORD)


def run_action(page, changelist: str, pks, action: str):
    page.goto(changelist)
    for pk in pks:
        page.check(f"input[name=_selected_action][value='{pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")
    # Each of these actions first says what it will do (templates/admin/action_confirmation.html).
    page.click(".action-confirmation-page input[type=submit]")


def success_message(page) -> str:
    """The admin's message after an action or save; fails with the error the admin showed instead."""
    message = page.locator(".messagelist li, .errornote").first
    message.wait_for()
    assert "success" in (message.get_attribute("class") or ""), message.inner_text()
    return message.inner_text()


def staff_user(username, group, email):
    user = User.objects.create_user(username, email, PASSWORD, is_staff=True, first_name=username.title())
    user.groups.add(Group.objects.get(name=group))
    return user


def test_the_whole_flow_in_a_real_browser(browser, stack, screenshots):
    camera = Camera(screenshots, "flow")
    trainer = staff_user("jan", "Trainer", "trainer@natuurlijkleren.example")
    staff_user("office", "Kantoor", "kantoor@natuurlijkleren.example")
    visited = []  # (what, path) of every public, board and participant page, for the English pass

    def check(page, what):
        assert_accessible(page, what)
        visited.append((what, page.url.removeprefix(stack.url)))
        camera.shoot(page, what)

    # --- Two boards register; the confirmation e-mail's link opens their board page ------------------------
    board = new_page(browser, base_url=stack.url)
    board.goto("/")
    check(board, "home")
    board.goto("/programma/verbindend-leiderschap/")
    check(board, "programme")
    board.goto("/aanmelden/")
    check(board, "registration-form")
    board.click("form.registration-form [type=submit]")
    board.locator("#form-errors").wait_for()
    assert "Dit veld is verplicht" in board.content()
    check(board, "registration-form-errors")

    register(
        board,
        board="Stichting Openbaar Onderwijs Utrechtse Heuvelrug",
        number="41234",
        contact="Karin de Boer",
        email="k.deboer@soou.example.nl",
    )
    assert "Bedankt" in board.content()
    check(board, "registration-thanks")

    received = stack.wait_for_mail(template="cohorts/mail/registration_received", to="k.deboer@soou.example.nl")
    stack.wait_for_mail(template="cohorts/mail/registration_notification", to=settings.TRAINER_NOTIFICATION_EMAIL)
    board_a_path = link_in(received, "/bestuur/")
    board.goto(board_a_path)
    assert "Stichting Openbaar Onderwijs Utrechtse Heuvelrug" in board.content()
    check(board, "board-page-registered")
    board.context.close()

    # The second board fills the form in English.
    board_b = new_page(browser, base_url=stack.url)
    board_b.goto("/aanmelden/")
    board_b.click("button.lang-option[lang=en]")
    board_b.wait_for_selector("html[lang=en]")
    register(
        board_b,
        board="Stichting Christelijk Primair Onderwijs Amersfoort",
        number="42345",
        contact="Peter van 't Hof",
        email="p.vanthof@cpoa.example.nl",
        place="Amersfoort",
    )
    assert "Thank you" in board_b.content()
    received_b = stack.wait_for_mail(template="cohorts/mail/registration_received", to="p.vanthof@cpoa.example.nl")
    assert OutgoingMail.objects.get(message_id=received_b["Message-ID"]).language == "en"
    board_b_path = link_in(received_b, "/bestuur/")

    registration_a = Registration.objects.get(contact_email="k.deboer@soou.example.nl")
    registration_b = Registration.objects.get(contact_email="p.vanthof@cpoa.example.nl")

    # --- The trainer plans an intake; the invitation with its .ics arrives -----------------------------------
    admin = admin_login(browser, stack, "jan")
    camera.shoot(admin, "admin-overview")
    admin.goto(f"/admin/cohorts/registration/{registration_a.pk}/change/")
    camera.shoot(admin, "admin-registration")
    admin.click("a.button[href*='intakeappointment/add']")
    intake_day = timezone.localdate() + datetime.timedelta(days=7)
    admin.fill("[name=starts_at_0]", f"{intake_day:%d-%m-%Y}")
    admin.fill("[name=starts_at_1]", "10:00")
    admin.select_option("[name=mode]", "video")
    admin.fill("[name=video_link]", "https://meet.example.nl/verbindend-intake")
    camera.shoot(admin, "admin-intake")
    admin.click("input[name=_save]")
    assert success_message(admin)
    invitation = stack.wait_for_mail(template="cohorts/mail/intake_invitation", to="k.deboer@soou.example.nl")
    calendars = [part for part in invitation.walk() if part.get_content_type() == "text/calendar"]
    assert len(calendars) == 1
    ics = calendars[0].get_content()
    ics = ics.decode() if isinstance(ics, bytes) else ics
    assert "BEGIN:VEVENT" in ics and f"DTSTART;TZID=Europe/Amsterdam:{intake_day:%Y%m%d}T100000" in ics
    stack.wait_for_mail(template="cohorts/mail/intake_invitation", to=trainer.email)

    # --- A course run for both boards, with six days ---------------------------------------------------------
    run_action(admin, "/admin/cohorts/registration/", [registration_a.pk, registration_b.pk], "form_cohort")
    admin.wait_for_url("**/admin/cohorts/cohort/*/change/")
    cohort = Cohort.objects.get()
    assert set(cohort.registrations.values_list("pk", flat=True)) == {registration_a.pk, registration_b.pk}
    admin.fill("[name=venue]", "Landgoed De Horst, Driebergen")
    admin.check("[name=open_for_joining]")
    first = timezone.localdate() + datetime.timedelta(days=28)
    first += datetime.timedelta(days=(1 - first.weekday()) % 7)  # a Tuesday
    programme_days = list(cohort.programme.days.order_by("number").values_list("pk", flat=True))
    for row, programme_day in enumerate(programme_days):
        admin.select_option(f"[name=days-{row}-programme_day]", str(programme_day))
        admin.fill(f"[name=days-{row}-date]", f"{first + datetime.timedelta(weeks=2 * row):%d-%m-%Y}")
        admin.fill(f"[name=days-{row}-start_time]", "09:30")
        admin.fill(f"[name=days-{row}-end_time]", "16:30")
    camera.shoot(admin, "admin-schedule")
    admin.click("input[name=_save]")
    assert success_message(admin)
    assert cohort.days.count() == 6

    # --- The boards add their leaders until the minimum -----------------------------------------------------
    board = new_page(browser, base_url=stack.url)
    board.goto(board_a_path)
    board.fill("[name=paste-rows]", BOARD_A_ROWS)
    board.click("button[name=action][value=paste]")
    expect(board.locator(".preview-table tr.table-success")).to_have_count(8)
    check(board, "board-paste-preview")
    board.click("button[name=action][value=paste_confirm]")
    expect(board.locator("tbody tr", has_text="Yvonne 't Hart")).to_have_count(1)
    check(board, "board-page-participants")
    anouk = Participant.objects.get(email="anouk.vanderberg@obsdelinde.nl")
    board.goto(f"{board_a_path}deelnemer/{anouk.pk}/")
    check(board, "board-correct-participant")
    board.goto(f"{board_a_path}gegevens/")
    check(board, "board-own-data")

    board_b.goto(board_b_path)
    board_b.fill("[name=add-first_name]", "Noor")
    board_b.fill("[name=add-tussenvoegsel]", "")
    board_b.fill("[name=add-last_name]", "Visser")
    board_b.fill("[name=add-email]", "n.visser@cbsdebron.nl")
    board_b.select_option("[name=add-role]", "directeur")
    board_b.fill("[name=add-school]", "CBS De Bron")
    board_b.fill("[name=add-brin]", "21AB")
    board_b.click("form:has(input[name=action][value=add]) [type=submit]")
    expect(board_b.locator("tbody tr", has_text="Noor Visser")).to_have_count(1)
    board_b.fill("[name=paste-rows]", BOARD_B_ROWS)
    board_b.click("button[name=action][value=paste]")
    board_b.click("button[name=action][value=paste_confirm]")
    expect(board_b.locator("tbody tr", has_text="Lotte van den Heuvel")).to_have_count(1)
    enrolment_path = board_b.input_value("#enrolment-url").removeprefix(stack.url)
    camera.shoot(board_b, "board-b-page")

    # The last leader enrols herself through the board's enrolment link.
    leader = new_page(browser, base_url=stack.url)
    leader.goto(enrolment_path)
    check(leader, "enrol-form")
    leader.fill("[name=first_name]", "Esmée")
    leader.fill("[name=last_name]", "Mulder")
    leader.fill("[name=email]", "e.mulder@cbsdeakker.nl")
    leader.select_option("[name=role]", "locatieleider")
    leader.fill("[name=school]", "CBS De Akker")
    leader.fill("[name=brin]", "22CD")
    leader.check("[name=privacy_consent]")
    leader.click("form:has([name=privacy_consent]) [type=submit]")
    leader.wait_for_url("**/bedankt/**")
    check(leader, "enrol-thanks")
    leader.context.close()
    assert cohort.participants.filter(status=Participant.Status.ENROLLED).count() == 12

    # --- Confirmed: welcome and schedule e-mails, each once ---------------------------------------------------
    run_action(admin, "/admin/cohorts/cohort/", [cohort.pk], "confirm")
    assert success_message(admin)
    camera.shoot(admin, "admin-cohort-confirmed")
    participants = list(cohort.participants.all())
    for participant in participants:
        stack.wait_for_mail(template="cohorts/mail/participant_welcome", to=participant.email)
        stack.wait_for_mail(template="cohorts/mail/cohort_confirmed", to=participant.email)
    for registration in (registration_a, registration_b):
        stack.wait_for_mail(template="cohorts/mail/cohort_confirmed", to=registration.contact_email)

    # The participant's page, from the welcome e-mail; she adds her register number.
    welcome = stack.wait_for_mail(template="cohorts/mail/participant_welcome", to=anouk.email)
    participant_path = link_in(welcome, "/deelnemer/")
    leader = new_page(browser, base_url=stack.url)
    leader.goto(participant_path)
    assert "Anouk van der Berg" in leader.content()
    leader.fill("[name=register_number]", "0012345")
    leader.click("form:has(input[name=action][value=details]) [type=submit]")
    expect(leader.locator(".alert-success, .alert-info").first).to_be_visible()
    check(leader, "participant-page-confirmed")
    calendar = leader.request.get(participant_path + "rooster.ics")
    assert calendar.ok and calendar.text().count("BEGIN:VEVENT") == 6
    leader.goto(participant_path + "mijn-gegevens/")
    check(leader, "participant-own-data")

    # --- Weeks pass: the six days are held. The test moves the dates, not the clock of three processes. -----
    today = timezone.localdate()
    for weeks_ago, day in zip(range(12, 0, -2), cohort.days.order_by("date"), strict=True):
        CourseDay.objects.filter(pk=day.pk).update(date=today - datetime.timedelta(weeks=weeks_ago))

    # --- Attendance: all present, but one leader missed two days ------------------------------------------
    admin.goto(f"/admin/cohorts/cohort/{cohort.pk}/attendance/")
    for button in admin.locator("button.all-present").all():
        button.click()
    daan = Participant.objects.get(email="d.jansen@kbsdewilg.nl")
    for day in list(cohort.days.order_by("date"))[1:3]:
        admin.select_option(f"[name=s-{daan.pk}-{day.pk}]", "absent")
    admin.click(".submit-row [type=submit]")
    assert success_message(admin)
    camera.shoot(admin, "admin-attendance")

    # --- Completed, certificates issued -----------------------------------------------------------------------
    run_action(admin, "/admin/cohorts/cohort/", [cohort.pk], "complete")
    assert success_message(admin)
    cohort.refresh_from_db()
    assert cohort.status == Cohort.Status.COMPLETED

    office = admin_login(browser, stack, "office")
    office.goto("/admin/registry/accreditation/")
    office.click("#result_list tbody th a")
    office.fill("[name=number]", "VL-PO-2026-117")
    office.fill("[name=points]", "60")
    office.fill("[name=contact_hours]", "36")
    office.fill("[name=self_study_hours]", "24")
    office.fill("[name=valid_from]", f"{today - datetime.timedelta(days=365):%d-%m-%Y}")
    office.fill("[name=valid_until]", f"{today + datetime.timedelta(days=3 * 365):%d-%m-%Y}")
    office.click("input[name=_save]")
    assert success_message(office)

    run_action(admin, "/admin/registry/completedcohort/", [cohort.pk], "issue_certificates")
    assert success_message(admin)
    # The worker issues them in the background; the count beside the course run shows the progress.
    wait_until(lambda: Certificate.objects.count() == 12, timeout=90, message="twelve certificates")
    admin.reload()
    camera.shoot(admin, "admin-certificates-issued")
    assert Certificate.objects.filter(kind=Certificate.Kind.CERTIFICATE).count() == 11
    assert Certificate.objects.get(participant=daan).kind == Certificate.Kind.ATTENDANCE

    # --- The participant downloads her certificate; the verification page confirms it ----------------------
    issued = stack.wait_for_mail(template="registry/mail/certificate_issued", to=anouk.email)
    assert link_in(issued, "/deelnemer/") == participant_path
    leader.goto(participant_path)
    check(leader, "participant-page-certificate")
    with leader.expect_download() as download_info:
        leader.click("a[href*='/certificaat/']")
    pdf = download_info.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    certificate = Certificate.objects.get(participant=anouk)
    for expected in ("van der Berg", "0012345", certificate.number, f"/verificatie/{certificate.verification_code}/"):
        assert expected in text, (expected, text)

    visitor = new_page(browser, base_url=stack.url)
    visitor.goto("/verificatie/")
    check(visitor, "verification-form")
    visitor.fill("input[type=text]", certificate.verification_code)
    visitor.click("main form [type=submit]")
    visitor.wait_for_url(f"**/verificatie/{certificate.verification_code}/")
    assert "Anouk van der Berg" in visitor.content()
    check(visitor, "verification-valid")
    visitor.goto("/privacy/")
    check(visitor, "privacy")
    visitor.goto("/bestaat-niet/")
    check(visitor, "not-found")

    # --- The office downloads the register export --------------------------------------------------------
    office.goto(f"/admin/registry/completedcohort/{cohort.pk}/register/")
    camera.shoot(office, "admin-register-export")
    with office.expect_download() as download_info:
        office.click("a[href='?format=csv']")
    export = download_info.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(export), delimiter=";"))
    anouk_row = next(row for row in rows if row["E-mailadres"] == anouk.email)
    assert anouk_row["Registernummer"] == "0012345"
    daan_row = next(row for row in rows if row["E-mailadres"] == daan.email)
    assert "alleen aanwezig" in daan_row.values() and "afgerond" in anouk_row.values()

    # --- The same pages in English ----------------------------------------------------------------------
    english = new_page(browser, base_url=stack.url, language="en")
    for what, path in visited:
        english.goto(path)
        assert english.locator("html").get_attribute("lang") == "en", path
        assert_accessible(english, f"{what} (en)")
    camera.shoot(english, "participant-page-english")

    # --- Every e-mail of the story arrived exactly once; no request failed ---------------------------------
    total = stack.assert_every_mail_delivered_once()
    assert total == OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() > 40
    welcome_rows = OutgoingMail.objects.filter(template="cohorts/mail/participant_welcome")
    assert welcome_rows.count() == len(participants)
    stack.assert_no_server_errors()
