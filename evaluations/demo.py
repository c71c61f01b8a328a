"""
Demo data for the evaluations: the completed demo run's forms sent to those who were there, most of them
answered (anonymously, with realistic Dutch answers), so that its report, PDF and CSV have something to show.
"""

import random

from django.conf import settings
from django.test.utils import override_settings
from django.urls import reverse

from cohorts import demo as cohorts_demo
from cohorts.models import Cohort

from .forms import AnswerForm, field_name
from .models import Invitation, Question, Response
from .services import answering, sending

# Of every ten invitations, this many are answered: a realistic response.
ANSWERED_OF_TEN = 8
TAKEAWAYS = [
    "Het raamwerk van Fullan en Quinn geeft me taal om samenhang te bespreken met mijn team.",
    "Ik ga de lopende projecten op school naast onze missie leggen en kiezen wat we loslaten.",
    "De intervisie in kleine groepen was waardevol: herkenbaar en direct toepasbaar.",
    "Minder tegelijk, en dat beter: dat neem ik mee naar de MT-vergadering.",
    "Het gesprek over morele doelen zet me aan het denken over hoe ik zelf leiding geef.",
]
IMPROVEMENTS = [
    "Iets meer tijd voor de casussen uit de eigen praktijk.",
    "De middag was vol; een korte pauze extra zou helpen.",
    "Graag de literatuur vooraf, zodat ik me beter kan voorbereiden.",
    "",
]


def load(*, trainer) -> bool:
    """Send the completed demo runs' evaluations and answer most of them, once; say whether anything was made."""
    runs = list(_completed_demo_runs())
    if not runs or Response.objects.filter(cohort__in=runs).exists():
        return False
    # The demo's runs took place long ago; send as if the beat had run on their days.
    with override_settings(EVALUATION_SEND_WITHIN_DAYS=10_000, EVALUATION_LINK_DAYS=10_000):
        sending.send_due_evaluations()
    chance = random.Random(2027)  # noqa: S311 - the same demo answers every time, nothing secret
    for invitation in Invitation.objects.filter(cohort__in=runs).order_by("pk"):
        if chance.randrange(10) < ANSWERED_OF_TEN:
            _answer(invitation, chance)
    return True


def _answer(invitation: Invitation, chance: random.Random) -> None:
    evaluation = answering.form_for(invitation)
    data = {}
    for question in evaluation.questions.all():
        name = field_name(question)
        if question.kind == Question.Kind.SCALE:
            data[name] = str(chance.choices([2, 3, 4, 5], weights=[1, 3, 8, 6])[0])
        elif question.kind == Question.Kind.CHOICE:
            data[name] = chance.choices(question.options, weights=[1, 8, 2][: len(question.options)])[0]
        elif chance.randrange(3):
            data[name] = chance.choice(TAKEAWAYS if question.position <= 6 else IMPROVEMENTS)
    form = AnswerForm(data, evaluation=evaluation)
    if form.is_valid():
        answering.submit_answers(invitation=invitation, form=evaluation, values=form.values())


def _completed_demo_runs():
    demo_runs = cohorts_demo.demo_registrations().values("cohort")
    return Cohort.objects.filter(status=Cohort.Status.COMPLETED, pk__in=demo_runs).order_by("code")


def report(stdout) -> None:
    for cohort in _completed_demo_runs():
        invited = Invitation.objects.filter(cohort=cohort).count()
        answered = Invitation.objects.filter(cohort=cohort, answered=True).count()
        stdout.write(f"Evaluations of {cohort.code}: {answered} of {invited} forms answered, anonymously")


def links() -> list[tuple[str, str]]:
    return [
        (
            f"Evaluation report of {cohort.code} (admin, with its PDF and CSV)",
            settings.SITE_URL + reverse("admin:evaluations_runevaluation_change", args=[cohort.pk]),
        )
        for cohort in _completed_demo_runs()
    ]
