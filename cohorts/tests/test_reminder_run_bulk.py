"""
The reminder run queues in bulk: the same queries for 300 reminders as for 3,000, each rendered as on its own, and
each key once even when two runs go at the same moment (on PostgreSQL).
"""

import datetime
import threading
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps as django_apps
from django.db import connection

from cohorts.models import CourseDay, Participant
from cohorts.services import links
from cohorts.services import reminders as reminders_services
from conftest import require_service
from mail.models import OutgoingMail
from mail.services import queueing
from mail.services.queueing import render_email

from .factories import CourseDayFactory, RawParticipantFactory, RawRegistrationFactory, seeded_programme

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DAY = datetime.date(2027, 3, 10)
NOW = datetime.datetime(2027, 3, 9, 12, 0, tzinfo=AMSTERDAM)  # the 1-day window of DAY is due
PER_RUN = 29  # and the board's contact: 30 reminders a run


def confirmed_runs(count: int, per_run: int = PER_RUN, **participant) -> list:
    """`count` confirmed runs, each with one day on DAY and `per_run` enrolled participants of one board."""
    registrations = []
    for _ in range(count):
        registration = RawRegistrationFactory(cohort__status="confirmed")
        CourseDayFactory(cohort=registration.cohort, date=DAY, start_time=datetime.time(9, 0))
        registrations.append(registration)
    Participant.objects.bulk_create(
        person
        for registration in registrations
        for person in RawParticipantFactory.build_batch(per_run, registration=registration, **participant)
    )
    return registrations


@pytest.mark.django_db
@pytest.mark.parametrize("runs", [10, 100])
def test_a_reminder_run_takes_the_same_queries_for_300_reminders_as_for_3000(runs, django_assert_num_queries):
    confirmed_runs(runs)
    # The days with a window open, from their dates; those days with their
    # participants and boards; the intakes; the keys queued; the savepoint of
    # the run, one INSERT of every row and one query for which were new; the
    # savepoint released.
    with django_assert_num_queries(10):
        assert reminders_services.send_due_reminders(now=NOW) == 30 * runs
    assert OutgoingMail.objects.count() == 30 * runs
    # Everything is queued: a second run reads, and writes nothing.
    with django_assert_num_queries(6):
        assert reminders_services.send_due_reminders(now=NOW) == 0
    assert OutgoingMail.objects.count() == 30 * runs


@pytest.mark.django_db
def test_each_reminder_of_a_run_is_rendered_as_on_its_own_in_its_recipients_language(
    monkeypatch, django_capture_on_commit_callbacks
):
    (registration,) = confirmed_runs(1, per_run=3)
    odd = RawParticipantFactory(registration=registration, first_name="Zoë & <b>O'Brien</b>", language="en")
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    with django_capture_on_commit_callbacks(execute=True):
        reminders_services.send_due_reminders(now=NOW)
    day = CourseDay.objects.get()
    context = {"day": day, "cohort": day.cohort, "programme": day.cohort.programme}
    for person in registration.participants.all():
        mail = OutgoingMail.objects.get(key=f"reminder:{person.pk}:{day.pk}:1")
        alone = {**context, "participant": person, "participant_page_url": links.participant_page_url(person)}
        expected = render_email(template="cohorts/mail/course_day_reminder", context=alone, language=person.language)
        assert (mail.subject, mail.body_text, mail.body_html) == expected
        assert mail.language == person.language
        assert mail.about == [f"cohorts.participant:{person.pk}"]
    mail = OutgoingMail.objects.get(to=[odd.email])
    assert "Dear Zoë &amp; &lt;b&gt;O&#x27;Brien&lt;/b&gt;," in mail.body_html
    assert "Dear Zoë & <b>O'Brien</b>," in mail.body_text
    assert mail.subject.startswith("Reminder: day 1")
    board_copy = OutgoingMail.objects.get(key__startswith="reminder-board:")
    assert sorted(board_copy.about) == sorted(
        [f"cohorts.registration:{registration.pk}"] + [f"cohorts.participant:{p.pk}" for p in Participant.objects.all()]
    )
    assert sorted(pk for ids in enqueued for pk in ids) == sorted(OutgoingMail.objects.values_list("pk", flat=True))


@pytest.fixture
def committed_postgres(transactional_db):
    require_service("PostgreSQL", connection.vendor == "postgresql", "set DATABASE_URL=postgres://...")
    import_module("privacy.migrations.0002_first_statement").seed(django_apps, None)  # flushed by an earlier test
    seeded_programme()


def test_two_reminder_runs_at_once_queue_each_reminder_once(committed_postgres, monkeypatch):
    confirmed_runs(3)
    # Both runs have looked up the keys queued (none) and rendered every
    # reminder before either inserts.
    barrier, rows = threading.Barrier(2), queueing._outbox_rows
    monkeypatch.setattr(queueing, "_outbox_rows", lambda emails: [rows(emails), barrier.wait()][0])
    enqueued, results, errors = [], [], []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))

    def run():
        try:
            results.append(reminders_services.send_due_reminders(now=NOW))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [0, 90]
    keys = list(OutgoingMail.objects.values_list("key", flat=True))
    assert len(keys) == len(set(keys)) == 90
    # Only the rows a run queued are sent, each once.
    assert sorted(pk for ids in enqueued for pk in ids) == sorted(OutgoingMail.objects.values_list("pk", flat=True))
