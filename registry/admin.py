from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit import services as audit
from audit.models import AuditEvent
from cohorts.admin.participants import ParticipantAdmin
from cohorts.models import Cohort, Participant, Sector
from verbindend.admin import ReadOnlyModelAdmin, confirmation_page, is_confirmed
from verbindend.personal import mark_personal

from . import exports, issuing, presentie, rejections, selectors, services
from .models import (
    Accreditation,
    Certificate,
    CompletedCohort,
    RegisterExport,
    RegisterRule,
    RegisterRun,
    RegisterTheme,
)


@admin.register(Accreditation)
class AccreditationAdmin(admin.ModelAdmin):
    list_display = [
        "programme",
        "register",
        "number",
        "activity_id",
        "theme_names",
        "points",
        "hours",
        "valid_from",
        "valid_until",
    ]
    list_filter = ["register", "programme"]
    search_fields = ["number", "themes__name", "themes__former_names"]
    formfield_overrides = {models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("programme").prefetch_related("themes")

    @admin.display(description=_("themes"))
    def theme_names(self, accreditation):
        return accreditation.theme_names()

    @admin.display(description=_("hours"))
    def hours(self, accreditation):
        return accreditation.total_hours


@admin.register(RegisterTheme)
class RegisterThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "former_names"]
    search_fields = ["name", "former_names"]


class RegisterRuleForm(forms.ModelForm):
    """The sectors and roles ticked from the choices the pages know, rather than typed as a list."""

    sectors = forms.MultipleChoiceField(
        label=_("sectors"), choices=Sector.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    roles = forms.MultipleChoiceField(
        label=_("roles"), choices=Participant.Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = RegisterRule
        fields = ["register", "sectors", "roles", "number_pattern", "number_example"]


@admin.register(RegisterRule)
class RegisterRuleAdmin(admin.ModelAdmin):
    form = RegisterRuleForm
    list_display = ["register", "sector_names", "role_names", "number_pattern"]
    # What a reader without the change permission sees: the names, not the stored values.
    shown_read_only = ["register", "sector_names", "role_names", "number_pattern", "number_example"]

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.shown_read_only
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.shown_read_only
        return super().get_readonly_fields(request, obj)

    @admin.display(description=_("sectors"))
    def sector_names(self, rule):
        return ", ".join(str(Sector(value).label) for value in rule.sectors if value in Sector.values)

    @admin.display(description=_("roles"))
    def role_names(self, rule):
        return ", ".join(str(Participant.Role(value).label) for value in rule.roles if value in Participant.Role.values)


class ParticipantAdminForm(forms.ModelForm):
    """A register number is checked against the pattern of the register that expects it, as on the own page."""

    def clean(self):
        cleaned = super().clean()
        number = cleaned.get("register_number")
        if number and self.instance.registration_id and "role" in cleaned:
            self.instance.role = cleaned["role"]
            rule = selectors.register_rule_for(self.instance)
            if rule is not None:
                try:
                    selectors.check_register_number(rule=rule, number=number)
                except ValidationError as error:
                    self.add_error("register_number", error)
        return cleaned


# The participant's admin is the cohorts app's; what the registers expect of a number is known here, one floor up.
class RegisterParticipantAdmin(ParticipantAdmin):
    form = ParticipantAdminForm


admin.site.unregister(Participant)
admin.site.register(Participant, RegisterParticipantAdmin)


class RejectedNumbersForm(forms.Form):
    numbers = forms.CharField(
        label=_("Numbers PE-online did not accept"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 30}),
        max_length=rejections.MAX_PASTED_CHARACTERS,
        help_text=_("As copied from PE-online after Controleren: one per line, or separated by spaces or commas."),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "name", "cohort", "status", "issued_at", "download"]
    list_filter = ["status", "kind", "participant__cohort"]
    search_fields = ["number", "verification_code", "participant__last_name", "participant__email"]
    list_select_related = ["participant__cohort"]
    readonly_fields = [
        "participant",
        "number",
        "version",
        "kind",
        "verification_code",
        "status",
        "revoked_reason",
        "snapshot",
        "sha256",
        "issued_at",
        "issued_by",
        "download",
    ]
    fields = readonly_fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_revoke_permission(self, request):
        return request.user.has_perm("registry.change_certificate")

    @admin.display(description=_("name"))
    def name(self, certificate):
        return certificate.snapshot.get("name", "")

    @admin.display(description=_("course run"))
    def cohort(self, certificate):
        return certificate.participant.cohort.code

    @admin.display(description=_("PDF"))
    def download(self, certificate):
        if not certificate.pdf:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', reverse("registry:staff_certificate", args=[certificate.pk]), _("download")
        )

    @admin.action(description=_("Revoke the selected certificates…"), permissions=["revoke"])
    def revoke(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            for certificate in queryset:
                services.revoke_certificate(
                    certificate=certificate, reason=form.cleaned_data["reason"], revoked_by=request.user
                )
            count = queryset.count()
            message = ngettext("%(count)s certificate revoked.", "%(count)s certificates revoked.", count) % {
                "count": count
            }
            self.message_user(request, message, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/registry/certificate/revoke.html",
            {**self.admin_site.each_context(request), "form": form, "certificates": queryset, "opts": self.model._meta},
        )


@admin.register(CompletedCohort)
class CompletedCohortAdmin(ReadOnlyModelAdmin):
    list_display = ["code", "programme", "certificates", "register_export"]
    search_fields = ["code"]
    actions = ["issue_certificates", "export_for_the_register"]

    def has_export_permission(self, request):
        return request.user.has_perm("registry.add_registerexport")

    @admin.action(description=_("Register export: check and download…"), permissions=["export"])
    def export_for_the_register(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select one course run to export."), messages.WARNING)
            return None
        return HttpResponseRedirect(reverse("admin:registry_register_export", args=[queryset.get().pk]))

    def get_urls(self):
        export = self.admin_site.admin_view(self.register_export_view)
        archive = self.admin_site.admin_view(self.certificates_zip_view)
        return [
            path("<int:cohort_id>/register/", export, name="registry_register_export"),
            path("<int:cohort_id>/certificates.zip", archive, name="registry_certificates_zip"),
            *super().get_urls(),
        ]

    def certificates_zip_view(self, request, cohort_id):
        if not request.user.has_perm("registry.view_certificate"):
            raise PermissionDenied
        cohort = get_object_or_404(Cohort, pk=cohort_id, status=Cohort.Status.COMPLETED)
        content = services.certificates_zip(cohort=cohort)
        audit.record(
            action=AuditEvent.Action.PERSONAL_DATA_DOWNLOAD, obj=cohort, request=request, detail="certificates.zip"
        )
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = content_disposition_header(True, f"certificaten-{cohort.code}.zip")
        return mark_personal(response)

    @admin.display(description=_("register export"))
    def register_export(self, cohort):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:registry_register_export", args=[cohort.pk]), _("check and export")
        )

    def register_export_view(self, request, cohort_id):
        if not request.user.has_perm("registry.add_registerexport"):
            raise PermissionDenied
        cohort = get_object_or_404(
            Cohort.objects.select_related("programme"), pk=cohort_id, status=Cohort.Status.COMPLETED
        )
        kind = request.GET.get("format")
        if kind in exports.FORMATS:
            content, content_type, filename = exports.export(
                cohort=cohort, kind=kind, user=request.user, request=request
            )
            response = HttpResponse(content, content_type=content_type)
            response["Content-Disposition"] = content_disposition_header(True, filename)
            return mark_personal(response)
        rejected_form = RejectedNumbersForm(request.POST if request.POST.get("action") == "rejected" else None)
        if request.method == "POST" and rejected_form.is_bound:
            if self._mark_rejected(request, cohort=cohort, form=rejected_form):
                return HttpResponseRedirect(request.path)
        elif request.method == "POST":
            exports.mark_reported(cohort=cohort, user=request.user)
            self.message_user(request, _("Recorded as reported to the register."), messages.SUCCESS)
            return HttpResponseRedirect(request.path)
        rows = exports.export_rows(cohort)
        return TemplateResponse(
            request,
            "admin/registry/register_export.html",
            {
                **self.admin_site.each_context(request),
                "cohort": cohort,
                "rows": rows,
                "problems": exports.validation_report(cohort, rows),
                "changes": exports.changes_since_report(cohort, rows),
                "paste": exports.paste_list(rows),
                "outside": exports.outside_the_registers(rows),
                "rejections": rejections.rejections_report(rows),
                "rejected_form": rejected_form,
                "log": cohort.register_exports.select_related("exported_by")[:20],
                "title": _("Register export %(code)s") % {"code": cohort.code},
                "opts": self.model._meta,
            },
        )

    def _mark_rejected(self, request, *, cohort, form) -> bool:
        """Mark the numbers pasted back from PE-online; False to show the page again with the form's errors."""
        if not form.is_valid():
            return False
        try:
            result = rejections.mark_rejected_numbers(
                cohort=cohort, text=form.cleaned_data["numbers"], user=request.user, request=request
            )
        except rejections.RejectionError as error:
            form.add_error("numbers", str(error))
            return False
        count = len(result.marked)
        self.message_user(
            request,
            ngettext(
                "%(count)s participant marked: their page asks them to check their register number.",
                "%(count)s participants marked: their pages ask them to check their register number.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.INFO,
        )
        if result.already_marked:
            self.message_user(
                request,
                _("Already marked and not yet corrected: %(names)s.")
                % {"names": ", ".join(p.full_name for p in result.already_marked)},
                messages.INFO,
            )
        if result.not_in_run:
            self.message_user(
                request,
                _("No participant of this course run has these numbers: %(numbers)s.")
                % {"numbers": ", ".join(result.not_in_run)},
                messages.WARNING,
            )
        return True

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=Cohort.Status.COMPLETED)
            .select_related("programme")
            .annotate(
                attendees=Count(
                    "participants", filter=~Q(participants__status=Participant.Status.WAITING), distinct=True
                ),
                issued=Count(
                    "participants__certificates",
                    filter=Q(participants__certificates__status=Certificate.Status.VALID),
                    distinct=True,
                ),
            )
        )

    def has_issue_permission(self, request):
        return request.user.has_perm("registry.add_certificate")

    @admin.display(description=_("certificates issued"))
    def certificates(self, cohort):
        url = reverse("admin:registry_certificate_changelist") + f"?participant__cohort__id__exact={cohort.pk}"
        if not cohort.issued:
            return format_html('<a href="{}">{} / {}</a>', url, cohort.issued, cohort.attendees)
        archive = reverse("admin:registry_certificates_zip", args=[cohort.pk])
        return format_html(
            '<a href="{}">{} / {}</a> · <a href="{}">{}</a>', url, cohort.issued, cohort.attendees, archive, _("ZIP")
        )

    @admin.action(description=_("Issue the certificates of the selected course runs…"), permissions=["issue"])
    def issue_certificates(self, request, queryset):
        if not is_confirmed(request):
            cohorts = list(queryset.order_by("code"))
            attendees = sum(cohort.attendees for cohort in cohorts)
            issued = sum(cohort.issued for cohort in cohorts)
            effects = [
                ngettext(
                    "%(count)d participant is checked against the completion rule: a certificate for who met it, "
                    "a proof of attendance for who attended only.",
                    "%(count)d participants are checked against the completion rule: a certificate for who met it, "
                    "a proof of attendance for who attended only.",
                    attendees,
                )
                % {"count": attendees},
                _("Each participant who receives one gets an e-mail with the link to download it."),
                ngettext(
                    "%(count)d valid certificate is already issued; it is not issued again.",
                    "%(count)d valid certificates are already issued; they are not issued again.",
                    issued,
                )
                % {"count": issued},
            ]
            return confirmation_page(
                self,
                request,
                queryset,
                action="issue_certificates",
                title=_("Issue certificates"),
                effects=effects,
                objects=[
                    (
                        cohort.code,
                        _("%(issued)s of %(attendees)s issued")
                        % {"issued": cohort.issued, "attendees": cohort.attendees},
                    )
                    for cohort in cohorts
                ],
                button=_("Issue the certificates"),
            )
        issuing.request_certificates(cohorts=list(queryset), requested_by=request.user)
        self.message_user(
            request,
            _("The certificates are being issued; the count beside each course run shows the progress."),
            messages.SUCCESS,
        )


@admin.register(RegisterExport)
class RegisterExportAdmin(ReadOnlyModelAdmin):
    """The export log: read-only."""

    list_display = ["cohort", "kind", "exported_by", "exported_at"]
    list_filter = ["kind", "cohort"]
    readonly_fields = ["cohort", "kind", "exported_by", "exported_at", "rows"]


class RegisterRunForm(forms.ModelForm):
    """The run and PE-online's id of its uitvoering; the service checks and records them."""

    class Meta:
        model = RegisterRun
        fields = ["cohort", "uitvoering_id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "cohort" in self.fields:
            self.fields["cohort"].queryset = Cohort.objects.filter(status__in=presentie.UITVOERING_STATUSES)


@admin.register(RegisterRun)
class RegisterRunAdmin(admin.ModelAdmin):
    """The office records each run's uitvoering and presentie in PE-online here; the trainer may read them."""

    form = RegisterRunForm
    list_display = ["cohort", "uitvoering_id", "uitvoering_recorded_at", "presentie_recorded_at"]
    list_select_related = ["cohort"]
    search_fields = ["cohort__code", "uitvoering_id"]
    readonly_fields = [
        "uitvoering_recorded_at",
        "uitvoering_recorded_by",
        "presentie_recorded_at",
        "presentie_recorded_by",
    ]
    actions = ["record_presentie"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["cohort", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The form offers only runs from confirmation on and requires the id,
        # so the service's own refusals do not arise here.
        obj.pk = presentie.record_uitvoering(
            cohort=obj.cohort, uitvoering_id=obj.uitvoering_id, by=request.user, request=request
        ).pk
        obj.refresh_from_db()

    @admin.action(description=_("Record the presentie as entered in PE-online"), permissions=["change"])
    def record_presentie(self, request, queryset):
        recorded = 0
        for run in queryset.select_related("cohort"):
            try:
                presentie.record_presentie(cohort=run.cohort, by=request.user, request=request)
            except presentie.RegisterStepError as error:
                self.message_user(request, f"{run.cohort.code}: {error}", messages.ERROR)
                continue
            recorded += 1
        if recorded:
            self.message_user(
                request,
                ngettext(
                    "The presentie of %(count)d course run is recorded.",
                    "The presentie of %(count)d course runs is recorded.",
                    recorded,
                )
                % {"count": recorded},
                messages.SUCCESS,
            )
