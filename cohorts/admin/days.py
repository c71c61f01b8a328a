import datetime

from django.contrib import admin
from django.contrib.admin.widgets import AdminTimeWidget
from django.db import models

from ..models import CourseDay
from ..selectors import trainer as trainer_selectors
from .forms import CourseDayFormSet

# The times a first course day of a programme is offered with (a run's
# later days, and later runs, take the times already used).
DEFAULT_COURSE_DAY_TIMES = (datetime.time(9, 0), datetime.time(16, 30))


class CourseDayInline(admin.TabularInline):
    model = CourseDay
    formset = CourseDayFormSet
    fields = ["programme_day", "date", "start_time", "end_time", "venue"]
    # Times as people write them ("09:30", not "09:30:00").
    formfield_overrides = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}
    ordering = ["programme_day__number"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:
            formset.form.base_fields["programme_day"].queryset = obj.programme.days.order_by("number")
            initial = self.unscheduled_days(obj)

            class PrefilledFormSet(formset):
                # The empty rows come filled in: each programme day not yet
                # scheduled, at the run's usual times and venue; the trainer
                # only picks the dates.
                def __init__(self, *args, **kwargs):
                    kwargs.setdefault("initial", initial)
                    super().__init__(*args, **kwargs)

            return PrefilledFormSet
        return formset

    @staticmethod
    def unscheduled_days(cohort) -> list[dict]:
        """Return the initial values of a row for each programme day the run has not scheduled yet."""
        scheduled = set(cohort.days.values_list("programme_day_id", flat=True))
        # The run's usual times, else its programme's, else the default.
        start, end = trainer_selectors.usual_course_day_times(cohort) or DEFAULT_COURSE_DAY_TIMES
        return [
            {"programme_day": day.pk, "start_time": start, "end_time": end, "venue": cohort.venue}
            for day in cohort.programme.days.order_by("number")
            if day.pk not in scheduled
        ]

    def get_extra(self, request, obj=None, **kwargs):
        # One empty row for every programme day not yet scheduled.
        if obj is None:
            return 0
        return max(obj.programme.number_of_days - obj.days.count(), 0)
