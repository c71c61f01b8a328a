"""The .ics helper writes calendars that icalendar parses back to the same events."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from verbindend.ics import CalendarEvent, calendar_response, make_calendar

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def course_day(**changes) -> CalendarEvent:
    """Return a typical course day, with `changes` applied."""
    event = CalendarEvent(
        uid="courseday-12@verbindend",
        sequence=0,
        start=datetime(2027, 7, 15, 9, 0, tzinfo=AMSTERDAM),
        end=datetime(2027, 7, 15, 16, 30, tzinfo=AMSTERDAM),
        summary="Cursusdag 3: Verbindend communiceren",
        description="Neem je werkboek mee.",
        location="Zaal De Eik, Utrecht",
        url="https://verbindend.example.nl/cursus/12/",
        organizer_email="info@verbindend.example.nl",
        organizer_name="Natuurlijk Leren",
        attendees=("anne@example.nl", "bram@example.nl"),
    )
    return replace(event, **changes)


def parse(content: bytes) -> Calendar:
    return Calendar.from_ical(content)


def only_event(content: bytes):
    events = parse(content).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def test_calendar_carries_prodid_version_method_and_name():
    calendar = parse(make_calendar([course_day()], method="PUBLISH", name="Verbindend: cursus 12"))

    assert str(calendar["PRODID"]) == "-//Natuurlijk Leren//Verbindend//NL"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Verbindend: cursus 12"


def test_calendar_without_name_has_no_calname():
    assert "X-WR-CALNAME" not in parse(make_calendar([course_day()]))


def test_event_fields_round_trip():
    before = datetime.now(UTC).replace(microsecond=0)
    event = only_event(make_calendar([course_day(sequence=4)]))

    assert str(event["UID"]) == "courseday-12@verbindend"
    assert event["SEQUENCE"] == 4
    assert str(event["SUMMARY"]) == "Cursusdag 3: Verbindend communiceren"
    assert str(event["DESCRIPTION"]) == "Neem je werkboek mee."
    assert str(event["LOCATION"]) == "Zaal De Eik, Utrecht"
    assert str(event["URL"]) == "https://verbindend.example.nl/cursus/12/"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DTEND"].dt == datetime(2027, 7, 15, 16, 30, tzinfo=AMSTERDAM)
    stamp = event["DTSTAMP"].dt
    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= datetime.now(UTC)


def test_optional_fields_are_left_out_when_empty():
    bare = course_day(description="", location="", url="", organizer_email="", organizer_name="", attendees=())
    event = only_event(make_calendar([bare]))

    for name in ("DESCRIPTION", "LOCATION", "URL", "ORGANIZER", "ATTENDEE"):
        assert name not in event, name


def test_organizer_and_attendees_are_mailto_addresses_with_parameters():
    event = only_event(make_calendar([course_day()], method="REQUEST"))

    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:info@verbindend.example.nl"
    assert organizer.params["CN"] == "Natuurlijk Leren"
    attendees = event["ATTENDEE"]
    assert [str(attendee) for attendee in attendees] == ["mailto:anne@example.nl", "mailto:bram@example.nl"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["RSVP"] == "FALSE"


@pytest.mark.parametrize(
    ("utc_start", "wall_clock", "offset"),
    [
        pytest.param(datetime(2027, 1, 14, 8, 0, tzinfo=UTC), "20270114T090000", 1, id="winter-CET"),
        pytest.param(datetime(2027, 3, 27, 8, 0, tzinfo=UTC), "20270327T090000", 1, id="day-before-DST-starts"),
        pytest.param(datetime(2027, 3, 29, 7, 0, tzinfo=UTC), "20270329T090000", 2, id="day-after-DST-starts"),
        pytest.param(datetime(2027, 7, 15, 7, 0, tzinfo=UTC), "20270715T090000", 2, id="summer-CEST"),
        pytest.param(datetime(2027, 10, 30, 7, 0, tzinfo=UTC), "20271030T090000", 2, id="day-before-DST-ends"),
        pytest.param(datetime(2027, 11, 1, 8, 0, tzinfo=UTC), "20271101T090000", 1, id="day-after-DST-ends"),
    ],
)
def test_start_is_written_in_amsterdam_wall_clock_time(utc_start, wall_clock, offset):
    content = make_calendar([course_day(start=utc_start, end=utc_start + timedelta(hours=7))])
    start = only_event(content)["DTSTART"]

    assert f"DTSTART;TZID=Europe/Amsterdam:{wall_clock}".encode() in content
    assert start.params["TZID"] == "Europe/Amsterdam"
    assert start.dt.strftime("%Y%m%dT%H%M%S") == wall_clock
    assert start.dt.utcoffset() == timedelta(hours=offset)
    assert start.dt == utc_start


def test_calendar_contains_an_amsterdam_vtimezone_before_the_events():
    calendar = parse(make_calendar([course_day()]))

    timezones = calendar.walk("VTIMEZONE")
    assert [timezone["TZID"] for timezone in timezones] == ["Europe/Amsterdam"]
    names = [component.name for component in calendar.subcomponents]
    assert names.index("VTIMEZONE") < names.index("VEVENT")


@pytest.mark.parametrize("year", [2027, 2041])
def test_vtimezone_itself_gives_the_right_offsets_in_the_events_year(year):
    """Check the VTIMEZONE's own rules, as a client without a tz database would read them."""
    winter = course_day(
        start=datetime(year, 1, 14, 9, tzinfo=AMSTERDAM), end=datetime(year, 1, 14, 17, tzinfo=AMSTERDAM)
    )
    summer = course_day(
        start=datetime(year, 7, 15, 9, tzinfo=AMSTERDAM), end=datetime(year, 7, 15, 17, tzinfo=AMSTERDAM)
    )
    (timezone,) = parse(make_calendar([winter, summer])).walk("VTIMEZONE")
    rules = timezone.to_tz(lookup_tzid=False)

    assert datetime(year, 1, 14, 9, tzinfo=rules).utcoffset() == timedelta(hours=1)
    assert datetime(year, 7, 15, 9, tzinfo=rules).utcoffset() == timedelta(hours=2)


def test_moved_event_keeps_its_uid_and_raises_its_sequence():
    original = course_day()
    moved = replace(
        original,
        sequence=original.sequence + 1,
        start=original.start + timedelta(days=7),
        end=original.end + timedelta(days=7),
    )
    first = only_event(make_calendar([original], method="REQUEST"))
    second = only_event(make_calendar([moved], method="REQUEST"))

    assert str(second["UID"]) == str(first["UID"])
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second["DTSTART"].dt - first["DTSTART"].dt == timedelta(days=7)


def test_cancel_calendar_marks_every_event_cancelled():
    start = datetime(2027, 7, 22, 9, tzinfo=AMSTERDAM)
    other = course_day(uid="courseday-13@verbindend", start=start, end=start + timedelta(hours=7))
    calendar = parse(make_calendar([course_day(sequence=2), other], method="CANCEL"))

    assert str(calendar["METHOD"]) == "CANCEL"
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    assert [str(event["STATUS"]) for event in events] == ["CANCELLED", "CANCELLED"]


def test_cancelled_event_in_a_feed_is_marked_cancelled():
    calendar = parse(make_calendar([course_day(), course_day(uid="courseday-13@verbindend", cancelled=True)]))

    statuses = {str(event["UID"]): str(event["STATUS"]) for event in calendar.walk("VEVENT")}
    assert statuses == {"courseday-12@verbindend": "CONFIRMED", "courseday-13@verbindend": "CANCELLED"}


def test_unicode_and_special_characters_round_trip_exactly():
    location = "Zaal ‘De Eik’, Utrecht; 2e verdieping, \\ backslash"
    summary = "Cursusdag: Geweldloze communicatie — “luisteren”, ‘spreken’; € 0,00 \\n is geen regel"
    line = "Regel met ‘aanhalingstekens’, komma’s; puntkomma’s en een \\ backslash — ëïö ß 😀."
    description = "\n".join([line] * 4)[:300]
    organizer_name = 'Anne "AJ" de Vries; Utrecht, NL'
    content = make_calendar(
        [course_day(summary=summary, location=location, description=description, organizer_name=organizer_name)]
    )
    event = only_event(content)

    assert len(description) == 300
    assert description.count("\n") == 3
    assert str(event["LOCATION"]) == location
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == description
    assert event["ORGANIZER"].params["CN"] == organizer_name


def test_output_uses_crlf_and_folds_long_lines():
    content = make_calendar([course_day(description="x" * 300)])

    assert content.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in content.replace(b"\r\n", b"")
    lines = content.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)


def test_empty_calendar_is_valid_and_has_no_events():
    calendar = parse(make_calendar([], name="Leeg"))

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert calendar.walk("VEVENT") == []


@pytest.mark.parametrize("method", ["publish", "REPLY", "COUNTER", ""])
def test_unknown_method_is_refused(method):
    with pytest.raises(ValueError, match="method"):
        make_calendar([course_day()], method=method)
    with pytest.raises(ValueError, match="method"):
        calendar_response(b"", "cursus.ics", method=method)


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_scheduling_methods_require_an_organizer(method):
    with pytest.raises(ValueError, match="organizer"):
        make_calendar([course_day(), course_day(organizer_email="")], method=method)


def test_publish_does_not_require_an_organizer():
    event = only_event(make_calendar([course_day(organizer_email="", organizer_name="")], method="PUBLISH"))

    assert "ORGANIZER" not in event


@pytest.mark.parametrize("field", ["start", "end"])
def test_naive_datetime_is_refused(field):
    naive = datetime(2027, 7, 15, 12, 0)
    with pytest.raises(ValueError, match=f"{field} must be timezone-aware"):
        course_day(**{field: naive})


def test_end_before_start_is_refused():
    with pytest.raises(ValueError, match="after start"):
        course_day(end=datetime(2027, 7, 15, 8, 0, tzinfo=AMSTERDAM))


def test_calendar_event_is_frozen():
    event = course_day()
    with pytest.raises(AttributeError):
        event.sequence = 5


def test_publish_response_is_a_calendar_download():
    content = make_calendar([course_day()])
    response = calendar_response(content, "cursusdag-12.ics")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cursusdag-12.ics"'
    assert response.content == content


def test_request_response_names_the_method_in_the_content_type():
    response = calendar_response(make_calendar([course_day()], method="REQUEST"), "uitnodiging.ics", method="REQUEST")

    assert response["Content-Type"] == "text/calendar; charset=utf-8; method=REQUEST"


def test_response_filename_with_non_ascii_characters_is_encoded():
    response = calendar_response(b"", "cursusdag ‘één’.ics")

    assert (
        response["Content-Disposition"]
        == "attachment; filename*=utf-8''cursusdag%20%E2%80%98%C3%A9%C3%A9n%E2%80%99.ics"
    )
