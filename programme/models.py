from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class ProgrammeQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Programme(models.Model):
    """The course as designed; every number here is data, never code."""

    title = models.CharField(_("title"), max_length=200)
    subtitle = models.CharField(_("subtitle"), max_length=300, blank=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    code_prefix = models.CharField(
        _("code prefix"),
        max_length=10,
        default="VL",
        help_text=_("Course runs of this programme get codes such as VL-2027-01."),
    )
    description = models.TextField(_("introduction"), help_text=_("Paragraphs are separated by an empty line."))
    target_group = models.TextField(_("target group"))
    certification = models.TextField(
        _("certification"),
        blank=True,
        help_text=_("How the course is certified, as shown on the public page."),
    )
    min_participants = models.PositiveSmallIntegerField(
        _("minimum number of participants"), default=12, validators=[MinValueValidator(1)]
    )
    max_participants = models.PositiveSmallIntegerField(
        _("maximum number of participants"), default=30, validators=[MinValueValidator(1)]
    )
    number_of_days = models.PositiveSmallIntegerField(_("number of days"), default=6, validators=[MinValueValidator(1)])
    contact_hours = models.DecimalField(_("contact hours"), max_digits=5, decimal_places=1, default=0)
    self_study_hours = models.DecimalField(_("self-study hours"), max_digits=5, decimal_places=1, default=0)
    required_days = models.PositiveSmallIntegerField(
        _("days that must be attended"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("The completion rule: how many of the days a participant must attend for a certificate."),
    )
    final_assignment_required = models.BooleanField(_("final assignment required"), default=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active programmes are shown on the public site.")
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("The programme with the lowest position leads the home page.")
    )

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_participants__gte=1), name="programme_min_participants_at_least_one"
            ),
            models.CheckConstraint(
                condition=models.Q(min_participants__lte=models.F("max_participants")),
                name="programme_min_not_above_max",
            ),
            models.CheckConstraint(
                condition=models.Q(required_days__gte=1, required_days__lte=models.F("number_of_days")),
                name="programme_required_days_within_days",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("programme:detail", kwargs={"slug": self.slug})

    @property
    def study_load_hours(self):
        return self.contact_hours + self.self_study_hours

    def description_paragraphs(self):
        return [p.strip() for p in self.description.split("\n\n") if p.strip()]

    def clean(self):
        errors = {}
        if self.min_participants and self.max_participants and self.min_participants > self.max_participants:
            errors["min_participants"] = _(
                "The minimum number of participants cannot be higher than the maximum (%(maximum)s)."
            ) % {"maximum": self.max_participants}
        if self.required_days and self.number_of_days and self.required_days > self.number_of_days:
            errors["required_days"] = _(
                "A participant cannot be required to attend more days than the programme has (%(days)s)."
            ) % {"days": self.number_of_days}
        if errors:
            raise ValidationError(errors)


class ProgrammeDay(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="days", verbose_name=_("programme"))
    number = models.PositiveSmallIntegerField(_("day"), validators=[MinValueValidator(1)])
    theme = models.CharField(_("theme"), max_length=200)
    content = models.TextField(_("content"))

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = _("programme day")
        verbose_name_plural = _("programme days")
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="programme_day_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="programme_day_number_at_least_one"),
        ]

    def __str__(self):
        return _("Day %(number)s: %(theme)s") % {"number": self.number, "theme": self.theme}
