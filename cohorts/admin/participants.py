from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from ..models import Participant
from ..services import assignments, enrolment
from .actions import PersonErasureAdmin, call_for_each


@admin.register(Participant)
class ParticipantAdmin(PersonErasureAdmin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "role",
        "school",
        "brin",
        "cohort",
        "board",
        "status",
        "waitlist_number",
        "final_assignment_approved_at",
    ]
    list_filter = ["status", "role", "cohort", "final_assignment_approved_at"]
    search_fields = ["first_name", "last_name", "email", "school", "brin", "registration__board__name"]
    list_select_related = ["cohort", "registration__board"]
    # The approval only through the actions, which record it in the audit trail.
    readonly_fields = [
        "registration",
        "cohort",
        "status",
        "waitlist_number",
        "created_at",
        "withdrawn_at",
        "final_assignment_approved_at",
        "final_assignment_approved_by",
    ]

    actions = ["approve_final_assignments", "withdraw_final_assignment_approvals", "anonymise"]

    @admin.display(description=_("board"), ordering="registration__board__name")
    def board(self, participant):
        return participant.registration.board.name

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service, so a corrected register number reaches the audit trail.
            enrolment.save_participant(participant=obj, by=request.user, request=request)
        else:
            super().save_model(request, obj, form, change)

    def has_approve_permission(self, request):
        return request.user.has_perm("cohorts.approve_final_assignment")

    @admin.action(description=_("Approve the final assignment of the selected participants"), permissions=["approve"])
    def approve_final_assignments(self, request, queryset):
        call_for_each(
            self,
            request,
            queryset,
            "participant",
            assignments.approve_final_assignment,
            lambda count: ngettext(
                "%(count)d final assignment approved.", "%(count)d final assignments approved.", count
            ),
        )

    @admin.action(
        description=_("Withdraw the approval of the selected participants' final assignment"), permissions=["approve"]
    )
    def withdraw_final_assignment_approvals(self, request, queryset):
        call_for_each(
            self,
            request,
            queryset,
            "participant",
            assignments.withdraw_final_assignment_approval,
            lambda count: ngettext("%(count)d approval withdrawn.", "%(count)d approvals withdrawn.", count),
        )

    @admin.action(description=_("Erase the selected participants' data…"), permissions=["erase"])
    def anonymise(self, request, queryset):
        return self.erase_selected(
            request,
            queryset,
            action="anonymise",
            title=_("Erase participants' data"),
            shown=queryset.prefetch_related("certificates"),
            describe=_erasure_line,
            removed=_(
                "Name, e-mail address, school and BRIN, register number, notes in the attendance, absence notices, "
                "and every e-mail sent to them (address, subject and text). Their personal link stops working."
            ),
            kept=_(
                "Their place in the course run and their attendance, as the completion record; an issued "
                "certificate with its number and the name as printed on it, because the Schoolleidersregister "
                "requires completions and certificate numbers to be kept for seven years, and so that the "
                "certificate can still be verified."
            ),
            done_message=lambda count: ngettext(
                "%(count)s participant anonymised.", "%(count)s participants anonymised.", count
            ),
        )

    def has_add_permission(self, request):
        # Enrolment goes through the board page or the enrolment link, where capacity is checked.
        return False


def _erasure_line(participant) -> str:
    """Name a participant on the erasure page, and whether they keep a certificate."""
    if participant.certificates.all():
        return format_html("{} ({}): {}", participant.full_name, participant.email, gettext("has a certificate"))
    return format_html("{} ({})", participant.full_name, participant.email)
