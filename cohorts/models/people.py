"""The participants of a course run, the roles they can have per sector, and their attendance on its days."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import validators
from .boards import Registration, Sector
from .keys import new_access_key
from .runs import Cohort, CourseDay


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
