"""Every e-mail template, sent through the real queue and send path, read back with Python's `email` package.

The messages are the bytes the locmem backend received (`message()`), parsed with `policy.default` as a modern
mail program would: the Date carries Amsterdam's offset, the Subject decodes without a leading space, the
calendar part names its charset once, and every link (HTML href and plain-text URL) is absolute.
"""

import datetime
import os
import re
import uuid
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail as django_mail
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import timezone, translation
from playwright.sync_api import sync_playwright

from billing.services import invoicing, payments
from billing.tests.factories import accepted_offer, offered_registration
from cohorts.models import Board, CourseDay, IntakeAppointment, Registration
from cohorts.services import enrolment, intakes, registrations, reminders, runs, scheduling
from cohorts.services import messages as run_messages
from cohorts.tests.factories import (
    CohortFactory,
    RawParticipantFactory,
    RawRegistrationFactory,
    enrolled_participants,
    scheduled_days,
)
from conftest import FIXED_NOW, eager_celery, require_service, settings_for_tests
from evaluations.services import sending as evaluations
from mail.models import OutgoingMail
from mail.services.delivery import deliver_mails
from mail.services.queueing import Attachment, queue_email
from materials.services.assignments import approve_submission, return_final_assignment, submit_final_assignment
from materials.tests import factories as material_files
from registry import presentie
from registry import services as registry
from registry.models import Accreditation
from registry.tests.conftest import completed_run

# The e-mails name dates relative to today: a reminder for tomorrow, a run in four weeks.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ROOT = Path(settings.BASE_DIR)
LONG_ADDRESS = "personeelszaken.en.kwaliteitszorg.primair.onderwijs@stichting-kindcentra-noordoost-brabant.example.nl"
LONG_SUBJECT_BOARD = "Stichting voor Katholiek, Protestants-Christelijk en Openbaar Primair Onderwijs ’s-Hertogenbosch"


def templates_on_disk() -> set[str]:
    """Every e-mail template: a `<name>_subject.txt` in an app's `templates/<app>/mail/` folder."""
    found = set()
    for subject in [*ROOT.glob("*/templates/*/mail/*_subject.txt"), *ROOT.glob("*/templates/mail/*_subject.txt")]:
        parts = subject.relative_to(ROOT).parts
        found.add("/".join(parts[parts.index("templates") + 1 :]).removesuffix("_subject.txt"))
    return found


def every_kind_of_mail(admin_user) -> None:
    """Queue one e-mail of each template through the product's own services."""
    admin_user.email = "jan@natuurlijkleren.example"
    admin_user.save()
    # A board registers: confirmation to the contact, notice to the trainer (a long address, a long board name).
    registrations.submit_registration(
        board_data={
            "name": LONG_SUBJECT_BOARD,
            "kind": Board.Kind.BESTUUR,
            "bestuursnummer": "07494",
            "swv_code": "",
            "sector": "po",
            "place": "’s-Hertogenbosch",
        },
        registration_data={
            "kind": Registration.Kind.NEW_COHORT,
            "cohort": None,
            "contact_name": "Fatima el Amrani",
            "contact_function": "",
            "contact_email": LONG_ADDRESS,
            "contact_phone": "0301234567",
            "expected_participants": 14,
            "preferred_period": "",
            "preferred_place": "",
            "remarks": "",
        },
        submission_key="mime-test",
        language="nl",
    )
    received = Registration.objects.get(contact_email=LONG_ADDRESS)
    # An intake: planned, then cancelled; and one planned for tomorrow, reminded.
    intake = IntakeAppointment(
        registration=received,
        trainer=admin_user,
        starts_at=timezone.now() + datetime.timedelta(hours=20),
        mode="video",
        video_link="https://meet.example.nl/intake",
    )
    intakes.save_intake(intake=intake, changed_fields=[])
    reminders.send_due_reminders()
    intake.status = IntakeAppointment.Status.CANCELLED
    intakes.save_intake(intake=intake, changed_fields=["status"])
    # A course run four weeks away, below its minimum: the go/no-go alert.
    cohort = CohortFactory(trainer=admin_user)
    registration = RawRegistrationFactory(cohort=cohort)
    first = timezone.localdate() + datetime.timedelta(weeks=4)
    for day in cohort.programme.days.order_by("number"):
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=first + datetime.timedelta(weeks=day.number - 1),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
    enrolment.enroll_participant(
        registration=registration,
        data={
            "first_name": "Anne",
            "initials": "A.",
            "tussenvoegsel": "",
            "last_name": "Jansen",
            "email": "anne@school.example.nl",
            "role": "directeur",
            "school": "OBS De Regenboog",
            "brin": "16SW",
        },
    )
    reminders.send_go_no_go_alerts()
    # Full: the next one waits, and gets the seat a withdrawal frees.
    RawParticipantFactory.create_batch(cohort.programme.max_participants - 1, registration=registration)
    waiting = enrolment.enroll_participant(
        registration=registration,
        data={
            "first_name": "Bram",
            "initials": "B.",
            "tussenvoegsel": "",
            "last_name": "Wachter",
            "email": "bram@school.example.nl",
            "role": "directeur",
            "school": "OBS De Regenboog",
            "brin": "16SW",
        },
    )
    enrolment.withdraw_participant(participant=cohort.participants.exclude(pk=waiting.pk).first())
    # Placed, confirmed, a day moved and reminded, then cancelled.
    registrations.place_registrations(registrations=[received], cohort=cohort)
    runs.confirm_cohort(cohort=cohort)
    run_messages.send_run_message(
        cohort=cohort,
        audience="contacts",
        subject="Parkeren bij De Eik: één vraag",
        body="Parkeer op P2.\nDe slagboom staat open.",
        form_token=uuid.uuid4(),
    )
    day = cohort.days.order_by("date").first()
    day.date = timezone.localdate() + datetime.timedelta(days=1)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    reminders.send_due_reminders()
    runs.cancel_cohort(cohort=cohort)
    # A certificate issued.
    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number = "SLR-2026-0042"
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2099, 12, 31)
    accreditation.save()
    _, people = completed_run({"Anna": [1, 2, 3, 4, 5, 6]})
    registry.issue_certificate(participant=people["Anna"])
    # The last day's evaluation the evening after it, and its reminder days later.
    last_day = people["Anna"].cohort.days.order_by("-date").first()
    evening = datetime.datetime.combine(last_day.date, datetime.time(20), tzinfo=AMSTERDAM)
    evaluations.send_due_evaluations(now=evening)
    evaluations.send_due_evaluations(now=evening + datetime.timedelta(days=settings.EVALUATION_REMINDER_DAYS + 1))
    # Where the programme asks for a final assignment: one returned with feedback, the next version approved.
    programme = people["Anna"].cohort.programme
    programme.final_assignment_required = True
    programme.save(update_fields=["final_assignment_required"])
    first = submit_final_assignment(participant=people["Anna"], upload=material_files.upload())
    return_final_assignment(submission=first, feedback="Werk de casus verder uit.", by=admin_user)
    second = submit_final_assignment(participant=people["Anna"], upload=material_files.upload("versie-2.pdf"))
    approve_submission(submission=second, by=admin_user)
    # Its days are over and its presentie not entered in PE-online: the office is reminded.
    presentie.remind_presentie_due()
    # An offer made and accepted, the board's invoice issued, and a reminder when it is not paid in time.
    offered, _offer = offered_registration()
    accepted_offer(offered)
    enrolled_participants(offered, offered.cohort.programme.min_participants)
    scheduled_days(offered.cohort, first=timezone.localdate() + datetime.timedelta(days=60))
    runs.confirm_cohort(cohort=offered.cohort)
    [invoice] = invoicing.issue_invoices_for_run(cohort=offered.cohort)
    payments.send_payment_reminders(today=invoice.due_date + datetime.timedelta(days=30))
    queue_email(to="test@example.nl", template="mail/test", context={}, key="mime-test")


@pytest.fixture(scope="module")
def sent(django_db_setup, django_db_blocker, tmp_path_factory):
    """
    Each template's first message, as bytes the backend received, parsed with policy.default; and each template's
    rendered subject.

    Made once for the module's tests, which only read them: the story behind them (a registration, a run, its
    invoices and certificates) takes seconds. It is made in a transaction rolled back at once, as a test's own
    data is, at the fixed clock of the tests.
    """
    files = tmp_path_factory.mktemp("mime-files")
    with (
        django_db_blocker.unblock(),
        time_machine.travel(FIXED_NOW, tick=False),
        override_settings(**settings_for_tests(), MEDIA_ROOT=files, PRIVATE_FILES_ROOT=files / "private"),
        eager_celery(),
        transaction.atomic(),
    ):
        every_kind_of_mail(User.objects.create_superuser("admin", "admin@example.com", "password"))
        django_mail.outbox.clear()
        rows = {row.message_id: row.template for row in OutgoingMail.objects.all()}
        pending = OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING)
        while pending.exists():  # a batch at a time, as the send task does
            deliver_mails(mail_ids=list(pending.values_list("pk", flat=True)))
        assert OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).count() == 0
        subjects = dict(OutgoingMail.objects.values_list("template", "subject"))
        parsed = {}
        for message in django_mail.outbox:
            raw = message.message().as_bytes()
            read = message_from_bytes(raw, policy=policy.default)
            parsed.setdefault(rows[read["Message-ID"]], (raw, read))
        django_mail.outbox.clear()
        transaction.set_rollback(True)
    cache.clear()
    translation.deactivate()
    return parsed, subjects


@pytest.fixture
def messages(sent):
    return sent[0]


def test_every_template_on_disk_is_covered(messages):
    assert set(messages) == templates_on_disk()


def test_date_carries_amsterdams_real_offset(messages):
    for template, (raw, message) in messages.items():
        assert not re.search(rb"^Date: .*-0000\r?$", raw, re.MULTILINE), template
        date = parsedate_to_datetime(message["Date"])
        assert date.utcoffset() == timezone.now().astimezone(AMSTERDAM).utcoffset(), template
        assert abs(date - timezone.now()) < datetime.timedelta(minutes=5), template


def test_subject_decodes_to_the_rendered_subject(sent):
    messages, subjects = sent
    assert any(not subject.isascii() and len(subject) > 60 for subject in subjects.values())  # a folded one
    for template, (_, message) in messages.items():
        assert str(message["Subject"]) == subjects[template], template
        assert not str(message["Subject"]).startswith(" "), template


def test_mime_structure_and_the_calendar_parts_content_type(messages):
    calendars = 0
    for template, (_, message) in messages.items():
        assert message.get_content_type() in ("multipart/alternative", "multipart/mixed"), template
        assert message.get_body(("plain",)) is not None, template
        assert message.get_body(("html",)) is not None, template
        for part in message.walk():
            if part.get_content_type() != "text/calendar":
                continue
            calendars += 1
            # As written, not as policy.default tidies it up (its parsed header keeps one of two charsets).
            (written,) = [value for name, value in part.raw_items() if name.lower() == "content-type"]
            assert written.lower().count("charset") == 1, (template, written)
            header = part["Content-Type"]
            assert header.params["charset"] == "utf-8"
            assert header.params["method"] in ("REQUEST", "CANCEL", "PUBLISH")
            assert part.get_content().startswith("BEGIN:VCALENDAR")
    assert calendars >= 5


HREF = re.compile(r"""href=["']([^"']*)["']""")
TEXT_URL = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@])/[a-z][\w/-]*/")


def test_every_link_is_absolute(messages):
    for template, (_, message) in messages.items():
        html = message.get_body(("html",)).get_content()
        hrefs = HREF.findall(html)
        assert hrefs, template
        for href in hrefs:
            assert re.match(r"(https?://[^/\s]+|mailto:[^@\s]+@)", href), (template, href)
        text = message.get_body(("plain",)).get_content()
        for url in TEXT_URL.findall(text):
            assert url.startswith(("http://", "https://")), (template, url)


def test_long_addresses_and_links_may_wrap_in_the_html(messages):
    """An address or link wider than a 390 px phone must break, or the whole mail gets wider than the screen."""
    for template, (_, message) in messages.items():
        html = message.get_body(("html",)).get_content()
        assert "overflow-wrap:anywhere" in html.replace(" ", ""), template
        assert "word-break:break-word" in html.replace(" ", ""), template
    notice = messages["cohorts/mail/registration_notification"][1].get_body(("html",)).get_content()
    assert LONG_ADDRESS in notice


def test_every_message_fits_a_390_px_phone(messages):
    """Measured in Chromium: the registration notice with a long address was 433 px wide at 390 px."""
    require_service("Chromium", os.path.exists("/usr/bin/chromium"), "apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 800})
            for template, (_, message) in messages.items():
                page.set_content(message.get_body(("html",)).get_content())
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, template
        finally:
            browser.close()


def test_a_binary_attachment_arrives_whole_with_its_name(django_capture_on_commit_callbacks):
    content = b"%PDF-1.7\n\x00\xff binary " * 50
    with django_capture_on_commit_callbacks(execute=True):
        queue_email(
            to="anne@school.example.nl",
            template="mail/test",
            context={},
            key="binary",
            attachments=[Attachment("certificaat VL-2027-01-001.pdf", content, "application/pdf")],
        )
    message = message_from_bytes(django_mail.outbox[0].message().as_bytes(), policy=policy.default)
    (part,) = list(message.iter_attachments())

    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "certificaat VL-2027-01-001.pdf"
    assert part.get_content() == content
