"""The audit trail: who did what to which record, when and from where. Rows are only ever added."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        EXPORT = "export", _("export")
        ERASURE = "erasure", _("erasure")
        CERTIFICATE_ISSUED = "certificate_issued", _("certificate issued")
        CERTIFICATE_REVOKED = "certificate_revoked", _("certificate revoked")
        LINK_ROTATED = "link_rotated", _("link rotated")
        PERSONAL_DATA_DOWNLOAD = "personal_data_download", _("download of personal data")
        COHORT_CONFIRMED = "cohort_confirmed", _("course run confirmed")
        COHORT_CANCELLED = "cohort_cancelled", _("course run cancelled")
        COHORT_COMPLETED = "cohort_completed", _("course run completed")
        DAY_MOVED = "day_moved", _("course day moved")
        ATTENDANCE_CHANGED = "attendance_changed", _("attendance changed after the day")
        REGISTER_NUMBER_CHANGED = "register_number_changed", _("register number changed")
        REGISTER_NUMBER_REJECTED = "register_number_rejected", _("register numbers refused by the register")
        REGISTRATION_MOVED = "registration_moved", _("registration moved to another course run")
        REGISTRATION_CANCELLED = "registration_cancelled", _("registration cancelled")
        DAY_ADDED = "day_added", _("course day added")
        DAY_DELETED = "day_deleted", _("course day deleted")
        UITVOERING_RECORDED = "uitvoering_recorded", _("uitvoering entered in PE-online")
        PRESENTIE_RECORDED = "presentie_recorded", _("presentie entered in PE-online")
        STAFF_LOGIN = "staff_login", _("staff login")
        STAFF_LOGIN_FAILED = "staff_login_failed", _("failed staff login")
        FINAL_ASSIGNMENT_APPROVAL = "final_assignment_approval", _("final assignment approval changed")
        RUN_MESSAGE_SENT = "run_message_sent", _("message sent to a course run")
        FINAL_ASSIGNMENT_RETURNED = "final_assignment_returned", _("final assignment returned with feedback")
        OFFER_MADE = "offer_made", _("offer made")
        OFFER_ACCEPTED = "offer_accepted", _("offer accepted")
        INVOICE_ISSUED = "invoice_issued", _("invoice issued")
        CREDIT_NOTE_ISSUED = "credit_note_issued", _("credit note issued")
        PAYMENT_RECORDED = "payment_recorded", _("payment recorded")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    actor_name = models.CharField(_("who (as it was)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    object_type = models.CharField(_("kind of object"), max_length=100)
    object_id = models.CharField(_("object"), max_length=64)
    object_label = models.CharField(_("description"), max_length=300, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    # What changed, as {"field": [before, after]}, or for the attendance grid
    # {"cells": [{"participant", "day", "before", "after"}, ...]}: the values
    # as stored, so the trail reads the same after a label is renamed.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")

    def __str__(self):
        return f"{self.at:%d-%m-%Y %H:%M} {self.actor_name or '-'} {self.get_action_display()} {self.object_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are never deleted.")
