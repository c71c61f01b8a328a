"""What the trainer keeps of their own: the messages they wrote to a course run, and their private calendar feed."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .keys import new_access_key
from .runs import Cohort


class CalendarFeed(models.Model):
    """A trainer's private calendar feed (.ics URL) of their course days and intakes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user")
    )
    key = models.CharField(max_length=64, unique=True, default=new_access_key, editable=False)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)


class RunMessage(models.Model):
    """
    A message the trainer wrote to the people of a course run, kept on the run.

    It went to each recipient separately, in an e-mail of its own; who they
    were is in the outbox (under the message's key), not here, so that erasing
    a person erases what was sent to them and leaves the message.
    """

    class Audience(models.TextChoices):
        PARTICIPANTS = "participants", _("the enrolled participants")
        CONTACTS = "contacts", _("the boards' contact persons")
        WAITING = "waiting", _("the waiting list")

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="messages", verbose_name=_("course run"))
    audience = models.CharField(_("to"), max_length=20, choices=Audience.choices)
    subject = models.CharField(_("subject"), max_length=150)
    body = models.TextField(_("message"), max_length=5000)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    # The composing form's one-time token: sending the same form twice sends once.
    form_token = models.UUIDField(unique=True, editable=False)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message to a course run")
        verbose_name_plural = _("messages to course runs")

    def __str__(self):
        return f"{self.cohort.code} · {self.subject}"
