"""The participant's own page: schedule, attendance so far, absence notices, details, calendar."""

import datetime

import icalendar
import pytest
from django.template.loader import render_to_string

from cohorts.models import Attendance, CourseDay
from cohorts.services import enrolment, links, scheduling
from cohorts.tests.factories import (
    RawParticipantFactory,
    RawRegistrationFactory,
    enrolled_participants,
    placed_registration,
)
from conftest import FIXED_NOW
from public_pages.forms import OwnDetailsForm

# The page reads today: which days have passed, which absences can still be notified.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_clock")]
TODAY = FIXED_NOW.date()


def page_path(participant):
    return links.participant_page_url(participant).replace("http://127.0.0.1:8000", "")


@pytest.fixture
def participant(fixed_clock):
    """A leader entered by their board before the run began; its first day was two weeks ago, two more to come."""
    registration = placed_registration()
    (participant,) = enrolled_participants(registration)
    cohort = registration.cohort
    for number, offset in ((1, -14), (2, 14), (3, 28)):
        day = CourseDay(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=number),
            date=TODAY + datetime.timedelta(days=offset),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
        scheduling.save_course_day(day=day, changed_fields=[], replaying=True)
    participant.refresh_from_db()
    return participant


def test_page_shows_schedule_and_attendance_so_far(client, participant):
    first = participant.cohort.days.get(programme_day__number=1)
    Attendance.objects.create(participant=participant, course_day=first, status="present")
    page = client.get(page_path(participant)).content.decode()
    assert "Dag 2: Focus op richting" in page
    assert "aanwezig" in page
    assert "Ik kan niet komen op dag 2" in page
    assert "Ik kan niet komen op dag 1" not in page  # passed


def test_page_title_is_the_name_and_the_head_holds_no_body_content(client, participant):
    page = client.get(page_path(participant)).content.decode()
    head = page.split("</head>")[0]
    assert f"<title>{participant.full_name} ·" in head
    assert "<div" not in head
    assert page.count("Bekijk alle gegevens") == 1


def test_absence_notice_reaches_the_attendance_grid(client, participant, admin_client):
    day = participant.cohort.days.get(programme_day__number=2)
    response = client.post(page_path(participant), {"action": "absent", "day": day.pk}, follow=True)
    assert "Dank u wel dat u het laat weten." in response.content.decode()
    assert Attendance.objects.get(participant=participant, course_day=day).absence_notified_at is not None
    from django.urls import reverse

    grid = admin_client.get(reverse("admin:cohorts_cohort_attendance", args=[participant.cohort_id])).content.decode()
    assert "vooraf afgemeld" in grid
    client.post(page_path(participant), {"action": "present", "day": day.pk})
    assert Attendance.objects.get(participant=participant, course_day=day).absence_notified_at is None


def test_no_notice_for_a_day_that_passed_or_of_another_run(client, participant):
    past = participant.cohort.days.get(programme_day__number=1)
    response = client.post(page_path(participant), {"action": "absent", "day": past.pk}, follow=True)
    assert "afwezigheid kunt u alleen vooraf melden" in response.content.decode()
    other = CourseDay.objects.create(
        cohort=RawRegistrationFactory().cohort,
        programme_day=past.programme_day,
        date=TODAY + datetime.timedelta(days=5),
        start_time=datetime.time(9),
        end_time=datetime.time(16),
    )
    assert client.post(page_path(participant), {"action": "absent", "day": other.pk}).status_code == 404
    assert client.post(page_path(participant), {"action": "absent", "day": "x"}).status_code == 404


def test_details_with_a_register_number_keeping_leading_zeros(client, participant):
    data = {
        "action": "details",
        "initials": "A.M.",
        "first_name": "Anne",
        "tussenvoegsel": "van der",
        "last_name": "Berg",
        "register_number": "0012 345",
    }
    assert client.post(page_path(participant), data).status_code == 302
    participant.refresh_from_db()
    assert (participant.initials, participant.register_number) == ("A.M.", "0012345")


def test_a_malformed_register_number_is_refused(client, participant):
    data = {
        "action": "details",
        "initials": "",
        "first_name": "Anne",
        "tussenvoegsel": "",
        "last_name": "Berg",
        "register_number": "12-AB",
    }
    response = client.post(page_path(participant), data)
    assert "Een nummer in het Schoolleidersregister PO bestaat alleen uit cijfers" in response.content.decode()
    participant.refresh_from_db()
    assert participant.register_number == ""


def test_calendar_has_stable_uids_that_follow_a_moved_day(client, participant):
    url = page_path(participant) + "rooster.ics"
    first = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
    day = participant.cohort.days.get(programme_day__number=2)
    day.date += datetime.timedelta(days=7)
    scheduling.save_course_day(day=day, changed_fields=["date"])
    second = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
    assert {str(e["UID"]) for e in first} == {str(e["UID"]) for e in second}
    moved = next(e for e in second if str(e["UID"]) == f"courseday-{day.pk}@verbindend")
    assert int(moved["SEQUENCE"]) == 1 and moved.decoded("DTSTART").date() == day.date


def test_a_participant_never_sees_another(client, participant):
    other = RawParticipantFactory(registration=participant.registration, first_name="Anderedeelnemer")
    page = client.get(page_path(participant)).content.decode()
    assert "Anderedeelnemer" not in page and other.email not in page
    own_day = participant.cohort.days.get(programme_day__number=2)
    client.post(page_path(participant), {"action": "absent", "day": own_day.pk})
    assert not Attendance.objects.filter(participant=other).exists()


@pytest.mark.parametrize("suffix", ["", "rooster.ics"])
def test_forged_participant_tokens_are_404(client, suffix):
    assert client.get(f"/deelnemer/forged:token/{suffix}").status_code == 404


def completed_run_with(attended: dict[str, int]) -> dict:
    """A completed six-day run; `attended` maps each participant's first name to the days they were present."""
    registration = RawRegistrationFactory()
    cohort = registration.cohort
    people = {name: RawParticipantFactory(registration=registration, first_name=name) for name in attended}
    for day in cohort.programme.days.order_by("number"):
        course_day = CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=TODAY - datetime.timedelta(weeks=14 - 2 * day.number),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
        for name, days in attended.items():
            status = "present" if day.number <= days else "absent"
            Attendance.objects.create(participant=people[name], course_day=course_day, status=status)
    cohort.status = "completed"
    cohort.save()
    return people


def badge_of(page: str) -> str:
    return page.split('<p class="lead">', 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    ("days", "badge", "sentence"),
    [
        (6, "afgerond", "De uitvoering is afgerond, en uw cursus ook: u was 6 dagen aanwezig."),
        (3, "alleen aanwezig", "U was 3 dagen aanwezig; voor het afronden van de cursus zijn 5 dagen nodig."),
        (0, "niet afgerond", "U hebt de cursus niet afgerond."),
    ],
)
def test_after_completion_the_page_shows_the_outcome_not_enrolled(client, days, badge, sentence):
    participant = completed_run_with({"Anne": days})["Anne"]
    assert participant.status == "enrolled"
    page = client.get(page_path(participant)).content.decode()
    assert f">{badge}</span>" in badge_of(page)
    assert "ingeschreven" not in badge_of(page)
    assert sentence in page


def test_before_completion_the_page_shows_the_status(client, participant):
    page = client.get(page_path(participant)).content.decode()
    assert ">ingeschreven</span>" in badge_of(page)
    assert "De uitvoering is afgerond" not in page


def test_the_outcome_in_english(client, settings):
    participant = completed_run_with({"Anne": 3})["Anne"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(page_path(participant)).content.decode()
    assert ">attended only</span>" in badge_of(page)
    assert "You attended 3 days; completing the course takes 5." in page


def participant_with_days(count: int, *, fellows: int = 0, begun: bool = True):
    """An enrolled leader (and `fellows` more) whose run has `count` days; begun, the first passed with them present."""
    registration = placed_registration()
    participant, *_others = enrolled_participants(registration, count=1 + fellows)
    cohort = registration.cohort
    for number in range(1, count + 1):
        day = CourseDay(
            cohort=cohort,
            programme_day=cohort.programme.days.get(number=number),
            date=TODAY + datetime.timedelta(weeks=3 * number - (4 if begun else 2)),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
        scheduling.save_course_day(day=day, changed_fields=[], replaying=True)
    if begun:
        first = cohort.days.get(programme_day__number=1)
        Attendance.objects.create(participant=participant, course_day=first, status="present")
    participant.refresh_from_db()
    return participant


@pytest.mark.parametrize("days", [3, 6])
def test_the_page_runs_the_same_queries_however_many_days(client, django_assert_num_queries, days):
    participant = participant_with_days(days)
    # The participant with run, programme, board and whether a valid
    # certificate locks the details (none here: no query for them); the
    # register rules; the days with their programme days and attendance;
    # the programme's materials with their days' dates in this run (a
    # programme without a final assignment reads no upload).
    with django_assert_num_queries(4):
        page = client.get(page_path(participant)).content.decode()
    assert page.count('class="schedule-day"') == days
    assert "aanwezig" in page and f"Ik kan niet komen op dag {days}" in page


@pytest.mark.parametrize("days", [3, 6])
def test_the_calendar_is_one_query_however_many_days(client, django_assert_num_queries, days):
    participant = participant_with_days(days)
    with django_assert_num_queries(1):
        response = client.get(page_path(participant) + "rooster.ics")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(event["STATUS"]) for event in events] == ["CONFIRMED"] * days


def test_a_calendar_without_days_yet_is_empty_and_a_withdrawn_participant_s_is_cancelled(client):
    waiting = enrolled_participants(placed_registration())[0]
    response = client.get(page_path(waiting) + "rooster.ics")
    assert response.status_code == 200 and b"BEGIN:VEVENT" not in response.content
    participant = participant_with_days(3, fellows=1, begun=False)
    fellow = participant.cohort.participants.exclude(pk=participant.pk).get()
    enrolment.withdraw_participant(participant=participant)
    for person, status in ((participant, "CANCELLED"), (fellow, "CONFIRMED")):
        events = icalendar.Calendar.from_ical(client.get(page_path(person) + "rooster.ics").content).walk("VEVENT")
        assert [str(event["STATUS"]) for event in events] == [status] * 3


def test_the_calendar_follows_a_changed_day_at_once(client, participant):
    """The file is made once for the same events: a moved day makes other events, and so a new file."""
    url = page_path(participant) + "rooster.ics"
    assert client.get(url).content == client.get(url).content
    day = participant.cohort.days.get(programme_day__number=3)
    day.start_time = datetime.time(10)
    scheduling.save_course_day(day=day, changed_fields=["start_time"])
    moved = icalendar.Calendar.from_ical(client.get(url).content).walk("VEVENT")
    assert any(event.decoded("DTSTART").hour == 10 for event in moved)


@pytest.mark.parametrize("locked", [False, True])
def test_the_details_form_is_rendered_as_crispy_renders_it(participant, locked):
    """The cached rendering of the layout, with the values put in, is exactly the form's own rendering."""
    participant.first_name, participant.tussenvoegsel, participant.initials = 'Anne "An" & <Co>', "", "O'"
    participant.register_number = "0012345"
    for _ in range(2):  # rendered for the layout, then from the cached rendering
        form = OwnDetailsForm(instance=participant, disabled=locked)
        assert form.as_html() == render_to_string("public_pages/crispy_form.html", {"form": form})
    assert "own-details-value-of" not in form.as_html()
    assert "&quot;An&quot; &amp; &lt;Co&gt;" in form.as_html()


def test_the_schedule_shows_only_the_participant_s_own_attendance(client):
    participant = participant_with_days(3, fellows=1)  # present on day 1
    fellow = participant.cohort.participants.exclude(pk=participant.pk).get()
    assert ">aanwezig</span>" in client.get(page_path(participant)).content.decode()
    assert ">aanwezig</span>" not in client.get(page_path(fellow)).content.decode()
