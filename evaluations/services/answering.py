"""Answering a form through a personal link: once, anonymously, the date only."""

import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts import tokens

from ..models import Answer, EvaluationForm, Invitation, Question, Response
from .sending import ANSWER


class AnswerRefused(Exception):
    """The link cannot take an answer (any more); carries the translated reason."""


def invitation_from_token(token: str) -> Invitation:
    """Return the invitation of a personal answer link; a forged or unknown link opens nothing (404)."""
    key = tokens.read_token(token, ANSWER)
    if key is None:
        raise Http404
    try:
        return Invitation.objects.select_related("cohort__programme", "course_day__programme_day", "participant").get(
            key=key
        )
    except Invitation.DoesNotExist:
        raise Http404 from None


def form_for(invitation: Invitation) -> EvaluationForm | None:
    """Return the current version of the form this invitation asks, with its questions."""
    return (
        EvaluationForm.objects.filter(
            programme=invitation.cohort.programme_id,
            kind=invitation.kind,
            programme_day=invitation.course_day.programme_day_id if invitation.course_day else None,
            is_current=True,
        )
        .prefetch_related("questions")
        .first()
    )


def refusal(invitation: Invitation, *, today: datetime.date | None = None) -> str | None:
    """Return why this link cannot take an answer, or None when it can."""
    today = today or timezone.localdate()
    if invitation.answered:
        return _("You have already filled in this evaluation. Thank you!")
    if invitation.expires_on <= today:
        return _("This evaluation has closed.")
    if invitation.participant.status != invitation.participant.Status.ENROLLED:
        return _("This evaluation has closed.")
    return None


@transaction.atomic
def submit_answers(*, invitation: Invitation, form: EvaluationForm, values: dict[int, object]) -> Response:
    """
    Store one response to a form version, without the person, and mark the invitation answered.

    :param values: the cleaned value per question id (an int for a scale,
        the option for a choice, text for an open answer; empty when left out)
    :raises AnswerRefused: answered already, or closed
    """
    invitation = Invitation.objects.select_for_update().select_related("participant").get(pk=invitation.pk)
    reason = refusal(invitation)
    if reason:
        raise AnswerRefused(reason)
    response = Response.objects.create(
        form=form,
        cohort_id=invitation.cohort_id,
        course_day_id=invitation.course_day_id,
        answered_on=timezone.localdate(),
    )
    answers = []
    for question in form.questions.all():
        value = values.get(question.pk)
        if value in (None, ""):
            continue
        answer = Answer(response=response, question=question)
        if question.kind == Question.Kind.SCALE:
            answer.scale = int(value)
        elif question.kind == Question.Kind.CHOICE:
            answer.choice = str(value)
        else:
            answer.text = str(value)
        answer.full_clean(exclude=["response", "question"])
        answers.append(answer)
    Answer.objects.bulk_create(answers)
    Invitation.objects.filter(pk=invitation.pk).update(answered=True)
    return response
