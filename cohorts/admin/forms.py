from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import selectors
from ..forms import ParticipantForm
from ..models import Cohort, IntakeAppointment, Registration
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
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        days = [
            scheduling.PlannedDay(
                programme_day=form.cleaned_data["programme_day"],
                date=form.cleaned_data["date"],
                start_time=form.cleaned_data["start_time"],
                end_time=form.cleaned_data["end_time"],
                venue=form.cleaned_data.get("venue", ""),
                pk=form.instance.pk,
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("programme_day")
        ]
        numbers = [day.programme_day.number for day in days]
        if len(numbers) != len(set(numbers)):
            raise forms.ValidationError(_("Each programme day can be scheduled once."))
        scheduling.validate_schedule(cohort=self.instance, days=days)


class StaffEnrolmentForm(ParticipantForm):
    """Staff enrol a participant for one of the run's boards; the service decides on a seat or the waiting list."""

    registration = forms.ModelChoiceField(label=_("Board"), queryset=Registration.objects.none())
    language = forms.ChoiceField(label=_("Language of the e-mails"), choices=settings.LANGUAGES, initial="nl")

    field_order = ["registration", *enrolment.PARTICIPANT_FIELDS, "language"]

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = selectors.cohort_boards(cohort, queryset=True)
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
        start, minutes = data.get("starts_at"), data.get("duration_minutes")
        if start:
            # The service's rule, here so the form shows it next to the field.
            intake = IntakeAppointment(pk=self.instance.pk, starts_at=start, status=data.get("status"))
            intakes.validate_intake_start(intake=intake, changed_fields=self.changed_data)
        if start and minutes and data.get("status") != IntakeAppointment.Status.CANCELLED:
            conflicts = intakes.trainer_conflicts(
                trainer=data.get("trainer"),
                start=start,
                end=start + timezone.timedelta(minutes=minutes),
                exclude_intake_id=self.instance.pk,
            )
            if conflicts:
                raise forms.ValidationError(
                    _("The trainer is busy then: %(conflicts)s.") % {"conflicts": "; ".join(conflicts)}
                )
        return data
