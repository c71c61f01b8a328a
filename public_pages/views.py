"""The pages of the public: the registration form and the participant page (the board's pages are in board.py)."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from cohorts import selectors
from cohorts.models import CourseDay, Participant
from cohorts.services import enrolment, registrations
from materials import selectors as materials_selectors
from programme.models import Programme
from registry import rejections
from verbindend.ratelimit import over_limit

from .access import int_or_404, participant_from_token
from .forms import OwnDetailsForm, RegistrationForm

HOUR = 3600


def _registration_limited(request) -> bool:
    return over_limit(scope="registration", request=request, limit=settings.REGISTRATION_RATE_LIMIT, window=HOUR)


# The registration page as every visitor without a message gets it, with
# these placeholders where each visitor's own CSRF token and submission key
# go: a shared cache never holds something of one visitor.
CSRF_PLACEHOLDER = "csrf-token-of-this-visitor"
SUBMISSION_KEY_PLACEHOLDER = "submission-key-of-this-visitor"
REGISTRATION_PAGE_SECONDS = 600


def _registration_page_cacheable(request) -> bool:
    """A visitor with messages waiting, a session or a query string sees a page of their own."""
    return (
        not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and CookieStorage.cookie_name not in request.COOKIES
    )


def _cached_registration_page(request, *, programme, open_cohorts) -> HttpResponse:
    state = RegistrationForm.page_key(open_cohorts=open_cohorts, programme=programme)
    key = f"registration-page:v1:{get_language()}:{state}"
    page = cache.get(key)
    if page is None:
        form = RegistrationForm(open_cohorts=open_cohorts, programme=programme)
        form.initial["submission_key"] = SUBMISSION_KEY_PLACEHOLDER
        context = {
            "form": form,
            "programme": programme,
            "open_cohorts": open_cohorts,
            "rate_limited": False,
            "csrf_token": CSRF_PLACEHOLDER,  # over the context processor's: never one visitor's token
        }
        page = render_to_string("public_pages/registration.html", context, request=request)
        if CSRF_PLACEHOLDER not in page or SUBMISSION_KEY_PLACEHOLDER not in page:  # pragma: no cover - a guard
            raise ImproperlyConfigured("The registration page lost a per-visitor placeholder.")
        cache.set(key, page, REGISTRATION_PAGE_SECONDS)
    # get_token() also makes CsrfViewMiddleware set this visitor's cookie.
    page = page.replace(CSRF_PLACEHOLDER, get_token(request)).replace(SUBMISSION_KEY_PLACEHOLDER, uuid.uuid4().hex)
    return HttpResponse(page)


@require_http_methods(["GET", "POST"])
def registration(request):
    programme, open_cohorts = selectors.registration_choices()
    if request.method == "GET" and _registration_page_cacheable(request):
        # Rendering the form is most of the page's cost, and it is the same for every visitor.
        return _cached_registration_page(request, programme=programme, open_cohorts=open_cohorts)
    form = RegistrationForm(request.POST or None, open_cohorts=open_cohorts, programme=programme)
    rate_limited = False
    # Only a submission that would write counts against the limit: a form
    # returned with errors is an honest attempt, and costs nothing to refuse.
    if request.method == "POST" and form.is_valid():
        rate_limited = _registration_limited(request)
        if not rate_limited and not form.cleaned_data["website"]:
            # The honeypot: a bot gets the same answer, nothing is kept.
            try:
                registrations.submit_registration(
                    board_data=form.board_data(),
                    registration_data=form.registration_data(),
                    submission_key=form.cleaned_data["submission_key"],
                    language=get_language(),
                    programme=programme,
                )
            except enrolment.EnrolmentError as error:
                form.add_error("cohort" if "cohort" in form.fields else None, str(error))
        if not rate_limited and form.is_valid():
            thanks = reverse("public:registration_thanks")
            if selectors.small_group(expected=form.cleaned_data["expected_participants"], programme=programme):
                thanks += "?klein=1"
            return redirect(thanks)
    # Over the limit the form comes back as it was sent, so nothing typed is lost.
    return render(
        request,
        "public_pages/registration.html",
        {"form": form, "programme": programme, "open_cohorts": open_cohorts, "rate_limited": rate_limited},
        status=429 if rate_limited else 200,
    )


def registration_thanks(request):
    programme = Programme.objects.active().first()
    return render(
        request,
        "public_pages/registration_thanks.html",
        {"programme": programme, "small": request.GET.get("klein") == "1"},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def participant_page(request, token):
    participant = participant_from_token(token, selectors.participants_for_page())
    page = selectors.participant_page(participant)
    locked = page.locked
    form = OwnDetailsForm(instance=participant, disabled=locked)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "details":
            # A fresh instance: an invalid form leaves its values on it, and the page still shows the stored name.
            fresh = Participant.objects.select_related("registration__board").get(pk=participant.pk)
            form = OwnDetailsForm(request.POST, instance=fresh, disabled=locked)
            if form.is_valid():
                try:
                    rejections.update_own_details(participant=participant, data=form.cleaned_data, request=request)
                except enrolment.EnrolmentError as error:
                    messages.error(request, str(error))
                else:
                    messages.success(request, _("Your details have been saved."))
                return redirect(request.path)
        elif action in {"absent", "present"}:
            day = get_object_or_404(CourseDay, pk=int_or_404(request.POST.get("day")), cohort_id=participant.cohort_id)
            try:
                enrolment.notify_absence(participant=participant, day=day, absent=action == "absent")
            except enrolment.EnrolmentError as error:
                messages.error(request, str(error))
            else:
                messages.success(
                    request,
                    _("Thank you for letting us know.") if action == "absent" else _("Your notice has been withdrawn."),
                )
            return redirect(request.path)
        else:
            raise Http404
    calendar_url = request.build_absolute_uri(reverse("public:participant_calendar", kwargs={"token": token}))
    return render(
        request,
        "public_pages/participant.html",
        {
            "participant": participant,
            "result": page.result,
            "certificates": page.certificates,
            "locked": locked,
            "rejection": rejections.open_rejection(participant),
            "schedule": page.schedule,
            "materials": materials_selectors.participant_section(
                participant, days=[day for day, _attendance, _can_notify in page.schedule]
            ),
            "form": form,
            "calendar_url": calendar_url,
            "webcal_url": "webcal://" + calendar_url.split("://", 1)[1],
            "token": token,
        },
    )


def csrf_failure(request, reason=""):
    """
    Explain a refused form (Django's CSRF_FAILURE_VIEW) in the site's own words, with a way back to the form.

    The reason Django gives is for developers: it is logged by Django itself
    and never shown. The link leads back to the page the form was on, which
    is the page that sent it for every public form; the language switch has
    no page of its own, so it leads home.
    """
    form_url = request.path if request.method == "POST" and not request.path.startswith("/i18n/") else "/"
    return render(request, "403_csrf.html", {"form_url": form_url}, status=403)
