"""
The outbox: every e-mail the system sends is first a row here.

A row is written inside the caller's transaction, so an e-mail exists if and
only if the change that caused it was committed; a Celery task sends it after
commit. The row's status is the one source of truth about delivery, so a
task that runs twice, a broker that loses a message or a worker that dies
never sends twice nor loses an e-mail (see mail/services/ for the one small
window that remains).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingMail(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    key = models.CharField(
        _("idempotency key"),
        max_length=200,
        unique=True,
        help_text=_("Queuing an e-mail with a key that exists already does nothing."),
    )
    to = models.JSONField(_("recipients"), default=list)
    reply_to = models.JSONField(_("reply to"), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(_("language"), max_length=10)
    template = models.CharField(_("template"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    # The sender (a Celery task id) that holds a row in `sending`.
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # Whom and what the e-mail is about, as "app_label.model:pk" keys
    # (verbindend.personal_data.subject_key): erasing a person finds every e-mail about
    # them by it, whoever it was addressed to, such as the trainer's copy.
    about = models.JSONField(_("about"), default=list, blank=True)
    # When its addresses, text and attachments were erased (a person's erasure, or retention).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mail_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="mail_sent_has_sent_at",
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"


class OutgoingMailAttachment(models.Model):
    mail = models.ForeignKey(OutgoingMail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    mimetype = models.CharField(_("content type"), max_length=200)
    content = models.BinaryField(_("content"))
    # An invitation is more than a file: sent as a `text/calendar; method=...`
    # alternative of the message's text (RFC 6047, section 2.4), which is
    # where Outlook and other iMIP clients look for a meeting, and beside it
    # as a file for the clients that only show attachments.
    invitation_method = models.CharField(
        _("invitation method"),
        max_length=10,
        blank=True,
        choices=[("REQUEST", "REQUEST"), ("CANCEL", "CANCEL")],
        help_text=_("Set for a meeting invitation or cancellation that calendar programs show as a meeting."),
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename
