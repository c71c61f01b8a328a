from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from programme.models import Programme
from verbindend.admin import ReadOnlyTabularInline, confirmation_page, is_confirmed, short_datetime

from ..models import Board, IntakeAppointment, Registration
from ..selectors import trainer as trainer_selectors
from ..services import registrations as registrations_services
from ..services import runs
from .actions import PersonErasureAdmin, call_for_each
from .forms import AddToCohortForm


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "bestuursnummer", "swv_code", "sector", "place", "kvk_number"]
    list_filter = ["kind", "sector"]
    search_fields = ["name", "bestuursnummer", "swv_code", "place", "kvk_number"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "bestuursnummer", "swv_code", "sector"]}),
        # What the board's invoice takes when no accepted offer gives an invoice address and a KvK number.
        (_("Invoice details"), {"fields": ["address", "postcode", "place", "kvk_number"]}),
        (None, {"fields": ["created_at"]}),
    ]


class IntakeInline(ReadOnlyTabularInline):
    """The registration's intakes, read-only: planning one goes through its own page, which sends the invitation."""

    model = IntakeAppointment
    fields = ["link", "starts_at", "mode", "status"]
    readonly_fields = fields

    @admin.display(description=_("intake"))
    def link(self, intake):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:cohorts_intakeappointment_change", args=[intake.pk]), intake
        )


@admin.register(Registration)
class RegistrationAdmin(PersonErasureAdmin, admin.ModelAdmin):
    # Name and address in one column, the request's kind as a filter only,
    # dates short: the list fits beside the filters at 1366 px.
    list_display = ["board", "contact", "expected", "preferred_period", "cohort", "status", "received"]
    list_filter = ["status", "kind", "board__sector", "created_at"]
    search_fields = ["board__name", "board__bestuursnummer", "contact_name", "contact_email"]
    list_select_related = ["board", "cohort"]
    date_hierarchy = "created_at"
    # The run and the status change only through the actions, which move or
    # withdraw the participants with them and tell who needs to know.
    readonly_fields = ["cohort", "status", "created_at", "privacy_consent_at", "language", "plan_intake"]
    autocomplete_fields = ["board"]
    actions = [
        "form_cohort",
        "add_to_cohort",
        "move_to_cohort",
        "cancel_registrations",
        "rotate_links",
        "anonymise_contacts",
    ]

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

    @admin.action(description=_("Erase the selected contact persons' data…"), permissions=["erase"])
    def anonymise_contacts(self, request, queryset):
        return self.erase_selected(
            request,
            queryset,
            action="anonymise_contacts",
            title=_("Erase contact persons' data"),
            shown=queryset.select_related("board"),
            describe=lambda registration: format_html(
                "{} ({}), {}", registration.contact_name, registration.contact_email, registration.board.name
            ),
            removed=_(
                "The contact person's name, function, e-mail address and phone number, the remarks, the intake "
                "notes, and every e-mail sent to them. The board page link stops working."
            ),
            kept=_(
                "The board and its registration, and the board's participants, who have their own rights and periods."
            ),
            done_message=lambda count: ngettext(
                "%(count)s contact person anonymised.", "%(count)s contact persons anonymised.", count
            ),
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
            registrations = list(trainer_selectors.registrations_to_place(queryset.values("pk")))
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
        registrations = list(trainer_selectors.registrations_to_place(queryset.values("pk")))
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

    def _with_participants(self, queryset) -> list[tuple[str, str]]:
        return [
            (
                registration.board.name,
                _("%(status)s, %(cohort)s; enrolled: %(enrolled)s, waiting: %(waiting)s")
                % {
                    "status": registration.get_status_display(),
                    "cohort": registration.cohort.code if registration.cohort else "-",
                    "enrolled": registration.enrolled_count,
                    "waiting": registration.waiting_count,
                },
            )
            for registration in trainer_selectors.registrations_with_participant_counts(queryset.values("pk"))
        ]

    @admin.action(description=_("Move the selected registrations to another course run…"), permissions=["place"])
    def move_to_cohort(self, request, queryset):
        form = AddToCohortForm(request.POST if is_confirmed(request) else None)
        if form.is_bound and form.is_valid():
            cohort = form.cleaned_data["cohort"]
            call_for_each(
                self,
                request,
                queryset.select_related("board"),
                "registration",
                registrations_services.move_registration,
                lambda n: ngettext(
                    "%(count)d registration moved, with its participants.",
                    "%(count)d registrations moved, with their participants.",
                    n,
                ),
                cohort=cohort,
            )
            return None
        return confirmation_page(
            self,
            request,
            queryset,
            action="move_to_cohort",
            title=_("Move registrations to another course run"),
            effects=[
                _(
                    "Each registration moves with its participants: who is enrolled stays enrolled, if the run has "
                    "the seats; who is waiting takes a seat left free, or else joins the end of its waiting list."
                ),
                _("The seats they leave go to the old run's waiting list."),
                _(
                    "The contact persons get an e-mail with the new course run, the participants their welcome to "
                    "it; who had the old run's days in their calendar gets them cancelled."
                ),
            ],
            objects=self._with_participants(queryset),
            form=form,
            button=_("Move to this course run"),
        )

    @admin.action(
        description=_("Cancel the selected registrations (withdraws their participants)…"), permissions=["place"]
    )
    def cancel_registrations(self, request, queryset):
        if not is_confirmed(request):
            return confirmation_page(
                self,
                request,
                queryset,
                action="cancel_registrations",
                title=_("Cancel registrations"),
                effects=[
                    _("Each registration is cancelled and its participants are withdrawn."),
                    _("The seats they leave go to the run's waiting list; who gets one is told by e-mail."),
                    _("Who had the run's days in their calendar gets them cancelled."),
                ],
                objects=self._with_participants(queryset),
                button=_("Cancel the registrations"),
            )
        call_for_each(
            self,
            request,
            queryset.select_related("board"),
            "registration",
            registrations_services.cancel_registration,
            lambda n: ngettext(
                "%(count)d registration cancelled; its participants are withdrawn.",
                "%(count)d registrations cancelled; their participants are withdrawn.",
                n,
            ),
        )
        return None
