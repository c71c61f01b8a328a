"""
The invoices and credit notes to the boards: their numbering, their lines, and the course runs as the office
invoices them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort, Registration

from .. import validators
from .prices import MONEY


class InvoiceCounter(models.Model):
    """
    The last invoice number given in a year.

    The issuing transaction raises it with one UPDATE, which holds the row's
    lock until that transaction ends: a second issuing waits for the first,
    and a rolled-back issuing takes its number back with it. So the numbers
    of a year run 1, 2, 3 ... without a gap and never twice.
    """

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("invoice counter")
        verbose_name_plural = _("invoice counters")

    def __str__(self):
        return f"{self.year}: {self.last_number}"


class Invoice(models.Model):
    """
    An invoice to one board for its part of a course run, or a credit note that corrects one.

    Everything it prints is copied into it when it is issued (the provider,
    the board's address, the price, the VAT), so that a later edit of any of
    those leaves it as sent; once issued it never changes.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    number = models.CharField(_("number"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    credits = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("credits invoice"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("registration")
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("course run"))
    issue_date = models.DateField(_("invoice date"))
    due_date = models.DateField(_("due date"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    language = models.CharField(_("language"), max_length=5, default="nl")
    # The provider as it was at issue.
    seller_name = models.CharField(_("provider"), max_length=200)
    seller_address = models.CharField(_("provider's address"), max_length=200)
    seller_postcode = models.CharField(_("provider's postcode"), max_length=7)
    seller_city = models.CharField(_("provider's city"), max_length=100)
    seller_kvk_number = models.CharField(_("provider's KvK number"), max_length=8)
    seller_vat_number = models.CharField(_("provider's VAT number"), max_length=20)
    seller_iban = models.CharField(_("provider's IBAN"), max_length=42)
    seller_crkbo_number = models.CharField(_("provider's CRKBO registration"), max_length=30, blank=True)
    seller_email = models.EmailField(_("provider's e-mail address"), blank=True)
    # The board as it was at issue; the purchase-order number and the invoice
    # address will come from the board's acceptance of the offer.
    buyer_name = models.CharField(_("board"), max_length=200)
    invoice_address = models.TextField(_("invoice address"))
    invoice_email = models.EmailField(_("invoice e-mail address"), blank=True)
    po_number = models.CharField(_("purchase-order number"), max_length=50, blank=True)
    participant_count = models.PositiveSmallIntegerField(_("participants invoiced"), default=0)
    # The VAT as the price model said at issue: a rate, or none with the exemption's legal ground.
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=4, decimal_places=2, null=True, blank=True)
    vat_note = models.TextField(_("VAT note"), blank=True)
    net_amount = models.DecimalField(_("amount excluding VAT"), **MONEY)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    total_amount = models.DecimalField(_("total"), **MONEY)
    # The board's KvK number as its acceptance of the offer gives it: the e-invoice's
    # electronic address and legal entity of the buyer (Peppol scheme 0106).
    buyer_kvk_number = models.CharField(
        _("board's KvK number"), max_length=8, blank=True, validators=[validators.validate_kvk_number]
    )

    class Meta:
        ordering = ["-year", "-sequence"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        permissions = [("issue_invoice", _("Can issue invoices and credit notes"))]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="invoice_number_once_per_year"),
            models.UniqueConstraint(
                fields=["registration"], condition=models.Q(kind="invoice"), name="invoice_once_per_registration"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", credits__isnull=True)
                | models.Q(kind="credit_note", credits__isnull=False),
                name="invoice_credit_note_credits_an_invoice",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="invoice", total_amount__gte=0)
                | models.Q(kind="credit_note", total_amount__lte=0),
                name="invoice_credit_note_is_negative",
            ),
        ]

    def __str__(self):
        return f"{self.number} · {self.buyer_name}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An issued invoice never changes; a credit note corrects it.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An issued invoice is never deleted; a credit note corrects it.")

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE


class DocumentLine(models.Model):
    """A line of an offer or an invoice: what, how many, at what price, for what amount, in its position."""

    position = models.PositiveSmallIntegerField(_("line"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=7, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)

    class Meta:
        abstract = True

    def __str__(self):
        return self.description


class InvoiceLine(DocumentLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines", verbose_name=_("invoice"))

    class Meta:
        ordering = ["invoice", "position"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position_unique"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An issued invoice never changes; a credit note corrects it.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An issued invoice is never deleted; a credit note corrects it.")


class RunToInvoice(Cohort):
    """The confirmed course runs, as the office invoices them: one invoice per board."""

    class Meta:
        proxy = True
        verbose_name = _("course run to invoice")
        verbose_name_plural = _("course runs to invoice")
