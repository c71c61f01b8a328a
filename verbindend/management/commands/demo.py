import secrets
from importlib import import_module

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from programme.models import Programme

DEMO_USERNAME = "demo-trainer"
# Each app with demo data has a `demo.load(stdout)`, in the order of its dependencies.
DEMO_APPS = ["mail", "cohorts", "registry"]


class Command(BaseCommand):
    help = "Fill the database with realistic demo data and print a staff login created for this run."

    @transaction.atomic
    def handle(self, *args, **options):
        programme = Programme.objects.get(slug="verbindend-leiderschap")
        password = secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.update_or_create(
            username=DEMO_USERNAME,
            defaults={"first_name": "Jan", "last_name": "Jutten", "email": "trainer@example.nl", "is_staff": True},
        )
        user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(f"Programme: {programme} ({programme.days.count()} days)"))
        for app in DEMO_APPS:
            import_module(f"{app}.demo").load(self.stdout)
        self.stdout.write("Demo staff login, created for this run:")
        self.stdout.write(
            f"  URL:      http://127.0.0.1:8000/admin/\n  user:     {DEMO_USERNAME}\n  password: {password}"
        )
