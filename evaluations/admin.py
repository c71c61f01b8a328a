"""
The evaluations in the admin: the forms (frozen once answered, changed by a new version) and the reports.

No page here shows a response or an invitation one by one: the reports are
aggregates, and the open answers are listed without who wrote them.
"""

import csv
import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from programme.models import Programme
from verbindend.pdf import render_pdf
from verbindend.spreadsheets import safe_cell

from . import charts, selectors
from .models import EvaluationForm, EvaluationSettings, Question, RunEvaluation
from .services import forms as form_services


def _answered(obj) -> bool:
    return bool(obj and obj.pk and form_services.has_answers(obj))


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = ["position", "kind", "text", "required", "low_label", "high_label", "options"]

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not _answered(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _answered(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _answered(obj)


@admin.register(EvaluationForm)
class EvaluationFormAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "kind", "programme_day", "version", "is_current", "response_count"]
    list_filter = ["programme", "kind", "is_current"]
    fields = ["programme", "kind", "programme_day", "title", "introduction", "version", "is_current", "new_version"]
    readonly_fields = ["version", "is_current", "new_version"]
    inlines = [QuestionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("programme", "programme_day")
            .annotate(responses_count=Count("responses"))
        )

    @admin.display(description=gettext_lazy("responses"), ordering="responses_count")
    def response_count(self, form):
        return form.responses_count

    @admin.display(description=gettext_lazy("new version"))
    def new_version(self, form):
        if not _answered(form):
            return _("This version has no answers yet: its questions can be changed here.")
        if not form.is_current:
            return _("An older version, kept with its answers.")
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            _("This form has answers: its questions are frozen, and a change makes a new version."),
            reverse("admin:evaluations_evaluationform_new_version", args=[form.pk]),
            _("Make a new version"),
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _answered(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _answered(obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.new_version_view)
        return [
            path("<int:form_id>/new-version/", view, name="evaluations_evaluationform_new_version"),
            *super().get_urls(),
        ]

    def new_version_view(self, request, form_id):
        form = get_object_or_404(EvaluationForm, pk=form_id)
        if not super().has_change_permission(request, form):
            raise PermissionDenied
        if request.method != "POST":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": _("Make a new version of %(form)s") % {"form": form},
                "form_version": form,
            }
            return TemplateResponse(request, "admin/evaluations/new_version.html", context)
        copy = form_services.new_version(form=form)
        messages.success(
            request,
            _("Version %(version)s is now the current one; change its questions here.") % {"version": copy.version},
        )
        return redirect("admin:evaluations_evaluationform_change", copy.pk)


@admin.register(EvaluationSettings)
class EvaluationSettingsAdmin(admin.ModelAdmin):
    list_display = ["programme", "end_evaluation_required"]

    def save_model(self, request, obj, form, change):
        saved = form_services.set_end_evaluation_required(programme=obj.programme, required=obj.end_evaluation_required)
        obj.pk = saved.pk


@admin.register(RunEvaluation)
class RunEvaluationAdmin(admin.ModelAdmin):
    """A run's evaluation report, its PDF and CSV, and the programme's trend; for staff who may view reports."""

    list_display = ["code", "programme", "status", "report_link"]
    list_filter = ["programme", "status"]
    search_fields = ["code"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("programme")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=gettext_lazy("report"))
    def report_link(self, cohort):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:evaluations_runevaluation_pdf", args=[cohort.pk]),
            _("PDF"),
            reverse("admin:evaluations_runevaluation_csv", args=[cohort.pk]),
            _("CSV"),
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:cohort_id>/pdf/", wrap(self.pdf_view), name="evaluations_runevaluation_pdf"),
            path("<int:cohort_id>/csv/", wrap(self.csv_view), name="evaluations_runevaluation_csv"),
            path("trend/<int:programme_id>/", wrap(self.trend_view), name="evaluations_runevaluation_trend"),
            *super().get_urls(),
        ]

    def _cohort(self, request, cohort_id):
        cohort = get_object_or_404(RunEvaluation.objects.select_related("programme"), pk=cohort_id)
        if not self.has_view_permission(request, cohort):
            raise PermissionDenied
        return cohort

    def change_view(self, request, object_id, form_url="", extra_context=None):
        cohort = self._cohort(request, object_id)
        report = charts.with_charts(selectors.run_report(cohort))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Evaluation of %(code)s") % {"code": cohort.code},
            "report": report,
            "cohort": cohort,
        }
        return TemplateResponse(request, "admin/evaluations/report.html", context)

    def pdf_view(self, request, cohort_id):
        cohort = self._cohort(request, cohort_id)
        report = charts.with_charts(selectors.run_report(cohort))
        pdf = render_pdf(
            "evaluations/documents/report.html",
            {"report": report, "cohort": cohort},
            stylesheet="evaluations/documents/report.css",
            language=get_language(),
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(True, f"evaluatie-{cohort.code}.pdf")
        return response

    def csv_view(self, request, cohort_id):
        cohort = self._cohort(request, cohort_id)
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        writer.writerow(
            [_("response"), _("day"), _("answered on"), _("form"), _("version"), _("question"), _("answer")]
        )
        for row in selectors.answers_for_export(cohort):
            answer = row["scale"] if row["scale"] is not None else row["choice"] or row["text"]
            day = row["response__course_day__programme_day__number"]
            writer.writerow(
                [
                    safe_cell(value)
                    for value in (
                        row["number"],
                        day if day is not None else _("end"),
                        row["response__answered_on"].isoformat(),
                        row["response__form__title"],
                        row["response__form__version"],
                        row["question__text"],
                        answer,
                    )
                ]
            )
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"evaluatie-{cohort.code}.csv")
        return response

    def trend_view(self, request, programme_id):
        programme = get_object_or_404(Programme, pk=programme_id)
        if not self.has_view_permission(request):
            raise PermissionDenied
        rows = selectors.programme_trend(programme)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Evaluations of %(programme)s across course runs") % {"programme": programme.title},
            "programme": programme,
            "rows": rows,
            "charts": charts.trend_charts(rows),
        }
        return TemplateResponse(request, "admin/evaluations/trend.html", context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "programmes": Programme.objects.order_by("title")}
        return super().changelist_view(request, extra_context)
