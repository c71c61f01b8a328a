"""
Queuing many e-mails whose keys another transaction may take: the database keeps each key once, in the same
queries however many; e-mails that differ in their personal values only are rendered once for all.
"""

import pytest
from django.db import transaction

from mail.models import OutgoingMail, OutgoingMailAttachment
from mail.services import queueing
from mail.services.queueing import Attachment, Email, queue_email, queue_emails_once, render_email

pytestmark = pytest.mark.django_db

INVITATION = Attachment(
    "dag-1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; method=REQUEST", "REQUEST"
)
TEMPLATES = {
    "t/hello_subject.txt": "Hallo {{ who.name }}",
    "t/hello.txt": "Beste {{ who.name }}, {{ shared }}. {{ url }}",
    "t/hello.html": "<p>Beste {{ who.name }}, {{ shared }}.</p><a href='{{ url }}'>{{ url }}</a>",
    "t/loud_subject.txt": "Hallo",
    "t/loud.txt": "Beste {{ name|upper }}",
    "t/loud.html": "<p>Beste {{ name|upper }}</p>",
    "t/raw_subject.txt": "Hallo",
    "t/raw.txt": "Beste {{ name }}",
    "t/raw.html": "<p>Beste {{ name|safe }}</p>",
}


@pytest.fixture
def templates(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", TEMPLATES)]},
        }
    ]


def email(key, to="leider@example.nl", **kwargs):
    return Email(to=to, template="mail/test", context={}, key=key, **kwargs)


def test_keys_queued_already_are_left_to_their_row_and_the_rest_sent_after_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    first = queue_email(to="eerder@example.nl", template="mail/test", context={}, key="a:1")
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        rows = queue_emails_once(
            emails=[
                email("b:1", attachments=[INVITATION]),
                email("a:1", to="later@example.nl", attachments=[INVITATION]),
            ]
        )
        # Losing a key leaves the caller's transaction usable.
        assert OutgoingMail.objects.count() == 2
    assert [row.key for row in rows] == ["b:1"]
    assert enqueued == [[rows[0].pk]]
    assert OutgoingMail.objects.get(key="a:1").pk == first.pk
    assert OutgoingMail.objects.get(key="a:1").to == ["eerder@example.nl"]
    assert list(OutgoingMailAttachment.objects.values_list("mail__key", flat=True)) == ["b:1"]


def test_a_key_given_twice_is_queued_once_as_first_given():
    rows = queue_emails_once(emails=[email("a:1", to="eerste@example.nl"), email("a:1", to="tweede@example.nl")])
    assert [row.to for row in rows] == [["eerste@example.nl"]]
    assert list(OutgoingMail.objects.values_list("to", flat=True)) == [["eerste@example.nl"]]


@pytest.mark.parametrize("count", [10, 250])
def test_the_queries_do_not_grow_with_the_emails_and_each_task_gets_a_batch(
    count, settings, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    settings.MAIL_BATCH_SIZE = 100
    queue_email(to="eerder@example.nl", template="mail/test", context={}, key="k:000")
    enqueued = []
    monkeypatch.setattr(queueing, "enqueue_delivery", lambda *, mail_ids: enqueued.append(mail_ids))
    emails = [email(f"k:{n:03d}", to=f"leider{n}@example.nl", attachments=[INVITATION]) for n in range(count)]
    # The rows inserted, the new ones read back, their attachments inserted.
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(3):
        rows = queue_emails_once(emails=emails)
    assert len(rows) == count - 1
    assert [len(ids) for ids in enqueued] == [min(100, count - 1 - start) for start in range(0, count - 1, 100)]
    assert OutgoingMailAttachment.objects.count() == count - 1


def test_emails_that_share_their_context_are_rendered_once_each_with_its_own_values(templates, monkeypatch):
    shared = {"shared": "de dag <komt>"}
    people = [("Anne", "https://x.nl/a?b=1&c=2"), ("O'Brien & <Zoë>", "https://x.nl/b")]
    emails = [
        Email(
            to=f"{n}@example.nl",
            template="t/hello",
            context=shared,
            key=f"hello:{n}",
            personal={"who": {"name": name}, "url": url},
        )
        for n, (name, url) in enumerate(people)
    ]
    rendered = []
    real = queueing._render_raw
    monkeypatch.setattr(queueing, "_render_raw", lambda **kwargs: rendered.append(kwargs) or real(**kwargs))
    other_day = {"shared": "een andere dag"}
    later = Email(to="c@example.nl", template="t/hello", context=other_day, key="hello:2", personal=emails[0].personal)
    rows = queue_emails_once(emails=[*emails, later, later])
    # Once for each shared context with marks, and the first e-mail of the
    # template in full.
    assert len(rendered) == 3
    assert rows[2].body_text == "Beste Anne, een andere dag. https://x.nl/a?b=1&c=2\n"
    for row, (name, url) in zip(rows[:2], people, strict=True):
        context = {**shared, "who": {"name": name}, "url": url}
        assert (row.subject, row.body_text, row.body_html) == render_email(
            template="t/hello", context=context, language="nl"
        )
    assert "<p>Beste O&#x27;Brien &amp; &lt;Zoë&gt;, de dag &lt;komt&gt;.</p>" in rows[1].body_html
    assert rows[1].body_text == "Beste O'Brien & <Zoë>, de dag <komt>. https://x.nl/b\n"


def test_a_template_that_filters_a_personal_value_is_rendered_one_by_one(templates):
    shared = {}
    emails = [
        Email(to="a@example.nl", template="t/loud", context=shared, key=f"loud:{name}", personal={"name": name})
        for name in ["anne", "bram"]
    ]
    rows = queue_emails_once(emails=emails)
    assert [row.body_text for row in rows] == ["Beste ANNE\n", "Beste BRAM\n"]


def test_a_template_that_prints_a_personal_value_unescaped_is_rendered_one_by_one(templates):
    emails = [
        Email(to="a@example.nl", template="t/raw", context={}, key=f"raw:{n}", personal={"name": name})
        for n, name in enumerate(["Bea & Bram", "Cas <3"])
    ]
    rows = queue_emails_once(emails=emails)
    assert [row.body_html for row in rows] == ["<p>Beste Bea & Bram</p>", "<p>Beste Cas <3</p>"]
