from django.db.models import Prefetch

from .models import Programme, ProgrammeDay


def active_programmes():
    """Return the active programmes with their days and their accreditations' themes, in home-page order."""
    return Programme.objects.active().prefetch_related(
        Prefetch("days", queryset=ProgrammeDay.objects.order_by("number")), "accreditations__themes"
    )
