"""
Seed the brochure programme's evaluation forms: a short form after each day and one at the end of the run.

Kept small on purpose: a form that takes two minutes is filled in. The
questions are those the trainer and the register ask for re-accreditation:
how the day landed, whether it is usable at school, the trainer, and in
the end whether the course was worth it for the board.
"""

from django.db import migrations

SLUG = "verbindend-leiderschap"

DAY_QUESTIONS = [
    ("scale", "Hoe waardeer je deze dag als geheel?", True, "Zeer matig", "Uitstekend", []),
    ("scale", "De inhoud sloot aan bij mijn eigen praktijk als leider.", True, "Helemaal oneens", "Helemaal eens", []),
    ("scale", "Ik kan het geleerde direct toepassen op mijn school.", True, "Helemaal oneens", "Helemaal eens", []),
    ("scale", "Hoe waardeer je de begeleiding door de trainer?", True, "Zeer matig", "Uitstekend", []),
    ("choice", "Het tempo van de dag was:", True, "", "", ["Te langzaam", "Precies goed", "Te snel"]),
    ("open", "Wat neem je mee van deze dag?", False, "", "", []),
    ("open", "Wat kan er beter?", False, "", "", []),
]

END_QUESTIONS = [
    ("scale", "Hoe waardeer je de cursus Verbindend leiderschap als geheel?", True, "Zeer matig", "Uitstekend", []),
    (
        "scale",
        "Ik heb meer samenhang en focus gebracht in de ontwikkeling van mijn school.",
        True,
        "Helemaal oneens",
        "Helemaal eens",
        [],
    ),
    ("scale", "De cursus was de tijd en de investering waard.", True, "Helemaal oneens", "Helemaal eens", []),
    ("scale", "Hoe waardeer je de leeromgeving (locatie, materialen, groep)?", True, "Zeer matig", "Uitstekend", []),
    (
        "choice",
        "Zou je de cursus aanbevelen aan een collega-leider?",
        True,
        "",
        "",
        ["Ja, zeker", "Misschien", "Nee"],
    ),
    ("open", "Wat is voor jou de belangrijkste opbrengst van de cursus?", False, "", "", []),
    ("open", "Welke tip heb je voor de trainer of de opzet van de cursus?", False, "", "", []),
]


def _questions(Question, form, rows):
    Question.objects.bulk_create(
        Question(
            form=form,
            position=position,
            kind=kind,
            text=text,
            required=required,
            low_label=low,
            high_label=high,
            options=options,
        )
        for position, (kind, text, required, low, high, options) in enumerate(rows, start=1)
    )


def seed(apps, schema_editor):
    Programme = apps.get_model("programme", "Programme")
    EvaluationForm = apps.get_model("evaluations", "EvaluationForm")
    EvaluationSettings = apps.get_model("evaluations", "EvaluationSettings")
    Question = apps.get_model("evaluations", "Question")
    programme = Programme.objects.filter(slug=SLUG).first()
    if programme is None or EvaluationForm.objects.filter(programme=programme).exists():
        return
    EvaluationSettings.objects.get_or_create(programme=programme)
    for day in programme.days.order_by("number"):
        form = EvaluationForm.objects.create(
            programme=programme,
            kind="day",
            programme_day=day,
            title=f"Evaluatie dag {day.number}: {day.theme}",
            introduction="Fijn dat je er vandaag was. Vijf vragen en twee open vragen; de open vragen mag je overslaan.",
        )
        _questions(Question, form, DAY_QUESTIONS)
    form = EvaluationForm.objects.create(
        programme=programme,
        kind="end",
        title="Eindevaluatie Verbindend leiderschap",
        introduction="Je hebt de zes dagen afgerond. Kijk terug op de hele cursus: wat heeft het je gebracht?",
    )
    _questions(Question, form, END_QUESTIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("evaluations", "0001_forms_answers_invitations"),
        ("programme", "0005_certification_in_the_registers_words"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
