"""The sign-in sheets (presentielijsten) of a course run, downloaded from its admin page."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from audit.models import AuditEvent
from verbindend.personal import mark_personal

from .. import sign_in
from ..models import Cohort, CourseDay
from ..selectors import trainer as trainer_selectors


class SignInSheetAdminMixin:
    """Adds the run's sign-in sheets: one PDF per course day, and one of all its days."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.sign_in_view)
        return [
            path("<int:cohort_id>/sign-in-sheets/", view, name="cohorts_cohort_sign_in"),
            path("<int:cohort_id>/sign-in-sheets/<int:day_id>/", view, name="cohorts_cohort_sign_in_day"),
            *super().get_urls(),
        ]

    @admin.display(description=_("sign-in sheets"))
    def sign_in_links(self, cohort):
        days = list(cohort.days.select_related("programme_day").order_by("date")) if cohort.pk else []
        if not days:
            return _("The sign-in sheets can be printed once the days are scheduled.")
        each = format_html_join(
            " ",
            '<a href="{}">{}</a>',
            (
                (
                    reverse("admin:cohorts_cohort_sign_in_day", args=[cohort.pk, day.pk]),
                    _("day %(number)s") % {"number": day.programme_day.number},
                )
                for day in days
            ),
        )
        every = reverse("admin:cohorts_cohort_sign_in", args=[cohort.pk])
        return format_html('<a class="button" href="{}">{}</a> {}', every, _("All days (PDF)"), each)

    def sign_in_view(self, request, cohort_id, day_id=None):
        cohort = get_object_or_404(Cohort, pk=cohort_id)
        if not self.has_view_permission(request, cohort):
            raise PermissionDenied
        try:
            sheets = trainer_selectors.sign_in_sheets(cohort, day_id=day_id)
        except CourseDay.DoesNotExist:
            raise Http404 from None
        if not sheets:
            raise Http404
        # A list of names is personal data leaving the system: who printed it, and which, is kept.
        detail = f"sign-in sheet, day {sheets[0].day.programme_day.number}" if day_id else "sign-in sheets"
        audit.record(action=AuditEvent.Action.EXPORT, obj=cohort, request=request, detail=detail)
        response = HttpResponse(
            sign_in.render_sign_in_sheets(sheets, language=get_language()), content_type="application/pdf"
        )
        response["Content-Disposition"] = content_disposition_header(False, sign_in.sign_in_filename(sheets))
        return mark_personal(response)
