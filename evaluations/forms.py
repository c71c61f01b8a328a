"""The answer form, built from a form version's questions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SCALE_MAX, SCALE_MIN, EvaluationForm, Question

OPEN_ANSWER_MAX = 3000


def field_name(question: Question) -> str:
    return f"q{question.pk}"


class AnswerForm(forms.Form):
    def __init__(self, *args, evaluation: EvaluationForm, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = list(evaluation.questions.all())
        for question in self.questions:
            self.fields[field_name(question)] = self._field(question)

    @staticmethod
    def _field(question: Question) -> forms.Field:
        messages = {
            "required": _("Please answer this question."),
            "invalid_choice": _("Please choose one of the options."),
        }
        if question.kind == Question.Kind.SCALE:
            choices = [(n, str(n)) for n in range(SCALE_MIN, SCALE_MAX + 1)]
            return forms.TypedChoiceField(
                label=question.text,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=question.required,
                error_messages=messages,
                help_text=_("1 = %(low)s, 5 = %(high)s") % {"low": question.low_label, "high": question.high_label},
            )
        if question.kind == Question.Kind.CHOICE:
            return forms.ChoiceField(
                label=question.text,
                choices=[(o, o) for o in question.options],
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=question.required,
                error_messages=messages,
            )
        return forms.CharField(
            label=question.text,
            widget=forms.Textarea(attrs={"rows": 4}),
            max_length=OPEN_ANSWER_MAX,
            required=question.required,
            error_messages={
                **messages,
                "max_length": _("Please keep your answer under %(limit_value)s characters (it has %(show_value)s)."),
            },
        )

    def values(self) -> dict[int, object]:
        return {q.pk: self.cleaned_data.get(field_name(q)) for q in self.questions}
