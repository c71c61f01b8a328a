import csv

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from verbindend.admin import ReadOnlyModelAdmin, short_datetime
from verbindend.spreadsheets import safe_cell

from .models import AuditEvent

# The words for the short codes the services write as an event's detail
# (a certificate's kind, an export's format, what was erased or downloaded).
# A detail not listed here is free text, such as a revocation's reason, and
# is shown as written.
DETAIL_LABELS = {
    "certificate": _("Certificate"),
    "attendance": _("Proof of attendance"),
    "paste": _("PE-online paste list"),
    "csv": _("CSV export"),
    "xlsx": _("XLSX export"),
    "participant": _("Participant's data"),
    "contact": _("Contact person's data"),
    "certificates.zip": _("ZIP of the certificates"),
    "pdf": _("Certificate PDF"),
}


def object_type_label(object_type: str) -> str:
    """Return the model's own name for an event's object type ("cohorts.Cohort" reads "Uitvoering")."""
    try:
        return capfirst(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


class ObjectTypeFilter(admin.SimpleListFilter):
    title = _("kind of object")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        types = model_admin.get_queryset(request).order_by().values_list("object_type", flat=True).distinct()
        return sorted(((value, object_type_label(value)) for value in types), key=lambda item: str(item[1]))

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(object_type=self.value())
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """Read-only: the trail can be searched and exported, never edited or deleted."""

    list_display = ["when", "who", "action", "object_kind", "object_label", "detail_words", "address"]
    list_filter = ["action", ObjectTypeFilter, "at"]
    search_fields = ["actor_name", "object_label", "object_id", "detail"]
    date_hierarchy = "at"
    actions = ["export_csv"]
    fields = ["at", "actor_name", "action", "object_kind", "object_id", "object_label", "detail_words", "address"]
    readonly_fields = fields

    @admin.display(description=_("who"), ordering="actor_name")
    def who(self, event):
        return event.actor_name or "-"

    @admin.display(description=_("when"), ordering="at")
    def when(self, event):
        return short_datetime(event.at)

    @admin.display(description=_("kind of object"), ordering="object_type")
    def object_kind(self, event):
        return object_type_label(event.object_type)

    @admin.display(description=_("detail"), ordering="detail")
    def detail_words(self, event):
        return DETAIL_LABELS.get(event.detail, event.detail)

    @admin.action(description=_("Export the selected events (CSV)"), permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        writer.writerow(["when", "who", "action", "object type", "object", "description", "detail", "address"])
        for event in queryset:
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        event.at.isoformat(),
                        event.actor_name,
                        event.action,
                        event.object_type,
                        event.object_id,
                        event.object_label,
                        event.detail,
                        event.address,
                    )
                ]
            )
        return response
