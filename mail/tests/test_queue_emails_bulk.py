"""Queuing many e-mails at once when some keys may be queued already: one lookup, one INSERT, each key once."""

import pytest

from mail.models import OutgoingMail
from mail.services import queueing
from mail.services.queueing import Attachment, Email, queue_email, queue_emails

pytestmark = pytest.mark.django_db

INVITATION = Attachment(
    "dag-1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST", "REQUEST"
)


def email(key, to="leider@example.nl", **kwargs):
    return Email(to=to, template="mail/test", context={}, key=key, **kwargs)


def test_keys_queued_already_are_left_out_and_keep_their_row(monkeypatch, django_capture_on_commit_callbacks):
    first = queue_email(to="eerder@example.nl", template="mail/test", context={}, key="a:1")
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    with django_capture_on_commit_callbacks(execute=True):
        rows = queue_emails(emails=[email("a:1", to="later@example.nl"), email("b:1")], skip_existing=True)
    assert [row.key for row in rows] == ["b:1"]
    assert enqueued == [[rows[0].pk]]
    assert OutgoingMail.objects.get(key="a:1").pk == first.pk
    assert OutgoingMail.objects.get(key="a:1").to == ["eerder@example.nl"]
    assert OutgoingMail.objects.count() == 2


def test_a_key_given_twice_is_queued_once_as_first_given():
    rows = queue_emails(
        emails=[email("a:1", to="eerste@example.nl"), email("a:1", to="tweede@example.nl")], skip_existing=True
    )
    assert [row.to for row in rows] == [["eerste@example.nl"]]
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == [["eerste@example.nl"]]


def test_an_existing_key_is_not_rendered_again(monkeypatch):
    queue_email(to="eerder@example.nl", template="mail/test", context={}, key="a:1")
    rendered = []
    real = queueing.render_email
    monkeypatch.setattr(queueing, "render_email", lambda **kwargs: rendered.append(kwargs) or real(**kwargs))
    queue_emails(emails=[email("a:1"), email("b:1")], skip_existing=True)
    assert len(rendered) == 1


@pytest.mark.parametrize("count", [10, 200])
def test_the_queries_do_not_grow_with_the_emails(count, django_assert_num_queries):
    queue_email(to="eerder@example.nl", template="mail/test", context={}, key="k:0")
    emails = [email(f"k:{n}", to=f"leider{n}@example.nl", attachments=[INVITATION]) for n in range(count)]
    # The keys looked up, the rows inserted, their attachments inserted.
    with django_assert_num_queries(3):
        rows = queue_emails(emails=emails, skip_existing=True)
    assert len(rows) == count - 1
    assert OutgoingMail.objects.filter(attachments__filename="dag-1.ics").count() == count - 1
    expected = {"eerder@example.nl"} | {f"leider{n}@example.nl" for n in range(1, count)}
    assert {to for (to,) in OutgoingMail.objects.values_list("to", flat=True)} == expected


def test_each_send_task_gets_a_batch(settings, monkeypatch, django_capture_on_commit_callbacks):
    # A task sends one batch (delivery.deliver_mails); the rest would wait for the drain.
    settings.MAIL_BATCH_SIZE = 100
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    with django_capture_on_commit_callbacks(execute=True):
        rows = queue_emails(emails=[email(f"k:{n}", to=f"leider{n}@example.nl") for n in range(250)])
    assert [len(ids) for ids in enqueued] == [100, 100, 50]
    assert [pk for ids in enqueued for pk in ids] == [row.pk for row in rows]
