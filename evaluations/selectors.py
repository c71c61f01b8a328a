"""
What the evaluations show: a run's report per day, a programme's trend across runs, a board's share of them.

Every figure is an aggregate over responses that name no person; the open
answers are listed in an order of their own (by text), not in the order
they came in.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils.translation import gettext

from cohorts.models import Cohort, CourseDay, Participant
from programme.models import Programme

from . import charts
from .models import SCALE_MAX, SCALE_MIN, Answer, EvaluationForm, EvaluationSettings, Invitation, Question, Response


@dataclass
class QuestionResult:
    text: str
    kind: str
    low_label: str = ""
    high_label: str = ""
    # (label, count) per scale point or option, in their order.
    distribution: list[tuple[str, int]] = field(default_factory=list)
    answered: int = 0
    average: float | None = None
    open_answers: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    chart: object = None

    @property
    def is_open(self) -> bool:
        return self.kind == Question.Kind.OPEN


@dataclass
class Section:
    """The results of one form in one run: after one day, or at the end."""

    key: str
    title: str
    day: CourseDay | None
    invited: int
    responses: int
    questions: list[QuestionResult]

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invited if self.invited else None

    @property
    def response_percent(self) -> int | None:
        rate = self.response_rate
        return None if rate is None else round(rate * 100)


@dataclass
class RunReport:
    cohort: Cohort
    sections: list[Section]

    @property
    def responses(self) -> int:
        return sum(s.responses for s in self.sections)


def run_report(cohort: Cohort, *, with_open_answers: bool = True) -> RunReport:
    """Return a run's results per course day and for the end form, in a fixed number of queries (four)."""
    days = list(cohort.days.select_related("programme_day").order_by("date", "start_time"))
    invited = Counter(
        {
            (row["course_day"], row["kind"]): row["n"]
            for row in Invitation.objects.filter(cohort=cohort)
            .values("course_day", "kind")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    responses = Counter(
        {
            (row["course_day"], row["form__kind"]): row["n"]
            for row in Response.objects.filter(cohort=cohort)
            .values("course_day", "form__kind")
            .annotate(n=Count("pk"))
            .order_by()
        }
    )
    answers = list(
        Answer.objects.filter(response__cohort=cohort)
        .select_related("question__form")
        .values(
            "response__course_day",
            "question_id",
            "question__text",
            "question__kind",
            "question__position",
            "question__low_label",
            "question__high_label",
            "question__options",
            "question__form__version",
            "scale",
            "choice",
            "text",
        )
        .order_by("question__form__version", "question__position", "question_id")
    )
    by_day = defaultdict(list)
    for row in answers:
        by_day[row["response__course_day"]].append(row)
    sections = [
        Section(
            key=f"day-{day.programme_day.number}",
            title=str(day.programme_day),
            day=day,
            invited=invited[(day.pk, Invitation.Kind.DAY)],
            responses=responses[(day.pk, EvaluationForm.Kind.DAY)],
            questions=_question_results(by_day[day.pk], with_open_answers=with_open_answers),
        )
        for day in days
    ]
    sections.append(
        Section(
            key="end",
            title=gettext("End evaluation"),
            day=None,
            invited=invited[(None, Invitation.Kind.END)],
            responses=responses[(None, EvaluationForm.Kind.END)],
            questions=_question_results(by_day[None], with_open_answers=with_open_answers),
        )
    )
    return RunReport(cohort=cohort, sections=sections)


def _question_results(rows: list[dict], *, with_open_answers: bool) -> list[QuestionResult]:
    """Aggregate the answers of one section per question, in the form's order."""
    results: dict[int, QuestionResult] = {}
    values: dict[int, list] = defaultdict(list)
    for row in rows:
        question_id = row["question_id"]
        if question_id not in results:
            results[question_id] = QuestionResult(
                text=row["question__text"],
                kind=row["question__kind"],
                low_label=row["question__low_label"],
                high_label=row["question__high_label"],
                options=list(row["question__options"] or []),
            )
        kind = row["question__kind"]
        values[question_id].append(
            row["scale"]
            if kind == Question.Kind.SCALE
            else row["choice"]
            if kind == Question.Kind.CHOICE
            else row["text"]
        )
    for question_id, result in results.items():
        _aggregate(result, values[question_id], with_open_answers=with_open_answers)
    return [r for r in results.values() if with_open_answers or not r.is_open]


def _aggregate(result: QuestionResult, values: list, *, with_open_answers: bool) -> None:
    result.answered = len(values)
    counts = Counter(values)
    if result.kind == Question.Kind.SCALE:
        result.distribution = [(str(n), counts[n]) for n in range(SCALE_MIN, SCALE_MAX + 1)]
        result.average = round(sum(values) / len(values), 1) if values else None
    elif result.kind == Question.Kind.CHOICE:
        options = result.options + sorted(set(values) - set(result.options))
        result.distribution = [(option, counts[option]) for option in options]
    elif with_open_answers:
        result.open_answers = sorted(v for v in values if v.strip())


@dataclass
class TrendRow:
    cohort: Cohort
    invited: int
    responses: int
    average: float | None

    @property
    def response_percent(self) -> int | None:
        return round(self.responses * 100 / self.invited) if self.invited else None


def programme_trend(programme: Programme) -> list[TrendRow]:
    """Return per run of the programme, oldest first: the response rate and the average of every scale answer."""
    cohorts = (
        Cohort.objects.filter(programme=programme)
        .annotate(
            invited=Count("evaluation_invitations", distinct=True),
            responses=Count("evaluation_responses", distinct=True),
        )
        .filter(invited__gt=0)
        .order_by("created_at", "pk")
    )
    averages = dict(
        Answer.objects.filter(response__cohort__programme=programme, scale__isnull=False)
        .values("response__cohort")
        .annotate(avg=Avg("scale"))
        .values_list("response__cohort", "avg")
        .order_by()
    )
    return [
        TrendRow(
            cohort=c,
            invited=c.invited,
            responses=c.responses,
            average=round(averages[c.pk], 2) if averages.get(c.pk) is not None else None,
        )
        for c in cohorts
    ]


def board_results(cohort: Cohort) -> RunReport | None:
    """
    Return the run's aggregated results for its boards, or None while too few answered to keep anyone unrecognised.

    Only the forms with at least EVALUATION_MIN_RESPONSES responses are in
    it, and no open answer: a sentence can give its writer away.
    """
    report = run_report(cohort, with_open_answers=False)
    report.sections = [s for s in report.sections if s.responses >= settings.EVALUATION_MIN_RESPONSES]
    return charts.with_charts(report) if report.sections else None


def end_evaluation_required(programme_id: int) -> bool:
    return EvaluationSettings.objects.filter(programme_id=programme_id, end_evaluation_required=True).exists()


def end_evaluation_missing(participant: Participant) -> bool:
    """
    Return whether the participant still has to fill in the end evaluation before their certificate.

    False where the programme does not require it; True where it does and
    they have not answered the end form (whether or not it was sent yet).
    """
    if not end_evaluation_required(participant.cohort.programme_id):
        return False
    return not Invitation.objects.filter(participant=participant, kind=Invitation.Kind.END, answered=True).exists()


def answers_for_export(cohort: Cohort) -> list[dict]:
    """Return every answer of a run, a row each, numbered per response in an order that is not the arrival order."""
    rows = list(
        Answer.objects.filter(response__cohort=cohort)
        .values(
            "response_id",
            "response__answered_on",
            "response__course_day__programme_day__number",
            "response__form__title",
            "response__form__version",
            "question__position",
            "question__text",
            "scale",
            "choice",
            "text",
        )
        .order_by(
            "response__course_day__programme_day__number", "response__answered_on", "response_id", "question__position"
        )
    )
    numbers: dict[int, int] = {}
    for row in rows:
        row["number"] = numbers.setdefault(row.pop("response_id"), len(numbers) + 1)
    return rows


def cohorts_with_responses():
    return Cohort.objects.annotate(responses=Count("evaluation_responses")).filter(~Q(responses=0))
