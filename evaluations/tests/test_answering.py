"""The answer page behind a personal link: once, anonymously; bad input gives Dutch messages, never a 500."""

import datetime

import pytest
from django.core import signing
from django.urls import reverse

from cohorts import tokens
from cohorts.services.links import participant_page_url
from evaluations.forms import OPEN_ANSWER_MAX, field_name
from evaluations.models import Answer, Invitation, Question, Response
from evaluations.services import answering, sending

from .conftest import invitations
from .factories import answer_data

pytestmark = pytest.mark.django_db


def path_of(invitation):
    return sending.answer_url(invitation).removeprefix("http://testserver").split("://", 1)[-1].split("/", 1)[-1]


def url(invitation):
    return "/" + path_of(invitation)


def scale_question(invitation):
    return answering.form_for(invitation).questions.filter(kind=Question.Kind.SCALE).first()


def test_a_participant_answers_once_and_the_answer_names_no_one(client, evaluated_run):
    invitation = invitations(evaluated_run())[0]
    page = client.get(url(invitation))
    assert page.status_code == 200
    assert "anoniem" in page.content.decode()
    response = client.post(url(invitation), answer_data(invitation))
    assert response.status_code == 200
    assert "Dank u wel voor uw antwoorden" in response.content.decode()
    stored = Response.objects.get()
    assert stored.answered_on == datetime.date(2027, 3, 1)
    fields = {f.name for f in Response._meta.get_fields()}
    assert fields == {"id", "form", "cohort", "course_day", "answered_on", "answers"}
    assert Invitation.objects.get(pk=invitation.pk).answered
    again = client.post(url(invitation), answer_data(invitation))
    assert again.status_code == 410
    assert "al ingevuld" in again.content.decode()
    assert Response.objects.count() == 1


def test_answering_one_link_leaves_the_others_open(client, evaluated_run):
    first, second, _third = invitations(evaluated_run())
    client.post(url(first), answer_data(first))
    assert client.get(url(second)).status_code == 200
    assert not Invitation.objects.get(pk=second.pk).answered


def test_an_empty_required_answer_is_asked_again_in_dutch(client, evaluated_run):
    invitation = invitations(evaluated_run())[0]
    data = answer_data(invitation)
    data.pop(field_name(scale_question(invitation)))
    response = client.post(url(invitation), data)
    assert response.status_code == 400
    assert "Beantwoord deze vraag alstublieft." in response.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize("value", ["0", "6", "-1", "drie", "4.5", ""])
def test_a_scale_out_of_range_is_refused_in_dutch(client, evaluated_run, value):
    invitation = invitations(evaluated_run())[0]
    data = {**answer_data(invitation), field_name(scale_question(invitation)): value}
    response = client.post(url(invitation), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Kies een van de mogelijkheden." in text or "Beantwoord deze vraag alstublieft." in text
    assert not Answer.objects.exists()


def test_html_is_stored_as_text_and_shown_escaped(staff_client, client, evaluated_run):
    cohort = evaluated_run()
    invitation = invitations(cohort)[0]
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert client.post(url(invitation), answer_data(invitation, text=script)).status_code == 200
    assert Answer.objects.filter(text=script).exists()
    report = staff_client.get(reverse("admin:evaluations_runevaluation_change", args=[cohort.pk]))
    assert script not in report.content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in report.content.decode()


def test_a_huge_text_is_refused_in_dutch(client, evaluated_run):
    invitation = invitations(evaluated_run())[0]
    response = client.post(url(invitation), answer_data(invitation, text="x" * (OPEN_ANSWER_MAX + 1)))
    assert response.status_code == 400
    assert f"onder {OPEN_ANSWER_MAX} tekens" in response.content.decode()
    assert not Response.objects.exists()


def test_a_forged_truncated_or_other_kind_of_link_opens_nothing(client, evaluated_run):
    invitation = invitations(evaluated_run())[0]
    good = sending.answer_url(invitation).rsplit("/", 2)[-2]
    forged = signing.Signer(salt="something-else").sign(invitation.key)
    participant_token = participant_page_url(invitation.participant).rstrip("/").rsplit("/", 1)[-1]
    for token in (good[:-3], good + "x", forged, participant_token, tokens.make_token("unknown", sending.ANSWER)):
        for method in (client.get, client.post):
            response = method(reverse("evaluations:answer", kwargs={"token": token}), answer_data(invitation))
            assert response.status_code == 404
    assert not Response.objects.exists()


def test_an_expired_link_is_closed(client, evaluated_run, fixed_clock, settings):
    invitation = invitations(evaluated_run())[0]
    fixed_clock.shift(datetime.timedelta(days=settings.EVALUATION_LINK_DAYS))
    response = client.post(url(invitation), answer_data(invitation))
    assert response.status_code == 410
    assert "gesloten" in response.content.decode()
    assert not Response.objects.exists()


def test_the_page_is_personal_and_never_cached(client, evaluated_run):
    invitation = invitations(evaluated_run())[0]
    response = client.get(url(invitation))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
