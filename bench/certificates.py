"""
Certificates as PDF, in one process, each against a baseline of the same run:

1. One certificate, warm: the median of 20 renders of the same snapshot (after 5 untimed), against a minimal one-page
   WeasyPrint document, also warm; the two alternate.
2. Issuing a course run of 30 (completed, every participant present every day) with one issue_cohort_certificates,
   against 30 single renders of the same snapshot as (1), the mean of a batch just before and just after; also its
   queries and the part of its time spent rendering.
3. Memory: the max RSS before and after (2), and the tracemalloc peak while issuing a second run of 30 (apart, as
   tracing slows Python code; it sees Python's allocations only, not cairo's, Pango's or HarfBuzz's).

No e-mail is sent (see common.in_process); the PDFs go to a MEDIA_ROOT in the scratch folder.
"""

import datetime
import os
import resource
import time
import tracemalloc

from bench.common import TARGETS, captured, in_process, interleaved, kinds, report, setup_django, timed, versus

WARMUP, RENDERS = 5, 20
COHORT = 30
RENDER_TARGET, ISSUE_TARGET = 3.0, 1.2
PROGRAMME = "verbindend-leiderschap"
FIRST_DAY = datetime.date(2026, 2, 2)  # as registry/tests/test_certificates.py, within the validity below
WEEK = datetime.timedelta(weeks=1)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def completed_run():
    """A completed course run of COHORT (as the tests' completed_run()) whose participants all attended every day."""
    from cohorts.models import CourseDay
    from cohorts.services import attendance
    from cohorts.tests.factories import ParticipantFactory, RegistrationFactory

    cohort = (registration := RegistrationFactory(expected_participants=COHORT)).cohort
    # The names and the run's code are printed: their glyphs weigh on the time a PDF takes.
    person = {
        "registration": registration,
        "initials": "A.",
        "tussenvoegsel": "van der",
        "final_assignment_approved_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    }
    people = [ParticipantFactory(first_name=f"Anna{n}", last_name=f"Bakker{n}", **person) for n in range(COHORT)]
    hours = {"start_time": datetime.time(9), "end_time": datetime.time(16)}
    days = [
        CourseDay.objects.create(
            cohort=cohort, programme_day=day, date=FIRST_DAY + 2 * (day.number - 1) * WEEK, **hours
        )
        for day in cohort.programme.days.order_by("number")
    ]
    entries = [attendance.AttendanceEntry(person.pk, day.pk, "present") for person in people for day in days]
    attendance.record_attendance(cohort=cohort, entries=entries, recorded_by=None)
    cohort.status = "completed"
    cohort.save()
    return cohort, people


def main():
    scratch = setup_django()
    import weasyprint
    from django.utils import timezone
    from weasyprint.text.ffi import harfbuzz_subset

    from registry import pdf, services
    from registry.models import Accreditation, Certificate

    in_process(MEDIA_ROOT=os.path.join(scratch, "media"))
    print(
        f"   (WeasyPrint {weasyprint.__version__}; HarfBuzz subsetter found: {harfbuzz_subset is not None}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    started, accreditation = time.perf_counter(), Accreditation.objects.get(programme__slug=PROGRAMME, register="po")
    # As the tests' accreditation fixture: with its hours, and valid on the days of the runs.
    accreditation.number, accreditation.contact_hours, accreditation.self_study_hours = "SLR-2026-0042", 36, 24
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    (cohort, people), (traced_cohort, _people) = completed_run(), completed_run()
    print(f"   (two completed course runs of {COHORT} made in {time.perf_counter() - started:.1f} s)")

    # The snapshot of (1) and of the baseline of (2): the first participant's, as issuing would build it.
    participant, days = people[0], cohort.days.count()
    snapshot = services.build_snapshot(
        participant=participant,
        kind=Certificate.Kind.CERTIFICATE,
        accreditation=accreditation,
        attended=days,
        number=f"{cohort.code}-001",
        version=1,
        issued_on=timezone.localdate(),
    )
    url = services.verification_url(Certificate(participant=participant))

    def certificate():
        return pdf.render_certificate(snapshot, verification_url=url, language=participant.language)

    def hello():
        return weasyprint.HTML(string="<p>Hallo</p>").write_pdf()

    # 1. One certificate, warm, against the minimal document.
    first_render = timed(certificate)[0]  # the first one parses the stylesheet and loads the fonts
    samples = interleaved({"hello": hello, "certificate": certificate}, warmup=WARMUP, rounds=RENDERS)
    document = "a minimal one-page WeasyPrint document"
    versus("one certificate, warm", samples["certificate"], samples["hello"], document, "<=", RENDER_TARGET)
    print(
        f"   (median of {RENDERS} after {WARMUP} untimed; the process's first render took {first_render * 1000:.0f} "
        f"ms; a PDF of {len(certificate()) / 1024:.0f} KiB; {days} course days)"
    )

    # 2. Issuing a course run of 30, against 30 single renders of the same snapshot before and after.
    before = timed(lambda: [certificate() for _ in range(COHORT)])[0]
    rendering, render = [], pdf.render_certificate

    def render_timed(*args, **kwargs):
        seconds, rendered = timed(lambda: render(*args, **kwargs))
        rendering.append(seconds)
        return rendered

    pdf.render_certificate = render_timed
    rss_before = max_rss_mb()
    queries, (issuing, result) = captured(lambda: timed(lambda: services.issue_cohort_certificates(cohort=cohort)))
    pdf.render_certificate, rss_after = render, max_rss_mb()
    after = timed(lambda: [certificate() for _ in range(COHORT)])[0]
    if result["issued"] != COHORT or result["skipped"]:
        raise RuntimeError(f"issued {result['issued']} of {COHORT}; skipped {result['skipped']}")
    issued = Certificate.objects.filter(participant__cohort=cohort, status=Certificate.Status.VALID)
    if issued.count() != COHORT or issued.filter(sha256="").exists():
        raise RuntimeError("not every participant has a certificate with its PDF")
    baseline = (before + after) / 2
    text = (
        f"{issuing * 1000:,.0f} ms ({issuing / COHORT * 1000:.1f} ms each) against {COHORT} single renders of the "
        f"same snapshot at {baseline * 1000:,.0f} ms (before {before * 1000:,.0f}, after {after * 1000:,.0f}): "
        f"ratio {issuing / baseline:.2f}"
    )
    rest = f"; queries {len(queries)} ({len(queries) / COHORT:.1f} each: {kinds(queries)})"
    figure = f"issuing a course run of {COHORT} (issue_cohort_certificates)"
    report(figure, text, issuing / baseline, "<=", ISSUE_TARGET, rest=rest)
    print(
        f"   (of which in render_certificate: {sum(rendering) * 1000:,.0f} ms over {len(rendering)} renders; the rest, "
        f"queries, e-mail rendering and writing the files: {(issuing - sum(rendering)) * 1000:,.0f} ms; issuing / its "
        f"own renders {issuing / sum(rendering):.2f}, which other load on the machine sways less)"
    )

    # 3. Memory.
    tracemalloc.start()
    traced = services.issue_cohort_certificates(cohort=traced_cohort)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if traced["issued"] != COHORT:
        raise RuntimeError(f"the traced run issued {traced['issued']} of {COHORT}; skipped {traced['skipped']}")
    print(
        f"memory: max RSS {rss_before:,.1f} MB before issuing the run of {COHORT}, {rss_after:,.1f} MB after "
        f"(+{rss_after - rss_before:,.1f} MB; {max_rss_mb():,.1f} MB at the end); tracemalloc peak while issuing "
        f"another run of {COHORT}: {peak / 1024 / 1024:,.1f} MB"
    )
    TARGETS.finish()


if __name__ == "__main__":
    main()
