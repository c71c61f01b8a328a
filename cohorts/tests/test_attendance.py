"""Attendance: the grid per course run, outcomes by the completion rule, make-ups, bounded queries."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Attendance, Cohort
from cohorts.services import attendance
from cohorts.services.attendance import AttendanceEntry
from programme.completion import Outcome
from verbindend.tests.pages import table_rows

from .factories import enrolled_participants, placed_registration, scheduled_days

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def after_the_run():
    """Attendance is taken once a day has taken place: run_with's days (January and February 2027) all have."""
    with time_machine.travel(datetime.datetime(2027, 6, 1, 10, 0, tzinfo=AMSTERDAM), tick=False) as traveller:
        yield traveller


def run_with(participants=3):
    """A run as the office forms it: a board placed, its leaders entered, six days on Fridays from 8 January 2027."""
    registration = placed_registration()
    people = enrolled_participants(registration, participants)
    # Scheduled as it was before its days passed.
    scheduled_days(registration.cohort, first=datetime.date(2027, 1, 8), weeks_apart=1, replaying=True)
    return Cohort.objects.get(pk=registration.cohort_id), people


def url(cohort):
    return reverse("admin:cohorts_cohort_attendance", args=[cohort.pk])


def mark(cohort, participant, numbers, status="present"):
    attendance.record_attendance(
        cohort=cohort,
        entries=[
            AttendanceEntry(participant.pk, day.pk, status)
            for day in cohort.days.filter(programme_day__number__in=numbers)
        ],
        recorded_by=None,
    )


def test_a_participants_approved_final_assignment_counts_when_required():
    cohort, (participant, *_rest) = run_with(1)
    cohort.programme.final_assignment_required = True
    assert attendance.outcome(participant=participant, days_attended=6, programme=cohort.programme) == Outcome.ATTENDED
    participant.final_assignment_approved_at = timezone.now()
    assert attendance.outcome(participant=participant, days_attended=6, programme=cohort.programme) == Outcome.COMPLETED


def test_a_withdrawn_participant_is_withdrawn_whatever_they_attended():
    cohort, (participant, *_rest) = run_with(1)
    participant.status = "withdrawn"
    assert attendance.outcome(participant=participant, days_attended=6, programme=cohort.programme) == Outcome.WITHDRAWN


def test_saving_the_grid_in_one_request(admin_client, admin_user):
    cohort, people = run_with(2)
    day1, day2 = cohort.days.order_by("date")[:2]
    data = {
        f"s-{people[0].pk}-{day1.pk}": "present",
        f"s-{people[1].pk}-{day1.pk}": "absent",
        f"n-{people[1].pk}-{day1.pk}": "Ziek gemeld",
        f"s-{people[0].pk}-{day2.pk}": "present",
    }
    response = admin_client.post(url(cohort), data, follow=True)
    assert "3 cellen gewijzigd" in response.content.decode()
    absent = Attendance.objects.get(participant=people[1], course_day=day1)
    assert (absent.status, absent.note, absent.recorded_by) == ("absent", "Ziek gemeld", admin_user)
    assert absent.recorded_at is not None


def test_grid_shows_outcomes(admin_client):
    cohort, people = run_with(2)
    mark(cohort, people[0], range(1, 6))
    mark(cohort, people[1], [1, 2])
    page = admin_client.get(url(cohort)).content.decode()
    assert "5 van 6" in page and "2 van 6" in page
    assert "afgerond" in page and "alleen aanwezig" in page


def test_a_day_made_up_with_another_run_counts():
    cohort, (participant,) = run_with(1)
    other, _people = run_with(1)
    mark(cohort, participant, range(1, 5))
    day5 = cohort.days.get(programme_day__number=5)
    other_day5 = other.days.get(programme_day__number=5)
    attendance.record_attendance(
        cohort=cohort,
        entries=[AttendanceEntry(participant.pk, day5.pk, "made_up", made_up_in_id=other_day5.pk)],
        recorded_by=None,
    )
    grid = services_grid(cohort)
    assert grid["rows"][0]["attended"] == 5
    assert grid["rows"][0]["outcome"] == Outcome.COMPLETED


def test_the_grid_offers_the_same_day_of_other_runs_and_shows_the_one_chosen(admin_client):
    cohort, (participant,) = run_with(1)
    other, _people = run_with(1)
    other_day5 = other.days.get(programme_day__number=5)
    other_day4 = other.days.get(programme_day__number=4)
    day5 = cohort.days.get(programme_day__number=5)
    attendance.record_attendance(
        cohort=cohort,
        entries=[AttendanceEntry(participant.pk, day5.pk, "made_up", made_up_in_id=other_day5.pk)],
        recorded_by=None,
    )
    page = admin_client.get(url(cohort)).content.decode()
    label = f"{other.code} {other_day5.date.day}-{other_day5.date.month}-{other_day5.date.year}"
    offer = f'<option value="{other_day5.pk}">{label}</option>'
    assert offer in page.split(f'id="make-up-{day5.pk}"')[1].split("</template>")[0]
    assert f'<option value="{other_day5.pk}" selected>{label}</option>' in page
    assert f'<option value="{other_day4.pk}">' not in page.split(f'id="make-up-{day5.pk}"')[1].split("</template>")[0]


def services_grid(cohort):
    from cohorts.selectors.trainer import attendance_grid

    return attendance_grid(cohort)


def test_a_make_up_must_be_the_same_programme_day():
    cohort, (participant,) = run_with(1)
    other, _people = run_with(1)
    with pytest.raises(ValidationError, match="dezelfde programmadag"):
        attendance.record_attendance(
            cohort=cohort,
            entries=[
                AttendanceEntry(
                    participant.pk,
                    cohort.days.get(programme_day__number=5).pk,
                    "made_up",
                    made_up_in_id=other.days.get(programme_day__number=4).pk,
                )
            ],
            recorded_by=None,
        )


def test_entries_of_another_run_are_refused():
    cohort, (_participant,) = run_with(1)
    _other, (stranger,) = run_with(1)
    with pytest.raises(ValidationError):
        attendance.record_attendance(
            cohort=cohort, entries=[AttendanceEntry(stranger.pk, cohort.days.first().pk, "present")], recorded_by=None
        )


def test_advance_notice_shows_in_the_grid(admin_client):
    cohort, (participant,) = run_with(1)
    Attendance.objects.create(
        participant=participant, course_day=cohort.days.first(), absence_notified_at=timezone.now()
    )
    assert "vooraf afgemeld" in admin_client.get(url(cohort)).content.decode()


@pytest.mark.parametrize("participants", [3, 12])
def test_the_grid_page_and_its_save_run_the_same_queries_however_many_participants(
    admin_client, django_assert_num_queries, participants
):
    cohort, people = run_with(participants)
    days = list(cohort.days.all())
    with django_assert_num_queries(7):
        response = admin_client.get(url(cohort))
    assert response.status_code == 200
    rows = table_rows(response.content.decode())
    assert sorted((row[0], row[1]) for row in rows) == sorted((p.full_name, "niet afgerond 0 van 6") for p in people)
    data = {f"s-{p.pk}-{d.pk}": "present" for p in people for d in days}
    with django_assert_num_queries(15):
        response = admin_client.post(url(cohort), data)
    assert response.status_code == 302
    present = Attendance.objects.filter(status="present").values_list("participant_id", "course_day_id")
    assert set(present) == {(p.pk, d.pk) for p in people for d in days}


def test_outsiders_get_nothing_from_the_attendance_page(client):
    cohort, _people = run_with(1)
    assert client.get(url(cohort)).status_code == 302
    client.force_login(User.objects.create_user("deelnemer", password="x-secret-123"))
    assert client.get(url(cohort)).status_code == 302
    staff = User.objects.create_user("kijker", password="x-secret-123", is_staff=True)
    client.force_login(staff)
    assert client.get(url(cohort)).status_code == 403


def test_the_attendance_page_of_a_run_that_is_not_there_is_404(admin_client):
    cohort, _people = run_with(1)
    assert admin_client.get(url(cohort)).status_code == 200
    missing = reverse("admin:cohorts_cohort_attendance", args=[Cohort.objects.latest("pk").pk + 1])
    assert admin_client.get(missing).status_code == 404


MID_COURSE = datetime.datetime(2027, 1, 20, 12, 0, tzinfo=AMSTERDAM)  # days 1 and 2 (8 and 15 January) have passed


def test_attendance_for_a_day_still_to_come_is_refused(after_the_run):
    after_the_run.move_to(MID_COURSE)
    cohort, (participant,) = run_with(1)
    day3 = cohort.days.get(programme_day__number=3)
    with pytest.raises(ValidationError, match="22-01-2027 moet nog komen"):
        attendance.record_attendance(
            cohort=cohort, entries=[AttendanceEntry(participant.pk, day3.pk, "present")], recorded_by=None
        )
    assert not Attendance.objects.exists()
    # The day itself counts as taken place: attendance is taken that day.
    after_the_run.move_to(datetime.datetime(2027, 1, 22, 16, 30, tzinfo=AMSTERDAM))
    mark(cohort, participant, [3])
    assert Attendance.objects.get().status == "present"


def test_mid_course_the_grid_shows_progress_and_no_inputs_for_days_to_come(admin_client, after_the_run):
    after_the_run.move_to(MID_COURSE)
    admin_client.force_login(User.objects.get(username="admin"))
    cohort, people = run_with(2)
    mark(cohort, people[0], [1, 2])
    mark(cohort, people[1], [1])
    days = {day.programme_day.number: day for day in cohort.days.all()}
    page = admin_client.get(url(cohort)).content.decode()
    assert "2 van 2 dagen tot nu toe" in page and "1 van 2 dagen tot nu toe" in page
    assert "nog 4 dagen" in page
    assert "alleen aanwezig" not in page and "niet afgerond" not in page
    for number in (1, 2):
        assert f'name="s-{people[0].pk}-{days[number].pk}"' in page
        assert f'data-day="{days[number].pk}">alle aanwezig' in page or f'data-day="{days[number].pk}"' in page
    for number in (3, 4, 5, 6):
        assert f'-{days[number].pk}"' not in page  # no select, note or make-up input, no 'all present'
    # The heads of the day columns, after those of the name and the progress: the days to come say so.
    heads = [re.sub(r"<[^>]+>", " ", cell) for cell in re.findall(r'<th scope="col">(.*?)</th>', page, re.S)][2:]
    assert [("nog niet geweest" in head) for head in heads] == [False, False, True, True, True, True]


def test_the_grid_posts_nothing_for_days_to_come(admin_client, after_the_run):
    after_the_run.move_to(MID_COURSE)
    admin_client.force_login(User.objects.get(username="admin"))
    cohort, (participant,) = run_with(1)
    day1, day3 = (cohort.days.get(programme_day__number=n) for n in (1, 3))
    data = {f"s-{participant.pk}-{day1.pk}": "present", f"s-{participant.pk}-{day3.pk}": "present"}
    page = admin_client.post(url(cohort), data, follow=True).content.decode()
    assert "1 cel gewijzigd" in page
    assert list(Attendance.objects.values_list("course_day_id", flat=True)) == [day1.pk]


def test_all_present_leaves_a_notified_absence_alone(admin_client):
    cohort, people = run_with(2)
    day = cohort.days.get(programme_day__number=1)
    Attendance.objects.create(participant=people[0], course_day=day, absence_notified_at=timezone.now())
    page = admin_client.get(url(cohort)).content.decode()
    # The grid marks the cell; the button's script skips the cells so marked.
    notified = page.split(f'name="s-{people[0].pk}-{day.pk}"')[1].split(">")[0]
    other = page.split(f'name="s-{people[1].pk}-{day.pk}"')[1].split(">")[0]
    assert "data-notified" in notified and "data-notified" not in other
    script = (settings.BASE_DIR / "static" / "js" / "attendance.js").read_text()
    assert 'if (select.hasAttribute("data-notified")) return;' in script
