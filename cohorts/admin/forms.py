from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..forms import ParticipantForm
from ..models import Cohort, IntakeAppointment, Registration
from ..selectors import trainer as trainer_selectors
from ..services import enrolment, intakes, scheduling


class AddToCohortForm(forms.Form):
    cohort = forms.ModelChoiceField(
        label=_("Course run"),
        queryset=Cohort.objects.filter(
            status__in=[Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED]
        ),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The cancellation e-mail quotes this to every participant and board contact."),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=1000,
    )


class CourseDayFormSet(forms.BaseInlineFormSet):
    """The run's days; the schedule's rules and the refusal to delete a day with attendance are the service's."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        days, errors = [], []
        for form in self.forms:
            if not form.cleaned_data or not form.cleaned_data.get("programme_day"):
                continue
            if self._should_delete_form(form):
                try:
                    scheduling.check_course_day_deletable(day=form.instance)
                except ValidationError as error:
                    errors.extend(error.messages)
                continue
            days.append(
                scheduling.PlannedDay(
                    programme_day=form.cleaned_data["programme_day"],
                    date=form.cleaned_data["date"],
                    start_time=form.cleaned_data["start_time"],
                    end_time=form.cleaned_data["end_time"],
                    venue=form.cleaned_data.get("venue", ""),
                    pk=form.instance.pk,
                )
            )
        try:
            scheduling.validate_schedule(cohort=self.instance, days=days)
        except ValidationError as error:
            errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)


class StaffEnrolmentForm(ParticipantForm):
    """Staff enrol a participant for one of the run's boards; the service decides on a seat or the waiting list."""

    registration = forms.ModelChoiceField(label=_("Board"), queryset=Registration.objects.none())
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=settings.LANGUAGES, initial="nl")

    field_order = ["registration", *enrolment.PARTICIPANT_FIELDS, "language"]

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = trainer_selectors.cohort_boards(cohort, queryset=True)
        self.fields["registration"].label_from_instance = lambda r: r.board.name
        self.order_fields(self.field_order)


class IntakeAppointmentForm(forms.ModelForm):
    video_link = forms.URLField(label=_("video link"), required=False, assume_scheme="https")

    class Meta:
        model = IntakeAppointment
        fields = [
            "registration",
            "trainer",
            "starts_at",
            "duration_minutes",
            "mode",
            "location",
            "video_link",
            "notes",
            "status",
        ]

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("duration_minutes"):
            # The service's check, here so the form shows its errors.
            intake = IntakeAppointment(
                pk=self.instance.pk,
                trainer=data.get("trainer"),
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                status=data.get("status"),
            )
            intakes.validate_intake(intake=intake, changed_fields=self.changed_data)
        return data
