"""What the browser tests share: the production processes, mail checks, screenshots and axe-core."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from conftest import ROOT
from harness import Process, http_ok, wait_until

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
OPEN_PAGES = []  # photographed when a test fails, see conftest.py


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


class Stack:
    """gunicorn, a Celery worker and beat as the Procfile starts them, and what the SMTP server received."""

    def __init__(self, env, smtp, folder):
        self.env = env
        self.smtp = smtp
        self.folder = folder
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.processes = {}
        self._log_offsets = {}

    def begin_test(self):
        """Forget what earlier tests left: the messages received, the cache (rate limits), the logs read so far."""
        import redis

        self.smtp.messages.clear()
        self.smtp.peers.clear()
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        self._log_offsets = {name: (self.folder / f"{name}.log").stat().st_size for name in self.processes}

    def start(self):
        commands = procfile()
        bin_dir = str(Path(sys.executable).parent)
        env = {**self.env, "PATH": f"{bin_dir}:{self.env.get('PATH', '')}"}
        subprocess.run(
            ["bash", "-c", commands["release"]], cwd=ROOT, env=env, check=True, capture_output=True, timeout=180
        )
        ready = {
            "web": http_ok(self.url + "/health/ready/"),
            "worker": lambda: "ready." in self.log("worker"),
            "beat": lambda: "beat: Starting" in self.log("beat"),
        }
        for name, check in ready.items():
            command = ["bash", "-c", f"exec {commands[name]}"]
            log = self.folder / f"{name}.log"
            self.processes[name] = Process(command, name=name, env=env, cwd=ROOT, log=log, ready=check).launch()
        for process in self.processes.values():
            process.wait()

    def log(self, name: str) -> str:
        """What the process wrote since this test began."""
        with open(self.folder / f"{name}.log", "rb") as log:
            log.seek(self._log_offsets.get(name, 0))
            return log.read().decode(errors="replace")

    def stop(self):
        for process in self.processes.values():
            process.stop()

    # --- E-mail -------------------------------------------------------------------------------

    def wait_for_mail(self, *, template: str, to: str, timeout: float = 45):
        """The message the SMTP server received for the outbox row of this template and recipient."""
        from mail.models import OutgoingMail

        def delivered():
            row = OutgoingMail.objects.filter(template=template, to__contains=[to]).order_by("-pk").first()
            if row is None or not row.message_id:
                return None
            return next((m for m in list(self.smtp.messages) if m["Message-ID"] == row.message_id), None)

        return wait_until(delivered, timeout=timeout, interval=0.25, message=f"{template} e-mail to {to}")

    def assert_every_mail_delivered_once(self):
        from mail.models import OutgoingMail

        wait_until(
            lambda: not OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).exists(),
            timeout=60,
            message="the outbox to empty",
        )
        received = Counter(m["Message-ID"] for m in self.smtp.messages)
        sent = set(OutgoingMail.objects.values_list("message_id", flat=True))
        assert set(received) == sent, "the SMTP server received other messages than the outbox holds"
        twice = {message_id: n for message_id, n in received.items() if n > 1}
        assert not twice, f"delivered more than once: {twice}"
        return OutgoingMail.objects.count()

    def assert_no_server_errors(self):
        web = self.log("web")
        assert '"level": "ERROR"' not in web and "Traceback" not in web, web[-3000:]
        assert not re.search(r'" 500 ', web), "a request answered 500"
        for name in ("worker", "beat"):
            assert "Traceback" not in self.log(name), self.log(name)[-3000:]


class Camera:
    """Screenshots of a page at desktop and at phone width, numbered in the order of the story."""

    def __init__(self, folder: Path, prefix: str):
        self.folder = folder
        self.prefix = prefix
        self.count = 0

    def shoot(self, page, name: str):
        self.count += 1
        stem = f"{self.prefix}-{self.count:02d}-{name}"
        size = page.viewport_size
        page.screenshot(path=self.folder / f"{stem}-desktop.png", full_page=True)
        page.set_viewport_size(PHONE)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: {width} px wide on a {PHONE['width']} px phone"
        page.screenshot(path=self.folder / f"{stem}-phone.png", full_page=True)
        page.set_viewport_size(size)


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))
  }));
}"""


def assert_accessible(page, what: str):
    """No serious or critical axe-core violations on the page as it stands, and a plain-text title."""
    # Evaluated as the test's own code, not added as a <script> element: the pages' Content-Security-Policy
    # allows no inline script, and a test must see the page under the same policy as its visitors.
    page.evaluate("() => {\n" + AXE.read_text() + "\n}")
    violations = page.evaluate(AXE_RUN)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{what} ({page.url}): {serious}"
    assert page.title() and "<" not in page.title(), f"{what}: title {page.title()!r}"


def new_page(browser, *, language: str | None = None, base_url: str):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, accept_downloads=True)
    if language:
        context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(20_000)
    OPEN_PAGES.append(page)
    return page


def fill_registration(page, *, board, number, contact, email, sector="po", place="Utrecht"):
    """Fill in and send the registration form already open in the page, up to the thank-you page."""
    if page.locator("input[name=path][type=radio]").count():  # only while a course run is open to join
        page.check("input[name=path][value=new]")
    page.fill("[name=board_name]", board)
    page.check("input[name=board_kind][value=bestuur]")
    page.fill("[name=bestuursnummer]", number)
    page.check(f"input[name=sector][value={sector}]")
    page.fill("[name=board_place]", place)
    page.fill("[name=contact_name]", contact)
    page.fill("[name=contact_function]", "bestuurder")
    page.fill("[name=contact_email]", email)
    page.fill("[name=contact_phone]", "030 123 45 67")
    page.fill("[name=expected_participants]", "8")
    page.fill("[name=preferred_period]", "voorjaar 2027")
    page.fill("[name=preferred_place]", place)
    page.check("[name=privacy_consent]")
    page.click("form.registration-form [type=submit]")
    page.wait_for_url("**/aanmelden/bedankt/**")


def fill_enrolment(page, *, first_name, last_name, email, role="directeur", school="OBS De Linde", brin="12AB"):
    """Fill in and send the self-enrolment form already open in the page, up to its thank-you page."""
    page.fill("[name=first_name]", first_name)
    page.fill("[name=last_name]", last_name)
    page.fill("[name=email]", email)
    page.select_option("[name=role]", role)
    page.fill("[name=school]", school)
    page.fill("[name=brin]", brin)
    page.check("[name=privacy_consent]")
    page.click("form:has([name=privacy_consent]) [type=submit]")
    page.wait_for_url("**/bedankt/**")


def admin_log_in(page, username: str, password: str):
    """
    Log in to the admin as staff do: the password, then the code of their authenticator app.

    The user gets an authenticator (a TOTP device) here if they have none; the
    code is what an app set up with its key shows now (verbindend/staff_login.py).
    """
    from django.contrib.auth import get_user_model
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = get_user_model().objects.get(username=username)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True
    )
    page.goto("/admin/login/")
    page.fill("[name=username]", username)
    page.fill("[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_selector("[name=code]")
    page.fill("[name=code]", f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
    page.click("[type=submit]")
    page.wait_for_url("**/admin/")
    return page
