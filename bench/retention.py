"""Retention over 10,000 participants: the task's time and queries, against a plain bulk UPDATE of the same rows."""

import datetime

from bench import common
from bench.common import TARGETS, bulk_runs, captured, setup_django, timed

PARTICIPANTS, PER_RUN = 10_000, 25
NO_OP_TARGET = 10  # queries of a retention run that finds nothing to erase, as the reminders' own


def main():
    setup_django()
    from cohorts.models import Participant
    from privacy import services as privacy

    days = common.programme_days()[:1]
    # Course runs of PER_RUN participants that ended in 2020, long past every retention period.
    run = {"count": PARTICIPANTS // PER_RUN, "participants": PER_RUN, "statuses": ["completed"], "days": days}
    rows = Participant.objects.filter(cohort__in=bulk_runs(prefix="A", first_date=datetime.date(2020, 1, 6), **run))
    baseline = timed(lambda: rows.update(first_name="Gewist", last_name="", school=""))[0]
    rows.delete()
    bulk_runs(prefix="B", first_date=datetime.date(2020, 1, 6), **run)
    queries, (elapsed, first) = captured(lambda: timed(privacy.apply_retention))
    again, second = captured(privacy.apply_retention)
    if first["participants"] != PARTICIPANTS or second["participants"]:
        raise RuntimeError(f"retention erased {first} and then {second}")
    target = TARGETS.check("queries of a retention run with nothing to do", len(again), "<=", NO_OP_TARGET)
    print(
        f"retention over {PARTICIPANTS:,} participants: {elapsed * 1000:,.0f} ms, {len(queries)} queries; "
        f"a plain bulk UPDATE of the same rows: {baseline * 1000:,.0f} ms: ratio {elapsed / baseline:.1f}; "
        f"a second run: {len(again)} queries, nothing to do {target}"
    )
    TARGETS.finish()


if __name__ == "__main__":
    main()
