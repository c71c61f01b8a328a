import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from verbindend.admin import ReadOnlyModelAdmin
from verbindend.spreadsheets import safe_cell

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    """Read-only: the trail can be searched and exported, never edited or deleted."""

    list_display = ["at", "actor_name", "action", "object_type", "object_label", "detail", "address"]
    list_filter = ["action", "object_type", "at"]
    search_fields = ["actor_name", "object_label", "object_id", "detail"]
    date_hierarchy = "at"
    actions = ["export_csv"]

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
