"""The trainer writes one message to a run's participants, its boards' contacts or its waiting list."""

import uuid

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cohorts.models import Participant, RunMessage
from cohorts.services import enrolment
from cohorts.services import messages as run_messages
from cohorts.tests.conftest import member
from cohorts.tests.factories import enrolled_participants, participant_data, placed_registration
from mail.models import OutgoingMail
from verbindend.tests.pages import table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def run():
    """A full run of two boards (30 seats): 28 and 2 leaders enrolled, two on the waiting list, one withdrawn."""
    first = placed_registration()
    second = placed_registration(cohort=first.cohort)
    enrolled_participants(first, 28)
    enrolled_participants(second, 2)
    waiting = enrolled_participants(second, 2)
    assert {p.status for p in waiting} == {Participant.Status.WAITING}
    enrolment.withdraw_participant(participant=first.cohort.participants.filter(status="enrolled").first())
    return first.cohort


def url(cohort) -> str:
    return reverse("admin:cohorts_cohort_message", args=[cohort.pk])


def fields(audience="participants", subject="Parkeren bij De Eik", **more):
    body = "Parkeer op P2.\nDe slagboom staat open."
    return {"audience": audience, "subject": subject, "body": body, "form_token": str(uuid.uuid4()), **more}


def preview_rows(client, cohort, **data) -> list[tuple[str, str]]:
    response = client.post(url(cohort), {**fields(**data), "preview": "1"})
    assert response.status_code == 200
    return [tuple(row) for row in table_rows(response.content.decode()) if "@" in row[-1]]


def test_the_preview_lists_exactly_who_gets_it(client, run):
    client.force_login(member("Trainer"))
    page = client.get(url(run)).content.decode()
    # Below the run in the breadcrumbs, as the other pages of a run.
    crumbs = page.split('<div class="breadcrumbs">', 1)[1].split("</div>", 1)[0]
    assert crumbs.rstrip().endswith(f">{run.code}</a>\n&rsaquo; Bericht schrijven")
    # Enrolled after one withdrew and one took the seat: 29 + 1 enrolled, one still waiting.
    enrolled = list(run.participants.filter(status="enrolled"))
    assert sorted(preview_rows(client, run)) == sorted((p.full_name, p.email) for p in enrolled)
    waiting = list(run.participants.filter(status="waiting"))
    assert preview_rows(client, run, audience="waiting") == [(p.full_name, p.email) for p in waiting]
    contacts = run.registrations.all()
    assert sorted(preview_rows(client, run, audience="contacts")) == sorted(
        (r.contact_name, r.contact_email) for r in contacts
    )
    assert not RunMessage.objects.exists() and not OutgoingMail.objects.filter(key__startswith="run-message:").exists()


def test_sending_mails_each_person_separately_in_their_language_and_keeps_the_message(client, run):
    english = run.participants.filter(status="enrolled").last()
    english.language = "en"
    english.save()
    trainer = member("Trainer")
    trainer.email, trainer.first_name, trainer.last_name = "jan@natuurlijkleren.example", "Jan", "Jutten"
    trainer.save()
    client.force_login(trainer)
    response = client.post(url(run), {**fields(), "send": "1"})
    assert response.status_code == 302
    message = RunMessage.objects.get()
    enrolled = list(run.participants.filter(status="enrolled"))
    assert (message.cohort, message.recipient_count, message.sent_by) == (run, len(enrolled), trainer)
    mails = OutgoingMail.objects.filter(key__startswith=f"run-message:{message.pk}:")
    assert sorted(m.to[0] for m in mails) == sorted(p.email for p in enrolled)
    assert all(len(m.to) == 1 and m.reply_to == ["jan@natuurlijkleren.example"] for m in mails)
    dutch = mails.exclude(to=[english.email]).first()
    assert dutch.subject == "Parkeren bij De Eik"
    assert "Parkeer op P2.\nDe slagboom staat open." in dutch.body_text and "Jan Jutten" in dutch.body_text
    assert "Dit bericht gaat over uitvoering" in dutch.body_text
    assert "This message is about course run" in mails.get(to=[english.email]).body_text
    assert mails.get(to=[english.email]).about == [f"cohorts.participant:{english.pk}"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.RUN_MESSAGE_SENT)
    assert (event.object_id, event.detail) == (str(run.pk), f"participants: {len(enrolled)}")
    page = client.get(reverse("admin:cohorts_cohort_change", args=[run.pk])).content.decode()
    assert "Parkeren bij De Eik" in page


def test_the_same_form_sent_twice_sends_once(client, run):
    client.force_login(member("Trainer"))
    data = {**fields(audience="contacts"), "send": "1"}
    assert client.post(url(run), data).status_code == 302
    assert client.post(url(run), data).status_code == 302
    assert RunMessage.objects.count() == 1
    assert OutgoingMail.objects.filter(key__startswith="run-message:").count() == run.registrations.count()


def test_a_message_is_text_in_the_html_mail(run):
    message = run_messages.send_run_message(
        cohort=run,
        audience="waiting",
        subject="<b>Let op</b>",
        body='<script>alert("x")</script>',
        form_token=uuid.uuid4(),
    )
    mail = OutgoingMail.objects.get(key__startswith=f"run-message:{message.pk}:")
    assert "<script>" not in mail.body_html and "&lt;script&gt;" in mail.body_html
    assert mail.subject == "<b>Let op</b>" and '<script>alert("x")</script>' in mail.body_text


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"subject": ""}, "Dit veld is verplicht."),
        ({"body": "   "}, "Dit veld is verplicht."),
        ({"body": "x" * 5001}, "niet meer dan 5000 tekens"),
        ({"subject": "x" * 151}, "niet meer dan 150 tekens"),
        ({"audience": "everyone"}, "Selecteer een geldige keuze"),
        ({"form_token": "not-a-token"}, "open het opnieuw"),
    ],
)
def test_bad_input_is_refused_in_dutch_and_sends_nothing(client, run, data, error):
    client.force_login(member("Trainer"))
    response = client.post(url(run), {**fields(), **data, "send": "1"})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not RunMessage.objects.exists() and not OutgoingMail.objects.filter(key__startswith="run-message:").exists()


def test_an_empty_audience_is_said_before_anything_is_sent(client):
    registration = placed_registration()
    enrolment.enroll_participants(registration=registration, rows=[participant_data(0)])
    client.force_login(member("Trainer"))
    response = client.post(url(registration.cohort), {**fields(audience="waiting"), "preview": "1"})
    assert "Niemand staat daarin in deze uitvoering." in response.content.decode()
    with pytest.raises(run_messages.MessageError, match="Niemand zou dit bericht krijgen"):
        run_messages.send_run_message(
            cohort=registration.cohort, audience="waiting", subject="s", body="b", form_token=uuid.uuid4()
        )


def test_only_staff_who_may_write_to_a_run_get_the_page(client, run, django_user_model):
    assert client.get(url(run)).status_code == 302
    client.force_login(django_user_model.objects.create_user("stagiair", password="x-secret-123", is_staff=True))
    assert client.get(url(run)).status_code == 403
    assert client.post(url(run), {**fields(), "send": "1"}).status_code == 403
    assert not RunMessage.objects.exists()
    client.force_login(member("Kantoor"))
    assert client.get(url(run)).status_code == 200
