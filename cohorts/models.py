import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import Programme, ProgrammeDay

from . import validators


def new_access_key() -> str:
    return secrets.token_urlsafe(24)


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


def participant_counts(path: str = "participants") -> dict:
    """
    Return the annotations `enrolled_count` and `waiting_count` of the participants at `path`.

    Every count of a run's (or a registration's) enrolled and waiting
    participants is this one; distinct, so that other joins do not multiply it.
    """
    return {
        "enrolled_count": models.Count(path, filter=models.Q(**{f"{path}__status": "enrolled"}), distinct=True),
        "waiting_count": models.Count(path, filter=models.Q(**{f"{path}__status": "waiting"}), distinct=True),
    }


class CohortQuerySet(models.QuerySet):
    def with_counts(self):
        return self.annotate(**participant_counts())


class Cohort(models.Model):
    """One run of a programme, for the leaders of one or more boards."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        PLANNED = "planned", _("planned")
        CONFIRMED = "confirmed", _("confirmed")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="cohorts", verbose_name=_("programme")
    )
    code = models.CharField(_("code"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cohorts",
        verbose_name=_("trainer"),
    )
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    open_for_joining = models.BooleanField(
        _("open for joining"),
        default=False,
        help_text=_("Other boards can choose this course run on the registration form while seats are left."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = CohortQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("course run")
        verbose_name_plural = _("course runs")

    def __str__(self):
        return self.code

    @property
    def accepts_enrolments(self) -> bool:
        return self.status in {self.Status.REQUESTED, self.Status.PLANNED, self.Status.CONFIRMED}


class CourseDay(models.Model):
    """A scheduled day of a cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="days", verbose_name=_("course run"))
    programme_day = models.ForeignKey(
        ProgrammeDay, on_delete=models.PROTECT, related_name="course_days", verbose_name=_("programme day")
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    # Rises with every change, for the SEQUENCE of calendar invitations.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name = _("course day")
        verbose_name_plural = _("course days")
        constraints = [
            models.UniqueConstraint(fields=["cohort", "programme_day"], name="course_day_once_per_programme_day"),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="course_day_ends_after_start",
                violation_error_message=_("A course day must end after it starts."),
            ),
        ]

    def __str__(self):
        return f"{self.cohort.code} · {self.programme_day}"


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
        Cohort,
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


class ParticipantQuerySet(models.QuerySet):
    def with_days_attended(self):
        """Annotate `days_attended`: the days each participant attended (see `ATTENDED`)."""
        return self.annotate(
            days_attended=models.Count("attendances", filter=models.Q(attendances__status__in=ATTENDED))
        )

    def with_waitlist_position(self):
        """
        Annotate `waitlist_position`: 1..n on each run's waiting list, counted, not read from the stored number.

        A subquery rather than a window function, so that it holds whatever
        else the query filters on (one board's participants of a shared run).
        """
        ahead = (
            Participant.objects.filter(
                cohort=models.OuterRef("cohort"),
                status=Participant.Status.WAITING,
                waitlist_number__lte=models.OuterRef("waitlist_number"),
            )
            .order_by()
            .values("cohort")
            .annotate(total=models.Count("pk"))
            .values("total")
        )
        return self.annotate(
            waitlist_position=models.Case(
                models.When(status=Participant.Status.WAITING, then=models.Subquery(ahead)),
                default=None,
                output_field=models.IntegerField(),
            )
        )


class Participant(models.Model):
    class Role(models.TextChoices):
        DIRECTEUR = "directeur", _("director")
        ADJUNCT_DIRECTEUR = "adjunct_directeur", _("deputy director")
        MEERSCHOLENDIRECTEUR = "meerscholendirecteur", _("director of several schools")
        LOCATIELEIDER = "locatieleider", _("site leader")
        BOVENSCHOOLS_DIRECTEUR = "bovenschools_directeur", _("director across schools")
        BESTUURDER = "bestuurder", _("executive board member")
        INTERN_BEGELEIDER = "intern_begeleider", _("internal pupil counsellor")
        BOUWCOORDINATOR = "bouwcoordinator", _("year-group coordinator")
        TEAMLEIDER = "teamleider", _("team leader")
        RECTOR = "rector", _("rector")
        CONRECTOR = "conrector", _("deputy rector")
        CENTRALE_DIRECTIE = "centrale_directie", _("member of the central management")
        AFDELINGSLEIDER = "afdelingsleider", _("head of department")
        OTHER = "other", _("other")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        WAITING = "waiting", _("on the waiting list")
        WITHDRAWN = "withdrawn", _("withdrawn")

    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="participants", verbose_name=_("registration")
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="participants", verbose_name=_("course run")
    )
    first_name = models.CharField(_("first name"), max_length=100)
    initials = models.CharField(_("initials"), max_length=20, blank=True)
    tussenvoegsel = models.CharField(_("tussenvoegsel"), max_length=20, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    school = models.CharField(_("school"), max_length=200)
    brin = models.CharField(_("BRIN"), max_length=4, validators=[validators.validate_brin])
    register_number = validators.RegisterNumberField(_("register number"), max_length=20, blank=True)
    # Approved by the trainer (cohorts.services.assignments); counts where the
    # programme's completion rule requires the final assignment.
    final_assignment_approved_at = models.DateTimeField(_("final assignment approved at"), null=True, blank=True)
    final_assignment_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("final assignment approved by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED)
    # Taken from a rising sequence when put on the waiting list: the lowest waits longest.
    waitlist_number = models.PositiveIntegerField(_("waiting list number"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=5, default="nl")
    access_key = models.CharField(max_length=64, unique=True, default=new_access_key, editable=False)
    created_at = models.DateTimeField(_("enrolled at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    # When the participant was erased (cohorts.personal_data).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True, editable=False)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        permissions = [
            ("erase_participant", _("Can erase a person's data (participants and contacts)")),
            ("approve_final_assignment", _("Can approve final assignments")),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), "cohort", name="participant_once_per_cohort"),
            models.CheckConstraint(
                condition=models.Q(status="waiting", waitlist_number__isnull=False) | ~models.Q(status="waiting"),
                name="participant_waiting_has_number",
            ),
            models.UniqueConstraint(
                fields=["cohort", "waitlist_number"],
                condition=models.Q(status="waiting"),
                name="participant_waitlist_number_unique",
                violation_error_message=_("Two participants cannot have the same place on a waiting list."),
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def final_assignment_approved(self) -> bool:
        return self.final_assignment_approved_at is not None

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.tussenvoegsel, self.last_name) if part)


PO_ROLES = [
    Participant.Role.DIRECTEUR,
    Participant.Role.ADJUNCT_DIRECTEUR,
    Participant.Role.MEERSCHOLENDIRECTEUR,
    Participant.Role.LOCATIELEIDER,
    Participant.Role.BOVENSCHOOLS_DIRECTEUR,
    Participant.Role.BESTUURDER,
    Participant.Role.INTERN_BEGELEIDER,
    Participant.Role.BOUWCOORDINATOR,
    Participant.Role.TEAMLEIDER,
]
VO_ROLES = [
    Participant.Role.RECTOR,
    Participant.Role.CONRECTOR,
    Participant.Role.CENTRALE_DIRECTIE,
    Participant.Role.DIRECTEUR,
    Participant.Role.ADJUNCT_DIRECTEUR,
    Participant.Role.TEAMLEIDER,
    Participant.Role.AFDELINGSLEIDER,
    Participant.Role.BESTUURDER,
]


def roles_for_sector(sector: str) -> list[Participant.Role]:
    """Return the roles a participant of a board in this sector can have, 'other' last."""
    if sector == Sector.PO:
        roles = PO_ROLES
    elif sector == Sector.VO:
        roles = VO_ROLES
    else:
        roles = PO_ROLES + [role for role in VO_ROLES if role not in PO_ROLES]
    return [*roles, Participant.Role.OTHER]


class IntakeAppointment(models.Model):
    """The trainer's intake with a board's contact person, before a course run is formed."""

    class Mode(models.TextChoices):
        ON_SITE = "on_site", _("on site")
        VIDEO = "video", _("video call")
        PHONE = "phone", _("phone call")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        MOVED = "moved", _("moved")
        CANCELLED = "cancelled", _("cancelled")
        HELD = "held", _("held")

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="intakes", verbose_name=_("registration")
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="intakes",
        verbose_name=_("trainer"),
    )
    starts_at = models.DateTimeField(_("start"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    mode = models.CharField(_("how"), max_length=10, choices=Mode.choices, default=Mode.VIDEO)
    location = models.CharField(_("address"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    notes = models.TextField(_("notes"), blank=True, help_text=_("For the trainer only; never sent."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    # Rises with every change the board contact is told about (the invitation's SEQUENCE).
    sequence = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("intake appointment")
        verbose_name_plural = _("intake appointments")

    def __str__(self):
        return f"{self.registration.board.name} · {timezone.localtime(self.starts_at):%d-%m-%Y %H:%M}"

    @property
    def ends_at(self):
        return self.starts_at + timezone.timedelta(minutes=self.duration_minutes)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.mode == self.Mode.ON_SITE and not self.location:
            raise ValidationError({"location": _("An intake on site needs an address.")})
        if self.mode == self.Mode.VIDEO and not self.video_link:
            raise ValidationError({"video_link": _("A video call needs a link.")})


class Attendance(models.Model):
    """Whether a participant attended a course day, as the trainer recorded it."""

    class Status(models.TextChoices):
        PRESENT = "present", _("present")
        ABSENT = "absent", _("absent")
        MADE_UP = "made_up", _("made up with another course run")

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("participant")
    )
    course_day = models.ForeignKey(
        CourseDay, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("course day")
    )
    status = models.CharField(_("attendance"), max_length=10, choices=Status.choices, blank=True)
    # A day that someone made up on is kept: the make-up counts towards their certificate.
    made_up_in = models.ForeignKey(
        CourseDay,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="make_ups",
        verbose_name=_("made up on"),
        help_text=_("The same programme day with another course run."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The participant's notice, from their page, that they cannot come (no reason is asked).
    absence_notified_at = models.DateTimeField(_("notified absence"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["participant", "course_day"], name="attendance_once_per_day"),
            models.CheckConstraint(
                condition=models.Q(status="made_up", made_up_in__isnull=False)
                | (~models.Q(status="made_up") & models.Q(made_up_in__isnull=True)),
                name="attendance_made_up_names_its_day",
                violation_error_message=_(
                    "A day made up names the day it was made up on, and only a day made up names one."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.participant} · {self.course_day}"

    @property
    def counts(self) -> bool:
        """Whether this day counts as attended."""
        return self.status in ATTENDED


# What counts as a day attended, everywhere: present, or made up with another run.
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.MADE_UP)


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
