"""
Invitations leave the outbox as iMIP clients read them (RFC 6047; Microsoft's MS-STANOICAL).

Read back with readers other than the writers': Python's `email` package
(policy.default) for the MIME, and `read_ics` below, a line-unfolding
reader of RFC 5545's content lines, for the calendar (never `icalendar`,
which wrote it). cohorts/tests/test_invitations.py uses both for every kind
of invitation the product sends.
"""

import email
import re
from datetime import datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from django.core import mail as django_mail

from mail.models import OutgoingMail
from mail.services.delivery import deliver_mails
from mail.services.queueing import Attachment, Email, queue_email, queue_emails
from verbindend.ics import Attendee, CalendarEvent, invitation_attachment, make_calendar

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


# --- Independent readers -------------------------------------------------------


def _split_unquoted(text: str, separator: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def read_ics(data: bytes) -> list[dict]:
    """
    Read an iCalendar object into its components, in order: each a dict with
    "component" (VCALENDAR, VEVENT, ...), "parent" and "properties", a list of
    (NAME, {PARAM: value}, value). Content lines are unfolded first (RFC 5545,
    section 3.1); they end in CRLF, which a MIME text part read back gives as
    its own line breaks.
    """
    text = data.decode("utf-8").replace("\r\n", "\n")
    components, stack = [], []
    for line in re.sub(r"\n[ \t]", "", text).split("\n"):
        if not line:
            continue
        head, value = line.split(":", 1) if '"' not in line.split(":", 1)[0] else _head_and_value(line)
        name, *raw_params = _split_unquoted(head, ";")
        params = {}
        for raw in raw_params:
            key, param_value = raw.split("=", 1)
            assert key.upper() not in params, f"{name} has {key} twice"
            params[key.upper()] = param_value.strip('"')
        name = name.upper()
        if name == "BEGIN":
            component = {"component": value, "parent": stack[-1]["component"] if stack else None, "properties": []}
            components.append(component)
            stack.append(component)
        elif name == "END":
            assert stack.pop()["component"] == value
        else:
            stack[-1]["properties"].append((name, params, value))
    assert not stack, "every BEGIN has its END"
    return components


def _head_and_value(line: str) -> tuple[str, str]:
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], line[index + 1 :]
    raise AssertionError(f"no value in {line!r}")


def values(component: dict, name: str) -> list[tuple[dict, str]]:
    return [(params, value) for prop, params, value in component["properties"] if prop == name]


def value(component: dict, name: str) -> str:
    (found,) = values(component, name)
    return found[1]


def text(escaped: str) -> str:
    """A TEXT value as written, unescaped (RFC 5545, section 3.3.11)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], escaped)


def parse_message(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def content_type_params(part) -> list[str]:
    """The parameter names of a part's Content-Type as written, to see that none is there twice."""
    header = part.get("Content-Type")
    return [p.split("=", 1)[0].strip().lower() for p in _split_unquoted(str(header), ";")[1:]]


def imip_event(message, *, method: str, recipient: str, only_recipient: bool = True) -> dict:
    """
    Check that `message` is an invitation an iMIP client sees as a meeting, and return its one VEVENT.

    multipart/mixed whose first part is multipart/alternative [text/plain,
    text/html, text/calendar; method=...], the same calendar beside it as a
    file; the calendar's METHOD the Content-Type's method, one UID, an
    ORGANIZER and the recipient as ATTENDEE (the only one, unless
    `only_recipient` is False: the trainer's copy of an intake names both).
    """
    assert message.get_content_type() == "multipart/mixed"
    alternative = message.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative", "the meeting is in the first part"
    parts = alternative.get_payload()
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html", "text/calendar"]
    calendar_part = parts[-1]
    assert sorted(content_type_params(calendar_part)) == ["charset", "method"], calendar_part["Content-Type"]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get("Content-Disposition") is None
    ics = calendar_part.get_payload(decode=True)
    (file,) = message.iter_attachments()
    assert file.get_content_type() == "application/ics"
    assert file.get_content().replace(b"\r\n", b"\n") == ics.replace(b"\r\n", b"\n"), "the same calendar"
    components = read_ics(ics)
    assert components[0]["component"] == "VCALENDAR"
    assert value(components[0], "METHOD") == method
    events = [c for c in components if c["component"] == "VEVENT"]
    assert len({value(event, "UID") for event in events}) == 1, "one UID per REQUEST or CANCEL"
    (event,) = events
    assert value(event, "ORGANIZER").startswith("mailto:")
    attendees = {address.lower(): params for params, address in values(event, "ATTENDEE")}
    me = f"mailto:{recipient.lower()}"
    assert (list(attendees) == [me]) if only_recipient else (me in attendees), attendees
    params = attendees[me]
    assert params["ROLE"] == "REQ-PARTICIPANT"
    assert params["PARTSTAT"] == "NEEDS-ACTION"
    assert params["RSVP"] in {"TRUE", "FALSE"}
    assert value(event, "STATUS") == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    return {
        "uid": value(event, "UID"),
        "sequence": int(value(event, "SEQUENCE")),
        "summary": text(value(event, "SUMMARY")),
        "dtstart": value(event, "DTSTART"),
        "attendee_name": params.get("CN", ""),
    }


def send_all() -> dict[str, tuple[OutgoingMail, email.message.EmailMessage]]:
    """Send every pending row through the real send step; return each row and its message as it went out, by key."""
    django_mail.outbox = []
    while ids := list(OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING).values_list("pk", flat=True)):
        deliver_mails(mail_ids=ids)
    rows = {row.message_id: row for row in OutgoingMail.objects.all()}
    sent = {}
    for message in django_mail.outbox:
        row = rows[message.extra_headers["Message-ID"]]
        sent[row.key] = (row, parse_message(message.message().as_bytes()))
    return sent


# --- The outbox's invitation ---------------------------------------------------


def event(**changes) -> CalendarEvent:
    start = datetime(2027, 3, 29, 9, 0, tzinfo=AMSTERDAM)
    fields = {
        "uid": "intake-5@verbindend",
        "sequence": 2,
        "start": start,
        "end": start + timedelta(hours=1),
        "summary": "Intakegesprek Verbindend leiderschap – één uur, ‘zó’",
        "organizer_email": "janjutten@natuurlijkleren.org",
        "organizer_name": "Jan Jutten",
        "attendees": (Attendee("bestuur@example.nl", "Fatima el Amrani"),),
    }
    return CalendarEvent(**{**fields, **changes})


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_is_the_calendar_alternative_of_the_text_and_a_file_beside_it(method):
    queue_email(
        to="bestuur@example.nl",
        template="mail/test",
        context={},
        key="k",
        attachments=[invitation_attachment([event()], method=method, filename="intake.ics")],
    )
    ((row, message),) = send_all().values()
    found = imip_event(message, method=method, recipient="bestuur@example.nl")
    assert found == {
        "uid": "intake-5@verbindend",
        "sequence": 2,
        "summary": "Intakegesprek Verbindend leiderschap – één uur, ‘zó’",
        "dtstart": "20270329T090000",
        "attendee_name": "Fatima el Amrani",
    }
    (file,) = message.iter_attachments()
    assert file.get_filename() == "intake.ics"
    assert row.attachments.get().invitation_method == method


def test_the_invitation_part_carries_each_content_type_parameter_once_on_the_wire(smtp_server):
    queue_email(
        to="bestuur@example.nl",
        template="mail/test",
        context={},
        key="k",
        attachments=[invitation_attachment([event()], method="REQUEST")],
    )
    deliver_mails(mail_ids=list(OutgoingMail.objects.values_list("pk", flat=True)))
    # What the SMTP server received, as bytes, read by the email package.
    (message,) = smtp_server.messages
    imip_event(message, method="REQUEST", recipient="bestuur@example.nl")


def test_a_published_schedule_stays_a_file_to_import_and_no_meeting():
    week = timedelta(days=7)
    second = event(uid="courseday-2@verbindend", start=event().start + week, end=event().end + week)
    schedule = invitation_attachment([event(attendees=()), second], method="PUBLISH", filename="rooster.ics")
    queue_email(to="leider@example.nl", template="mail/test", context={}, key="k", attachments=[schedule])
    ((_row, message),) = send_all().values()
    calendar_types = [p.get_content_type() for p in message.walk() if p.get_content_type() == "text/calendar"]
    (file,) = message.iter_attachments()
    assert calendar_types == ["text/calendar"] and file.get_content_type() == "text/calendar"
    assert file.get_content_disposition() == "attachment"
    # RFC 5545, 3.7.2: the METHOD property and the Content-Type's method parameter come together, equal.
    assert file.get_param("method") == "PUBLISH"
    components = read_ics(file.get_payload(decode=True))
    assert value(components[0], "METHOD") == "PUBLISH"
    assert len([c for c in components if c["component"] == "VEVENT"]) == 2


def test_a_request_or_cancel_is_one_event():
    two = [event(), event(uid="intake-6@verbindend")]
    for method in ("REQUEST", "CANCEL"):
        with pytest.raises(ValueError, match="one event"):
            invitation_attachment(two, method=method)


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_a_request_or_cancel_needs_an_attendee(method):
    with pytest.raises(ValueError, match="attendee"):
        make_calendar([event(attendees=())], method=method)


def test_an_e_mail_carries_one_invitation_at_most():
    invitations = [invitation_attachment([event(uid=f"intake-{n}@verbindend")], method="REQUEST") for n in (1, 2)]
    with pytest.raises(ValueError, match="more than one invitation"):
        queue_emails(
            emails=[Email(to="a@example.nl", template="mail/test", context={}, key="k", attachments=invitations)]
        )
    assert not OutgoingMail.objects.exists()


def test_an_ordinary_attachment_is_still_only_a_file():
    queue_email(
        to="a@example.nl",
        template="mail/test",
        context={},
        key="k",
        attachments=[Attachment("lijst.csv", b"a;b\r\n", "text/csv")],
    )
    ((_row, message),) = send_all().values()
    assert [p.get_content_type() for p in message.get_payload()[0].get_payload()] == ["text/plain", "text/html"]
    (file,) = message.iter_attachments()
    assert file.get_filename() == "lijst.csv"
