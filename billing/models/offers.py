"""The offers (quotations) to the boards, in versions, and their lines: what a board accepts before it is invoiced."""

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cohorts.models import Registration

from .. import validators
from .invoices import DocumentLine
from .prices import MONEY


class Offer(models.Model):
    """
    One version of the offer (quotation) to a board for a registration, as it was made and sent.

    Everything it prints is copied into it when it is made, as an invoice
    copies what it prints: a later edit of the price or the provider leaves
    the offer as sent. A new version supersedes the open one (both kept);
    the contact accepts the latest version online, with the board's
    purchase-order number and invoice details, and an accepted offer never
    changes (`billing.services.offers` refuses it, the admin shows it
    read-only).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SUPERSEDED = "superseded", _("superseded by a newer version")
        ACCEPTED = "accepted", _("accepted")

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="offers", verbose_name=_("registration")
    )
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    made_at = models.DateTimeField(_("made at"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    offer_date = models.DateField(_("offer date"))
    valid_until = models.DateField(_("valid until"))
    language = models.CharField(_("language"), max_length=5, default="nl")
    remark = models.TextField(_("remark"), blank=True, max_length=1000)
    # The provider as it was when the offer was made.
    seller_name = models.CharField(_("provider"), max_length=200)
    seller_address = models.CharField(_("provider's address"), max_length=200, blank=True)
    seller_postcode = models.CharField(_("provider's postcode"), max_length=7, blank=True)
    seller_city = models.CharField(_("provider's city"), max_length=100, blank=True)
    seller_kvk_number = models.CharField(_("provider's KvK number"), max_length=8, blank=True)
    seller_vat_number = models.CharField(_("provider's VAT number"), max_length=20, blank=True)
    seller_crkbo_number = models.CharField(_("provider's CRKBO registration"), max_length=30, blank=True)
    seller_email = models.EmailField(_("provider's e-mail address"), blank=True)
    # The board, the course and the run as they were when it was made.
    buyer_name = models.CharField(_("board"), max_length=200)
    buyer_address = models.TextField(_("board's address"))
    contact_name = models.CharField(_("contact person"), max_length=150)
    programme_title = models.CharField(_("programme"), max_length=200)
    cohort_code = models.CharField(_("course run"), max_length=30, blank=True)
    first_day = models.DateField(_("first course day"), null=True, blank=True)
    last_day = models.DateField(_("last course day"), null=True, blank=True)
    participant_count = models.PositiveSmallIntegerField(_("participants offered"))
    # The terms as the price model said when it was made.
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"))
    withdrawal_cutoff_days = models.PositiveSmallIntegerField(_("free withdrawal until (days before)"))
    withdrawal_fee_percent = models.PositiveSmallIntegerField(_("withdrawal fee (%)"))
    cancellation_fee_percent = models.PositiveSmallIntegerField(_("cancellation fee (%)"))
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=4, decimal_places=2, null=True, blank=True)
    vat_note = models.TextField(_("VAT note"), blank=True)
    net_amount = models.DecimalField(_("amount excluding VAT"), **MONEY)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    total_amount = models.DecimalField(_("total"), **MONEY)
    # The acceptance, as the contact gave it on the board page.
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by_name = models.CharField(_("accepted by"), max_length=150, blank=True)
    accepted_by_email = models.EmailField(_("accepted by (e-mail address)"), blank=True)
    po_number = models.CharField(_("purchase-order number"), max_length=50, blank=True)
    invoice_address = models.TextField(_("invoice address"), blank=True, max_length=500)
    invoice_email = models.EmailField(_("invoice e-mail address"), blank=True)
    cost_centre = models.CharField(_("cost centre"), max_length=50, blank=True)
    kvk_number = models.CharField(
        _("board's KvK number"), max_length=8, blank=True, validators=[validators.validate_kvk_number]
    )

    class Meta:
        ordering = ["registration", "-version"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        permissions = [("make_offer", _("Can make offers"))]
        constraints = [
            models.UniqueConstraint(fields=["registration", "version"], name="offer_version_once"),
            # One live version per registration: the open one, or the accepted one.
            models.UniqueConstraint(
                fields=["registration"], condition=~models.Q(status="superseded"), name="offer_one_live_version"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="accepted")
                | models.Q(accepted_at__isnull=False) & ~models.Q(invoice_address="") & ~models.Q(invoice_email=""),
                name="offer_accepted_is_complete",
            ),
        ]

    def __str__(self):
        return f"{self.number} v{self.version} · {self.buyer_name}"

    @property
    def number(self) -> str:
        """The offer's number, the same for all its versions: the registration's."""
        return f"O-{self.registration_id:05d}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED

    @property
    def free_until(self):
        """The last day on which withdrawing or cancelling costs nothing; None while the run has no days."""
        if self.first_day is None:
            return None
        return self.first_day - datetime.timedelta(days=self.withdrawal_cutoff_days)


class OfferLine(DocumentLine):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="lines", verbose_name=_("offer"))

    class Meta:
        ordering = ["offer", "position"]
        verbose_name = _("offer line")
        verbose_name_plural = _("offer lines")
        constraints = [models.UniqueConstraint(fields=["offer", "position"], name="offer_line_position_unique")]


class RegistrationToOffer(Registration):
    """The registrations as the trainer makes their offers: after the intake, one offer (in versions) each."""

    class Meta:
        proxy = True
        verbose_name = _("registration to make an offer for")
        verbose_name_plural = _("registrations to make an offer for")
