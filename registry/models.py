import re
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort, Participant, Sector
from programme.models import Programme


class RegisterTheme(models.Model):
    """
    A professionalisation theme of the registers' knowledge base, by its current name.

    The registers rename their themes; a brochure, a board or an older
    certificate may use a name the register has since replaced. The former
    names are kept so that the public pages can say what a theme was called.
    """

    name = models.CharField(_("name"), max_length=200, unique=True, help_text=_("As the register names it today."))
    former_names = models.TextField(
        _("former names"),
        blank=True,
        help_text=_("Names the register or the brochure used before, one per line."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("register theme")
        verbose_name_plural = _("register themes")

    def __str__(self):
        return self.name

    @property
    def former_names_list(self) -> list[str]:
        return [line.strip() for line in self.former_names.splitlines() if line.strip()]


class Accreditation(models.Model):
    """What a register recognises a programme for: every register fact is data here, never code."""

    class Register(models.TextChoices):
        PO = "po", _("Schoolleidersregister PO")
        VO = "vo", _("Schoolleidersregister VO")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="accreditations", verbose_name=_("programme")
    )
    register = models.CharField(_("register"), max_length=5, choices=Register.choices)
    number = models.CharField(_("accreditation number"), max_length=50, blank=True)
    activity_id = models.CharField(
        _("PE-online activity id"),
        max_length=50,
        blank=True,
        help_text=_("The id PE-online gives the accredited activity; each course run is entered under it."),
    )
    themes = models.ManyToManyField(
        RegisterTheme,
        blank=True,
        related_name="accreditations",
        verbose_name=_("themes"),
        help_text=_("The themes of the register's knowledge base this activity counts for."),
    )
    public_wording = models.CharField(
        _("public wording"),
        max_length=300,
        blank=True,
        help_text=_("How the public pages name this accreditation, in the register's own words."),
    )
    points = models.DecimalField(
        _("points"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        help_text=_("The herregistratiewaarde the register sets for this activity; leave empty until it is known."),
    )
    contact_hours = models.DecimalField(_("contact hours"), max_digits=5, decimal_places=1, default=0)
    self_study_hours = models.DecimalField(_("self-study hours"), max_digits=5, decimal_places=1, default=0)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    certificate_wording = models.TextField(
        _("certificate wording"),
        blank=True,
        help_text=_("The sentence the certificate prints about the register, if the register prescribes one."),
    )

    class Meta:
        ordering = ["programme", "register"]
        verbose_name = _("accreditation")
        verbose_name_plural = _("accreditations")
        constraints = [
            models.UniqueConstraint(fields=["programme", "register"], name="accreditation_once_per_register"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="accreditation_valid_period",
                violation_error_message=_("The end of the validity cannot lie before its start."),
            ),
        ]

    def __str__(self):
        return f"{self.get_register_display()} · {self.programme}"

    @property
    def total_hours(self):
        return self.contact_hours + self.self_study_hours

    def theme_names(self) -> str:
        """The themes by their current names, as a certificate prints them (reads the prefetched themes if any)."""
        return ", ".join(theme.name for theme in sorted(self.themes.all(), key=lambda theme: theme.name))

    def is_valid_on(self, day) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day <= self.valid_until
        )

    def clean(self):
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("The end of the validity cannot lie before its start.")})


# A register number is digits kept as text unless the office sets another
# pattern: a register that publishes no format gets no invented length.
DIGITS = r"[0-9]+"


def validate_pattern(value: str) -> None:
    """Refuse a pattern that is not a regular expression, with what is wrong with it."""
    try:
        re.compile(value)
    except re.error as error:
        raise ValidationError(
            _("This is not a regular expression: %(error)s.") % {"error": error}, code="pattern"
        ) from error


class RegisterRule(models.Model):
    """
    Whom a register expects a number of, and what its numbers look like: kept by the office, never in code.

    A participant is expected to give a number when a register serves their
    board's sector and lists their role; anyone else gets their certificate
    all the same, but is never asked for a number nor reported.
    """

    register = models.CharField(_("register"), max_length=5, choices=Accreditation.Register.choices, unique=True)
    sectors = models.JSONField(
        _("sectors"), default=list, blank=True, help_text=_("The boards' sectors whose leaders this register serves.")
    )
    roles = models.JSONField(
        _("roles"), default=list, blank=True, help_text=_("The roles whose leaders are expected to be registered.")
    )
    number_pattern = models.CharField(
        _("register number pattern"),
        max_length=200,
        default=DIGITS,
        validators=[validate_pattern],
        help_text=_(
            "A regular expression the whole number must match, after spaces, dots and hyphens are left out. "
            "The default, [0-9]+, is digits of any length with their leading zeros."
        ),
    )
    number_example = models.CharField(
        _("example number"),
        max_length=40,
        blank=True,
        help_text=_("Shown to a participant whose number does not match, if the register publishes one."),
    )

    class Meta:
        ordering = ["register"]
        verbose_name = _("register rule")
        verbose_name_plural = _("register rules")

    def __str__(self):
        return self.get_register_display()

    def serves(self, participant: Participant) -> bool:
        """Whether this register expects a number of the participant (their board's sector and their role)."""
        return participant.registration.board.sector in self.sectors and participant.role in self.roles

    def matches(self, number: str) -> bool:
        return re.fullmatch(self.number_pattern, number) is not None

    def clean(self):
        errors = {}
        unknown_sectors = set(self.sectors or []) - set(Sector.values)
        if unknown_sectors:
            errors["sectors"] = _("Unknown sector: %(values)s.") % {"values": ", ".join(sorted(unknown_sectors))}
        unknown_roles = set(self.roles or []) - set(Participant.Role.values)
        if unknown_roles:
            errors["roles"] = _("Unknown role: %(values)s.") % {"values": ", ".join(sorted(unknown_roles))}
        pattern_valid = True
        try:
            re.compile(self.number_pattern)
        except re.error:
            pattern_valid = False  # validate_pattern says why
        if pattern_valid and self.number_example and not self.matches(self.number_example):
            errors["number_example"] = _("The example does not match the pattern.")
        if errors:
            raise ValidationError(errors)


def new_verification_code() -> str:
    # 12 characters from an alphabet without look-alikes: easy to type from paper, 60 bits of chance.
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


class Certificate(models.Model):
    """A certificate or proof of attendance; what it prints is frozen in `snapshot` when it is issued."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", _("Certificate")
        ATTENDANCE = "attendance", _("Proof of attendance")

    class Status(models.TextChoices):
        VALID = "valid", _("valid")
        SUPERSEDED = "superseded", _("superseded")
        REVOKED = "revoked", _("revoked")

    participant = models.ForeignKey(
        "cohorts.Participant", on_delete=models.PROTECT, related_name="certificates", verbose_name=_("participant")
    )
    number = models.CharField(_("number"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    verification_code = models.CharField(
        _("verification code"), max_length=20, unique=True, default=new_verification_code, editable=False
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)
    revoked_reason = models.TextField(_("reason for revocation"), blank=True)
    snapshot = models.JSONField(_("printed data"), editable=False)
    pdf = models.FileField(_("PDF"), upload_to="certificates/%Y/", blank=True)
    sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True, editable=False)
    issued_at = models.DateTimeField(_("issued"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["number", "-version"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="certificate_number_version_unique"),
            models.UniqueConstraint(
                fields=["participant"], condition=models.Q(status="valid"), name="certificate_one_valid_per_participant"
            ),
        ]

    def __str__(self):
        return f"{self.number} v{self.version}" if self.version > 1 else self.number


class CompletedCohort(Cohort):
    """The completed course runs, as the registry works with them: certificates and the register export."""

    class Meta:
        proxy = True
        verbose_name = _("completed course run")
        verbose_name_plural = _("completed course runs")


class RegisterExport(models.Model):
    """One export of a course run's completions, logged: who, when, what; a report marks what the register got."""

    class Kind(models.TextChoices):
        PASTE = "paste", _("PE-online paste list")
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")
        REPORTED = "reported", _("reported to the register")

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="register_exports", verbose_name=_("course run")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    exported_at = models.DateTimeField(_("when"), auto_now_add=True)
    # What was exported: participant, register number, outcome, certificate number per row.
    rows = models.JSONField(_("rows"), default=list)

    class Meta:
        ordering = ["-exported_at"]
        verbose_name = _("register export")
        verbose_name_plural = _("register exports")

    def __str__(self):
        return f"{self.cohort} · {self.get_kind_display()} · {self.exported_at:%d-%m-%Y %H:%M}"


class IssueRequest(models.Model):
    """
    A request to issue a completed run's certificates, recorded with the action that asked for it.

    A task issues them after commit; should the broker have been away, or the
    worker have died, the drain (Celery beat) picks the request up again, up
    to ISSUE_MAX_ATTEMPTS times, as the outbox does with e-mail.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RUNNING = "running", _("being issued")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="issue_requests", verbose_name=_("course run")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the task now issuing took it; a claim older than ISSUE_CLAIM_TIMEOUT_SECONDS is a worker that died.
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    issued = models.PositiveIntegerField(_("issued"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("certificate issue request")
        verbose_name_plural = _("certificate issue requests")
        indexes = [models.Index(fields=["status", "requested_at"], name="issue_request_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="running") | models.Q(claimed_at__isnull=False),
                name="issue_request_running_is_claimed",
            ),
        ]

    def __str__(self):
        return f"{self.cohort} · {self.requested_at:%d-%m-%Y %H:%M}"


class RegisterNumberRejection(models.Model):
    """
    A register number PE-online did not accept for a participant, kept as history once corrected.

    The office pastes back what "Controleren" refused (`registry.rejections`);
    the participant's page asks them to check that number until it changes.
    """

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="register_number_rejections",
        verbose_name=_("participant"),
    )
    number = models.CharField(_("rejected number"), max_length=20)
    rejected_at = models.DateTimeField(_("rejected"), default=timezone.now)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    corrected_number = models.CharField(_("corrected number"), max_length=20, blank=True)
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True)

    class Meta:
        ordering = ["-rejected_at", "-pk"]
        verbose_name = _("rejected register number")
        verbose_name_plural = _("rejected register numbers")
        constraints = [
            # Pasting the same refusal twice marks it once.
            models.UniqueConstraint(
                fields=["participant", "number"],
                condition=models.Q(corrected_at__isnull=True),
                name="one_open_rejection_per_number",
            ),
        ]

    def __str__(self):
        return f"{self.participant} · {self.number}"


class RegisterRun(models.Model):
    """
    A course run as the office entered it in PE-online: its uitvoering, then its presentie.

    PE-online takes the presentie of a run only once its uitvoering is
    entered and the course days are over; recording both here is what lets
    the start page and the reminder say what is still to do.
    """

    cohort = models.OneToOneField(
        Cohort, on_delete=models.PROTECT, related_name="register_run", verbose_name=_("course run")
    )
    uitvoering_id = models.CharField(_("PE-online uitvoering id"), max_length=50)
    uitvoering_recorded_at = models.DateTimeField(_("uitvoering entered"))
    uitvoering_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uitvoering entered by"),
    )
    presentie_recorded_at = models.DateTimeField(_("presentie entered"), null=True, blank=True)
    presentie_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("presentie entered by"),
    )

    class Meta:
        ordering = ["-uitvoering_recorded_at"]
        verbose_name = _("course run in PE-online")
        verbose_name_plural = _("course runs in PE-online")

    def __str__(self):
        return f"{self.cohort} · {self.uitvoering_id}"
