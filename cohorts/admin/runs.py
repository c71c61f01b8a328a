from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from verbindend.admin import confirmation_page, is_confirmed, short_date

from .. import selectors
from ..models import Attendance, Cohort, CourseDay, Participant, Registration
from ..selectors import trainer as trainer_selectors
from ..services import attendance, enrolment, runs, scheduling
from .actions import call_for_each
from .days import CourseDayInline
from .forms import CancelForm, StaffEnrolmentForm
from .messages import RunMessageAdminMixin
from .sign_in import SignInSheetAdminMixin


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


SEATS_BADGE = {
    "below": _("below minimum"),
    "fine": _("fine"),
    "full": _("full"),
}


@admin.register(Cohort)
class CohortAdmin(RunMessageAdminMixin, SignInSheetAdminMixin, admin.ModelAdmin):
    list_display = ["code", "programme", "status", "boards", "seats", "waiting", "first_day", "last_day", "trainer"]
    list_filter = ["status", "programme", "open_for_joining", ("trainer", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "venue", "place", "registrations__board__name"]
    list_select_related = ["programme", "trainer"]
    # The status changes only through the actions, which send the e-mails that go with it.
    readonly_fields = [
        "code",
        "status",
        "attendance_link",
        "sign_in_links",
        "messages_table",
        "boards_table",
        "participants_table",
    ]
    fieldsets = [
        (None, {"fields": ["code", "programme", "status", "trainer", "venue", "place", "open_for_joining"]}),
        (
            _("Boards and participants"),
            {"fields": ["attendance_link", "sign_in_links", "messages_table", "boards_table", "participants_table"]},
        ),
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
        registrations = trainer_selectors.cohort_boards(cohort)
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
        return _run_table([_("board"), _("contact person"), _("expected"), _("status")], rows)

    @admin.display(description=_("participants"))
    def participants_table(self, cohort):
        # "Add a participant" is in the page's tools (change_form.html), for who may.
        participants = trainer_selectors.cohort_participants(cohort)
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
        return _run_table([_("name"), _("board"), _("status"), _("waiting-list position")], rows)

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
        grid = trainer_selectors.attendance_grid(cohort)
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
        # The days as subqueries rather than joins: joining participants and
        # days in one GROUP BY multiplies the rows with every participant and day.
        def day(order):
            return Subquery(CourseDay.objects.filter(cohort=OuterRef("pk")).order_by(order).values("date")[:1])

        return (
            super()
            .get_queryset(request)
            .with_counts()
            .defer("programme__description", "programme__target_group", "programme__certification")
            .annotate(first_date=day("date"), last_date=day("-date"))
            # A run's boards in the order they registered, the same on every load (two may share a moment).
            .prefetch_related(
                Prefetch(
                    "registrations", queryset=Registration.objects.select_related("board").order_by("created_at", "pk")
                )
            )
        )

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
        else:
            runs.save_new_cohort(cohort=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not CourseDay:
            return super().save_formset(request, form, formset, change)
        # The formset's clean showed the service's errors; the service checks again under the run's lock.
        days = formset.save(commit=False)
        changed = {id(f.instance): f.changed_data for f in formset.forms}
        scheduling.save_schedule(
            cohort=form.instance,
            changed=[(day, changed.get(id(day), [])) for day in days],
            deleted=formset.deleted_objects,
            by=request.user,
            request=request,
        )

    @admin.display(description=_("boards"))
    def boards(self, cohort):
        return ", ".join(r.board.name for r in cohort.registrations.all()) or "-"

    @admin.display(description=_("enrolled"), ordering="enrolled_count")
    def seats(self, cohort):
        programme = cohort.programme
        if selectors.below_minimum(cohort):
            kind = "below"
        elif cohort.enrolled_count >= programme.max_participants:
            kind = "full"
        else:
            kind = "fine"
        label = SEATS_BADGE[kind]
        return format_html(
            # Coloured by admin-theme.css: the Content-Security-Policy allows no style attribute.
            '<span class="seats-badge seats-{}">{} / {} · {}</span>',
            kind,
            cohort.enrolled_count,
            programme.max_participants,
            label,
        )

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, cohort):
        return cohort.waiting_count

    @admin.display(description=_("first day"), ordering="first_date")
    def first_day(self, cohort):
        return short_date(cohort.first_date)

    @admin.display(description=_("last day"), ordering="last_date")
    def last_day(self, cohort):
        return short_date(cohort.last_date)

    def _run(self, request, queryset, action, done_message, **arguments):
        call_for_each(self, request, queryset, "cohort", action, done_message, **arguments)

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
        cohorts = list(trainer_selectors.cohorts_with_recipient_counts(queryset.values("pk")))
        objects, participants, contacts, taking = [], 0, 0, 0
        for cohort in cohorts:
            reason = blocked(cohort) if blocked and cohort.status in allowed else None
            if reason:
                note = reason
            elif cohort.status in allowed:
                taking += 1
                participants += cohort.enrolled_count
                contacts += cohort.mailed_contacts
                note = _(
                    "%(status)s; enrolled: %(participants)s, boards: %(contacts)s, "
                    "days scheduled: %(days)s of %(total)s"
                ) % {
                    "status": cohort.get_status_display(),
                    "participants": cohort.enrolled_count,
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
        if selectors.below_minimum(cohort):
            return _("%(enrolled)s enrolled, at least %(minimum)s needed: this run is left as it is") % {
                "enrolled": cohort.enrolled_count,
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


def _run_table(headings: list[str], rows: str) -> str:
    """A table of the run's page (its boards, its participants) under these column headings."""
    head = format_html_join("", "<th>{}</th>", ((heading,) for heading in headings))
    return format_html(
        '<div class="run-table"><table><thead><tr>{}</tr></thead><tbody>{}</tbody></table></div>', head, rows
    )
