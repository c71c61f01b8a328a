"""
Charts as SVG, drawn on the server: horizontal bars with their numbers written beside them.

Each chart is an <svg role="img"> with a <title> and a <desc> that says in
words what the bars show, so that a screen reader reads the figures and a
printout (the PDF) needs nothing else. No script, no colour alone: every
bar has its label and its value as text. The colours pass WCAG AA on white.
"""

from dataclasses import dataclass
from itertools import count

from django.utils.translation import gettext as _

BAR = "#1f5f4a"  # 7.6:1 on white
TEXT = "#212529"
TRACK = "#e9ecef"
# Each row is its label above its bar, the value beside the bar: drawn narrow, so that on a phone the chart is
# shown at about its own size and its text stays readable.
ROW_HEIGHT = 42
BAR_HEIGHT = 16
BAR_WIDTH = 270
VALUE_WIDTH = 90
WIDTH = BAR_WIDTH + VALUE_WIDTH
_ids = count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    label_y: int  # the label's baseline
    y: int  # the bar's top
    value_y: int  # the value's baseline, level with the bar
    width: int


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    bars: list[Bar]
    height: int
    width: int = WIDTH
    bar_width: int = BAR_WIDTH
    value_x: int = BAR_WIDTH + 8
    bar_height: int = BAR_HEIGHT
    colour: str = BAR
    text_colour: str = TEXT
    track_colour: str = TRACK


def bar_chart(*, title: str, rows: list[tuple[str, float, str]], maximum: float, prefix: str = "chart") -> Chart:
    """
    Return a horizontal bar chart.

    :param rows: (label, value, the value as text) per bar
    :param maximum: the value of a full bar
    """
    bars = [
        Bar(
            label=label,
            value_text=text,
            label_y=i * ROW_HEIGHT + 14,
            y=i * ROW_HEIGHT + 20,
            value_y=i * ROW_HEIGHT + 33,
            width=round(BAR_WIDTH * value / maximum) if maximum else 0,
        )
        for i, (label, value, text) in enumerate(rows)
    ]
    description = "; ".join(_("%(label)s: %(value)s") % {"label": label, "value": text} for label, _value, text in rows)
    return Chart(
        id=f"{prefix}-{next(_ids)}",
        title=title,
        description=description,
        bars=bars,
        height=max(len(rows), 1) * ROW_HEIGHT + 2,
    )


def distribution_chart(question) -> Chart:
    """The answers to a scale or choice question, a bar per point or option with its count."""
    total = sum(n for _label, n in question.distribution) or 1
    rows = []
    for label, n in question.distribution:
        shown = label
        if question.kind == "scale" and label == "1" and question.low_label:
            shown = f"1 · {question.low_label}"
        elif question.kind == "scale" and label == "5" and question.high_label:
            shown = f"5 · {question.high_label}"
        rows.append((shown, n, _("%(count)s (%(percent)s%%)") % {"count": n, "percent": round(n * 100 / total)}))
    return bar_chart(title=question.text, rows=rows, maximum=max((n for _l, n in question.distribution), default=0))


def response_rate_chart(title: str, rows: list[tuple[str, int | None]]) -> Chart:
    """Response rates in percent, a bar per day or run."""
    return bar_chart(
        title=title,
        rows=[(label, percent or 0, "–" if percent is None else f"{percent}%") for label, percent in rows],
        maximum=100,
    )


def average_chart(title: str, rows: list[tuple[str, float | None]]) -> Chart:
    """Averages on the scale of 1 to 5, a bar per run."""
    return bar_chart(
        title=title,
        rows=[(label, value or 0, "–" if value is None else f"{value:.1f}".replace(".", ",")) for label, value in rows],
        maximum=5,
    )


def with_charts(report):
    """Give a run's report its charts: the response rate per form, and each closed question's answers."""
    report.rate_chart = response_rate_chart(
        _("Response rate per form"), [(s.title, s.response_percent) for s in report.sections]
    )
    for section in report.sections:
        for question in section.questions:
            question.chart = None if question.is_open else distribution_chart(question)
    return report


def trend_charts(rows) -> list[Chart]:
    """The trend across a programme's runs: the response rate and the average of the scale answers per run."""
    return [
        response_rate_chart(_("Response rate per course run"), [(r.cohort.code, r.response_percent) for r in rows]),
        average_chart(_("Average of the scale answers per course run"), [(r.cohort.code, r.average) for r in rows]),
    ]
