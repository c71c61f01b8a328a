from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Board, Cohort, CourseDay, IntakeAppointment, Participant, Registration


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "bestuursnummer", "swv_code", "sector", "place"]
    list_filter = ["kind", "sector"]
    search_fields = ["name", "bestuursnummer", "swv_code", "place"]


class IntakeInline(admin.TabularInline):
    """The registration's intakes, read-only: planning one goes through its own page, which sends the invitation."""

    model = IntakeAppointment
    extra = 0
    fields = ["link", "starts_at", "mode", "status"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("intake"))
    def link(self, intake):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:cohorts_intakeappointment_change", args=[intake.pk]), intake
        )


@admin.register(Registration)
class RegistrationAdmin(admin.ModelAdmin):
    list_display = [
        "board",
        "contact_name",
        "contact_email",
        "expected_participants",
        "preferred_period",
        "kind",
        "cohort",
        "status",
        "created_at",
    ]
    list_filter = ["status", "kind", "board__sector", "created_at"]
    search_fields = ["board__name", "board__bestuursnummer", "contact_name", "contact_email"]
    list_select_related = ["board", "cohort"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "privacy_consent_at", "language", "plan_intake"]
    autocomplete_fields = ["board", "cohort"]
    actions = ["rotate_links"]
    inlines = [IntakeInline]

    @admin.display(description=_("intake"))
    def plan_intake(self, registration):
        if registration.pk is None:
            return "-"
        url = reverse("admin:cohorts_intakeappointment_add") + f"?registration={registration.pk}"
        return format_html('<a class="button" href="{}">{}</a>', url, _("Plan an intake"))

    @admin.action(description=_("Give the selected boards new links (the old ones stop working)"))
    def rotate_links(self, request, queryset):
        for registration in queryset:
            services.rotate_board_link(registration=registration)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "%(count)d board page has a new link; send it to the contact person.",
                "%(count)d board pages have a new link; send them to the contact persons.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class CourseDayInline(admin.TabularInline):
    model = CourseDay
    extra = 0
    fields = ["programme_day", "date", "start_time", "end_time", "venue"]


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["code", "programme", "status", "enrolled", "waiting", "trainer", "open_for_joining"]
    list_filter = ["status", "programme", "open_for_joining"]
    search_fields = ["code", "venue", "place", "registrations__board__name"]
    list_select_related = ["programme", "trainer"]
    inlines = [CourseDayInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                enrolled_total=Count("participants", filter=Q(participants__status=Participant.Status.ENROLLED)),
                waiting_total=Count("participants", filter=Q(participants__status=Participant.Status.WAITING)),
            )
        )

    @admin.display(description=_("enrolled"), ordering="enrolled_total")
    def enrolled(self, cohort):
        return f"{cohort.enrolled_total} / {cohort.programme.max_participants}"

    @admin.display(description=_("waiting"), ordering="waiting_total")
    def waiting(self, cohort):
        return cohort.waiting_total


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "role", "school", "brin", "cohort", "board", "status", "waitlist_number"]
    list_filter = ["status", "role", "cohort"]
    search_fields = ["first_name", "last_name", "email", "school", "brin", "registration__board__name"]
    list_select_related = ["cohort", "registration__board"]
    readonly_fields = ["registration", "cohort", "status", "waitlist_number", "created_at", "withdrawn_at"]

    @admin.display(description=_("board"), ordering="registration__board__name")
    def board(self, participant):
        return participant.registration.board.name

    def has_add_permission(self, request):
        # Enrolment goes through the board page or the enrolment link, where capacity is checked.
        return False


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
        if start and minutes and data.get("status") != IntakeAppointment.Status.CANCELLED:
            conflicts = services.trainer_conflicts(
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


@admin.register(IntakeAppointment)
class IntakeAppointmentAdmin(admin.ModelAdmin):
    form = IntakeAppointmentForm
    list_display = ["starts_at", "registration", "mode", "status", "trainer"]
    list_filter = ["status", "mode", "trainer"]
    search_fields = ["registration__board__name", "registration__contact_name"]
    list_select_related = ["registration__board", "trainer"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["registration"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("trainer", request.user.pk)
        return initial

    def save_model(self, request, obj, form, change):
        services.save_intake(intake=obj, changed_fields=form.changed_data if change else [])
