import logging
import secrets
from contextlib import contextmanager
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse

from programme.models import Programme

DEMO_USERNAME = "demo-trainer"
DEMO_OFFICE_USERNAME = "demo-kantoor"
# Each app with demo data has a `demo` module, loaded in this order (that of their dependencies):
# `load(trainer=...)` makes its data once and says whether it made any, `report(stdout)` prints what
# there is, and `links()` names the pages to open first.
DEMO_APPS = ["cohorts", "registry", "billing", "evaluations", "mail", "materials"]


class Command(BaseCommand):
    help = "Fill the database with realistic demo data and print a Trainer and a Kantoor login created for this run."

    def handle(self, *args, **options):
        modules = [import_module(f"{app}.demo") for app in DEMO_APPS]
        # The transaction is left first: committing runs its hooks, each
        # e-mail's task, which (in-process) delivers it still quietly.
        with _delivered_quietly(), transaction.atomic():
            programme = Programme.objects.get(slug="verbindend-leiderschap")
            trainer, password = _staff_login(
                DEMO_USERNAME, group="Trainer", first_name="Jan", last_name="Jutten", email="trainer@example.nl"
            )
            office, office_password = _staff_login(
                DEMO_OFFICE_USERNAME, group="Kantoor", first_name="Karin", last_name="Kok", email="kantoor@example.nl"
            )
            factors = {user.username: _second_factor(user) for user in (trainer, office)}
            made = [module.load(trainer=trainer) for module in modules]
        self.stdout.write(f"Programme: {programme} ({programme.days.count()} days)")
        if not any(made):
            self.stdout.write(
                "The demo data was there already and is left as it is; for a fresh story, load it into an empty "
                "database."
            )
        for module in modules:
            module.report(self.stdout)
        self.stdout.write("\nOpen these pages once the server runs (make demo starts it):")
        for module in modules:
            for what, url in module.links():
                self.stdout.write(f"  {what}:\n    {url}")
        self.stdout.write(f"  The admin, with a login below:\n    {settings.SITE_URL}{reverse('admin:index')}")
        self.stdout.write(self.style.SUCCESS("\nDemo staff logins, created for this run:"))
        self.stdout.write(
            "  Staff log in in two steps: the password, then a code from an authenticator app set up with the key\n"
            "  (or the otpauth link) below, or one of the recovery codes, each once."
        )
        self.stdout.write("  The trainer (group Trainer: intakes, course runs, attendance, certificates):")
        self.stdout.write(f"    user:     {DEMO_USERNAME}\n    password: {password}")
        self._second_factor_lines(factors[DEMO_USERNAME])
        self.stdout.write("  The office (group Kantoor: registrations, boards, register export, outbox, audit trail):")
        self.stdout.write(f"    user:     {DEMO_OFFICE_USERNAME}\n    password: {office_password}")
        self._second_factor_lines(factors[DEMO_OFFICE_USERNAME])

    def _second_factor_lines(self, factor):
        key, url, codes = factor
        self.stdout.write(f"    app key:  {key}\n    otpauth:  {url}\n    recovery: {' '.join(codes)}")


def _staff_login(username, *, group, **names):
    """
    Return a demo staff user in one of the groups the migrations made, with a new password, and that password.

    Not a superuser: a newcomer sees the admin as the trainer and the office
    see it, with only what their group may do.
    """
    password = secrets.token_urlsafe(12)
    user, _created = get_user_model().objects.update_or_create(
        username=username, defaults={**names, "is_staff": True, "is_superuser": False}
    )
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=group)])
    return user, password


def _second_factor(user):
    """
    Give a demo user a new authenticator (TOTP) and recovery codes; return the key, its otpauth URL and the codes.

    Staff log in with two factors (verbindend/staff_login.py), so a newcomer
    needs one: the key goes into any authenticator app, or a recovery code
    is typed instead of a code.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from verbindend.staff_login import base32_key, new_recovery_codes

    TOTPDevice.objects.filter(user=user).delete()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return base32_key(device).replace(" ", ""), device.config_url, new_recovery_codes(user)


@contextmanager
def _delivered_quietly():
    """
    Deliver the demo's e-mails to memory, and keep Celery's line per task off the console.

    The e-mails stay in the outbox, sent, for the admin to show; printing a
    few hundred of them to the console would bury the login. Nothing goes
    out for real, whatever the e-mail settings, when tasks run in-process;
    with a broker, the workers deliver as they are configured to.
    """
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            yield
    finally:
        trace.setLevel(level)
