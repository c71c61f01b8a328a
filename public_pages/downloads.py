"""The files behind a personal link: the schedule as .ics, the trainer's feed, a person's own data, a certificate."""

from dataclasses import dataclass

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from billing import offers_pdf
from billing.models import Offer
from cohorts import selectors, tokens
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
    key = tokens.read_token(token, tokens.PARTICIPANT)
    # One query for a run with its days scheduled; before they are, the participant is looked up (or a 404).
    content = key and calendars.scheduled_participant_calendar(access_key=key)
    if not content:
        content = calendars.participant_calendar(participant_from_token(token))
    return calendar_response(content, "verbindend-leiderschap.ics")


def calendar_feed(request, token):
    key = tokens.read_token(token, tokens.CALENDAR)
    if key is None:
        raise Http404
    feed = get_object_or_404(CalendarFeed.objects.select_related("user"), key=key)
    if not (feed.user.is_active and feed.user.is_staff):
        raise Http404
    return calendar_response(calendars.trainer_calendar(feed.user), "verbindend-trainer.ics")


@dataclass(frozen=True)
class _OwnData:
    """How one kind of person with a personal link sees their own data: the page's title, the file, the way back."""

    kind: str
    title: str
    filename: str
    back_view: str
    back_text: str


_PARTICIPANT_DATA = _OwnData(
    kind="participant",
    title=_("Your data"),
    filename="verbindend-{pk}",
    back_view="public:participant",
    back_text=_("Back to your course page"),
)
_REGISTRATION_DATA = _OwnData(
    kind="registration",
    title=_("Your registration's data"),
    filename="verbindend-bestuur-{pk}",
    back_view="public:board",
    back_text=_("Back to the board page"),
)


@never_cache
def participant_own_data(request, token):
    return _own_data_response(request, token, person=participant_from_token(token), own_data=_PARTICIPANT_DATA)


@never_cache
def registration_own_data(request, token):
    registration = registration_from_token(token, tokens.BOARD)
    return _own_data_response(request, token, person=registration, own_data=_REGISTRATION_DATA)


def _own_data_response(request, token, *, person, own_data: _OwnData):
    """Return a person's own data as a page, or as a JSON file with ?format=json."""
    data = privacy.personal_data(person=person)
    if request.GET.get("format") == "json":
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        filename = own_data.filename.format(pk=person.pk)
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response
    return render(
        request,
        "public_pages/personal_data.html",
        {
            "sections": own_data_sections(data, kind=own_data.kind),
            "title": own_data.title,
            "back_url": reverse(own_data.back_view, kwargs={"token": token}),
            "back_text": own_data.back_text,
        },
    )


@never_cache
def participant_certificate(request, token, certificate_id):
    """The participant's own certificate: the token must be theirs."""
    participant = participant_from_token(token)
    return pdf_response(get_object_or_404(Certificate, pk=certificate_id, participant=participant))


@never_cache
def board_offer(request, token, offer_id):
    """An offer of the contact's registrations as a PDF: the link must be theirs, the version open or accepted."""
    registration = registration_from_token(token, tokens.BOARD)
    registration_ids = selectors.contacts_registrations(registration).values("pk")
    offer = get_object_or_404(
        Offer.objects.exclude(status=Offer.Status.SUPERSEDED), pk=offer_id, registration__in=registration_ids
    )
    response = HttpResponse(offers_pdf.render_offer(offer), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, offers_pdf.filename(offer))
    return response
