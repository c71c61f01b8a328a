"""The trainer's messages to a course run: written and previewed on the run's admin page, kept there."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from verbindend.admin import ReadOnlyModelAdmin, short_datetime

from ..models import Cohort, RunMessage
from ..services import messages as run_messages


class RunMessageForm(forms.Form):
    audience = forms.ChoiceField(label=_("To"), choices=RunMessage.Audience.choices, widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), max_length=run_messages.MAX_SUBJECT)
    body = forms.CharField(
        label=_("Message"),
        max_length=run_messages.MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        help_text=_("Each person gets it in an e-mail of their own, after “Dear [first name],”; replies come to you."),
    )
    form_token = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"invalid": _("This form cannot be sent as it is; open it again and write the message.")},
    )


class RunMessageAdminMixin:
    """Adds "Write a message" to a course run, with a preview of who gets it, and the messages sent so far."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.message_view)
        return [path("<int:cohort_id>/message/", view, name="cohorts_cohort_message"), *super().get_urls()]

    @admin.display(description=_("messages"))
    def messages_table(self, cohort):
        if cohort.pk is None:
            return "-"
        write = format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:cohorts_cohort_message", args=[cohort.pk]),
            _("Write a message"),
        )
        sent = cohort.messages.order_by("-sent_at")
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> · {} · {}</li>',
            (
                (
                    reverse("admin:cohorts_runmessage_change", args=[m.pk]),
                    m.subject,
                    m.get_audience_display(),
                    short_datetime(m.sent_at),
                )
                for m in sent
            ),
        )
        return format_html("{}<ul>{}</ul>", write, rows) if rows else write

    def message_view(self, request, cohort_id):
        cohort = get_object_or_404(Cohort.objects.select_related("programme"), pk=cohort_id)
        if not (self.has_view_permission(request, cohort) and request.user.has_perm("cohorts.add_runmessage")):
            raise PermissionDenied
        form = RunMessageForm(request.POST or None, initial={"form_token": uuid.uuid4()})
        recipients = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if "send" in request.POST:
                    sent = run_messages.send_run_message(cohort=cohort, by=request.user, request=request, **data)
                    self.message_user(
                        request,
                        ngettext(
                            "The message “%(subject)s” is sent to %(count)d person.",
                            "The message “%(subject)s” is sent to %(count)d people, each separately.",
                            sent.recipient_count,
                        )
                        % {"subject": sent.subject, "count": sent.recipient_count},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:cohorts_cohort_change", args=[cohort.pk]))
                if "edit" in request.POST:
                    return self._message_page(request, cohort, form, None)
                recipients = run_messages.message_recipients(cohort, data["audience"])
                if not recipients:
                    form.add_error("audience", _("Nobody is in it in this course run."))
                    recipients = None
            except run_messages.MessageError as error:
                form.add_error(None, str(error))
        return self._message_page(request, cohort, form, recipients)

    def _message_page(self, request, cohort, form, recipients):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "cohort": cohort,
            "form": form,
            "recipients": recipients,
            "title": _("Message to %(code)s") % {"code": cohort.code},
        }
        return TemplateResponse(request, "admin/cohorts/cohort/message.html", context)


@admin.register(RunMessage)
class RunMessageAdmin(ReadOnlyModelAdmin):
    list_display = ["subject", "cohort", "audience", "recipient_count", "sent_at", "sent_by"]
    list_filter = ["audience", "sent_at"]
    search_fields = ["subject", "cohort__code"]
    list_select_related = ["cohort", "sent_by"]
    fields = ["cohort", "audience", "subject", "body", "recipient_count", "sent_at", "sent_by"]
