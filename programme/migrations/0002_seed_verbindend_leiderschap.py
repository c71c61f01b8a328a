"""Seed the programme "Verbindend leiderschap" with the brochure's text, verbatim."""

from django.db import migrations

SLUG = "verbindend-leiderschap"

DESCRIPTION = """Hoe kunnen leiders de omslag maken van fragmentering en overbelasting naar samenhang en focus?

Veel schoolleiders en leerkrachten kampen met een hoge werkdruk. Diverse onderzoeken laten zien dat deze werkdruk niet zozeer veroorzaakt wordt door het aantal innovaties, maar door het gebrek aan samenhang tussen de innovaties. Fragmentering is bij besturen en in scholen vaak een knelpunt. Het is voor veel leiders en voor leerkrachten lastig om door de bomen het bos te zien.

In de literatuur wordt ten aanzien van succesvolle schoolontwikkeling en duurzame veranderingsprocessen een onderscheid gemaakt tussen de zogenaamde “right and wrong drivers for change”. Wrong drivers zijn onder meer: te grote gerichtheid van leiders op het individu en de gefragmenteerde aanpak. “Komt dit er nu ook nog bij?” is dan veelal de vraag die leerkrachten stellen. In deze zes dagen leren de deelnemers zich vooral te richten op de right drivers: verbinden van leerkrachten om van elkaar te leren en het realiseren van samenhang bij schoolontwikkeling.

Deze cursus is onder andere gebaseerd op het boek “Coherence: the right drivers in action”. Sinds enige tijd is dit boek ook in de Nederlandse versie beschikbaar onze de titel “De verbindende schoolleider”."""

TARGET_GROUP = (
    "Deze training is bedoeld voor bovenschools leiders, schoolleiders en middenkader van scholen voor primair en "
    "voortgezet onderwijs. Dus ook locatieleiders, intern begeleiders en bouwleiders zijn van harte welkom, evenals "
    "iedereen die meer wil weten over goed leiderschap in het onderwijs."
)

CERTIFICATION = (
    "Deze training is gecertificeerd door het Schoolleidersregister. Schoolleiders kunnen deze selecteren t.b.v. het "
    "afronden van het professionaliseringsthema “Leiding geven aan verandering”."
)

DAYS = [
    (
        1,
        "Naar een raamwerk voor Verbindend Leiderschap",
        "Hoe gaan we om met het probleem van fragmentering? Er wordt onderscheid gemaakt tussen “systemness” (het "
        "systeem als geheel aanpakken, relaties zichtbaar maken) en “understanding systems” (het begrijpen van een "
        "situatie voor het ingrijpen). Centraal staat het raamwerk voor Coherence ontwikkeld door Quinn en Fullan. Het "
        "schema vormt de basis voor deze cursus.",
    ),
    (
        2,
        "Focus op richting",
        "Zonder een heldere missie en visie is geen samenhang mogelijk. Betrokkenheid bij de (morele) doelen van de "
        "school vormt het fundament voor succesvolle verandering en ontwikkeling. Hoe zorg je er als leider voor dat de "
        "missie en de visie leidraad zijn voor het dagelijks handelen en voor de keuzes die gemaakt worden?",
    ),
    (
        3,
        "Cultiveren van de samenwerking",
        "Leiders zijn teveel gericht op het individu, op het ontwikkeling van menselijk kapitaal. Dit is een zogenaamde "
        "“wrong driver for change”. De hefboom ligt bij het sociaal kapitaal, de samenwerking tussen de leerkrachten "
        "om met en vooral van elkaar te leren. Dit vraagt om systeemleiderschap en niet slechts onderwijskundig "
        "leiderschap.",
    ),
    (
        4,
        "Verdiepend leren",
        "De focus dient te liggen op een verdiepend begrip van het leerproces en hoe we dit kunnen beïnvloeden. We "
        "verkennen dit aan de hand van het model “deep learning” met de zes C’s.",
    ),
    (
        5,
        "Slim verantwoorden",
        "Een van de omslagen die nodig zijn is die van externe naar interne verantwoording. Goede systeemleiders zorgen "
        "ervoor dat mensen in de school met elkaar verbonden worden: intern en horizontaal verantwoording afleggen om zo "
        "van elkaar te leren.",
    ),
    (
        6,
        "Systeemdenken en uplifting leadership",
        "De vijfde discipline is de hefboom voor de lerende school is gericht op samenhang en op het begrijpen voordat "
        "we ingrijpen. Hoe kunnen we dit praktisch toepassen in de school om verbindende schoolleiders te worden? "
        "Tenslotte verkennen we de uitgangspunten van Uplifting Leadership. Dit concept kan leiders helpen met hun "
        "school een duurzame ontwikkeling door te maken.",
    ),
]


def seed(apps, schema_editor):
    Programme = apps.get_model("programme", "Programme")
    ProgrammeDay = apps.get_model("programme", "ProgrammeDay")
    programme, _ = Programme.objects.update_or_create(
        slug=SLUG,
        defaults={
            "title": "Verbindend leiderschap",
            "subtitle": "Van fragmentering en overbelasting naar samenhang en focus",
            "description": DESCRIPTION,
            "target_group": TARGET_GROUP,
            "certification": CERTIFICATION,
            "min_participants": 12,
            "max_participants": 30,
            "number_of_days": len(DAYS),
            "required_days": 5,
            "final_assignment_required": False,
            "is_active": True,
            "position": 0,
        },
    )
    for number, theme, content in DAYS:
        ProgrammeDay.objects.update_or_create(
            programme=programme, number=number, defaults={"theme": theme, "content": content}
        )


def unseed(apps, schema_editor):
    apps.get_model("programme", "Programme").objects.filter(slug=SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("programme", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
