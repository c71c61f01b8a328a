import csv

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponse
from django.utils.dateparse import parse_date, parse_time
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
    "own_page": _("By the participant, on their own page"),
    "second_factor": _("Wrong second factor"),
}


# The words for the fields a decision changes, as the services name them in an event's changes.
FIELD_LABELS = {
    "status": _("status"),
    "date": _("date"),
    "start_time": _("start"),
    "end_time": _("end"),
    "venue": _("venue"),
    "register_number": _("register number"),
}


def _value_words(field: str, value) -> str:
    """A stored value as the office reads it: a status by its name, a date as 14-03-2026, nothing as a dash."""
    if value in (None, ""):
        return "-"
    if field == "status":
        from cohorts.models import Cohort

        return str(dict(Cohort.Status.choices).get(value, value))
    if field == "date" and parse_date(str(value)):
        return f"{parse_date(value):%d-%m-%Y}"
    if field in {"start_time", "end_time"} and parse_time(str(value)):
        return f"{parse_time(value):%H:%M}"
    return str(value)


def _cell_words(cell: dict) -> str:
    from cohorts.models import Attendance

    if not cell.get("status") and not cell.get("note"):
        return "-"
    words = str(dict(Attendance.Status.choices).get(cell.get("status"), cell.get("status") or "-"))
    if cell.get("note"):
        words += f" ({cell['note']})"
    return words


def change_lines(changes: dict, *, names=None, days=None) -> list[str]:
    """
    Each change of an event as a line of words: "status: gepland → bevestigd".

    :param names: participant pk → name, for the attendance cells (else the cell says its number)
    :param days: course day pk → its words (else the cell says the day's number)
    """
    lines = []
    for cell in changes.get("cells", []):
        who = (names or {}).get(cell["participant"], f"#{cell['participant']}")
        day = (days or {}).get(cell["day"], f"#{cell['day']}")
        lines.append(f"{who}, {day}: {_cell_words(cell['before'])} → {_cell_words(cell['after'])}")
    for field, pair in changes.items():
        if field == "cells" or not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        label = FIELD_LABELS.get(field, field)
        lines.append(f"{label}: {_value_words(field, pair[0])} → {_value_words(field, pair[1])}")
    return lines


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

    list_display = [
        "when",
        "who",
        "action",
        "object_kind",
        "object_label",
        "detail_words",
        "changes_summary",
        "address",
    ]
    list_filter = ["action", ObjectTypeFilter, "at"]
    search_fields = ["actor_name", "object_label", "object_id", "detail"]
    date_hierarchy = "at"
    actions = ["export_csv"]
    fields = [
        "at",
        "actor_name",
        "action",
        "object_kind",
        "object_id",
        "object_label",
        "detail_words",
        "changes_words",
        "address",
    ]
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

    @admin.display(description=_("changes"))
    def changes_summary(self, event):
        # The list shows the change without a query per row; the attendance
        # cells, which name participants, are counted here and shown on the event's page.
        cells = len(event.changes.get("cells", []))
        if cells:
            return ngettext("%(count)d cell", "%(count)d cells", cells) % {"count": cells}
        return "; ".join(change_lines(event.changes)) or "-"

    @admin.display(description=_("changes"))
    def changes_words(self, event):
        from cohorts.models import CourseDay, Participant

        cells = event.changes.get("cells", [])
        names = {p.pk: p.full_name for p in Participant.objects.filter(pk__in={c["participant"] for c in cells})}
        days = {
            d.pk: _("day %(number)s, %(date)s") % {"number": d.programme_day.number, "date": f"{d.date:%d-%m-%Y}"}
            for d in CourseDay.objects.filter(pk__in={c["day"] for c in cells}).select_related("programme_day")
        }
        lines = change_lines(event.changes, names=names, days=days)
        return format_html_join("", "<div>{}</div>", ((line,) for line in lines)) if lines else "-"

    @admin.action(description=_("Export the selected events (CSV)"), permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="audit.csv"'
        response.write("\ufeff")
        writer = csv.writer(response, delimiter=";")
        writer.writerow(
            ["when", "who", "action", "object type", "object", "description", "detail", "changes", "address"]
        )
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
                        "; ".join(change_lines(event.changes)),
                        event.address,
                    )
                ]
            )
        return response
