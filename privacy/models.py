from django.db import models
from django.utils.translation import gettext_lazy as _


class PrivacyStatementQuerySet(models.QuerySet):
    def in_force(self):
        """Return the published versions, the current one first."""
        return self.filter(published=True).order_by("-version")

    def current(self):
        return self.in_force().first()


class PrivacyStatement(models.Model):
    """A version of the privacy statement; consent always names the version it was given to."""

    version = models.PositiveSmallIntegerField(_("version"), unique=True)
    text_nl = models.TextField(_("text (Dutch)"), help_text=_("Paragraphs are separated by an empty line."))
    text_en = models.TextField(_("text (English)"), help_text=_("Paragraphs are separated by an empty line."))
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    objects = PrivacyStatementQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("privacy statement")
        verbose_name_plural = _("privacy statements")

    def __str__(self):
        return _("Privacy statement, version %(version)s") % {"version": self.version}

    def paragraphs(self, language: str) -> list[str]:
        text = self.text_en if language == "en" else self.text_nl
        return [p.strip() for p in text.split("\n\n") if p.strip()]


class Consent(models.Model):
    """Who agreed to what, to which version of the statement, when, and on which form."""

    class Purpose(models.TextChoices):
        REGISTRATION = "registration", _("handling a board's registration")
        ENROLMENT = "enrolment", _("taking part in the course")
        REGISTER_REPORTING = "register", _("reporting completion to the Schoolleidersregister")

    statement = models.ForeignKey(
        PrivacyStatement, on_delete=models.PROTECT, related_name="consents", verbose_name=_("statement")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    subject_type = models.CharField(_("kind of person"), max_length=100)
    subject_id = models.CharField(_("person"), max_length=64)
    form = models.CharField(_("form"), max_length=100)
    given_at = models.DateTimeField(_("given"), auto_now_add=True)

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="consent_subject_idx")]

    def __str__(self):
        return f"{self.get_purpose_display()} · v{self.statement.version} · {self.given_at:%d-%m-%Y}"
