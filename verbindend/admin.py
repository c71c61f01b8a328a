from django.contrib import admin
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.translation import gettext_lazy as _

# The field the confirmation page posts, as Django's delete_selected does:
# without it an action shows what it would do and changes nothing.
CONFIRM_FIELD = "post"


def is_confirmed(request) -> bool:
    """Return whether the POST comes from an action's confirmation page."""
    return request.POST.get(CONFIRM_FIELD) == "yes"


def confirmation_page(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title,
    effects: list,
    objects: list | None = None,
    form=None,
    button=None,
):
    """
    Return the intermediate page of an admin action: what will happen, to which objects, and who gets which e-mail.

    :param effects: sentences saying what the action does, e.g. how many people get which e-mail
    :param objects: (label, note) pairs listing the selected objects; defaults to each object's str()
    :param form: a form to fill in first (a reason, a course run), its fields posted with the confirmation
    """
    opts = modeladmin.model._meta
    if objects is None:
        objects = [(str(obj), "") for obj in queryset]
    return TemplateResponse(
        request,
        "admin/action_confirmation.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": opts,
            "app_label": opts.app_label,
            "action": action,
            "effects": effects,
            "objects": objects,
            "form": form,
            "button": button or _("Yes, go ahead"),
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "confirm_field": CONFIRM_FIELD,
        },
    )


def short_datetime(value) -> str:
    """Return a moment as a list column shows it: "1 dec 2026 20:04", in the local time; "-" when unset."""
    if value is None:
        return "-"
    # No break inside the date: a narrow column wraps before the time only.
    return (
        format_date(timezone.localtime(value), "j b Y").replace(" ", "\u00a0")
        + " "
        + format_date(timezone.localtime(value), "H:i")
    )


def short_date(value) -> str:
    """Return a date as a list column shows it: "6 jan 2027"; "-" when unset."""
    return format_date(value, "j b Y").replace(" ", "\u00a0") if value else "-"


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """A record kept as it was written (audit trail, consents, export log): it can be viewed, never edited."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """The rows of a record kept as it was written (an invoice's lines, its payments): shown, never edited here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class VerbindendAdminSite(admin.AdminSite):
    # The product's name, as the public site shows it (templates/admin/base_site.html adds its logo and colours).
    site_header = _("Verbindend leiderschap: course administration")
    site_title = _("Verbindend leiderschap")
    index_title = _("Overview")
    # Django's navigation sidebar takes 280 px of every page; at 1366 px it
    # left a list 717 px beside its filters, too narrow for a registration's
    # columns without breaking words. The start page and the breadcrumbs
    # lead to every list.
    enable_nav_sidebar = False
    index_template = "admin/verbindend_index.html"

    def login(self, request, extra_context=None):
        # Password, then a second factor (verbindend/staff_login.py).
        from verbindend.staff_login import staff_login

        return staff_login(request, extra_context)

    def index(self, request, extra_context=None):
        from cohorts.selectors.trainer import trainer_overview
        from cohorts.services.calendars import calendar_feed_url
        from verbindend.todo import to_do

        extra = {"to_do": to_do(request, today=timezone.localdate())}
        if request.user.has_perm("cohorts.view_cohort"):
            extra |= {
                "overview": trainer_overview(user=request.user),
                "calendar_feed_url": calendar_feed_url(request.user),
            }
        return super().index(request, {**extra, **(extra_context or {})})
