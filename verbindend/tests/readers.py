"""Independent readers for what Verbindend sends out: each file read back by another program than its writer.

`read_ics` reads calendars with Mozilla's ical.js (Thunderbird's parser) under node, so a VTIMEZONE or an
invitation that only the icalendar library understands is caught. A test that needs a reader asks for it through
`require_ical_js()`: skipped with the reason on a machine without node or the npm packages, failed in CI.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ICAL_JS = HERE / "browser" / "node_modules" / "ical.js" / "dist" / "ical.js"
SCRIPT = HERE / "read_ics.mjs"


def ical_js_available() -> bool:
    return shutil.which("node") is not None and ICAL_JS.is_file()


def require_ical_js() -> None:
    from conftest import require_service

    require_service(
        "ical.js", ical_js_available(), "node, and `npm ci --prefix verbindend/tests/browser` (make test does it)"
    )


@dataclass(frozen=True)
class ReadEvent:
    """One VEVENT as ical.js understood it; `start` and `end` are aware UTC datetimes."""

    uid: str
    sequence: int
    summary: str
    status: str | None
    organizer: str | None
    attendees: tuple[str, ...]
    tzid: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReadCalendar:
    method: str | None
    name: str | None
    timezones: list[dict]
    events: list[ReadEvent]

    @property
    def uids(self) -> list[str]:
        return [event.uid for event in self.events]


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _calendar(data: dict) -> ReadCalendar:
    events = [
        ReadEvent(
            uid=event["uid"],
            sequence=event["sequence"],
            summary=event["summary"],
            status=event["status"],
            organizer=event["organizer"]["value"] if event["organizer"] else None,
            attendees=tuple(attendee["value"] for attendee in event["attendees"]),
            tzid=event["tzid"],
            start=_utc(event["start"]),
            end=_utc(event["end"]),
        )
        for event in data["events"]
    ]
    return ReadCalendar(method=data["method"], name=data["name"], timezones=data["timezones"], events=events)


def read_ics(*contents: bytes) -> list[ReadCalendar]:
    """Return each .ics file's calendar as ical.js reads it (one node process for all of them)."""
    with tempfile.TemporaryDirectory(prefix="verbindend-ics-") as folder:
        paths = []
        for index, content in enumerate(contents):
            path = Path(folder) / f"{index}.ics"
            path.write_bytes(content)
            paths.append(str(path))
        result = subprocess.run(
            ["node", str(SCRIPT), str(ICAL_JS), *paths], capture_output=True, text=True, timeout=60, check=False
        )
    if result.returncode != 0:
        raise AssertionError(f"ical.js could not read the calendar: {result.stderr}")
    return [_calendar(data) for data in json.loads(result.stdout)]


def read_one_ics(content: bytes) -> ReadCalendar:
    (calendar,) = read_ics(content)
    return calendar
