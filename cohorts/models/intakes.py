"""The trainer's intake appointments with a board's contact person."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .boards import Registration


class IntakeAppointment(models.Model):
    """The trainer's intake with a board's contact person, before a course run is formed."""

    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("on site")
        VIDEO = "video", _("video call")
        PHONE = "phone", _("phone call")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        MOVED = "moved", _("moved")
        CANCELLED = "cancelled", _("cancelled")
        HELD = "held", _("held")

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="intakes", verbose_name=_("registration")
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intakes",
        verbose_name=_("trainer"),
    )
    starts_at = models.DateTimeField(_("start"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    mode = models.CharField(_("how"), max_length=10, choices=Mode.choices, default=Mode.VIDEO)
    location = models.CharField(_("address"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("For the trainer only; never sent."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Rises with every change the board contact is told about (the invitation's SEQUENCE).
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("intake appointment")
        verbose_name_plural = _("intake appointments")

    def __str__(self):
        return f"{self.registration.board.name} · {timezone.localtime(self.starts_at):%d-%m-%Y %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + timezone.timedelta(minutes=self.duration_minutes)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.mode == self.Mode.ON_SITE and not self.location:
            raise ValidationError({"location": _("An intake on site needs an address.")})
        if self.mode == self.Mode.VIDEO and not self.video_link:
            raise ValidationError({"video_link": _("A video call needs a link.")})
