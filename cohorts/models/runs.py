"""The course runs (cohorts) of a programme and their days, and the count of a run's participants."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from programme.models import Programme, ProgrammeDay


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
