"""Make iCalendar (.ics) files for course days and serve them as downloads."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress, vRecur

PRODID = "-//Natuurlijk Leren//Verbindend//NL"
TIMEZONE = ZoneInfo("Europe/Amsterdam")
METHODS = ("PUBLISH", "REQUEST", "CANCEL")
METHODS_NEEDING_ORGANIZER = ("REQUEST", "CANCEL")  # RFC 5546, sections 3.2.2 and 3.2.5


@dataclass(frozen=True)
class Attendee:
    """Who an invitation is for: written as ATTENDEE, which RFC 5546 requires on a REQUEST and a CANCEL."""

    email: str
    name: str = ""


@dataclass(frozen=True)
class CalendarEvent:
    """Describe one event; keep `uid` stable per object and raise `sequence` on each change."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    organizer_email: str = ""
    organizer_name: str = ""
    attendees: tuple[Attendee | str, ...] = ()
    cancelled: bool = False

    def __post_init__(self):
        """Reject naive datetimes and an end that is not after the start."""
        for field in ("start", "end"):
            value = getattr(self, field)
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"{field} must be timezone-aware, got {value!r}")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")


def _amsterdam_vtimezone() -> Timezone:
    """Return Europe/Amsterdam as two yearly rules, the EU's since 1996.

    Written by hand rather than by icalendar's `add_missing_timezones`, which lists each year's transitions as
    DTSTART plus RDATEs: Mozilla's ical.js (Thunderbird) then placed 29-03-2027 09:00 at 08:00Z instead of 07:00Z,
    and Outlook keeps one yearly rule each way. Every reader handles RRULEs alike. The DTSTARTs are the local
    wall-clock times of the first transitions the rules describe (1996), before any course day.
    """
    daylight = TimezoneDaylight()
    daylight.add("tzname", "CEST")
    # The last Sunday of March, 02:00 CET (01:00Z): the clocks go to 03:00.
    daylight.add("dtstart", datetime(1996, 3, 31, 2, 0))
    daylight.add("tzoffsetfrom", timedelta(hours=1))
    daylight.add("tzoffsetto", timedelta(hours=2))
    daylight.add("rrule", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))
    standard = TimezoneStandard()
    standard.add("tzname", "CET")
    # The last Sunday of October, 03:00 CEST (01:00Z): the clocks go back to 02:00.
    standard.add("dtstart", datetime(1996, 10, 27, 3, 0))
    standard.add("tzoffsetfrom", timedelta(hours=2))
    standard.add("tzoffsetto", timedelta(hours=1))
    standard.add("rrule", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))
    timezone = Timezone()
    timezone.add("tzid", TIMEZONE.key)
    timezone.add("x-lic-location", TIMEZONE.key)
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")


def _vevent(event: CalendarEvent, method: str, stamp: datetime) -> Event:
    if method in METHODS_NEEDING_ORGANIZER and not event.organizer_email:
        raise ValueError(f"event {event.uid!r} needs an organizer_email for method {method}")
    if method in METHODS_NEEDING_ORGANIZER and not event.attendees:
        raise ValueError(f"event {event.uid!r} needs an attendee for method {method}")
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp)
    vevent.add("dtstart", event.start.astimezone(TIMEZONE))
    vevent.add("dtend", event.end.astimezone(TIMEZONE))
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    if event.url:
        vevent.add("url", event.url)
    if event.organizer_email:
        organizer = vCalAddress(f"mailto:{event.organizer_email}")
        if event.organizer_name:
            organizer.params["CN"] = event.organizer_name
        vevent.add("organizer", organizer)
    for person in event.attendees:
        person = Attendee(person) if isinstance(person, str) else person
        attendee = vCalAddress(f"mailto:{person.email}")
        if person.name:
            attendee.params["CN"] = person.name
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        # No reply is asked for: nothing reads replies to the organizer's
        # address, and a participant reports an absence on their own page.
        attendee.params["RSVP"] = "FALSE"
        vevent.add("attendee", attendee)
    vevent.add("status", "CANCELLED" if event.cancelled or method == "CANCEL" else "CONFIRMED")
    return vevent


def make_calendar(events: Iterable[CalendarEvent], *, method: str = "PUBLISH", name: str = "") -> bytes:
    """Return an iCalendar file with one VEVENT per event and a VTIMEZONE for Europe/Amsterdam.

    Use method PUBLISH for downloads and feeds, REQUEST for an invitation, CANCEL for a cancellation.
    """
    _check_method(method)
    events = list(events)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    if name:
        calendar.calendar_name = name
    stamp = datetime.now(UTC)
    if events:
        # RFC 5545 lets the zone stand anywhere; before the events, readers that stream the file know it in time.
        calendar.add_component(_amsterdam_vtimezone())
    for event in events:
        calendar.add_component(_vevent(event, method, stamp))
    return calendar.to_ical()


def calendar_response(content: bytes, filename: str, method: str = "PUBLISH") -> HttpResponse:
    """Return `content` as a calendar file download named `filename`."""
    _check_method(method)
    content_type = "text/calendar; charset=utf-8"
    if method != "PUBLISH":
        content_type += f"; method={method}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def invitation_attachment(events: Iterable[CalendarEvent], *, method: str, filename: str = "uitnodiging.ics"):
    """
    Return the events as an e-mail attachment for `mail.services.queueing.queue_email`.

    With method REQUEST or CANCEL it is the message's meeting invitation
    (see `mail.services.mime.build_message`), for one event: RFC 5546 allows several
    VEVENTs in one REQUEST or CANCEL only as instances of one UID, and
    Outlook keeps only the first. PUBLISH makes a file to import.
    """
    from mail.services.queueing import Attachment

    events = list(events)
    _check_method(method)
    if method != "PUBLISH" and len({event.uid for event in events}) != 1:
        raise ValueError(f"a {method} invitation is one event; got {len(events)}")
    # The method parameter equals the file's METHOD (RFC 6047, section 2.4), the PUBLISH file's too.
    return Attachment(
        filename=filename,
        content=make_calendar(events, method=method),
        mimetype=f"text/calendar; charset=utf-8; method={method}",
        invitation_method="" if method == "PUBLISH" else method,
    )
