"""The forms as data: the next version of a form that has answers, and the programme's evaluation settings."""

from django.db import transaction
from django.utils.translation import gettext as _

from programme.models import Programme

from ..models import EvaluationForm, EvaluationSettings, Question


class FormFrozen(Exception):
    """A form with answers was to be changed in place."""


def has_answers(form: EvaluationForm) -> bool:
    return form.responses.exists()


def check_editable(form: EvaluationForm) -> None:
    """
    Refuse a change in place to a form that has answers.

    :raises FormFrozen: with the translated reason
    """
    if form.pk and has_answers(form):
        raise FormFrozen(_("This form has answers: its questions are frozen. Make a new version to change them."))


@transaction.atomic
def new_version(*, form: EvaluationForm) -> EvaluationForm:
    """
    Copy a form and its questions into the next version, which becomes the current one.

    The old version keeps its answers and is no longer sent; a version
    without answers is returned as it is, to be edited in place.
    """
    form = EvaluationForm.objects.select_for_update().get(pk=form.pk)
    if not has_answers(form):
        return form
    latest = EvaluationForm.objects.filter(
        programme=form.programme, kind=form.kind, programme_day=form.programme_day
    ).order_by("-version")[0]
    if latest.pk != form.pk and not has_answers(latest):
        return latest
    questions = list(form.questions.all())
    EvaluationForm.objects.filter(pk=latest.pk).update(is_current=False)
    copy = EvaluationForm(
        programme=form.programme,
        kind=form.kind,
        programme_day=form.programme_day,
        title=form.title,
        introduction=form.introduction,
        version=latest.version + 1,
        is_current=True,
    )
    copy.full_clean()
    copy.save()
    Question.objects.bulk_create(
        Question(
            form=copy,
            position=q.position,
            kind=q.kind,
            text=q.text,
            required=q.required,
            low_label=q.low_label,
            high_label=q.high_label,
            options=q.options,
        )
        for q in questions
    )
    return copy


def set_end_evaluation_required(*, programme: Programme, required: bool) -> EvaluationSettings:
    """Say whether the programme's participants must fill in the end evaluation before their certificate."""
    settings, _created = EvaluationSettings.objects.get_or_create(programme=programme)
    settings.end_evaluation_required = required
    settings.full_clean()
    settings.save()
    return settings
