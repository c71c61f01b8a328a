"""
What the provider charges and how it invoices: the provider's identity, the price model per programme, and the
invoices per board. Every amount and every term is data, edited in the admin; none is written in code.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum import iban
from stdnum.nl import btw, postcode

from cohorts.models import Cohort, Registration
from programme.models import Programme

from . import validators

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


# --- The e-invoice, payments and the office's side of invoicing ---------------

# The board's KvK number as its acceptance of the offer gives it: the e-invoice's
# electronic address and legal entity of the buyer (Peppol scheme 0106).
Invoice.add_to_class(
    "buyer_kvk_number",
    models.CharField(_("board's KvK number"), max_length=8, blank=True, validators=[validators.validate_kvk_number]),
)

# Where the bookkeeping books the revenue: the ledger account per VAT treatment, for the export per invoice line.
Provider.add_to_class(
    "ledger_exempt",
    models.CharField(
        _("ledger for revenue exempt from VAT"),
        max_length=20,
        blank=True,
        default="8010",
        help_text=_("The general ledger account of the bookkeeping, for the export."),
    ),
)
Provider.add_to_class(
    "ledger_vat",
    models.CharField(
        _("ledger for revenue with VAT"),
        max_length=20,
        blank=True,
        default="8000",
        help_text=_("The general ledger account of the bookkeeping, for the export."),
    ),
)


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
