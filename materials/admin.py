"""The trainer's materials and the review of final assignments; every write goes through the services."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .forms import ReviewForm
from .models import Material, Submission
from .responses import private_file_response
from .services import MaterialsError, assignments, library
from .validators import MATERIAL_TYPES, validate_upload


class MaterialForm(forms.ModelForm):
    url = forms.URLField(label=_("link"), required=False, max_length=500, assume_scheme="https")
    upload = forms.FileField(
        label=_("file"),
        required=False,
        help_text=_("A PDF, PowerPoint, Word, Excel or OpenDocument file; or give a link instead."),
    )

    class Meta:
        model = Material
        fields = ["programme_day", "title", "url", "shown", "days"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is not None:
            validate_upload(upload, allowed=MATERIAL_TYPES, max_bytes=settings.MATERIAL_MAX_BYTES)
        return upload

    def clean(self):
        cleaned = super().clean()
        has_file = bool(cleaned.get("upload") or (self.instance.file and not cleaned.get("url")))
        if bool(cleaned.get("url")) == has_file and not self.errors:
            raise ValidationError(library.LINK_OR_FILE)
        return cleaned


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    form = MaterialForm
    list_display = ["title", "programme_day", "kind", "shown_when", "download"]
    list_filter = ["programme_day__programme", "programme_day"]
    list_select_related = ["programme_day"]
    search_fields = ["title"]

    @admin.display(description=_("kind"))
    def kind(self, material):
        return _("file") if material.is_file else _("link")

    @admin.display(description=_("shown"))
    def shown_when(self, material):
        if material.shown == Material.Shown.ON_THE_DAY:
            return material.get_shown_display()
        return f"{material.days} {material.get_shown_display()}"

    @admin.display(description=_("file"))
    def download(self, material):
        if not material.is_file:
            return format_html('<a href="{}" rel="noopener noreferrer">{}</a>', material.url, material.url)
        url = reverse("admin:materials_material_file", args=[material.pk])
        return format_html('<a href="{}">{}</a>', url, material.filename)

    def get_urls(self):
        file_view = self.admin_site.admin_view(self.file_view)
        return [path("<int:material_id>/bestand/", file_view, name="materials_material_file"), *super().get_urls()]

    def file_view(self, request, material_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        material = get_object_or_404(Material, pk=material_id)
        return private_file_response(material.file, filename=material.filename, content_type=material.content_type)

    def save_model(self, request, obj, form, change):
        library.save_material(material=obj, upload=form.cleaned_data.get("upload"))

    def delete_model(self, request, obj):
        library.delete_material(material=obj)

    def delete_queryset(self, request, queryset):
        for material in queryset:
            library.delete_material(material=material)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["participant", "cohort", "status", "uploaded_at", "download", "review_link"]
    list_filter = ["status", "participant__cohort"]
    list_select_related = ["participant__cohort"]
    search_fields = ["participant__first_name", "participant__last_name", "filename"]
    readonly_fields = [
        "participant",
        "filename",
        "size",
        "uploaded_at",
        "status",
        "feedback",
        "reviewed_at",
        "reviewed_by",
        "download",
        "review_link",
    ]
    fields = readonly_fields
    actions = ["approve_selected"]

    @admin.display(description=_("course run"), ordering="participant__cohort__code")
    def cohort(self, submission):
        return submission.participant.cohort

    @admin.display(description=_("file"))
    def download(self, submission):
        if not submission.file:
            return "–"
        url = reverse("admin:materials_submission_file", args=[submission.pk])
        return format_html('<a href="{}">{}</a>', url, submission.filename)

    @admin.display(description=_("review"))
    def review_link(self, submission):
        if submission.status != Submission.Status.SUBMITTED:
            return "–"
        url = reverse("admin:materials_submission_review", args=[submission.pk])
        return format_html('<a href="{}">{}</a>', url, _("Review"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Removed by the participant's erasure and by retention only.
        return False

    def has_review_permission(self, request):
        return request.user.has_perm("materials.review_submission") and request.user.has_perm(
            "cohorts.approve_final_assignment"
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:submission_id>/bestand/", view(self.file_view), name="materials_submission_file"),
            path("<int:submission_id>/beoordelen/", view(self.review_view), name="materials_submission_review"),
            *super().get_urls(),
        ]

    def file_view(self, request, submission_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        submission = get_object_or_404(Submission, pk=submission_id)
        return private_file_response(
            submission.file, filename=submission.filename, content_type=submission.content_type
        )

    def review_view(self, request, submission_id):
        """Approve the assignment, or return it with feedback: one form, two buttons, each one service."""
        if not self.has_review_permission(request):
            raise PermissionDenied
        submission = get_object_or_404(Submission.objects.select_related("participant__cohort"), pk=submission_id)
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            decision = request.POST.get("decision")
            service = {"approve": assignments.approve_submission, "return": assignments.return_final_assignment}
            if decision not in service:
                raise PermissionDenied
            try:
                service[decision](
                    submission=submission, feedback=form.cleaned_data["feedback"], by=request.user, request=request
                )
            except MaterialsError as error:
                form.add_error("feedback", str(error))
            else:
                done = (
                    _("The final assignment is approved.")
                    if decision == "approve"
                    else _("The final assignment is returned.")
                )
                self.message_user(request, done, messages.SUCCESS)
                return redirect("admin:materials_submission_changelist")
        return TemplateResponse(
            request,
            "admin/materials/review.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": _("Review the final assignment of %(name)s") % {"name": submission.participant.full_name},
                "submission": submission,
                "form": form,
            },
        )

    @admin.action(description=_("Approve the selected final assignments"), permissions=["review"])
    def approve_selected(self, request, queryset):
        done = 0
        for submission in queryset:
            try:
                assignments.approve_submission(submission=submission, by=request.user, request=request)
            except MaterialsError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                done += 1
        if done:
            message = ngettext(
                "%(count)d final assignment approved.", "%(count)d final assignments approved.", done
            ) % {"count": done}
            self.message_user(request, message, messages.SUCCESS)
