"""Materials per programme day (a link or a private file) and a participant's final assignment."""

import datetime
import uuid

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .storage import private_storage


def material_path(material, filename: str) -> str:
    # A random name on disk: the title and the original name are data, never a path.
    return f"materials/{uuid.uuid4().hex}"


def submission_path(submission, filename: str) -> str:
    return f"assignments/{uuid.uuid4().hex}"


class Material(models.Model):
    """Something for the participants of every run of a programme, tied to one of its days."""

    class Shown(models.TextChoices):
        BEFORE = "before", _("days before the course day")
        ON_THE_DAY = "on_the_day", _("from the course day")
        AFTER = "after", _("days after the course day")

    programme_day = models.ForeignKey(
        "programme.ProgrammeDay", on_delete=models.CASCADE, related_name="materials", verbose_name=_("programme day")
    )
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"), blank=True, max_length=500, validators=[URLValidator(schemes=["http", "https"])])
    file = models.FileField(_("file"), blank=True, storage=private_storage, upload_to=material_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    shown = models.CharField(_("shown"), max_length=12, choices=Shown.choices, default=Shown.ON_THE_DAY)
    days = models.PositiveSmallIntegerField(
        _("number of days"), default=0, help_text=_("For before or after the course day.")
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["programme_day__number", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(url="") & ~models.Q(file="")) | (~models.Q(url="") & models.Q(file="")),
                name="material_link_or_file",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_file(self) -> bool:
        return bool(self.file)

    @property
    def offset_days(self) -> int:
        """The days from the course day on which the material is shown: negative before it."""
        if self.shown == self.Shown.BEFORE:
            return -self.days
        if self.shown == self.Shown.AFTER:
            return self.days
        return 0

    def shown_from(self, day_date: datetime.date) -> datetime.date:
        return day_date + datetime.timedelta(days=self.offset_days)


class Submission(models.Model):
    """A participant's final assignment: the file they uploaded, and the trainer's review of it."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted, awaiting review")
        RETURNED = "returned", _("returned with feedback")
        APPROVED = "approved", _("approved")

    participant = models.OneToOneField(
        "cohorts.Participant",
        on_delete=models.CASCADE,
        related_name="final_assignment",
        verbose_name=_("participant"),
    )
    file = models.FileField(_("file"), blank=True, storage=private_storage, upload_to=submission_path, max_length=200)
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    size = models.PositiveIntegerField(_("size"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    feedback = models.TextField(_("feedback"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("final assignment")
        verbose_name_plural = _("final assignments")
        ordering = ["-uploaded_at"]
        permissions = [("review_submission", _("Can review final assignments"))]

    def __str__(self):
        return self.filename or str(_("final assignment"))
