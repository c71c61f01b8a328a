"""
The provider that invoices and the price model per programme: every amount and every term is data, edited in the
admin; none is written in code.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum import iban
from stdnum.nl import btw, postcode

from programme.models import Programme

from .. import validators

MONEY = {"max_digits": 10, "decimal_places": 2}


class Provider(models.Model):
    """The provider that sends the invoices: one row, filled in by the office."""

    # Always True, and unique: the table holds one provider at most.
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    legal_name = models.CharField(_("legal name"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True, help_text=_("Street and number."))
    postcode = models.CharField(_("postcode"), max_length=7, blank=True, validators=[validators.validate_postcode])
    city = models.CharField(_("city"), max_length=100, blank=True)
    kvk_number = models.CharField(
        _("KvK number"), max_length=8, blank=True, validators=[validators.validate_kvk_number]
    )
    vat_number = models.CharField(
        _("VAT number"), max_length=20, blank=True, validators=[validators.validate_vat_number]
    )
    iban = models.CharField(_("IBAN"), max_length=42, blank=True, validators=[validators.validate_iban])
    crkbo_number = models.CharField(
        _("CRKBO registration number"),
        max_length=30,
        blank=True,
        help_text=_(
            "The registration in the Centraal Register Kort Beroepsonderwijs, the ground of the VAT exemption."
        ),
    )
    email = models.EmailField(_("invoice e-mail address"), blank=True)
    # Where the bookkeeping books the revenue: the ledger account per VAT treatment, for the export per invoice line.
    ledger_exempt = models.CharField(
        _("ledger for revenue exempt from VAT"),
        max_length=20,
        blank=True,
        default="8010",
        help_text=_("The general ledger account of the bookkeeping, for the export."),
    )
    ledger_vat = models.CharField(
        _("ledger for revenue with VAT"),
        max_length=20,
        blank=True,
        default="8000",
        help_text=_("The general ledger account of the bookkeeping, for the export."),
    )

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("provider")
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="provider_one_row")]

    def __str__(self):
        return self.legal_name

    def clean(self):
        # Stored in the form in which the invoice prints them.
        if self.vat_number and btw.is_valid(self.vat_number):
            self.vat_number = "NL" + btw.compact(self.vat_number)
        if self.iban and iban.is_valid(self.iban):
            self.iban = iban.format(self.iban)
        if self.postcode and postcode.is_valid(self.postcode):
            digits_and_letters = postcode.compact(self.postcode)
            self.postcode = f"{digits_and_letters[:4]} {digits_and_letters[4:]}"

    @property
    def missing_fields(self) -> list[str]:
        """Return the labels of the fields an invoice needs that are still empty."""
        needed = ["legal_name", "address", "postcode", "city", "kvk_number", "vat_number", "iban"]
        return [str(self._meta.get_field(name).verbose_name) for name in needed if not getattr(self, name)]

    @property
    def is_complete(self) -> bool:
        return not self.missing_fields


class PriceModel(models.Model):
    """The price of a programme and its terms."""

    class Kind(models.TextChoices):
        PER_PARTICIPANT = "per_participant", _("per participant")
        PER_RUN = "per_run", _("per course run, shared by the boards in proportion to their participants")

    class VatTreatment(models.TextChoices):
        EXEMPT = "exempt", _("exempt from VAT")
        RATE = "rate", _("VAT at a rate")

    programme = models.OneToOneField(
        Programme, on_delete=models.PROTECT, related_name="price_model", verbose_name=_("programme")
    )
    kind = models.CharField(_("kind of price"), max_length=20, choices=Kind.choices, default=Kind.PER_PARTICIPANT)
    amount = models.DecimalField(
        _("price (euro)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "Per participant, or for the whole course run, as the kind says. Empty: the price is given on request "
            "and no invoice can be issued yet."
        ),
    )
    minimum_charge = models.DecimalField(
        _("minimum charge per board (euro)"),
        **MONEY,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text=_("The least one board pays for its part of a course run; 0 for none."),
    )
    payment_term_days = models.PositiveSmallIntegerField(_("payment term (days)"), default=30)
    withdrawal_cutoff_days = models.PositiveSmallIntegerField(
        _("free withdrawal until (days before the first course day)"),
        default=28,
        help_text=_("Up to and including this many days before the first course day, withdrawing costs nothing."),
    )
    withdrawal_fee_percent = models.PositiveSmallIntegerField(
        _("withdrawal fee after that (percentage of the participant's price)"),
        default=50,
        validators=[MaxValueValidator(100)],
    )
    cancellation_fee_percent = models.PositiveSmallIntegerField(
        _("cancellation fee after that (percentage of the board's part)"),
        default=50,
        validators=[MaxValueValidator(100)],
        help_text=_("What a board pays that cancels its part of a course run after the same date."),
    )
    vat_treatment = models.CharField(_("VAT"), max_length=10, choices=VatTreatment.choices, default=VatTreatment.EXEMPT)
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("99.99"))],
    )
    exemption_text = models.TextField(
        _("legal ground of the exemption"),
        blank=True,
        help_text=_("Printed on every invoice and shown with the price when the course is exempt from VAT."),
    )

    class Meta:
        verbose_name = _("price model")
        verbose_name_plural = _("price models")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(vat_treatment="exempt", vat_rate__isnull=True) & ~models.Q(exemption_text="")
                | models.Q(vat_treatment="rate", vat_rate__isnull=False),
                name="price_model_vat_treatment_complete",
                violation_error_message=_(
                    "Exempt from VAT needs the legal ground and no rate; VAT at a rate needs the rate."
                ),
            ),
        ]

    def __str__(self):
        return str(self.programme)

    @property
    def is_exempt(self) -> bool:
        return self.vat_treatment == self.VatTreatment.EXEMPT
