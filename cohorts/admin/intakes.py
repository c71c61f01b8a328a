from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from verbindend.admin import short_datetime

from ..models import IntakeAppointment
from ..services import intakes
from .forms import IntakeAppointmentForm


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
