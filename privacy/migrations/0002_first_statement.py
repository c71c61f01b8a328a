from django.db import migrations
from django.utils import timezone

TEXT_NL = """Natuurlijk Leren BV is verantwoordelijk voor de persoonsgegevens die deze website voor de cursus verzamelt.

Voor een aanmelding: de naam van het bestuur en de naam, functie, het e-mailadres en telefoonnummer van de contactpersoon, om de aanvraag te behandelen en de cursus te plannen. Voor een deelnemer: naam, e-mailadres, functie, school en BRIN-code, en het registernummer als dat is opgegeven, om de cursus uit te voeren, aanwezigheid te registreren, het certificaat uit te reiken en de afronding aan het Schoolleidersregister te melden. We vragen geen burgerservicenummer, geboortedatum of redenen van afwezigheid.

Gegevens over afronding en certificaatnummers bewaren we zeven jaar, zoals het register vereist. Contactgegevens en details van aanwezigheid worden geanonimiseerd nadat de uitvoering is afgelopen en de bewaartermijn verstreken is.

U kunt uw gegevens inzien, laten corrigeren of laten wissen, binnen wat het register vereist. Mail naar janjutten@natuurlijkleren.org."""

TEXT_EN = """Natuurlijk Leren BV is responsible for the personal data that this site collects for the course.

For a registration: the name of the board and the name, function, e-mail address and phone number of its contact person, to handle the request and plan the course. For a participant: name, e-mail address, role, school and BRIN code, and the register number if given, to run the course, register attendance, issue the certificate and report completion to the Schoolleidersregister. We do not ask for a citizen service number, a date of birth or reasons for absence.

Completion records and certificate numbers are kept for seven years, as the register requires. Contact details and attendance details are anonymised after the course run has ended and the retention period has passed.

You can see your data, have it corrected or erased, within the limits of what the register requires. Write to janjutten@natuurlijkleren.org."""


def seed(apps, schema_editor):
    apps.get_model("privacy", "PrivacyStatement").objects.get_or_create(
        version=1, defaults={"text_nl": TEXT_NL, "text_en": TEXT_EN, "published": True, "published_at": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
