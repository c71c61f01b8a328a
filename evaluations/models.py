"""
Evaluation forms as data, the anonymous answers to them, and who has answered.

Anonymity is kept by the tables themselves: a `Response` and its `Answer`s
name the form, the run and the day, and the date only; an `Invitation`
names the participant and whether they answered, and no key, number or
time joins the one to the other.
"""

import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort, CourseDay, Participant
from programme.models import Programme, ProgrammeDay

SCALE_MIN = 1
SCALE_MAX = 5


def new_invitation_key() -> str:
    return secrets.token_urlsafe(32)


class EvaluationSettings(models.Model):
    """What a programme asks of its evaluations, beside the forms."""

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="evaluation_settings", verbose_name=_("programme")
    )
    end_evaluation_required = models.BooleanField(
        _("end evaluation required before the certificate"),
        default=False,
        help_text=_("A participant who has not filled in the end evaluation gets no certificate yet."),
    )

    class Meta:
        verbose_name = _("evaluation settings")
        verbose_name_plural = _("evaluation settings")

    def __str__(self):
        return str(self.programme)


class EvaluationForm(models.Model):
    """
    One version of a programme's form for a day, or for the end of the run.

    Once a version has answers its questions are frozen; a change makes the
    next version (`services.forms.new_version`) and the old one stays, with
    the answers given to it.
    """

    class Kind(models.TextChoices):
        DAY = "day", _("after a course day")
        END = "end", _("at the end of the course run")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="evaluation_forms", verbose_name=_("programme")
    )
    kind = models.CharField(_("kind"), max_length=3, choices=Kind.choices)
    programme_day = models.ForeignKey(
        ProgrammeDay,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation_forms",
        verbose_name=_("programme day"),
        help_text=_("The day this form is asked after; empty for the end form."),
    )
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    version = models.PositiveSmallIntegerField(_("version"), default=1, editable=False)
    is_current = models.BooleanField(_("current version"), default=True, editable=False)

    class Meta:
        ordering = ["programme", "kind", "programme_day__number", "-version"]
        verbose_name = _("evaluation form")
        verbose_name_plural = _("evaluation forms")
        constraints = [
            models.UniqueConstraint(
                fields=["programme_day"],
                condition=models.Q(is_current=True, kind="day"),
                name="evaluation_form_one_current_per_day",
            ),
            models.UniqueConstraint(
                fields=["programme"],
                condition=models.Q(is_current=True, kind="end"),
                name="evaluation_form_one_current_end",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="day", programme_day__isnull=False)
                | models.Q(kind="end", programme_day__isnull=True),
                name="evaluation_form_day_names_its_day",
                violation_error_message=_("A day form names its programme day, and an end form names none."),
            ),
        ]

    def __str__(self):
        return _("%(title)s (version %(version)s)") % {"title": self.title, "version": self.version}

    def clean(self):
        if self.programme_day_id and self.programme_id and self.programme_day.programme_id != self.programme_id:
            raise ValidationError({"programme_day": _("This day belongs to another programme.")})


class Question(models.Model):
    class Kind(models.TextChoices):
        SCALE = "scale", _("scale from 1 to 5")
        CHOICE = "choice", _("choice")
        OPEN = "open", _("open answer")

    form = models.ForeignKey(EvaluationForm, on_delete=models.CASCADE, related_name="questions", verbose_name=_("form"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    low_label = models.CharField(_("label of 1"), max_length=60, blank=True, help_text=_("For a scale: what 1 means."))
    high_label = models.CharField(_("label of 5"), max_length=60, blank=True, help_text=_("For a scale: what 5 means."))
    options = models.JSONField(
        _("options"), default=list, blank=True, help_text=_("For a choice: the options, as a list of texts.")
    )

    class Meta:
        ordering = ["form", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text

    def clean(self):
        if self.kind == self.Kind.CHOICE:
            if (
                not isinstance(self.options, list)
                or len(self.options) < 2
                or not all(isinstance(o, str) and o.strip() for o in self.options)
            ):
                raise ValidationError({"options": _("A choice needs at least two options, each a text.")})
        elif self.options:
            raise ValidationError({"options": _("Only a choice has options.")})
        if self.kind == self.Kind.SCALE and not (self.low_label and self.high_label):
            raise ValidationError({"low_label": _("A scale needs a label for 1 and for 5.")})


class Response(models.Model):
    """One filled-in form, without the person: the form version, the run, the day, and the date only."""

    form = models.ForeignKey(EvaluationForm, on_delete=models.PROTECT, related_name="responses", verbose_name=_("form"))
    cohort = models.ForeignKey(
        Cohort, on_delete=models.CASCADE, related_name="evaluation_responses", verbose_name=_("course run")
    )
    course_day = models.ForeignKey(
        CourseDay,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evaluation_responses",
        verbose_name=_("course day"),
    )
    # A date, never a time: a time could be matched with who opened their link when.
    answered_on = models.DateField(_("answered on"))

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self):
        return f"{self.form} · {self.answered_on}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    scale = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]
    )
    choice = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scale__isnull=True) | models.Q(scale__gte=SCALE_MIN, scale__lte=SCALE_MAX),
                name="evaluation_answer_scale_in_range",
            ),
            models.UniqueConstraint(fields=["response", "question"], name="evaluation_answer_once_per_question"),
        ]

    def __str__(self):
        return str(self.question)


class Invitation(models.Model):
    """
    That a participant was asked a form (for a day, or the run's end), with their personal link's key.

    Says whether they answered, to let them answer once; it is never joined
    to the answers (see the module's docstring).
    """

    class Kind(models.TextChoices):
        DAY = "day", _("after a course day")
        END = "end", _("at the end of the course run")

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="evaluation_invitations")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="evaluation_invitations")
    course_day = models.ForeignKey(
        CourseDay, on_delete=models.CASCADE, null=True, blank=True, related_name="evaluation_invitations"
    )
    kind = models.CharField(max_length=3, choices=Kind.choices)
    key = models.CharField(max_length=64, unique=True, default=new_invitation_key, editable=False)
    sent_on = models.DateField(_("sent on"))
    expires_on = models.DateField()
    reminded = models.BooleanField(default=False)
    answered = models.BooleanField(_("answered"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "course_day"],
                condition=models.Q(kind="day"),
                name="evaluation_invitation_once_per_day",
            ),
            models.UniqueConstraint(
                fields=["participant"], condition=models.Q(kind="end"), name="evaluation_invitation_one_end"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="day", course_day__isnull=False)
                | models.Q(kind="end", course_day__isnull=True),
                name="evaluation_invitation_day_names_its_day",
            ),
        ]

    def __str__(self):
        # Without the person: this may be printed where an answer is.
        return f"{self.get_kind_display()} · {self.cohort_id}"


class RunEvaluation(Cohort):
    """A course run seen as its evaluation report, in the admin (its own view permission)."""

    class Meta:
        proxy = True
        verbose_name = _("evaluation report")
        verbose_name_plural = _("evaluation reports")
