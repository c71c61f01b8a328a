from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from privacy import services as privacy

from ..models import Participant
from ..services import enrolment


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
