"""The register steps in PE-online: each run's uitvoering from confirmation on, then its presentie, reminded once."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import formats, translation

from audit.models import AuditEvent
from cohorts.services import runs
from cohorts.tests.factories import enrolled_participants, placed_registration, scheduled_days
from conftest import FIXED_NOW
from mail.models import OutgoingMail
from registry import presentie, tasks
from registry.models import RegisterRun
from registry.selectors import presentie_due_runs
from verbindend.tests.pages import table_rows

pytestmark = pytest.mark.django_db
FIRST_DAY = FIXED_NOW.date() + datetime.timedelta(days=10)


def member(group):
    user = User.objects.create_user(group.lower(), password="x-secret-123", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def office():
    return member("Kantoor")


def planned_run():
    registration = placed_registration()
    enrolled_participants(registration, registration.cohort.programme.min_participants)
    scheduled_days(registration.cohort, first=FIRST_DAY)
    return registration.cohort


def confirmed_run():
    return runs.confirm_cohort(cohort=planned_run())


def last_day(cohort) -> datetime.date:
    return cohort.days.order_by("-date").values_list("date", flat=True).first()


def start_page_rows(client, user) -> list[str]:
    """The start page's to-do lines of the steps in PE-online (a run has other to-dos too: attendance, invoices)."""
    # Logged in afresh: a session does not outlive the weeks the clock moves.
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return [" | ".join(row) for row in table_rows(response.content.decode()) if "PE-online" in " ".join(row)]


def presentie_reminders(cohort):
    return OutgoingMail.objects.filter(key=f"presentie-due:{cohort.pk}")


def test_the_uitvoering_is_a_to_do_from_confirmation_until_it_is_recorded(client, office):
    cohort = planned_run()
    client.force_login(office)
    assert not any(row.startswith(cohort.code) for row in start_page_rows(client, office))
    runs.confirm_cohort(cohort=cohort)
    assert any(row.startswith(f"{cohort.code} | bevestigd") for row in start_page_rows(client, office))
    run = presentie.record_uitvoering(cohort=cohort, uitvoering_id=" 123456 ", by=office)
    assert (run.uitvoering_id, run.uitvoering_recorded_by) == ("123456", office)
    assert run.uitvoering_recorded_at is not None
    assert not any(row.startswith(cohort.code) for row in start_page_rows(client, office))
    event = AuditEvent.objects.get(action=AuditEvent.Action.UITVOERING_RECORDED)
    assert (event.object_id, event.actor, event.changes) == (str(cohort.pk), office, {"uitvoering_id": ["", "123456"]})


def test_a_run_not_yet_confirmed_is_not_entered_as_an_uitvoering(office):
    cohort = planned_run()
    with pytest.raises(presentie.RegisterStepError):
        presentie.record_uitvoering(cohort=cohort, uitvoering_id="123456", by=office)
    assert not RegisterRun.objects.exists()


def test_the_presentie_reminder_comes_after_the_last_day_once_and_is_gone_when_recorded(
    fixed_clock, client, office, settings, django_capture_on_commit_callbacks
):
    settings.PRESENTIE_DUE_DAYS = 10
    settings.OFFICE_NOTIFICATION_EMAIL = "kantoor@example.nl"
    cohort = confirmed_run()
    presentie.record_uitvoering(cohort=cohort, uitvoering_id="123456", by=office)
    end = last_day(cohort)
    client.force_login(office)

    fixed_clock.move_to(datetime.datetime.combine(end, datetime.time(18), tzinfo=FIXED_NOW.tzinfo))
    tasks.remind_presentie_due()
    assert not presentie_reminders(cohort).exists()
    assert not any(row.startswith(cohort.code) for row in start_page_rows(client, office))
    with pytest.raises(presentie.RegisterStepError):
        presentie.record_presentie(cohort=cohort, by=office)

    fixed_clock.move_to(datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(9), FIXED_NOW.tzinfo))
    due_by = end + datetime.timedelta(days=10)
    for _tick in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.remind_presentie_due()
    (reminder,) = presentie_reminders(cohort)
    assert reminder.to == ["kantoor@example.nl"]
    assert cohort.code in reminder.subject and f"{due_by:%Y}" in reminder.body_text
    with translation.override("nl"):
        shown_due_by = formats.date_format(due_by, "j b Y")
    assert f"{cohort.code} | laatste dag" in "\n".join(start_page_rows(client, office))
    assert any(row.startswith(cohort.code) and shown_due_by in row for row in start_page_rows(client, office))

    fixed_clock.shift(datetime.timedelta(days=3))
    tasks.remind_presentie_due()
    assert presentie_reminders(cohort).count() == 1

    run = presentie.record_presentie(cohort=cohort, by=office)
    assert run.presentie_recorded_by == office and run.presentie_recorded_at is not None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PRESENTIE_RECORDED, object_id=str(cohort.pk)).exists()
    assert not any(row.startswith(cohort.code) for row in start_page_rows(client, office))
    assert presentie_due_runs(today=end + datetime.timedelta(days=30)) == []


def test_a_run_whose_presentie_was_recorded_in_time_gets_no_reminder(fixed_clock, office):
    cohort = confirmed_run()
    presentie.record_uitvoering(cohort=cohort, uitvoering_id="123456", by=office)
    fixed_clock.move_to(
        datetime.datetime.combine(last_day(cohort) + datetime.timedelta(days=1), datetime.time(8), FIXED_NOW.tzinfo)
    )
    presentie.record_presentie(cohort=cohort, by=office)
    tasks.remind_presentie_due()
    assert not presentie_reminders(cohort).exists()


def test_the_presentie_is_entered_after_the_uitvoering(fixed_clock, office):
    cohort = confirmed_run()
    fixed_clock.move_to(
        datetime.datetime.combine(last_day(cohort) + datetime.timedelta(days=1), datetime.time(8), FIXED_NOW.tzinfo)
    )
    with pytest.raises(presentie.RegisterStepError):
        presentie.record_presentie(cohort=cohort, by=office)


def test_the_office_records_the_uitvoering_in_the_admin_and_the_trainer_only_reads_it(client, office):
    cohort = confirmed_run()
    add = reverse("admin:registry_registerrun_add")
    trainer = member("Trainer")
    client.force_login(trainer)
    assert client.post(add, {"cohort": cohort.pk, "uitvoering_id": "999"}).status_code == 403
    assert not RegisterRun.objects.exists()
    assert any(row.startswith(cohort.code) for row in start_page_rows(client, trainer))

    client.force_login(office)
    response = client.post(add, {"cohort": cohort.pk, "uitvoering_id": "123456"})
    assert response.status_code == 302
    run = RegisterRun.objects.get()
    assert (run.cohort, run.uitvoering_id, run.uitvoering_recorded_by) == (cohort, "123456", office)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UITVOERING_RECORDED, actor=office).exists()

    client.force_login(trainer)
    assert client.get(reverse("admin:registry_registerrun_change", args=[run.pk])).status_code == 200
    changelist = reverse("admin:registry_registerrun_changelist")
    client.post(changelist, {"action": "record_presentie", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.presentie_recorded_at is None


def test_the_office_records_the_presentie_with_the_admin_action(fixed_clock, client, office):
    cohort = confirmed_run()
    run = presentie.record_uitvoering(cohort=cohort, uitvoering_id="123456", by=office)
    fixed_clock.move_to(
        datetime.datetime.combine(last_day(cohort) + datetime.timedelta(days=2), datetime.time(8), FIXED_NOW.tzinfo)
    )
    client.force_login(office)
    changelist = reverse("admin:registry_registerrun_changelist")
    response = client.post(changelist, {"action": "record_presentie", "_selected_action": [run.pk]})
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.presentie_recorded_by == office


def test_a_second_uitvoering_id_corrects_the_first_and_the_trail_keeps_both(office):
    cohort = confirmed_run()
    presentie.record_uitvoering(cohort=cohort, uitvoering_id="123456", by=office)
    run = presentie.record_uitvoering(cohort=cohort, uitvoering_id="123465", by=office)
    assert RegisterRun.objects.get() == run and run.uitvoering_id == "123465"
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.UITVOERING_RECORDED).order_by("pk")
    assert [event.changes for event in changes] == [
        {"uitvoering_id": ["", "123456"]},
        {"uitvoering_id": ["123456", "123465"]},
    ]
