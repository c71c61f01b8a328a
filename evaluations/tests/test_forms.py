"""Forms as data: seeded for the brochure's programme, frozen once answered, changed through a new version."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.tests.factories import seeded_programme
from evaluations import selectors
from evaluations.models import EvaluationForm, Invitation, Question, Response
from evaluations.services import answering, forms

from .conftest import invitations
from .factories import answered

pytestmark = pytest.mark.django_db


def test_the_brochure_programme_has_a_dutch_form_per_day_and_an_end_form():
    programme = seeded_programme()
    current = EvaluationForm.objects.filter(programme=programme, is_current=True)
    assert sorted(f.programme_day.number for f in current.filter(kind="day")) == list(range(1, 7))
    end = current.get(kind="end")
    assert end.title == "Eindevaluatie Verbindend leiderschap"
    kinds = set(end.questions.values_list("kind", flat=True))
    assert kinds == {"scale", "choice", "open"}
    for question in Question.objects.filter(form__programme=programme):
        question.full_clean()


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"kind": "choice", "options": ["Alleen"]}, "options"),
        ({"kind": "choice", "options": "Ja, nee"}, "options"),
        ({"kind": "scale", "low_label": ""}, "low_label"),
        ({"kind": "open", "options": ["Ja", "Nee"]}, "options"),
    ],
)
def test_a_question_that_cannot_be_answered_is_refused(fields, error):
    form = EvaluationForm.objects.filter(kind="end").first()
    question = Question(form=form, text="Vraag?", **{"low_label": "Laag", "high_label": "Hoog", **fields})
    with pytest.raises(ValidationError) as raised:
        question.full_clean()
    assert error in raised.value.message_dict


def test_a_new_version_keeps_the_old_answers_with_the_old_questions(evaluated_run):
    cohort = evaluated_run(participants=2)
    first, second = invitations(cohort)
    old = answering.form_for(first)
    answered(first)
    with pytest.raises(forms.FormFrozen):
        forms.check_editable(old)
    new = forms.new_version(form=old)
    assert (new.version, new.is_current) == (2, True)
    old.refresh_from_db()
    assert not old.is_current
    assert forms.new_version(form=old) == new  # the next one is there already, unanswered
    question = new.questions.get(position=1)
    question.text = "Hoe was deze dag voor jou?"
    question.save()
    forms.check_editable(new)  # no answers yet: editable in place
    answered(second)
    assert answering.form_for(second) == new
    assert set(Response.objects.values_list("form__version", flat=True)) == {1, 2}
    texts = {section.title: [q.text for q in section.questions] for section in selectors.run_report(cohort).sections}
    day = next(iter(texts.values()))
    assert "Hoe waardeer je deze dag als geheel?" in day and "Hoe was deze dag voor jou?" in day


def test_the_admin_shows_an_answered_form_read_only_and_makes_the_new_version(staff_client, evaluated_run):
    cohort = evaluated_run(participants=1)
    invitation = invitations(cohort)[0]
    form = answering.form_for(invitation)
    answered(invitation)
    change = reverse("admin:evaluations_evaluationform_change", args=[form.pk])
    page = staff_client.get(change).content.decode()
    assert "Nieuwe versie maken" in page and 'name="questions-0-text"' not in page
    assert staff_client.post(change, {"title": "Anders"}).status_code == 403
    new_version = reverse("admin:evaluations_evaluationform_new_version", args=[form.pk])
    response = staff_client.post(new_version)
    copy = EvaluationForm.objects.get(programme=form.programme, programme_day=form.programme_day, is_current=True)
    assert response.url == reverse("admin:evaluations_evaluationform_change", args=[copy.pk])
    assert 'name="questions-0-text"' in staff_client.get(response.url).content.decode()
    form.refresh_from_db()
    assert form.questions.count() == copy.questions.count() and form.title != "Anders"


def test_end_evaluation_missing_follows_the_programme_setting(evaluated_run):
    cohort = evaluated_run(participants=1)
    participant = cohort.participants.get()
    assert selectors.end_evaluation_missing(participant) is False
    forms.set_end_evaluation_required(programme=cohort.programme, required=True)
    assert selectors.end_evaluation_missing(participant) is True
    end = Invitation.objects.create(
        participant=participant, cohort=cohort, kind="end", sent_on=timezone.localdate(), expires_on="2027-04-01"
    )
    assert selectors.end_evaluation_missing(participant) is True
    answered(end)
    assert selectors.end_evaluation_missing(participant) is False
