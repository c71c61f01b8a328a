"""The report: per run and day, aggregated and anonymous; its PDF and CSV; the board's share above the threshold."""

import csv
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from evaluations import selectors
from evaluations.models import EvaluationForm, Question, RunEvaluation

from .conftest import invitations
from .factories import answered

pytestmark = pytest.mark.django_db


def answer_all(cohort, *, text="Heel leerzaam."):
    for number, invitation in enumerate(invitations(cohort)):
        answered(invitation, scale=(number % 5) + 1, text=text)


def admin_pages(cohort):
    """Every admin page of the app, for the run and its programme."""
    form = EvaluationForm.objects.filter(programme=cohort.programme).first()
    return [
        reverse("admin:app_list", args=["evaluations"]),
        reverse("admin:evaluations_evaluationform_changelist"),
        reverse("admin:evaluations_evaluationform_change", args=[form.pk]),
        reverse("admin:evaluations_evaluationform_new_version", args=[form.pk]),
        reverse("admin:evaluations_evaluationsettings_changelist"),
        reverse("admin:evaluations_runevaluation_changelist"),
        reverse("admin:evaluations_runevaluation_change", args=[cohort.pk]),
        reverse("admin:evaluations_runevaluation_trend", args=[cohort.programme_id]),
        reverse("admin:evaluations_runevaluation_csv", args=[cohort.pk]),
    ]


def test_no_admin_page_export_or_report_names_a_respondent(staff_client, evaluated_run):
    cohort = evaluated_run(participants=3)
    answer_all(cohort)
    people = list(cohort.participants.all())
    texts = []
    for url in admin_pages(cohort):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        texts.append(response.content.decode("utf-8-sig"))
    pdf = staff_client.get(reverse("admin:evaluations_runevaluation_pdf", args=[cohort.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    texts.append("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages))
    assert "Heel leerzaam." in texts[-1]  # the reader reads the report's own text
    for text in texts:
        for person in people:
            for mark in (person.first_name, person.last_name, person.email, person.full_name):
                assert mark not in text


def test_the_report_counts_the_response_and_the_answers_per_day(evaluated_run):
    cohort = evaluated_run(participants=3)
    first, second, _third = invitations(cohort)
    answered(first, scale=5, text="Veel geleerd.")
    answered(second, scale=3, text="<b>Te vol</b>")
    report = selectors.run_report(cohort)
    day = report.sections[0]
    assert (day.invited, day.responses, day.response_percent) == (3, 2, 67)
    overall = next(q for q in day.questions if q.kind == Question.Kind.SCALE)
    assert overall.distribution == [("1", 0), ("2", 0), ("3", 1), ("4", 0), ("5", 1)]
    assert overall.average == 4.0
    choice = next(q for q in day.questions if q.kind == Question.Kind.CHOICE)
    assert choice.distribution == [("Te langzaam", 2), ("Precies goed", 0), ("Te snel", 0)]
    opened = next(q for q in day.questions if q.is_open)
    assert opened.open_answers == ["<b>Te vol</b>", "Veel geleerd."]  # by text, not by arrival
    assert [s.responses for s in report.sections[1:]] == [0] * 6  # days 2-6 and the end


def test_the_charts_are_accessible_svg_with_their_figures_in_words(staff_client, evaluated_run):
    cohort = evaluated_run(participants=2)
    answer_all(cohort)
    page = staff_client.get(reverse("admin:evaluations_runevaluation_change", args=[cohort.pk])).content.decode()
    assert page.count("<svg") >= 6
    assert 'class="evaluation-chart"' in page and 'role="img" aria-labelledby="chart-' in page
    assert "<title id=" in page and "<desc id=" in page
    assert "1 · Zeer matig: 1 (50%); 2: 1 (50%); 3: 0 (0%); 4: 0 (0%); 5 · Uitstekend: 0 (0%)" in page
    assert "<script" not in page.split("<svg", 1)[1].rsplit("</svg>", 1)[0]


def test_the_csv_has_no_formula_and_no_time(staff_client, evaluated_run):
    cohort = evaluated_run(participants=2)
    answer_all(cohort, text='=HYPERLINK("http://x")')
    response = staff_client.get(reverse("admin:evaluations_runevaluation_csv", args=[cohort.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["antwoord", "dag", "ingevuld op", "formulier", "versie", "vraag", "antwoord"]
    assert {row[2] for row in rows[1:]} == {"2027-03-01"}
    assert {row[0] for row in rows[1:]} == {"1", "2"}
    assert '\'=HYPERLINK("http://x")' in {row[6] for row in rows[1:]}
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("participants", [2, 8])
def test_the_report_takes_the_same_queries_however_many_answered(
    staff_client, evaluated_run, participants, django_assert_num_queries
):
    cohort = evaluated_run(participants=participants)
    answer_all(cohort)
    url = reverse("admin:evaluations_runevaluation_change", args=[cohort.pk])
    # session, user, the run; the days, invitations, responses, answers
    with django_assert_num_queries(7):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert f"{participants} van de {participants} vulden het in (100%)." in response.content.decode()


def test_a_board_sees_nothing_below_the_threshold_and_no_open_answer_above(evaluated_run, settings):
    settings.EVALUATION_MIN_RESPONSES = 5
    cohort = evaluated_run(participants=6)
    pending = invitations(cohort)
    for invitation in pending[:4]:
        answered(invitation, text="Dit schreef ik zelf.")
    assert selectors.board_results(cohort) is None
    empty = render_to_string("evaluations/_board_results.html", {"results": None})
    assert "zodra genoeg deelnemers" in empty
    answered(pending[4], text="Dit schreef ik zelf.")
    results = selectors.board_results(cohort)
    assert [s.responses for s in results.sections] == [5]
    shown = render_to_string("evaluations/_board_results.html", {"results": results})
    assert "<svg" in shown and "Dit schreef ik zelf." not in shown


def test_the_report_needs_the_view_permission(client, evaluated_run, fixed_clock):
    from django.contrib.auth.models import User

    cohort = evaluated_run(participants=1)
    someone = User.objects.create_user("staff-without", password="x-secret-123", is_staff=True)
    client.force_login(someone)
    url = reverse("admin:evaluations_runevaluation_change", args=[cohort.pk])
    assert client.get(url).status_code == 403
    assert client.get(reverse("admin:evaluations_runevaluation_pdf", args=[cohort.pk])).status_code == 403


def test_the_trainer_and_the_office_may_read_the_reports():
    from django.contrib.auth.models import Group

    for name in ("Trainer", "Kantoor"):
        assert Group.objects.get(name=name).permissions.filter(codename="view_runevaluation").exists()
    assert RunEvaluation._meta.proxy


def test_the_trend_shows_each_evaluated_run_of_the_programme(staff_client, evaluated_run):
    earlier, later = evaluated_run(participants=2), evaluated_run(participants=4)
    answer_all(earlier)
    answered(invitations(later)[0], scale=2)
    rows = selectors.programme_trend(earlier.programme)
    assert [(r.cohort, r.invited, r.responses, r.response_percent) for r in rows] == [
        (earlier, 2, 2, 100),
        (later, 4, 1, 25),
    ]
    page = staff_client.get(reverse("admin:evaluations_runevaluation_trend", args=[earlier.programme_id]))
    assert page.status_code == 200, page
    text = page.content.decode()
    assert f"{earlier.code}: 100%; {later.code}: 25%" in text
    assert text.count("<svg") >= 2


def test_the_board_page_shows_its_runs_results_only_above_the_threshold(client, evaluated_run, settings):
    """The board's contact sees the aggregated results of their run on their page once enough answered."""
    from cohorts.services import links, runs

    settings.EVALUATION_MIN_RESPONSES = 5
    cohort = evaluated_run(participants=6)
    runs.start_due_cohorts()  # beat starts the run on its first day
    path = links.board_page_url(cohort.registrations.first()).removeprefix(settings.SITE_URL)
    pending = invitations(cohort)
    for invitation in pending[:4]:
        answered(invitation)
    page = client.get(path).content.decode()
    assert "Hoe de deelnemers de cursus beoordeelden" in page
    assert "zodra genoeg deelnemers" in page and "<svg" not in page
    answered(pending[4])
    page = client.get(path).content.decode()
    assert "<svg" in page and "zodra genoeg deelnemers" not in page
