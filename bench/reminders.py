"""
The reminder run, in one process, when 100 confirmed runs of 30 have a day within the 7-day window: the first run
queues 3,000 reminders and the boards' copies, against a plain query of the same participant and day rows plus a
plain bulk INSERT of copies of the rows it wrote; the medians of 5 turns of each (rolled back), after one untimed.
Then a run is committed, for its queries, and the second finds everything queued. No e-mail is sent.
"""

import datetime
import statistics
import time
from zoneinfo import ZoneInfo

from bench.common import TARGETS, bulk_runs, captured, in_process, interleaved, kinds, report, setup_django, timed

COHORTS, PARTICIPANTS = 100, 30
RUN_TARGET = 2.0  # the first run against the plain query plus bulk INSERT
NO_OP_TARGET = 10  # queries of a reminder run that finds nothing to queue
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Day 1 of the runs is four days after the run: its 7-day window is due and its 1-day window is not.
NOW = datetime.datetime(2028, 3, 6, 12, 0, tzinfo=AMSTERDAM)
DAY_ONE = datetime.date(2028, 3, 10)


def main():
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from cohorts.models import Participant
    from cohorts.services.reminders import send_due_reminders
    from mail.models import OutgoingMail

    in_process()
    started, expected = time.perf_counter(), COHORTS * PARTICIPANTS
    run = {"participants": PARTICIPANTS, "spread": 0, "statuses": ["confirmed"], "first_date": DAY_ONE}
    bulk_runs(prefix="REM", count=COHORTS, **run)
    made = time.perf_counter() - started
    print(f"   ({COHORTS} confirmed course runs with {expected:,} participants made in {made:.1f} s)", flush=True)
    today = timezone.localdate(NOW, AMSTERDAM)

    def plain_fetch():
        """The participant and day rows the reminders are about, in one plain query."""
        window = {"cohort__days__date__gte": today, "cohort__days__date__lte": today + datetime.timedelta(days=7)}
        fields = ["email", "language", "access_key", "cohort__code", "cohort__days__pk", "cohort__days__date"]
        rows = Participant.objects.filter(cohort__status="confirmed", status="enrolled", **window)
        return list(rows.values_list("pk", *fields, "cohort__days__start_time"))

    columns = ["to", "reply_to", "subject", "body_text", "body_html", "language", "template", "about"]
    copies = []

    def rolled_back_run():
        """A first reminder run, rolled back; the first one's rows kept for the baseline (untimed: each is alike)."""
        with transaction.atomic():
            queued = send_due_reminders(now=NOW)
            if not copies:
                copies[:] = OutgoingMail.objects.filter(key__startswith="reminder").values(*columns)
            transaction.set_rollback(True)
        return queued

    def plain_insert():
        """Copies of the rows a run wrote, with other keys, in one bulk INSERT; rolled back."""
        with transaction.atomic():
            OutgoingMail.objects.bulk_create(
                OutgoingMail(**row, key=f"plain:{n}", message_id=f"<plain-{n}@bench>") for n, row in enumerate(copies)
            )
            transaction.set_rollback(True)

    count = expected + COHORTS  # each run's one board contact gets a copy about their leaders too
    if len(rows := plain_fetch()) != expected or rolled_back_run() != count or len(copies) != count:
        raise RuntimeError(f"the plain query found {len(rows)} rows, a run {len(copies)}; expected {expected} + copies")
    calls = {"fetch": plain_fetch, "insert": plain_insert, "run": rolled_back_run}
    samples = {name: statistics.median(times) for name, times in interleaved(calls, warmup=1, rounds=5).items()}
    baseline, elapsed = samples["fetch"] + samples["insert"], samples["run"]
    first, queued = captured(lambda: send_due_reminders(now=NOW))
    written = OutgoingMail.objects.filter(key__startswith="reminder:").count()
    if queued != count or written != expected:
        raise RuntimeError(f"the first reminder run queued {queued} ({written} rows), expected {expected} + copies")
    figure = f"reminder run queuing {queued:,} reminders"
    text = (
        f"{elapsed * 1000:,.0f} ms median of 5 ({elapsed / queued * 1000:.2f} ms each) against a plain query of the "
        f"same {len(rows):,} participant+day rows at {samples['fetch'] * 1000:.1f} ms plus a bulk INSERT of those "
        f"{count:,} outbox rows at {samples['insert'] * 1000:.1f} ms: ratio {elapsed / baseline:.2f}"
    )
    report(figure, text, elapsed / baseline, "<=", RUN_TARGET, rest=f"; queries {len(first)} ({kinds(first)})")
    second, (second_elapsed, again) = captured(lambda: timed(lambda: send_due_reminders(now=NOW)))
    if again:
        raise RuntimeError(f"the second reminder run queued {again} more")
    text = f"{second_elapsed * 1000:.1f} ms, queries {len(second)} ({kinds(second)})"
    report("second reminder run (everything queued already)", text, len(second), "<=", NO_OP_TARGET)
    TARGETS.finish()


if __name__ == "__main__":
    main()
