from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from .models import Cohort, CourseDay, IntakeAppointment, Participant, Registration


def open_cohorts():
    """Return the course runs a board can join now: open, not started, with seats left; with their days."""
    today = timezone.localdate()
    cohorts = (
        Cohort.objects.with_counts()
        .filter(
            open_for_joining=True, status__in=[Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED]
        )
        .exclude(days__date__lte=today)
        .select_related("programme")
        .prefetch_related(Prefetch("days", queryset=CourseDay.objects.order_by("date")))
        .order_by("created_at")
    )
    result = []
    for cohort in cohorts:
        cohort.seats_left = cohort.programme.max_participants - cohort.enrolled_count
        if cohort.seats_left > 0:
            result.append(cohort)
    return result


def board_page(registration_id: int) -> Registration:
    """Return a registration with everything its board page shows, in a fixed number of queries."""
    return (
        Registration.objects.select_related("board", "cohort", "cohort__programme")
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.order_by("status", "waitlist_number", "last_name", "first_name"),
            ),
            Prefetch("cohort__days", queryset=CourseDay.objects.select_related("programme_day").order_by("date")),
            Prefetch(
                "intakes",
                queryset=IntakeAppointment.objects.exclude(status=IntakeAppointment.Status.CANCELLED).order_by(
                    "-starts_at"
                ),
                to_attr="current_intakes",
            ),
        )
        .get(pk=registration_id)
    )


def seats(cohort: Cohort) -> dict:
    """Return a course run's enrolled, waiting, free and maximum number of seats, in one query."""
    counts = cohort.participants.aggregate(
        enrolled=Count("pk", filter=Q(status=Participant.Status.ENROLLED)),
        waiting=Count("pk", filter=Q(status=Participant.Status.WAITING)),
    )
    maximum = cohort.programme.max_participants
    return {**counts, "left": max(maximum - counts["enrolled"], 0), "maximum": maximum}
