from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from .models import Programme, ProgrammeDay
from .services import validate_day_numbers


class ProgrammeDayFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        numbers = [
            form.cleaned_data["number"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and "number" in form.cleaned_data
        ]
        number_of_days = self.instance.number_of_days
        if not number_of_days:
            return  # The programme form reports its own missing field.
        try:
            validate_day_numbers(numbers=numbers, number_of_days=number_of_days)
        except ValidationError as error:
            raise ValidationError(error.messages) from None


class ProgrammeDayInline(admin.StackedInline):
    model = ProgrammeDay
    formset = ProgrammeDayFormSet
    extra = 0
    ordering = ["number"]
    fields = ["number", "theme", "content"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["title", "min_participants", "max_participants", "number_of_days", "required_days", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["title", "subtitle"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [ProgrammeDayInline]
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "slug", "code_prefix", "is_active", "position"]}),
        (_("Public text"), {"fields": ["description", "target_group", "certification"]}),
        (_("Capacity"), {"fields": ["min_participants", "max_participants"]}),
        (
            _("Days, study load and completion"),
            {
                "fields": [
                    "number_of_days",
                    "contact_hours",
                    "self_study_hours",
                    "required_days",
                    "final_assignment_required",
                ]
            },
        ),
    ]
