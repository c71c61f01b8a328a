"""
Every page, public, personal or staff, and every error page, sends the one strict Content-Security-Policy.

Scripts, styles, fonts and images come from the site's own files only, so no
template may hold an inline script, a style block, a style attribute or an
event handler: the scan below fails on the first one that comes back. The
e-mail preview of the outbox is the one page with a policy of its own.
"""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import path, reverse

from cohorts.services import links
from mail.models import OutgoingMail
from public_pages.tests.test_security import post, registration_data
from registry import services as registry_services
from verbindend import urls as project_urls
from verbindend.tests.test_headers import certified_story, path_of

pytestmark = pytest.mark.django_db

STRICT = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
PASSWORD = "een-lang-wachtwoord-voor-de-test"


def boom(request):
    raise RuntimeError("a bug")


# This module is also the URLconf of the server-error test: the project's URLs and one that fails.
urlpatterns = [path("kapot/", boom), *project_urls.urlpatterns]


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy"
    policy = {}
    for directive in header.split(";"):
        name, *values = directive.split()
        assert name not in policy, f"{name} twice"
        policy[name] = values
    return policy


def assert_strict(response, what: str, **extra: list[str]):
    """The policy is exactly the strict one (with `extra` directives where a page needs them), and enforced."""
    expected = {**STRICT, **{name.replace("_", "-"): values for name, values in extra.items()}}
    assert policy_of(response) == expected, what
    assert "Content-Security-Policy-Report-Only" not in response, what
    assert "unsafe" not in response["Content-Security-Policy"], what


@pytest.fixture
def story(settings, tmp_path):
    return certified_story(settings, tmp_path)


def test_public_pages(client, story):
    pages = {
        "home": "/",
        "programme": reverse("programme:detail", args=["verbindend-leiderschap"]),
        "registration": reverse("public:registration"),
        "registration thanks": reverse("public:registration_thanks"),
        "privacy statement": reverse("privacy"),
        "verification form": reverse("public:verify_form"),
        "verification of a certificate": path_of(registry_services.verification_url(story["certificate"])),
    }
    for what, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, what
        assert_strict(response, what)


def test_personal_pages_and_the_certificate(client, story):
    registration, anna = story["registration"], story["anna"]
    board = path_of(links.board_page_url(registration))
    participant = path_of(links.participant_page_url(anna))
    token = participant.rstrip("/").rsplit("/", 1)[1]
    pages = {
        "board page": board,
        "participant edited by the board": f"{board}deelnemer/{anna.pk}/",
        "board's own data": reverse("public:registration_data", args=[board.rstrip("/").rsplit("/", 1)[1]]),
        "enrolment page": path_of(links.enrolment_url(registration)),
        "participant page": participant,
        "participant's own data": reverse("public:participant_data", args=[token]),
        "participant's certificate (PDF)": reverse(
            "public:participant_certificate", args=[token, story["certificate"].pk]
        ),
    }
    for what, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, what
        assert_strict(response, what)


def test_admin_pages(admin_client, story):
    cohort = story["cohort"]
    pages = {
        "index": reverse("admin:index"),
        "course runs": reverse("admin:cohorts_cohort_changelist"),
        "a course run with its inlines": reverse("admin:cohorts_cohort_change", args=[cohort.pk]),
        "attendance": reverse("admin:cohorts_cohort_attendance", args=[cohort.pk]),
        "register export": reverse("admin:registry_register_export", args=[cohort.pk]),
        "certificates": reverse("admin:registry_certificate_changelist"),
        "outbox": reverse("admin:mail_outgoingmail_changelist"),
        "staff download of a certificate (PDF)": reverse("registry:staff_certificate", args=[story["certificate"].pk]),
    }
    for what, url in pages.items():
        response = admin_client.get(url)
        assert response.status_code == 200, what
        assert_strict(response, what)
    confirmation = admin_client.post(
        reverse("admin:cohorts_cohort_changelist"), {"action": "cancel", "_selected_action": [cohort.pk]}
    )
    assert confirmation.status_code == 200
    assert b"action-confirmation" in confirmation.content
    assert_strict(confirmation, "an action's confirmation page")


def test_the_outbox_frames_its_e_mail_preview_and_only_that_page_may_style_inline(admin_client):
    mail = OutgoingMail.objects.create(
        key="preview",
        to=["leider@example.nl"],
        subject="Welkom",
        body_text="Welkom",
        body_html='<p style="margin:0">Welkom</p><script>alert(1)</script>',
        template="mail/test",
    )
    detail = admin_client.get(reverse("admin:mail_outgoingmail_change", args=[mail.pk]))
    assert detail.status_code == 200
    preview_url = reverse("admin:mail_outgoingmail_preview", args=[mail.pk])
    assert f'<iframe class="mail-preview" sandbox="" src="{preview_url}"' in detail.content.decode()
    # The detail page may frame a page of this site, nothing else.
    assert_strict(detail, "outbox detail", frame_src=["'self'"])
    preview = admin_client.get(preview_url)
    assert preview.status_code == 200
    assert preview.content.decode() == mail.body_html
    assert policy_of(preview) == {
        "default-src": ["'none'"],
        "style-src": ["'unsafe-inline'"],
        "img-src": ["data:"],
        "form-action": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'self'"],
        "sandbox": [],
    }
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in preview["Cache-Control"]
    # Every other page keeps Django's DENY.
    assert detail["X-Frame-Options"] == "DENY"


def test_the_e_mail_preview_is_for_who_may_read_the_outbox(client, admin_client):
    mail = OutgoingMail.objects.create(
        key="geheim", to=["leider@example.nl"], subject="Welkom", body_html="<p>geheime-link</p>", template="mail/test"
    )
    preview_url = reverse("admin:mail_outgoingmail_preview", args=[mail.pk])
    assert client.get(preview_url).status_code == 302  # to the login
    trainer = User.objects.create_user("jan", password=PASSWORD, is_staff=True)
    trainer.groups.add(Group.objects.get(name="Trainer"))
    client.force_login(trainer)
    refused = client.get(preview_url)
    assert refused.status_code in {403, 404}
    assert b"geheime-link" not in refused.content
    office = User.objects.create_user("els", password=PASSWORD, is_staff=True)
    office.groups.add(Group.objects.get(name="Kantoor"))
    client.force_login(office)
    assert client.get(preview_url).content == b"<p>geheime-link</p>"
    assert admin_client.get(reverse("admin:mail_outgoingmail_preview", args=[mail.pk + 1])).status_code == 404


def test_the_two_factor_login(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    login = reverse("admin:login")
    response = client.get(login)
    assert b'name="password"' in response.content
    assert_strict(response, "password step")
    jan = User.objects.create_user("jan", password=PASSWORD, is_staff=True)
    client.post(login, {"username": "jan", "password": PASSWORD})
    response = client.get(login)
    assert b"<svg" in response.content  # the QR code of the set-up, drawn inline in SVG without style
    assert_strict(response, "set-up of the authenticator")
    TOTPDevice.objects.filter(user=jan).update(confirmed=True)
    response = client.get(login)
    assert b'name="code"' in response.content
    assert_strict(response, "code step")
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(login, {"username": "jan", "password": "fout"})
    assert locked.status_code == 429
    assert_strict(locked, "locked out")


def test_error_pages(client, settings):
    not_found = client.get("/bestaat/niet/")
    assert not_found.status_code == 404
    assert_strict(not_found, "404")
    unknown_certificate = client.get(reverse("public:verify", args=["ABCD-EFGH"]))
    assert unknown_certificate.status_code == 404
    assert_strict(unknown_certificate, "unknown certificate")
    refused = Client(enforce_csrf_checks=True).post(reverse("public:registration"), {})
    assert refused.status_code == 403
    assert "measure-46" in refused.content.decode()  # our own 403_csrf.html
    assert_strict(refused, "403 CSRF")
    settings.REGISTRATION_RATE_LIMIT = 0
    limited = post(client, reverse("public:registration"), registration_data())
    assert limited.status_code == 429
    assert_strict(limited, "429 rate limited")
    settings.ROOT_URLCONF = __name__
    server_error = Client(raise_request_exception=False).get("/kapot/")
    assert server_error.status_code == 500
    assert_strict(server_error, "500")


# --- No inline script or style in any template ------------------------------------------------------------------

# E-mails are read in mail clients, which need inline styles; no browser loads them as a page of this site (the
# outbox previews them under a policy of their own). WeasyPrint's templates are read by WeasyPrint only.
NOT_PAGES = re.compile(r"(^|/)mail/|^registry/certificate\.html$")
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style block": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def template_dirs() -> list[Path]:
    base = Path(settings.BASE_DIR)
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine["DIRS"]]
    dirs += [Path(app.path) / "templates" for app in apps.get_app_configs() if Path(app.path).is_relative_to(base)]
    return [d for d in dirs if d.is_dir() and ".venv" not in d.parts]


def inline_code(text: str) -> list[str]:
    return [kind for kind, pattern in INLINE.items() if pattern.search(text)]


def test_the_scan_finds_every_kind_of_inline_code():
    assert inline_code('<script src="/static/js/copy.js" defer></script><p class="lead">') == []
    assert inline_code("<script>alert(1)</script>") == ["inline script"]
    assert inline_code('<script type="module">import "x";</script>') == ["inline script"]
    assert inline_code("<style>p { color: red }</style>") == ["style block"]
    assert inline_code('<div class="x"\n     style="color: red">') == ["style attribute"]
    assert inline_code('<button type="button" onclick="go()">') == ["event handler"]
    assert inline_code('<a href="javascript:go()">') == ["javascript: URL"]


def test_no_template_of_a_page_holds_inline_script_or_style():
    scanned, found = 0, {}
    for folder in template_dirs():
        for template in folder.rglob("*.html"):
            name = template.relative_to(folder).as_posix()
            if NOT_PAGES.search(name):
                continue
            scanned += 1
            if kinds := inline_code(template.read_text()):
                found[str(template.relative_to(settings.BASE_DIR))] = kinds
    assert scanned > 30  # every app's templates were found
    assert found == {}


def test_no_html_written_in_python_holds_inline_script_or_style():
    base = Path(settings.BASE_DIR)
    found = {}
    for module in base.rglob("*.py"):
        parts = module.relative_to(base).parts
        if parts[0].startswith(".") or "tests" in parts or "migrations" in parts or parts[0] == "node_modules":
            continue
        if kinds := inline_code(module.read_text()):
            found[str(module.relative_to(base))] = kinds
    assert found == {}
