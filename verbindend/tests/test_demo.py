import datetime
import io
import logging
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from cohorts.models import Attendance, Board, Cohort, IntakeAppointment, Participant, Registration
from mail.models import OutgoingMail
from registry.models import Certificate


def run_demo(capsys) -> str:
    call_command("demo")
    return capsys.readouterr().out


def printed_password(output: str, username: str = "demo-trainer") -> str:
    return output.split(f"user:     {username}\n")[1].split("password:")[1].split()[0]


def printed_links(output: str) -> dict[str, str]:
    """Return the pages the demo names, by the first words of their description, as paths on SITE_URL."""
    site = re.escape(django_settings.SITE_URL)
    pairs = re.findall(rf"^  (.+):\n    {site}(\S+)$", output, flags=re.MULTILINE)
    return dict(pairs)


def link(links: dict[str, str], starts_with: str) -> str:
    return next(path for what, path in links.items() if what.startswith(starts_with))


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, demo_media):
    # The module's one demo run wrote its certificates here; every test of the module reads them from here.
    settings.MEDIA_ROOT = demo_media


@pytest.fixture(scope="class")
def demo_run(django_db_setup, django_db_blocker, demo_media):
    """
    The demo, run once for the tests that only look at what it made, inside a transaction rolled back after the
    last of them (the class below) (as Django's TestCase.setUpTestData does); each test runs in a savepoint within it.
    """
    from django.db import transaction
    from django.test import TestCase
    from django.test.utils import override_settings

    from verbindend.celery import app

    storages = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        settings = override_settings(MEDIA_ROOT=demo_media, STORAGES=storages)
        with django_db_blocker.unblock(), settings, transaction.atomic():
            output = io.StringIO()
            with TestCase.captureOnCommitCallbacks(execute=True):
                call_command("demo", stdout=output)
            yield output.getvalue()
            transaction.set_rollback(True)
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def demo(demo_run, db):
    return demo_run


def printed(output: str, username: str, what: str) -> str:
    """One of a demo login's printed lines ("app key", "otpauth", "recovery"), after the user's name."""
    return output.split(f"user:     {username}\n")[1].split(f"{what}:")[1].split("\n")[0].strip()


def test_demo_made_as_a_superuser_by_an_older_version_becomes_a_trainer(db, capsys, django_capture_on_commit_callbacks):
    get_user_model().objects.create_superuser("demo-trainer", "trainer@example.nl", "old")
    with django_capture_on_commit_callbacks(execute=True):
        run_demo(capsys)
    trainer = get_user_model().objects.get(username="demo-trainer")
    assert not trainer.is_superuser and [group.name for group in trainer.groups.all()] == ["Trainer"]


def make_dry_run(target: str, *variables: str, site_url: str | None = None) -> list[str]:
    """Return the commands `make --dry-run` would run for a target, with or without SITE_URL in the environment."""
    env = {key: value for key, value in os.environ.items() if key not in {"SITE_URL", "MAKEFLAGS", "MFLAGS"}}
    if site_url:
        env["SITE_URL"] = site_url
    result = subprocess.run(
        ["make", "--dry-run", "--no-print-directory", target, *variables],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if "manage.py" in line]


@pytest.mark.parametrize("target", ["demo", "run"])
def test_make_passes_a_site_url_that_follows_host(target):
    commands = make_dry_run(target, "HOST=127.0.0.1:8101")
    assert commands and all("SITE_URL='http://127.0.0.1:8101' " in command for command in commands), commands
    assert commands[-1].endswith("manage.py runserver 127.0.0.1:8101")
    if target == "demo":
        assert any(command.endswith("manage.py demo") for command in commands)
    default = make_dry_run(target)
    assert all("SITE_URL='http://127.0.0.1:8000' " in command for command in default), default


def test_make_keeps_a_site_url_set_in_the_environment():
    commands = make_dry_run("demo", "HOST=127.0.0.1:8101", site_url="https://verbindend.example.nl")
    assert commands and all("SITE_URL='https://verbindend.example.nl' " in command for command in commands)
    assert commands[-1].endswith("manage.py runserver 127.0.0.1:8101")


def test_the_demo_links_e_mails_and_certificates_use_site_url(
    db, settings, capsys, django_capture_on_commit_callbacks, tmp_path
):
    """What make demo HOST=127.0.0.1:8101 sets: every printed link, e-mail and PDF points at that port."""
    settings.SITE_URL = "http://127.0.0.1:8101"
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        output = run_demo(capsys)
    links = re.findall(r"https?://\S+", output)
    assert len(links) >= 6 and all(url.startswith("http://127.0.0.1:8101/") for url in links), links
    mails = list(OutgoingMail.objects.values_list("body_text", "body_html"))
    bodies = " ".join(text + html for text, html in mails)
    assert "http://127.0.0.1:8101/" in bodies
    assert ":8000" not in bodies
    certificate = Certificate.objects.filter(kind=Certificate.Kind.CERTIFICATE).order_by("pk").first()
    with certificate.pdf.open("rb") as pdf:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)
    assert "http://127.0.0.1:8101/verificatie/" in text.replace("\n", "")
    assert ":8000" not in text


def test_demo_runs_again_without_adding_anything_but_a_new_password(
    db, capsys, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = run_demo(capsys)
    counts = [model.objects.count() for model in (Registration, Cohort, Participant, Certificate, OutgoingMail)]
    with django_capture_on_commit_callbacks(execute=True):
        second = run_demo(capsys)
    assert [model.objects.count() for model in (Registration, Cohort, Participant, Certificate, OutgoingMail)] == counts
    assert "The demo data was there already and is left as it is" in second
    assert printed_password(first) != printed_password(second)
    assert client.login(username="demo-trainer", password=printed_password(second))
    assert client.login(username="demo-kantoor", password=printed_password(second, "demo-kantoor"))
    demo_rows = OutgoingMail.objects.filter(key__startswith="demo:")
    assert demo_rows.filter(status=OutgoingMail.Status.SENT).count() == 1
    assert demo_rows.filter(status=OutgoingMail.Status.FAILED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_demo_sends_its_e_mails_to_the_outbox_quietly_and_in_well_under_a_minute(settings, capsys, caplog):
    """Committed for real, as on the command line: the e-mails are delivered, to memory, with nothing printed."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    output = run_demo(capsys)
    assert time.monotonic() - started < 60
    assert OutgoingMail.objects.count() > 100
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {"sent", "failed"}
    assert "Subject:" not in output
    assert not [record for record in caplog.records if record.name.startswith(("celery", "kombu"))]
    assert output.rstrip().splitlines()[-1].startswith("    recovery: ")  # the last of the logins


@pytest.mark.parametrize("today", ["2027-12-23", "2028-08-31", "2028-10-23"])  # Christmas, summer, autumn holidays
def test_demo_tells_its_story_on_any_day_of_the_year(today, db, capsys, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime.datetime.fromisoformat(f"{today}T09:00:00+01:00"), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run_demo(capsys)
        assert sorted(Cohort.objects.values_list("status", flat=True)) == sorted(Cohort.Status.values)
        assert Certificate.objects.filter(kind=Certificate.Kind.CERTIFICATE).count() == 13


@pytest.mark.usefixtures("demo")
class TestWhatTheDemoMade:
    """The tests that look at one demo run, made once for them all (see `demo_run`)."""

    def test_demo_ends_with_a_trainer_and_an_office_login(self, demo, client):
        last_lines = demo.rstrip().splitlines()[-15:]
        assert last_lines[0] == "Demo staff logins, created for this run:"
        assert "two steps" in last_lines[1]
        assert last_lines[3].startswith("  The trainer (group Trainer")
        assert last_lines[4] == "    user:     demo-trainer"
        assert last_lines[5].startswith("    password: ")
        assert last_lines[6].startswith("    app key:  ")
        assert last_lines[7].startswith("    otpauth:  otpauth://totp/Verbindend%3Ademo-trainer?secret=")
        assert last_lines[8].startswith("    recovery: ")
        assert last_lines[9].startswith("  The office (group Kantoor")
        assert last_lines[10] == "    user:     demo-kantoor"
        assert last_lines[11].startswith("    password: ")
        assert last_lines[14].startswith("    recovery: ")
        assert printed_password(demo) != printed_password(demo, "demo-kantoor")
        assert client.get("/admin/").status_code == 302
        # Logged in as a newcomer would: the password, then a code from an app given the printed key, or a
        # recovery code.
        import base64

        from django_otp.oath import totp

        for username in ("demo-trainer", "demo-kantoor"):
            client.logout()
            client.post("/admin/login/", {"username": username, "password": printed_password(demo, username)})
            key = base64.b32decode(
                printed(demo, username, "app key") + "=" * (-len(printed(demo, username, "app key")) % 8)
            )
            assert client.post("/admin/login/", {"code": f"{totp(key):06d}"}).status_code == 302
            assert client.get("/admin/").status_code == 200
            client.logout()
            client.post("/admin/login/", {"username": username, "password": printed_password(demo, username)})
            recovery = printed(demo, username, "recovery").split()
            assert len(recovery) == 10
            assert client.post("/admin/login/", {"code": recovery[0]}).status_code == 302
            assert client.get("/admin/").status_code == 200

    def test_demo_logins_are_a_trainer_and_an_office_user_not_superusers(self, demo, client):
        """A newcomer sees what the trainer and the office see: each group's admin, not everything."""
        users = get_user_model().objects.filter(username__startswith="demo-")
        groups = {user.username: [group.name for group in user.groups.all()] for user in users}
        assert groups == {"demo-trainer": ["Trainer"], "demo-kantoor": ["Kantoor"]}
        assert all(user.is_staff and not user.is_superuser for user in users)
        cohort = Cohort.objects.get(status=Cohort.Status.PLANNED)
        change_run = f"/admin/cohorts/cohort/{cohort.pk}/change/"
        client.login(username="demo-trainer", password=printed_password(demo))
        assert client.get(change_run).status_code == 200
        assert client.get("/admin/audit/auditevent/").status_code == 403  # the office's, not the trainer's
        client.login(username="demo-kantoor", password=printed_password(demo, "demo-kantoor"))
        assert client.get("/admin/audit/auditevent/").status_code == 200
        page = client.get(change_run)
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode()  # view only

    def test_demo_has_a_course_run_in_every_status_each_with_its_six_days(self, demo):
        today = timezone.localdate()
        runs = {cohort.status: cohort for cohort in Cohort.objects.all()}
        assert sorted(runs) == sorted(Cohort.Status.values)
        assert Cohort.objects.count() == len(Cohort.Status.values)
        for cohort in runs.values():
            assert cohort.days.count() == 6, cohort.status
            assert cohort.venue and cohort.place and cohort.trainer.username == "demo-trainer"
        dates = {status: sorted(cohort.days.values_list("date", flat=True)) for status, cohort in runs.items()}
        assert dates["completed"][-1] < today
        assert dates["running"][2] < today < dates["running"][3]
        for status in ["cancelled", "confirmed", "planned", "requested"]:
            assert dates[status][0] > today, status
        assert runs["planned"].open_for_joining

    def test_demo_has_three_boards_with_registrations_in_every_status_and_intakes(self, demo):
        assert Board.objects.count() == 3
        assert {board.kind for board in Board.objects.all()} == {Board.Kind.BESTUUR, Board.Kind.SWV}
        assert {registration.status for registration in Registration.objects.all()} == set(Registration.Status.values)
        assert all(board.registrations.count() > 1 for board in Board.objects.all())
        cancelled = Registration.objects.get(status=Registration.Status.CANCELLED)
        assert cancelled.cohort.status == Cohort.Status.CANCELLED
        assert Registration.objects.filter(kind=Registration.Kind.JOIN_COHORT, board=cancelled.board).exists()
        intakes = IntakeAppointment.objects.all()
        assert set(intakes.values_list("status", flat=True)) == set(IntakeAppointment.Status.values)
        coming = intakes.get(status=IntakeAppointment.Status.PLANNED)
        assert timezone.now() < coming.starts_at < timezone.now() + datetime.timedelta(days=8)
        assert coming.registration.status == Registration.Status.INTAKE

    def test_demo_participants_have_dutch_names_and_every_status(self, demo):
        tussenvoegsels = set(Participant.objects.values_list("tussenvoegsel", flat=True))
        assert {"van", "van der", "de", "'t", "ten", "el", "van den"} <= tussenvoegsels
        assert set(Participant.objects.values_list("status", flat=True)) == set(Participant.Status.values)
        confirmed = Cohort.objects.get(status=Cohort.Status.CONFIRMED)
        assert confirmed.participants.filter(status=Participant.Status.ENROLLED).count() == 30
        assert confirmed.participants.filter(status=Participant.Status.WAITING).count() == 1
        assert Participant.objects.filter(cohort__status=Cohort.Status.COMPLETED).exclude(register_number="").exists()

    def test_demo_has_attendance_for_the_running_and_completed_runs(self, demo):
        for status, past_days in [(Cohort.Status.COMPLETED, 6), (Cohort.Status.RUNNING, 3)]:
            cohort = Cohort.objects.get(status=status)
            marks = Attendance.objects.filter(course_day__cohort=cohort).exclude(status="")
            assert marks.count() == past_days * cohort.participants.count(), status
            assert marks.filter(status=Attendance.Status.ABSENT).exists(), status
        assert Attendance.objects.filter(status=Attendance.Status.MADE_UP, made_up_in__isnull=False).exists()
        notified = Attendance.objects.filter(
            course_day__cohort__status=Cohort.Status.RUNNING, absence_notified_at__isnull=False
        )
        assert notified.exists()
        assert all(attendance.course_day.date > timezone.localdate() for attendance in notified)

    def test_demo_has_a_message_to_the_running_runs_participants_each_mailed(self, demo):
        from cohorts.models import RunMessage
        from mail.models import OutgoingMail

        [message] = RunMessage.objects.all()
        running = Cohort.objects.get(status=Cohort.Status.RUNNING)
        assert (message.cohort, message.audience) == (running, RunMessage.Audience.PARTICIPANTS)
        mailed = OutgoingMail.objects.filter(key__startswith=f"run-message:{message.pk}:").values_list("to", flat=True)
        enrolled = running.participants.filter(status="enrolled").values_list("email", flat=True)
        assert sorted(to[0] for to in mailed) == sorted(enrolled) and message.recipient_count == len(enrolled)

    def test_demo_issues_certificates_and_proofs_of_attendance_for_the_completed_run(self, demo, client):
        completed = Cohort.objects.get(status=Cohort.Status.COMPLETED)
        issued = Certificate.objects.filter(participant__cohort=completed, status=Certificate.Status.VALID)
        assert issued.filter(kind=Certificate.Kind.CERTIFICATE).count() == 13
        assert issued.filter(kind=Certificate.Kind.ATTENDANCE).count() == 1  # the one who missed two days
        assert all(certificate.pdf for certificate in issued)
        page = client.get(link(printed_links(demo), "Check of certificate"))
        assert page.status_code == 200
        assert issued.order_by("pk").first().snapshot["name"] in page.content.decode()

    def test_demo_names_the_pages_to_open_first(self, demo, client):
        links = printed_links(demo)
        board = client.get(link(links, "Board page of Stichting Openbaar Onderwijs Rivierenland"))
        assert board.status_code == 200
        assert "Stichting Openbaar Onderwijs Rivierenland" in board.content.decode()
        running = Participant.objects.filter(cohort__status=Cohort.Status.RUNNING)
        for what, path in links.items():
            if what.startswith("Participant page of"):
                name = what.removeprefix("Participant page of ").split(" (")[0]
                assert name in client.get(path).content.decode()
        assert any(f"Participant page of {p.full_name}" in what for p in running for what in links)
        assert client.get(link(links, "The public registration form")).status_code == 200
        assert link(links, "The admin") == "/admin/"
