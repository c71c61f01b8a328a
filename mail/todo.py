"""The outbox's to-do on the start page: e-mails that could not be sent (see verbindend.todo)."""

from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from verbindend.todo import ToDo, provider

from .models import OutgoingMail


@provider
def failed_mail(request, today) -> list[ToDo]:
    """One line for every e-mail that failed for good, however many: one query."""
    if not request.user.has_perm("mail.view_outgoingmail"):
        return []
    failed = OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED).aggregate(
        count=Count("pk"), oldest=Min("created_at")
    )
    count = failed["count"]
    if not count:
        return []
    return [
        ToDo(
            subject=_("Outbox"),
            detail=ngettext("%(count)d e-mail failed", "%(count)d e-mails failed", count) % {"count": count},
            action=_("Look at them and send them again"),
            url=f"{reverse('admin:mail_outgoingmail_changelist')}?status__exact={OutgoingMail.Status.FAILED}",
            since=timezone.localdate(failed["oldest"]),
        )
    ]
