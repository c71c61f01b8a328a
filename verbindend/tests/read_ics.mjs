// Read .ics files with Mozilla's ical.js (the parser of Thunderbird), not with the icalendar library that wrote
// them, and print what a calendar client would see as JSON: one object per file, in the order given.
// Usage: node read_ics.mjs <path of ical.js> <file.ics>...
// Each event's start and end are computed from the file's own VTIMEZONE (ical.js has no zone database of its own,
// which is how a client that trusts the file reads it), and printed as UTC.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [icalPath, ...files] = process.argv.slice(2);
const ICAL = (await import(pathToFileURL(icalPath).href)).default;

function address(property) {
  if (!property) return null;
  const value = property.getFirstValue();
  return { value, cn: property.getParameter("cn") || null };
}

function utc(time) {
  return time ? time.convertToZone(ICAL.Timezone.utcTimezone).toString() : null;
}

const results = files.map((file) => {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  ICAL.TimezoneService.reset();
  const timezones = calendar.getAllSubcomponents("vtimezone").map((vtimezone) => {
    const zone = new ICAL.Timezone(vtimezone);
    ICAL.TimezoneService.register(zone);
    return {
      tzid: zone.tzid,
      rules: vtimezone.getAllSubcomponents().map((rule) => ({
        kind: rule.name,
        rrule: rule.getFirstPropertyValue("rrule")?.toString() ?? null,
        rdates: rule.getAllProperties("rdate").length,
      })),
    };
  });
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      status: vevent.getFirstPropertyValue("status"),
      organizer: address(vevent.getFirstProperty("organizer")),
      attendees: vevent.getAllProperties("attendee").map(address),
      tzid: vevent.getFirstProperty("dtstart").getParameter("tzid") || null,
      start: utc(event.startDate),
      end: utc(event.endDate),
    };
  });
  return {
    method: calendar.getFirstPropertyValue("method"),
    name: calendar.getFirstPropertyValue("x-wr-calname"),
    timezones,
    events,
  };
});
process.stdout.write(JSON.stringify(results));
