"""The boards (school boards and samenwerkingsverbanden) and their registrations: who asks for a course run."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import validators
from .keys import new_access_key


class Sector(models.TextChoices):
    PO = "po", _("primary education (PO)")
    VO = "vo", _("secondary education (VO)")
    BOTH = "po_vo", _("primary and secondary education")


class Board(models.Model):
    """A school board (bestuur) or samenwerkingsverband."""

    class Kind(models.TextChoices):
        BESTUUR = "bestuur", _("school board")
        SWV = "swv", _("samenwerkingsverband")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BESTUUR)
    bestuursnummer = models.CharField(
        _("bestuursnummer"), max_length=5, blank=True, validators=[validators.validate_bestuursnummer]
    )
    swv_code = models.CharField(
        _("samenwerkingsverband code"), max_length=8, blank=True, validators=[validators.validate_swv_code]
    )
    sector = models.CharField(_("sector"), max_length=5, choices=Sector.choices)
    place = models.CharField(_("place"), max_length=100, blank=True)
    # Where the board's invoice goes when no accepted offer says otherwise, and its KvK number: the e-invoice's
    # electronic address of the buyer, which the Dutch rules require (an accepted offer fills it in).
    address = models.CharField(_("address"), max_length=200, blank=True, help_text=_("Street and number."))
    postcode = models.CharField(_("postcode"), max_length=7, blank=True, validators=[validators.validate_postcode])
    kvk_number = models.CharField(
        _("KvK number"),
        max_length=8,
        blank=True,
        validators=[validators.validate_kvk_number],
        help_text=_("The board's number in the Chamber of Commerce: eight digits."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("board")
        verbose_name_plural = _("boards")
        constraints = [
            models.UniqueConstraint(
                fields=["bestuursnummer"], condition=~models.Q(bestuursnummer=""), name="board_bestuursnummer_unique"
            ),
            models.UniqueConstraint(
                fields=["swv_code"], condition=~models.Q(swv_code=""), name="board_swv_code_unique"
            ),
            # A school board is known by its bestuursnummer, a samenwerkingsverband by its code.
            models.CheckConstraint(
                condition=(models.Q(kind="bestuur") & ~models.Q(bestuursnummer=""))
                | (models.Q(kind="swv") & ~models.Q(swv_code="")),
                name="board_kind_has_its_number",
                violation_error_message=_("A school board needs its bestuursnummer, a samenwerkingsverband its code."),
            ),
        ]

    def __str__(self):
        number = self.bestuursnummer or self.swv_code
        return f"{self.name} ({number})" if number else self.name


class Registration(models.Model):
    """One board's request: a new course run, or seats in an open one."""

    class Kind(models.TextChoices):
        NEW_COHORT = "new", _("a new course run for our board(s)")
        JOIN_COHORT = "join", _("join an open course run")

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        INTAKE = "intake", _("intake planned")
        PLACED = "placed", _("placed in a course run")
        CANCELLED = "cancelled", _("cancelled")

    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="registrations", verbose_name=_("board"))
    kind = models.CharField(_("request"), max_length=5, choices=Kind.choices, default=Kind.NEW_COHORT)
    cohort = models.ForeignKey(
        "cohorts.Cohort",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("course run"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    contact_name = models.CharField(_("contact person"), max_length=150)
    contact_function = models.CharField(_("function"), max_length=150, blank=True)
    contact_email = models.EmailField(_("e-mail address"))
    contact_phone = models.CharField(_("phone number"), max_length=20, blank=True)
    expected_participants = models.PositiveSmallIntegerField(_("expected number of participants"))
    preferred_period = models.CharField(_("preferred period"), max_length=200, blank=True)
    preferred_place = models.CharField(_("preferred place"), max_length=200, blank=True)
    remarks = models.TextField(_("remarks"), blank=True, max_length=2000)
    privacy_consent_at = models.DateTimeField(_("consent to the privacy statement"))
    language = models.CharField(_("language"), max_length=5, default="nl")
    # The board page link; rotating the key revokes every link sent before.
    access_key = models.CharField(max_length=64, unique=True, default=new_access_key, editable=False)
    # The link the board shares with its leaders to enrol themselves; apart
    # from the board page so that sharing it gives no access to that page.
    enrolment_key = models.CharField(max_length=64, unique=True, default=new_access_key, editable=False)
    # A double submit of the same form carries the same key.
    submission_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("received"), default=timezone.now)
    # When the contact person was erased (cohorts.personal_data).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            # Placed means placed in a run; a cancelled registration keeps the run it was in, if any.
            models.CheckConstraint(
                condition=models.Q(status="placed", cohort__isnull=False)
                | models.Q(status__in=["received", "intake"], cohort__isnull=True)
                | models.Q(status="cancelled"),
                name="registration_placed_has_its_run",
                violation_error_message=_(
                    "A registration placed in a course run names that run; one received or with an intake "
                    "planned has none yet."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.board.name} · {self.created_at:%d-%m-%Y}"
