"""The office's side of invoicing: the payments received on the invoices."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .invoices import Invoice
from .prices import MONEY


class Payment(models.Model):
    """A payment received on an invoice, as the office records it from the bank statement; never changed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments", verbose_name=_("invoice"))
    amount = models.DecimalField(_("amount (euro)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    paid_on = models.DateField(_("paid on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["invoice", "paid_on", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [
            ("record_payment", _("Can record payments on invoices")),
            ("export_bookkeeping", _("Can export the invoices for the bookkeeping")),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self):
        return f"{self.invoice.number}: {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A recorded payment never changes.")
        super().save(*args, **kwargs)
