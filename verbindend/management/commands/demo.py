import logging
import secrets
from contextlib import contextmanager
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse

from programme.models import Programme

DEMO_USERNAME = "demo-trainer"
# Each app with demo data has a `demo` module, loaded in this order (that of their dependencies):
# `load(trainer=...)` makes its data once and says whether it made any, `report(stdout)` prints what
# there is, and `links()` names the pages to open first.
DEMO_APPS = ["cohorts", "registry", "mail"]


class Command(BaseCommand):
    help = "Fill the database with realistic demo data and print a staff login created for this run."

    def handle(self, *args, **options):
        modules = [import_module(f"{app}.demo") for app in DEMO_APPS]
        # The transaction is left first: committing runs its hooks, each
        # e-mail's task, which (in-process) delivers it still quietly.
        with _delivered_quietly(), transaction.atomic():
            programme = Programme.objects.get(slug="verbindend-leiderschap")
            trainer, password = _staff_login()
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
        self.stdout.write(f"  The admin, with the login below:\n    {settings.SITE_URL}{reverse('admin:index')}")
        self.stdout.write(self.style.SUCCESS("\nDemo staff login, created for this run:"))
        self.stdout.write(f"  user:     {DEMO_USERNAME}\n  password: {password}")


def _staff_login():
    """Return the demo trainer, Jan Jutten, with a new password, and that password."""
    password = secrets.token_urlsafe(12)
    user, _created = get_user_model().objects.update_or_create(
        username=DEMO_USERNAME,
        defaults={"first_name": "Jan", "last_name": "Jutten", "email": "trainer@example.nl", "is_staff": True},
    )
    user.is_superuser = True
    user.set_password(password)
    user.save()
    return user, password


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
