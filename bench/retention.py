"""
Retention over 10,000 participants: the task's time and queries, against a
plain bulk UPDATE of the same rows in the same run.
"""

import datetime
import time
import uuid

from common import setup_django

PARTICIPANTS = 10_000
PER_RUN = 25


def make_runs(programme, start):
    from cohorts.models import Board, Cohort, CourseDay, Participant, Registration

    board = Board.objects.create(name="Stichting Bench", bestuursnummer=f"{uuid.uuid4().int % 100000:05d}", sector="po")
    day_one = programme.days.get(number=1)
    runs = PARTICIPANTS // PER_RUN
    cohorts = Cohort.objects.bulk_create(
        Cohort(programme=programme, code=f"B{start}-{n:05d}", status=Cohort.Status.COMPLETED) for n in range(runs)
    )
    CourseDay.objects.bulk_create(
        CourseDay(
            cohort=c,
            programme_day=day_one,
            date=datetime.date(2020, 1, 6),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
        for c in cohorts
    )
    registrations = Registration.objects.bulk_create(
        Registration(
            board=board,
            cohort=c,
            contact_name="Contact",
            contact_email=f"c{start}-{c.pk}@example.nl",
            expected_participants=PER_RUN,
            privacy_consent_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
            submission_key=uuid.uuid4().hex,
        )
        for c in cohorts
    )
    Participant.objects.bulk_create(
        Participant(
            registration=r,
            cohort=r.cohort,
            first_name="Anne",
            last_name=f"Berg{start}-{r.pk}-{n}",
            email=f"p{start}-{r.pk}-{n}@school.example.nl",
            role="directeur",
            school="OBS",
            brin="12AB",
        )
        for r in registrations
        for n in range(PER_RUN)
    )
    return [c.pk for c in cohorts]


def main():
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cohorts.models import Participant
    from privacy import services as privacy
    from programme.models import Programme

    programme = Programme.objects.get(slug="verbindend-leiderschap")
    # Baseline: the same number of rows, anonymised by one plain UPDATE.
    baseline_cohorts = make_runs(programme, "a")
    started = time.perf_counter()
    Participant.objects.filter(cohort_id__in=baseline_cohorts).update(first_name="Gewist", last_name="", school="")
    baseline = time.perf_counter() - started
    Participant.objects.filter(cohort_id__in=baseline_cohorts).delete()

    make_runs(programme, "b")
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = privacy.apply_retention()
        elapsed = time.perf_counter() - started
    assert report["participants"] == PARTICIPANTS, report
    with CaptureQueriesContext(connection) as again:
        second = privacy.apply_retention()
    assert second["participants"] == 0
    print(
        f"retention over {PARTICIPANTS:,} participants: {elapsed * 1000:,.0f} ms, {len(queries)} queries; "
        f"a plain bulk UPDATE of the same rows: {baseline * 1000:,.0f} ms: ratio {elapsed / baseline:.1f}; "
        f"a second run: {len(again)} queries, nothing to do"
    )


if __name__ == "__main__":
    main()
