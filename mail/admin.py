from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp, csp_update
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from verbindend.admin import confirmation_page, is_confirmed, short_datetime

from .models import OutgoingMail
from .services.queueing import retry_failed_mail

# An e-mail's HTML styles itself inline, as mail clients need. Its preview is a
# document of its own, framed by the outbox page only, that may run nothing,
# fetch nothing and post nothing; only its inline styles are allowed. It cannot
# be the frame's srcdoc: that would inherit the admin's policy, which allows no
# inline style.
MAIL_PREVIEW_POLICY = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["data:"],
    "form-action": [NONE],
    "base-uri": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": True,
}

# What office staff call each e-mail; the outbox filters and shows these
# words instead of the template paths. An unknown template shows its path.
TEMPLATE_LABELS = {
    "cohorts/mail/registration_received": _("Registration received (to the contact)"),
    "cohorts/mail/registration_notification": _("New registration (to the trainer)"),
    "cohorts/mail/registration_placed": _("Board placed in a course run"),
    "cohorts/mail/intake_invitation": _("Intake invitation"),
    "cohorts/mail/intake_cancelled": _("Intake cancelled"),
    "cohorts/mail/intake_reminder": _("Intake reminder"),
    "cohorts/mail/participant_welcome": _("Welcome to a participant"),
    "cohorts/mail/participant_waiting": _("On the waiting list"),
    "cohorts/mail/participant_promoted": _("Off the waiting list"),
    "cohorts/mail/cohort_confirmed": _("Course run confirmed (schedule)"),
    "cohorts/mail/cohort_cancelled": _("Course run cancelled"),
    "cohorts/mail/day_changed": _("Course day changed"),
    "cohorts/mail/course_day_reminder": _("Course day reminder"),
    "cohorts/mail/go_no_go": _("Below the minimum (go/no-go)"),
    "registry/mail/certificate_issued": _("Certificate issued"),
    "mail/test": _("Test e-mail"),
}


def template_label(template: str) -> str:
    return str(TEMPLATE_LABELS.get(template, template))


class TemplateFilter(admin.SimpleListFilter):
    title = _("kind of e-mail")
    parameter_name = "template"

    def lookups(self, request, model_admin):
        templates = OutgoingMail.objects.order_by().values_list("template", flat=True).distinct()
        return sorted(((t, template_label(t)) for t in templates), key=lambda item: item[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(template=self.value())
        return queryset


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """The outbox, read-only: what was sent to whom, and what went wrong."""

    list_display = ["subject", "recipients", "status", "attempts", "short_error", "created", "sent"]
    list_filter = ["status", TemplateFilter, "language", "created_at"]
    search_fields = ["subject", "to", "key"]
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    list_per_page = 100
    fields = [
        "status",
        "recipients",
        "subject",
        "attempts",
        "last_error",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "message_id",
        "key",
        "kind",
        "language",
        "attachment_names",
        "html_preview",
        "body_text",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The bodies can be large; only the detail page shows them.
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("body_text", "body_html")
        return queryset

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("mail.change_outgoingmail")

    @admin.display(description=_("recipients"))
    def recipients(self, mail):
        return ", ".join(mail.to)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, mail):
        return short_datetime(mail.created_at)

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent(self, mail):
        return short_datetime(mail.sent_at)

    @admin.display(description=_("kind of e-mail"), ordering="template")
    def kind(self, mail):
        return template_label(mail.template)

    @admin.display(description=_("last error"))
    def short_error(self, mail):
        return mail.last_error[:80]

    @admin.display(description=_("attachments"))
    def attachment_names(self, mail):
        return ", ".join(a.filename for a in mail.attachments.all()) or "-"

    @admin.display(description=_("HTML preview"))
    def html_preview(self, mail):
        # A sandboxed frame: the e-mail's HTML can run nothing and reach
        # nothing of the admin.
        # The frame is as wide as the mail's own layout (mail/base.html) and
        # tall enough to read it; admin-theme.css lets the field use the width.
        return format_html(
            '<iframe class="mail-preview" sandbox="" src="{}" title="{}"></iframe>',
            reverse("admin:mail_outgoingmail_preview", args=[mail.pk]),
            _("HTML preview"),
        )

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="mail_outgoingmail_preview",
        )
        return [preview, *super().get_urls()]

    @method_decorator(csp_update({"frame-src": [SELF]}))
    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The detail page frames the preview below, from this site only.
        return super().change_view(request, object_id, form_url, extra_context)

    @method_decorator(csp(MAIL_PREVIEW_POLICY))
    def preview_view(self, request, object_id):
        """Return the e-mail's own HTML, for the frame on its detail page."""
        mail = self.get_object(request, unquote(object_id))
        if mail is None or not self.has_view_permission(request, mail):
            raise Http404
        response = HttpResponse(mail.body_html)
        # Framed by the outbox page; Django's default DENY applies everywhere else.
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @admin.action(description=_("Retry the selected failed e-mails now…"), permissions=["retry"])
    def retry_now(self, request, queryset):
        if not is_confirmed(request):
            # Only failed rows are sent again (see retry_failed_mail); the
            # page counts those, not the whole selection.
            failed = list(queryset.filter(status=OutgoingMail.Status.FAILED).only("subject", "to", "last_error"))
            addresses = {address for mail in failed for address in mail.to}
            effects = [
                ngettext(
                    "%(count)d failed e-mail is sent again now.",
                    "%(count)d failed e-mails are sent again now.",
                    len(failed),
                )
                % {"count": len(failed)},
                ngettext("%(count)d address receives it.", "%(count)d addresses receive them.", len(addresses))
                % {"count": len(addresses)},
            ]
            if len(failed) < queryset.count():
                effects.append(_("The selected e-mails that did not fail are left as they are."))
            return confirmation_page(
                self,
                request,
                queryset,
                action="retry_now",
                title=_("Retry failed e-mails"),
                effects=effects,
                objects=[(mail.subject, ", ".join(mail.to)) for mail in failed],
                button=_("Send again now"),
            )
        count = retry_failed_mail(mail_ids=list(queryset.values_list("pk", flat=True)))
        if count:
            self.message_user(
                request,
                ngettext("%(count)d e-mail queued again.", "%(count)d e-mails queued again.", count) % {"count": count},
                messages.SUCCESS,
            )
        else:
            self.message_user(request, _("Only failed e-mails can be retried; none was selected."), messages.WARNING)
