"""The files behind a personal link: the schedule as .ics, the trainer's feed, a person's own data, a certificate."""

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cohorts import tokens
from cohorts.models import CalendarFeed
from cohorts.services import calendars
from privacy import services as privacy
from privacy.selectors import own_data_sections
from registry.models import Certificate
from registry.views import pdf_response
from verbindend.ics import calendar_response

from .access import participant_from_token, registration_from_token


@never_cache
def participant_calendar(request, token):
    participant = participant_from_token(token)
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
        "public_pages/personal_data.html",
        {
            "sections": own_data_sections(data, kind=kind),
            "title": title,
            "back_url": back_url,
            "back_text": back_text,
        },
    )


@never_cache
def participant_own_data(request, token):
    participant = participant_from_token(token)
    return _data_response(
        request,
        privacy.personal_data(person=participant),
        kind="participant",
        title=_("Your data"),
        filename=f"verbindend-{participant.pk}",
        back=(reverse("public:participant", kwargs={"token": token}), _("Back to your course page")),
    )


@never_cache
def registration_own_data(request, token):
    registration = registration_from_token(token, tokens.BOARD)
    return _data_response(
        request,
        privacy.personal_data(person=registration),
        kind="registration",
        title=_("Your registration's data"),
        filename=f"verbindend-bestuur-{registration.pk}",
        back=(reverse("public:board", kwargs={"token": token}), _("Back to the board page")),
    )


@never_cache
def participant_certificate(request, token, certificate_id):
    """The participant's own certificate: the token must be theirs."""
    participant = participant_from_token(token)
    return pdf_response(get_object_or_404(Certificate, pk=certificate_id, participant=participant))
