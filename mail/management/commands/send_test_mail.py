import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from mail.services.queueing import queue_email


class Command(BaseCommand):
    help = "Queue a test e-mail through the outbox, to check the whole road to the SMTP server."

    def add_arguments(self, parser):
        parser.add_argument("address")
        parser.add_argument("--language", default="nl", choices=["nl", "en"])

    def handle(self, *args, address, language, **options):
        try:
            validate_email(address)
        except ValidationError as error:
            raise CommandError(f"Not an e-mail address: {address!r}") from error
        with transaction.atomic():
            mail = queue_email(
                to=address, template="mail/test", context={}, key=f"test:{uuid.uuid4()}", language=language
            )
        mail.refresh_from_db()
        self.stdout.write(f"E-mail {mail.pk} to {address}: {mail.get_status_display()}")
