import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTimeWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy import services as privacy
from programme.models import Programme
from verbindend.admin import confirmation_page, is_confirmed, short_date, short_datetime

from . import selectors
from .forms import ParticipantForm
from .models import Attendance, Board, Cohort, CourseDay, IntakeAppointment, Participant, Registration
from .services import attendance, enrolment, intakes, runs, scheduling
from .services import registrations as registrations_services


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "bestuursnummer", "swv_code", "sector", "place"]
    list_filter = ["kind", "sector"]
    search_fields = ["name", "bestuursnummer", "swv_code", "place"]


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


def schedule_recipients_effects(participants: int, contacts: int, mail: str) -> list[str]:
    """Return the sentences saying how many participants and board contacts get the schedule or the cancellation."""
    # Whole sentences per e-mail, so each translates as Dutch puts it.
    if mail == "schedule":
        sentences = [
            ngettext(
                "%(count)d participant gets the schedule with a calendar invitation.",
                "%(count)d participants get the schedule with a calendar invitation.",
                participants,
            )
            % {"count": participants},
            ngettext(
                "%(count)d board contact person gets the schedule with a calendar invitation.",
                "%(count)d board contact persons get the schedule with a calendar invitation.",
                contacts,
            )
            % {"count": contacts},
        ]
    else:
        sentences = [
            ngettext(
                "%(count)d participant gets the cancellation with your reason, which removes the days from their "
                "calendar.",
                "%(count)d participants get the cancellation with your reason, which removes the days from their "
                "calendar.",
                participants,
            )
            % {"count": participants},
            ngettext(
                "%(count)d board contact person gets the cancellation with your reason.",
                "%(count)d board contact persons get the cancellation with your reason.",
                contacts,
            )
            % {"count": contacts},
        ]
    return sentences


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
    # Name and address in one column, the request's kind as a filter only,
    # dates short: the list fits beside the filters at 1366 px.
    list_display = ["board", "contact", "expected", "preferred_period", "cohort", "status", "received"]
    list_filter = ["status", "kind", "board__sector", "created_at"]
    search_fields = ["board__name", "board__bestuursnummer", "contact_name", "contact_email"]
    list_select_related = ["board", "cohort"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "privacy_consent_at", "language", "plan_intake"]
    autocomplete_fields = ["board", "cohort"]
    actions = ["form_cohort", "add_to_cohort", "rotate_links", "anonymise_contacts"]

    @admin.display(description=_("contact person"), ordering="contact_name")
    def contact(self, registration):
        return format_html(
            '{}<br><a href="mailto:{}">{}</a>',
            registration.contact_name,
            registration.contact_email,
            registration.contact_email,
        )

    @admin.display(description=_("expected"), ordering="expected_participants")
    def expected(self, registration):
        return registration.expected_participants

    @admin.display(description=_("received"), ordering="created_at")
    def received(self, registration):
        return short_datetime(registration.created_at)

    def has_erase_permission(self, request):
        return request.user.has_perm("cohorts.erase_participant")

    @admin.action(description=_("Erase the selected contact persons' data…"), permissions=["erase"])
    def anonymise_contacts(self, request, queryset):
        if request.POST.get("confirm") == "yes":
            for registration in queryset:
                privacy.erase_person(person=registration, by=request.user, request=request)
            count = queryset.count()
            message = ngettext(
                "%(count)s contact person anonymised.", "%(count)s contact persons anonymised.", count
            ) % {"count": count}
            self.message_user(request, message, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/cohorts/registration/anonymise.html",
            {
                **self.admin_site.each_context(request),
                "registrations": queryset.select_related("board"),
                "opts": self.model._meta,
                "title": _("Erase contact persons' data"),
            },
        )

    inlines = [IntakeInline]

    def has_form_permission(self, request):
        return request.user.has_perm("cohorts.add_cohort")

    def has_place_permission(self, request):
        return request.user.has_perm("cohorts.change_cohort")

    def _placing_effects(self, registrations) -> list[str]:
        contacts = len(registrations)
        return [
            ngettext(
                "%(count)d board contact person gets an e-mail with the course run and the link to add participants.",
                "%(count)d board contact persons get an e-mail with the course run and the link to add participants.",
                contacts,
            )
            % {"count": contacts}
        ]

    def _placing_objects(self, registrations):
        return [
            (
                registration.board.name,
                _("%(contact)s, about %(expected)s participants")
                % {"contact": registration.contact_name, "expected": registration.expected_participants},
            )
            for registration in registrations
        ]

    @admin.action(description=_("Form a course run from the selected registrations…"), permissions=["form"])
    def form_cohort(self, request, queryset):
        programme = Programme.objects.active().first()
        if programme is None:
            self.message_user(request, _("There is no active programme to form a course run of."), messages.ERROR)
            return None
        if not is_confirmed(request):
            registrations = list(selectors.registrations_to_place(queryset.values("pk")))
            expected = sum(r.expected_participants or 0 for r in registrations)
            effects = [
                _("A new course run of %(programme)s is formed, with you as its trainer.")
                % {"programme": programme.title},
                ngettext("%(count)d participant is expected.", "%(count)d participants are expected.", expected)
                % {"count": expected},
                *self._placing_effects(registrations),
            ]
            return confirmation_page(
                self,
                request,
                queryset,
                action="form_cohort",
                title=_("Form a course run"),
                effects=effects,
                objects=self._placing_objects(registrations),
                button=_("Form the course run"),
            )
        try:
            cohort = registrations_services.form_cohort(
                registrations=list(queryset), programme=programme, trainer=request.user
            )
        except runs.CohortError as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        self.message_user(
            request,
            _("Course run %(code)s formed; schedule its days now.") % {"code": cohort.code},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:cohorts_cohort_change", args=[cohort.pk]))

    @admin.action(description=_("Add the selected registrations to a course run…"), permissions=["place"])
    def add_to_cohort(self, request, queryset):
        form = AddToCohortForm(request.POST if is_confirmed(request) else None)
        if form.is_bound and form.is_valid():
            try:
                count = registrations_services.place_registrations(
                    registrations=list(queryset), cohort=form.cleaned_data["cohort"]
                )
            except runs.CohortError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)s registration added to %(code)s.", "%(count)s registrations added to %(code)s.", count
                    )
                    % {"count": count, "code": form.cleaned_data["cohort"].code},
                    messages.SUCCESS,
                )
            return None
        registrations = list(selectors.registrations_to_place(queryset.values("pk")))
        return confirmation_page(
            self,
            request,
            queryset,
            action="add_to_cohort",
            title=_("Add the selected registrations to a course run"),
            effects=self._placing_effects(registrations),
            objects=self._placing_objects(registrations),
            form=form,
            button=_("Add to this course run"),
        )

    @admin.display(description=_("intake"))
    def plan_intake(self, registration):
        if registration.pk is None:
            return "-"
        url = reverse("admin:cohorts_intakeappointment_add") + f"?registration={registration.pk}"
        return format_html('<a class="button" href="{}">{}</a>', url, _("Plan an intake"))

    @admin.action(
        description=_("Give the selected boards new links (the old ones stop working)"), permissions=["change"]
    )
    def rotate_links(self, request, queryset):
        for registration in queryset:
            registrations_services.rotate_board_link(registration=registration, by=request.user, request=request)
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
        start, end = selectors.usual_course_day_times(cohort) or DEFAULT_COURSE_DAY_TIMES
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


SEATS_BADGE = {
    "below": ("#b45309", _("below minimum")),
    "fine": ("#1d5c4d", _("fine")),
    "full": ("#6b21a8", _("full")),
}


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ["code", "programme", "status", "boards", "seats", "waiting", "first_day", "last_day", "trainer"]
    list_filter = ["status", "programme", "open_for_joining", ("trainer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "venue", "place", "registrations__board__name"]
    list_select_related = ["programme", "trainer"]
    # The status changes only through the actions, which send the e-mails that go with it.
    readonly_fields = ["code", "status", "attendance_link", "boards_table", "participants_table"]
    fieldsets = [
        (None, {"fields": ["code", "programme", "status", "trainer", "venue", "place", "open_for_joining"]}),
        (_("Boards and participants"), {"fields": ["attendance_link", "boards_table", "participants_table"]}),
    ]
    inlines = [CourseDayInline]
    actions = ["confirm", "cancel", "complete"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.attendance_view)
        add = self.admin_site.admin_view(self.add_participant_view)
        return [
            path("<int:cohort_id>/attendance/", view, name="cohorts_cohort_attendance"),
            path("<int:cohort_id>/add-participant/", add, name="cohorts_cohort_add_participant"),
            *super().get_urls(),
        ]

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # a new run has no boards or participants yet
            return [(None, {"fields": ["programme", "trainer", "venue", "place", "open_for_joining"]})]
        return super().get_fieldsets(request, obj)

    @admin.display(description=_("boards"))
    def boards_table(self, cohort):
        registrations = selectors.cohort_boards(cohort)
        if not registrations:
            return _("No board is placed in this course run yet.")
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}<br><a href="mailto:{}">{}</a></td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:cohorts_registration_change", args=[r.pk]),
                    r.board.name,
                    r.contact_name,
                    r.contact_email,
                    r.contact_email,
                    r.expected_participants,
                    r.get_status_display(),
                )
                for r in registrations
            ),
        )
        return format_html(
            '<div class="run-table"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table></div>",
            _("board"),
            _("contact person"),
            _("expected"),
            _("status"),
            rows,
        )

    @admin.display(description=_("participants"))
    def participants_table(self, cohort):
        # "Add a participant" is in the page's tools (change_form.html), for who may.
        participants = selectors.cohort_participants(cohort)
        if not participants:
            return _("No participants yet.")
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:cohorts_participant_change", args=[p.pk]),
                    p.full_name,
                    p.registration.board.name,
                    p.get_status_display(),
                    p.waitlist_position or "",
                )
                for p in participants
            ),
        )
        return format_html(
            '<div class="run-table"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>'
            "<tbody>{}</tbody></table></div>",
            _("name"),
            _("board"),
            _("status"),
            _("waiting-list position"),
            rows,
        )

    def add_participant_view(self, request, cohort_id):
        cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=cohort_id)
        if not self.has_add_participant_permission(request):
            raise PermissionDenied
        form = StaffEnrolmentForm(request.POST or None, cohort=cohort)
        if request.method == "POST" and form.is_valid():
            data = {field: form.cleaned_data.get(field, "") for field in enrolment.PARTICIPANT_FIELDS}
            try:
                participant = enrolment.enroll_participant(
                    registration=form.cleaned_data["registration"], data=data, language=form.cleaned_data["language"]
                )
            except enrolment.EnrolmentError as error:
                form.add_error(None, str(error))
            else:
                if participant.status == Participant.Status.WAITING:
                    message = _(
                        "%(name)s is on the waiting list as number %(position)s; they have been told by e-mail."
                    ) % {"name": participant.full_name, "position": participant.waitlist_number}
                else:
                    message = _("%(name)s is enrolled; the welcome e-mail is sent.") % {"name": participant.full_name}
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:cohorts_cohort_change", args=[cohort.pk]))
        return TemplateResponse(
            request,
            "admin/cohorts/cohort/add_participant.html",
            {
                **self.admin_site.each_context(request),
                "cohort": cohort,
                "form": form,
                "title": _("Add a participant to %(code)s") % {"code": cohort.code},
                "opts": self.model._meta,
                "original": cohort,
            },
        )

    def has_add_participant_permission(self, request):
        # Both groups look after participants; capacity and the waiting list
        # are the service's (enroll_participant), as on the board's page.
        return request.user.has_perm("cohorts.change_participant") and request.user.has_perm("cohorts.view_cohort")

    @admin.display(description=_("attendance"))
    def attendance_link(self, cohort):
        if cohort.pk is None:
            return "-"
        url = reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Take attendance"))

    def attendance_view(self, request, cohort_id):
        cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=cohort_id)
        if not self.has_change_permission(request, cohort):
            raise PermissionDenied
        grid = selectors.attendance_grid(cohort)
        if request.method == "POST":
            entries = []
            for row in grid["rows"]:
                for day, _cell in row["cells"]:
                    if not day.has_taken_place:
                        continue  # The page offers no inputs for days still to come.
                    suffix = f"{row['participant'].pk}-{day.pk}"
                    status = request.POST.get(f"s-{suffix}", "")
                    made_up = request.POST.get(f"m-{suffix}", "")
                    entries.append(
                        attendance.AttendanceEntry(
                            participant_id=row["participant"].pk,
                            course_day_id=day.pk,
                            status=status if status in Attendance.Status.values else "",
                            note=request.POST.get(f"n-{suffix}", "")[:300],
                            made_up_in_id=int(made_up) if made_up.isdigit() else None,
                        )
                    )
            try:
                changed = attendance.record_attendance(
                    cohort=cohort, entries=entries, recorded_by=request.user, request=request
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    ngettext(
                        "Attendance saved: %(count)s cell changed.",
                        "Attendance saved: %(count)s cells changed.",
                        changed,
                    )
                    % {"count": changed},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(request.path)
        return TemplateResponse(
            request,
            "admin/cohorts/cohort/attendance.html",
            {
                **self.admin_site.each_context(request),
                **grid,
                "cohort": cohort,
                "title": _("Attendance %(code)s") % {"code": cohort.code},
                "statuses": Attendance.Status.choices,
                "opts": self.model._meta,
            },
        )

    def get_queryset(self, request):
        # Subqueries rather than joins: joining participants and days in one
        # GROUP BY multiplies the rows with every participant and day.
        def count(status):
            return Coalesce(
                Subquery(
                    Participant.objects.filter(cohort=OuterRef("pk"), status=status)
                    .order_by()
                    .values("cohort")
                    .annotate(total=Count("pk"))
                    .values("total")
                ),
                0,
            )

        def day(order):
            return Subquery(CourseDay.objects.filter(cohort=OuterRef("pk")).order_by(order).values("date")[:1])

        return (
            super()
            .get_queryset(request)
            .defer("programme__description", "programme__target_group", "programme__certification")
            .annotate(
                enrolled_total=count(Participant.Status.ENROLLED),
                waiting_total=count(Participant.Status.WAITING),
                first_date=day("date"),
                last_date=day("-date"),
            )
            .prefetch_related(Prefetch("registrations", queryset=Registration.objects.select_related("board")))
        )

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            runs.save_new_cohort(cohort=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not CourseDay:
            return super().save_formset(request, form, formset, change)
        days = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            deleted.delete()
        changed = {id(f.instance): f.changed_data for f in formset.forms}
        for day in days:
            scheduling.save_course_day(
                day=day, changed_fields=changed.get(id(day), []), by=request.user, request=request
            )

    @admin.display(description=_("boards"))
    def boards(self, cohort):
        return ", ".join(r.board.name for r in cohort.registrations.all()) or "-"

    @admin.display(description=_("enrolled"), ordering="enrolled_total")
    def seats(self, cohort):
        programme = cohort.programme
        if cohort.enrolled_total < programme.min_participants:
            kind = "below"
        elif cohort.enrolled_total >= programme.max_participants:
            kind = "full"
        else:
            kind = "fine"
        colour, label = SEATS_BADGE[kind]
        return format_html(
            # It may wrap (a narrow list column); the badge stays one block.
            '<span style="background:{};color:#fff;border-radius:4px;padding:1px 6px;display:inline-block">'
            "{} / {} · {}</span>",
            colour,
            cohort.enrolled_total,
            programme.max_participants,
            label,
        )

    @admin.display(description=_("waiting"), ordering="waiting_total")
    def waiting(self, cohort):
        return cohort.waiting_total

    @admin.display(description=_("first day"), ordering="first_date")
    def first_day(self, cohort):
        return short_date(cohort.first_date)

    @admin.display(description=_("last day"), ordering="last_date")
    def last_day(self, cohort):
        return short_date(cohort.last_date)

    def _run(self, request, queryset, action, done_message, **arguments):
        done = 0
        for cohort in queryset:
            try:
                action(cohort=cohort, by=request.user, request=request, **arguments)
            except runs.CohortError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done) % {"count": done}, messages.SUCCESS)

    def _confirm_page(
        self, request, queryset, *, action, heading, title, mail, allowed, button, form=None, blocked=None
    ):
        """
        Show what the action will do to each selected run, and who gets which e-mail.

        :param heading: the page's title, the action in a few words
        :param title: the sentence saying how many runs it changes, given their number
        :param allowed: the statuses the service accepts; other runs are listed as refused and not counted
        :param mail: "schedule", "cancellation", or "" when the action mails nobody
        """
        cohorts = list(selectors.cohorts_with_recipient_counts(queryset.values("pk")))
        objects, participants, contacts, taking = [], 0, 0, 0
        for cohort in cohorts:
            reason = blocked(cohort) if blocked and cohort.status in allowed else None
            if reason:
                note = reason
            elif cohort.status in allowed:
                taking += 1
                participants += cohort.mailed_participants
                contacts += cohort.mailed_contacts
                note = _(
                    "%(status)s; enrolled: %(participants)s, boards: %(contacts)s, "
                    "days scheduled: %(days)s of %(total)s"
                ) % {
                    "status": cohort.get_status_display(),
                    "participants": cohort.mailed_participants,
                    "contacts": cohort.mailed_contacts,
                    "days": cohort.scheduled_days,
                    "total": cohort.programme.number_of_days,
                }
            else:
                note = _("%(status)s: this run is left as it is") % {"status": cohort.get_status_display()}
            objects.append((cohort.code, note))
        effects = [title(taking)]
        if mail:
            effects += schedule_recipients_effects(participants, contacts, mail)
        else:
            effects.append(_("Nobody gets an e-mail."))
        return confirmation_page(
            self,
            request,
            queryset,
            action=action,
            title=heading,
            effects=effects,
            objects=objects,
            form=form,
            button=button,
        )

    @staticmethod
    def _not_ready_to_confirm(cohort):
        # The same two conditions confirm_cohort checks; the page says so
        # before the trainer sends, and does not count who would not be mailed.
        programme = cohort.programme
        if cohort.mailed_participants < programme.min_participants:
            return _("%(enrolled)s enrolled, at least %(minimum)s needed: this run is left as it is") % {
                "enrolled": cohort.mailed_participants,
                "minimum": programme.min_participants,
            }
        if cohort.scheduled_days < programme.number_of_days:
            return _("%(days)s of its %(total)s days scheduled: this run is left as it is") % {
                "days": cohort.scheduled_days,
                "total": programme.number_of_days,
            }
        return None

    def has_manage_permission(self, request):
        # A run's life (confirm, cancel, complete) is the trainer's: the
        # office may look at runs, not change them.
        return request.user.has_perm("cohorts.change_cohort")

    @admin.action(description=_("Confirm the selected course runs (e-mails the schedule)…"), permissions=["manage"])
    def confirm(self, request, queryset):
        if not is_confirmed(request):
            return self._confirm_page(
                request,
                queryset,
                action="confirm",
                heading=_("Confirm course runs"),
                blocked=self._not_ready_to_confirm,
                title=lambda n: (
                    ngettext("%(count)d course run is confirmed.", "%(count)d course runs are confirmed.", n)
                    % {"count": n}
                ),
                mail="schedule",
                allowed={Cohort.Status.PLANNED, Cohort.Status.REQUESTED},
                button=_("Confirm and send the schedule"),
            )
        self._run(
            request,
            queryset,
            runs.confirm_cohort,
            lambda n: ngettext(
                "%(count)d course run confirmed; the schedule is sent.",
                "%(count)d course runs confirmed; the schedule is sent.",
                n,
            ),
        )

    @admin.action(description=_("Cancel the selected course runs (e-mails everyone)…"), permissions=["manage"])
    def cancel(self, request, queryset):
        form = CancelForm(request.POST if is_confirmed(request) else None)
        if form.is_bound and form.is_valid():
            self._run(
                request,
                queryset,
                runs.cancel_cohort,
                lambda n: ngettext(
                    "%(count)d course run cancelled; everyone is told.",
                    "%(count)d course runs cancelled; everyone is told.",
                    n,
                ),
                reason=form.cleaned_data["reason"],
            )
            return None
        return self._confirm_page(
            request,
            queryset,
            action="cancel",
            heading=_("Cancel course runs"),
            title=lambda n: (
                ngettext("%(count)d course run is cancelled.", "%(count)d course runs are cancelled.", n) % {"count": n}
            ),
            mail="cancellation",
            allowed={Cohort.Status.REQUESTED, Cohort.Status.PLANNED, Cohort.Status.CONFIRMED, Cohort.Status.RUNNING},
            button=_("Cancel the course runs and tell everyone"),
            form=form,
        )

    @admin.action(description=_("Mark the selected course runs completed…"), permissions=["manage"])
    def complete(self, request, queryset):
        if not is_confirmed(request):
            return self._confirm_page(
                request,
                queryset,
                action="complete",
                heading=_("Mark course runs completed"),
                title=lambda n: (
                    ngettext(
                        "%(count)d course run is marked completed; its certificates can then be issued.",
                        "%(count)d course runs are marked completed; their certificates can then be issued.",
                        n,
                    )
                    % {"count": n}
                ),
                mail="",
                allowed={Cohort.Status.CONFIRMED, Cohort.Status.RUNNING},
                button=_("Mark completed"),
            )
        self._run(
            request,
            queryset,
            runs.complete_cohort,
            lambda n: ngettext("%(count)d course run completed.", "%(count)d course runs completed.", n),
        )


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "role", "school", "brin", "cohort", "board", "status", "waitlist_number"]
    list_filter = ["status", "role", "cohort"]
    search_fields = ["first_name", "last_name", "email", "school", "brin", "registration__board__name"]
    list_select_related = ["cohort", "registration__board"]
    readonly_fields = ["registration", "cohort", "status", "waitlist_number", "created_at", "withdrawn_at"]

    actions = ["anonymise"]

    @admin.display(description=_("board"), ordering="registration__board__name")
    def board(self, participant):
        return participant.registration.board.name

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service, so a corrected register number reaches the audit trail.
            enrolment.save_participant(participant=obj, by=request.user, request=request)
        else:
            super().save_model(request, obj, form, change)

    def has_erase_permission(self, request):
        return request.user.has_perm("cohorts.erase_participant")

    @admin.action(description=_("Erase the selected participants' data…"), permissions=["erase"])
    def anonymise(self, request, queryset):
        if request.POST.get("confirm") == "yes":
            for participant in queryset:
                privacy.erase_person(person=participant, by=request.user, request=request)
            count = queryset.count()
            message = ngettext("%(count)s participant anonymised.", "%(count)s participants anonymised.", count) % {
                "count": count
            }
            self.message_user(request, message, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/cohorts/participant/anonymise.html",
            {
                **self.admin_site.each_context(request),
                "participants": queryset.prefetch_related("certificates"),
                "opts": self.model._meta,
                "title": _("Erase participants' data"),
            },
        )

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


@admin.register(IntakeAppointment)
class IntakeAppointmentAdmin(admin.ModelAdmin):
    form = IntakeAppointmentForm
    list_display = ["starts", "registration", "mode", "status", "trainer"]
    list_filter = ["status", "mode", "trainer"]
    search_fields = ["registration__board__name", "registration__contact_name"]
    list_select_related = ["registration__board", "trainer"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["registration"]

    @admin.display(description=_("start"), ordering="starts_at")
    def starts(self, intake):
        return short_datetime(intake.starts_at)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("trainer", request.user.pk)
        return initial

    def save_model(self, request, obj, form, change):
        intakes.save_intake(intake=obj, changed_fields=form.changed_data if change else [])
