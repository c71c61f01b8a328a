"""The answer page behind a participant's personal link: no login, one answer."""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from .forms import AnswerForm
from .services import answering


@require_http_methods(["GET", "POST"])
def answer(request, token):
    invitation = answering.invitation_from_token(token)
    translation.activate(invitation.participant.language)
    request.LANGUAGE_CODE = translation.get_language()
    evaluation = answering.form_for(invitation)
    context = {"invitation": invitation, "evaluation": evaluation, "day": invitation.course_day}
    reason = answering.refusal(invitation) if evaluation else None
    if evaluation is None or reason:
        return render(request, "evaluations/closed.html", {**context, "reason": reason}, status=410 if reason else 404)
    form = AnswerForm(request.POST if request.method == "POST" else None, evaluation=evaluation)
    if request.method == "POST" and form.is_valid():
        try:
            answering.submit_answers(invitation=invitation, form=evaluation, values=form.values())
        except answering.AnswerRefused as refused:
            return render(request, "evaluations/closed.html", {**context, "reason": str(refused)}, status=410)
        return render(request, "evaluations/thanks.html", context)
    return render(request, "evaluations/answer.html", {**context, "form": form}, status=400 if form.errors else 200)
