import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from privacy import services as privacy
from privacy.selectors import own_data_sections
from programme.models import Programme
from verbindend.ics import calendar_response
from verbindend.ratelimit import over_limit

from . import selectors, tokens
from .forms import OwnDetailsForm, ParticipantForm, PasteParticipantsForm, RegistrationForm, SelfEnrolmentForm
from .models import CalendarFeed, CourseDay, Participant, Registration
from .services import calendars, enrolment, registrations

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
        page = render_to_string("cohorts/registration.html", context, request=request)
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
            thanks = reverse("cohorts:registration_thanks")
            if programme and form.cleaned_data["expected_participants"] < programme.min_participants:
                thanks += "?klein=1"
            return redirect(thanks)
    # Over the limit the form comes back as it was sent, so nothing typed is lost.
    return render(
        request,
        "cohorts/registration.html",
        {"form": form, "programme": programme, "open_cohorts": open_cohorts, "rate_limited": rate_limited},
        status=429 if rate_limited else 200,
    )


def registration_thanks(request):
    programme = Programme.objects.active().first()
    return render(
        request,
        "cohorts/registration_thanks.html",
        {"programme": programme, "small": request.GET.get("klein") == "1"},
    )


def _registration_from_token(token: str, purpose: str) -> Registration:
    key = tokens.read_token(token, purpose)
    if key is None:
        raise Http404
    field = "access_key" if purpose == tokens.BOARD else "enrolment_key"
    return get_object_or_404(Registration.objects.exclude(status=Registration.Status.CANCELLED), **{field: key})


PASTE_PENDING = "board-paste-pending"


@never_cache
@require_http_methods(["GET", "POST"])
def board_page(request, token):
    """
    The board contact's one page: all their registrations of the board, with intakes, runs and participants.

    Every action names the registration it is for (the run chosen on the
    page); it must be one of this contact's, never another contact's
    registration of the same board (see `selectors.contacts_registrations`).
    """
    registration = _registration_from_token(token, tokens.BOARD)
    sector = registration.board.sector
    page = selectors.board_page(registration)
    add_form = ParticipantForm(sector=sector, prefix="add")
    paste_form = PasteParticipantsForm(sector=sector, prefix="paste")
    preview = None
    target = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            target = _target_registration(page, request.POST.get("registration"))
            add_form = ParticipantForm(request.POST, sector=sector, prefix="add")
            if add_form.is_valid():
                try:
                    participant = enrolment.enroll_participant(
                        registration=target, data=add_form.cleaned_data, language=registration.language
                    )
                except enrolment.EnrolmentError as error:
                    add_form.add_error(None, str(error))
                else:
                    _report_enrolment(request, [participant])
                    return redirect(request.path)
        elif action in {"paste", "paste_confirm"}:
            target = _target_registration(page, request.POST.get("registration"))
            paste_form = _paste_form(request.POST, target=target, sector=sector)
            if paste_form.is_valid():
                preview = paste_form.parsed_rows()
                valid = [row.data for row in preview if row.valid]
                if action == "paste_confirm" and valid:
                    try:
                        saved = enrolment.enroll_participants(
                            registration=target, rows=valid, language=registration.language
                        )
                    except enrolment.EnrolmentError as error:
                        paste_form.add_error(None, str(error))
                    else:
                        _report_enrolment(request, saved)
                        failed = [row for row in preview if not row.valid]
                        if failed:
                            # The rows that could not be added stay in the box, to be corrected.
                            request.session[PASTE_PENDING] = {
                                "registration": target.pk,
                                "rows": paste_form.rows_text(failed),
                            }
                            messages.warning(
                                request,
                                ngettext(
                                    "%(count)s row could not be added; it is still in the box below, to be corrected.",
                                    "%(count)s rows could not be added; they are still in the box below, to be "
                                    "corrected.",
                                    len(failed),
                                )
                                % {"count": len(failed)},
                            )
                            return redirect(request.path + "#paste")
                        return redirect(request.path)
        elif action == "withdraw":
            participant = _own_participant(page.registration_ids, request.POST.get("participant"))
            try:
                promoted = enrolment.withdraw_participant(participant=participant)
            except enrolment.EnrolmentError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, _("%(name)s has been withdrawn.") % {"name": participant.full_name})
                if promoted and promoted.registration_id in page.registration_ids:
                    messages.info(
                        request,
                        _("%(name)s moved up from the waiting list.") % {"name": promoted.full_name},
                    )
            return redirect(request.path)
        else:
            raise Http404
    else:
        pending = request.session.pop(PASTE_PENDING, None)
        if pending and pending.get("registration") in page.registration_ids:
            target = next(item for item in page.registrations if item.pk == pending["registration"])
            paste_form = _paste_form({"paste-rows": pending["rows"]}, target=target, sector=sector)
            if paste_form.is_valid():
                preview = paste_form.parsed_rows()
    runs = page.changeable_runs
    chosen = target.pk if target is not None else (runs[0].registration.pk if runs else None)
    return render(
        request,
        "cohorts/board.html",
        {
            "page": page,
            "registration": page.registration,
            "changeable_runs": runs,
            "chosen_registration": chosen,
            "add_form": add_form,
            "paste_form": paste_form,
            "preview": preview,
            "preview_valid": sum(1 for row in preview or [] if row.valid),
            "token": token,
        },
    )


def _paste_form(data, *, target: Registration, sector: str) -> PasteParticipantsForm:
    taken = []
    if target.cohort_id:
        taken = (
            Participant.objects.filter(cohort_id=target.cohort_id)
            .exclude(status=Participant.Status.WITHDRAWN)
            .values_list("email", flat=True)
        )
    return PasteParticipantsForm(data, sector=sector, prefix="paste", taken_emails=taken)


def _target_registration(page: selectors.BoardPage, value) -> Registration:
    """
    Return the registration an action is for: one of this contact's, or 404.

    Without a choice (a single run on the page, or an older form) it is the
    registration of the link, or else the newest of the contact's in a run.
    """
    if value in (None, ""):
        if page.registration.cohort_id:
            return page.registration
        placed = [item for item in page.registrations if item.cohort_id]
        if not placed:
            return page.registration
        return placed[0]
    registration_id = _int_or_404(value)
    for item in page.registrations:
        if item.pk == registration_id and item.status != Registration.Status.CANCELLED:
            return item
    raise Http404


def _own_participant(registration_ids, participant_id) -> Participant:
    """Return a participant of one of these registrations (the contact's), or 404: a link never reaches another's."""
    try:
        participant_id = int(participant_id)
    except (TypeError, ValueError):
        raise Http404 from None
    return get_object_or_404(
        Participant.objects.select_related("registration"), pk=participant_id, registration__in=registration_ids
    )


def _report_enrolment(request, participants: list[Participant]) -> None:
    enrolled = sum(1 for p in participants if p.status == Participant.Status.ENROLLED)
    waiting = len(participants) - enrolled
    if enrolled:
        messages.success(
            request,
            ngettext(
                "%(count)s participant enrolled; they receive a welcome e-mail.",
                "%(count)s participants enrolled; they receive a welcome e-mail.",
                enrolled,
            )
            % {"count": enrolled},
        )
    if waiting:
        messages.warning(
            request,
            ngettext(
                "The course run is full: %(count)s participant is on the waiting list.",
                "The course run is full: %(count)s participants are on the waiting list.",
                waiting,
            )
            % {"count": waiting},
        )


@never_cache
@require_http_methods(["GET", "POST"])
def participant_edit(request, token, participant_id):
    registration = _registration_from_token(token, tokens.BOARD)
    own = selectors.contacts_registrations(registration).values_list("pk", flat=True)
    participant = _own_participant(list(own), participant_id)
    form = ParticipantForm(request.POST or None, instance=participant, sector=registration.board.sector)
    if request.method == "POST" and form.is_valid():
        try:
            enrolment.update_participant(participant=participant, data=form.cleaned_data)
        except enrolment.EnrolmentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The details of %(name)s have been saved.") % {"name": participant.full_name})
            return redirect("cohorts:board", token=token)
    return render(
        request,
        "cohorts/participant_edit.html",
        {"form": form, "participant": participant, "registration": registration, "token": token},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request, token):
    registration = _registration_from_token(token, tokens.ENROLMENT)
    form = SelfEnrolmentForm(request.POST or None, sector=registration.board.sector)
    rate_limited = False
    if request.method == "POST" and form.is_valid():
        # As on the registration form: only a valid enrolment counts, and over
        # the limit the form comes back with what was typed.
        rate_limited = over_limit(scope="enrolment", request=request, limit=settings.ENROLMENT_RATE_LIMIT, window=HOUR)
        if not rate_limited:
            try:
                participant = enrolment.enroll_participant(
                    registration=registration,
                    data=form.cleaned_data,
                    language=get_language(),
                    consent_form="inschrijven",
                )
            except enrolment.EnrolmentError as error:
                form.add_error(None, str(error))
            else:
                # The thank-you page says which e-mail brings the personal link;
                # the link itself is never shown to whoever holds the enrolment
                # link. The session keeps the id, not the address.
                request.session["enrolled_waiting"] = participant.status == Participant.Status.WAITING
                request.session["enrolled_participant"] = participant.pk
                return redirect("cohorts:enrol_thanks", token=token)
    page = selectors.enrolment_page(registration.pk)
    return render(
        request,
        "cohorts/enrol.html",
        {
            "form": form,
            "registration": page,
            "cohort": page.cohort,
            "days": page.cohort.days.all() if page.cohort else [],
            "rate_limited": rate_limited,
        },
        status=429 if rate_limited else 200,
    )


@never_cache
def enrol_thanks(request, token):
    registration = _registration_from_token(token, tokens.ENROLMENT)
    enrolled = (
        Participant.objects.filter(pk=request.session.get("enrolled_participant"), registration=registration)
        .values_list("email", flat=True)
        .first()
    )
    return render(
        request,
        "cohorts/enrol_thanks.html",
        {
            "registration": registration,
            "waiting": request.session.get("enrolled_waiting", False),
            "email": enrolled or "",
        },
    )


def _participant_from_token(token: str) -> Participant:
    key = tokens.read_token(token, tokens.PARTICIPANT)
    if key is None:
        raise Http404
    return get_object_or_404(
        Participant.objects.select_related("cohort__programme", "registration__board"), access_key=key
    )


@never_cache
@require_http_methods(["GET", "POST"])
def participant_page(request, token):
    participant = _participant_from_token(token)
    # The registry's certificates, read through their relation: cohorts imports nothing of the registry.
    certificates = list(participant.certificates.filter(status="valid"))
    form = OwnDetailsForm(instance=participant, disabled=bool(certificates))
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "details":
            if certificates:
                messages.error(request, _("Your certificate has been issued; please ask the trainer to correct it."))
                return redirect(request.path)
            form = OwnDetailsForm(request.POST, instance=Participant.objects.get(pk=participant.pk))
            if form.is_valid():
                enrolment.update_own_details(participant=participant, data=form.cleaned_data, request=request)
                messages.success(request, _("Your details have been saved."))
                return redirect(request.path)
        elif action in {"absent", "present"}:
            day = get_object_or_404(CourseDay, pk=_int_or_404(request.POST.get("day")), cohort_id=participant.cohort_id)
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
    days = list(participant.cohort.days.select_related("programme_day").order_by("date"))
    attendance = {a.course_day_id: a for a in participant.attendances.all()}
    schedule = [(day, attendance.get(day.pk)) for day in days]
    calendar_url = request.build_absolute_uri(reverse("cohorts:participant_calendar", kwargs={"token": token}))
    return render(
        request,
        "cohorts/participant.html",
        {
            "participant": participant,
            "result": selectors.participant_result(participant),
            "certificates": certificates,
            "schedule": schedule,
            "today": timezone.localdate(),
            "form": form,
            "calendar_url": calendar_url,
            "webcal_url": "webcal://" + calendar_url.split("://", 1)[1],
            "token": token,
        },
    )


def _int_or_404(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


@never_cache
def participant_calendar(request, token):
    participant = _participant_from_token(token)
    return calendar_response(calendars.participant_calendar(participant), "verbindend-leiderschap.ics")


def calendar_feed(request, token):
    key = tokens.read_token(token, tokens.CALENDAR)
    if key is None:
        raise Http404
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), key=key)
    if not (feed.user.is_active and feed.user.is_staff):
        raise Http404
    return calendar_response(calendars.trainer_calendar(feed.user), "verbindend-trainer.ics")


def _data_response(request, data: dict, *, kind: str, title: str, filename: str, back: tuple[str, str]):
    if request.GET.get("format") == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response
    back_url, back_text = back
    return render(
        request,
        "cohorts/personal_data.html",
        {
            "sections": own_data_sections(data, kind=kind),
            "title": title,
            "back_url": back_url,
            "back_text": back_text,
        },
    )


@never_cache
def participant_own_data(request, token):
    participant = _participant_from_token(token)
    return _data_response(
        request,
        privacy.personal_data(person=participant),
        kind="participant",
        title=_("Your data"),
        filename=f"verbindend-{participant.pk}",
        back=(reverse("cohorts:participant", kwargs={"token": token}), _("Back to your course page")),
    )


@never_cache
def registration_own_data(request, token):
    registration = _registration_from_token(token, tokens.BOARD)
    return _data_response(
        request,
        privacy.personal_data(person=registration),
        kind="registration",
        title=_("Your registration's data"),
        filename=f"verbindend-bestuur-{registration.pk}",
        back=(reverse("cohorts:board", kwargs={"token": token}), _("Back to the board page")),
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
