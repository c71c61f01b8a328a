"""
Certificates as PDF, in one process against the scratch database (see
common.setup_django), each against a baseline measured in the same run.

1. One certificate, warm: the median of 20 renders of
   registry.pdf.render_certificate of the same snapshot (after 5 untimed
   ones), against a minimal one-page WeasyPrint document
   (HTML(string="<p>Hallo</p>").write_pdf()), also warm; the two alternate,
   so that other load on this shared machine weighs on both alike.
   Target: ratio <= 3.
2. Issuing a course run of 30 (a completed run whose 30 participants all
   attended every day; the accreditation's validity set) with one call of
   registry.services.issue_cohort_certificates, against 30 single renders
   of the same snapshot as (1): the mean of a batch just before and a batch
   just after the issuing. Target: ratio <= 1.2. Also its queries
   (CaptureQueriesContext, BEGIN and COMMIT included) and the part of its
   time spent in render_certificate.
3. Memory: the process's max RSS (resource.getrusage) before and after the
   issuing of (2), and the tracemalloc peak while issuing a second run of
   30. That is a separate run because tracing makes Python code several
   times slower, which would spoil the time of (2); tracemalloc sees only
   what goes through Python's allocators, not cairo's, Pango's or
   HarfBuzz's own, which the RSS includes.

No e-mail is sent: mail.services.enqueue_delivery, which only hands queued
rows to Celery after commit, is replaced by a no-op in this process; the
outbox rows are still rendered and written as in production. The PDFs are
written to a MEDIA_ROOT in the scratch folder.
"""

import datetime
import os
import resource
import statistics
import time
import tracemalloc
from collections import Counter, deque

from common import cleanup, setup_django

WARMUP = 5  # untimed renders of each kind before measuring
RENDERS = 20  # timed renders of each kind in (1)
COHORT = 30  # participants of a course run in (2) and (3)
RENDER_TARGET = 3.0
ISSUE_TARGET = 1.2
FIRST_DAY = datetime.date(2026, 2, 2)  # as registry/tests/test_certificates.py, within the validity below


def main():
    scratch = setup_django()
    try:
        run(scratch)
    finally:
        cleanup(scratch)


# --- Measuring -------------------------------------------------------------------------------


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def max_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def kinds(queries) -> str:
    counts = Counter(query["sql"].split(None, 1)[0].upper() for query in queries)
    return ", ".join(f"{count} {verb}" for verb, count in counts.most_common())


def verdict(ratio: float, target: float) -> str:
    return "" if ratio <= target else " BELOW TARGET"


# --- Data ------------------------------------------------------------------------------------


def set_accreditation():
    """As the tests' accreditation fixture: the PO register's accreditation with its hours and validity."""
    from registry.models import Accreditation

    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    accreditation.number = "SLR-2026-0042"
    accreditation.contact_hours, accreditation.self_study_hours = 36, 24
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    return accreditation


def completed_run(participants: int):
    """A completed course run (as the tests' completed_run()) whose participants all attended every day."""
    from cohorts.models import CourseDay
    from cohorts.services import attendance
    from cohorts.services.attendance import AttendanceEntry
    from cohorts.tests.factories import ParticipantFactory, RegistrationFactory

    registration = RegistrationFactory(expected_participants=participants)
    cohort = registration.cohort
    people = [
        ParticipantFactory(
            registration=registration,
            first_name=f"Anna{n}",
            initials="A.",
            tussenvoegsel="van der",
            last_name=f"Bakker{n}",
            final_assignment_done=True,
        )
        for n in range(participants)
    ]
    days = [
        CourseDay.objects.create(
            cohort=cohort,
            programme_day=day,
            date=FIRST_DAY + datetime.timedelta(weeks=2 * (day.number - 1)),
            start_time=datetime.time(9),
            end_time=datetime.time(16),
        )
        for day in cohort.programme.days.order_by("number")
    ]
    entries = [AttendanceEntry(person.pk, day.pk, "present") for person in people for day in days]
    attendance.record_attendance(cohort=cohort, entries=entries, recorded_by=None)
    cohort.status = "completed"
    cohort.save()
    return cohort, people


# --- The benchmark ---------------------------------------------------------------------------


def run(scratch: str):
    import weasyprint
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone
    from weasyprint.text.ffi import harfbuzz_subset

    import mail.services
    from registry import pdf, services
    from registry.models import Certificate

    # Never hand the rows to Celery (see the module's docstring).
    mail.services.enqueue_delivery = lambda *, mail_ids: True
    media = os.path.join(scratch, "media")
    override_settings(
        MEDIA_ROOT=media,
        # As conftest.py: the source files, no collectstatic (no manifest for the e-mail templates to miss).
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    print(
        f"   (WeasyPrint {weasyprint.__version__}; HarfBuzz subsetter found: {harfbuzz_subset is not None}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )

    started = time.perf_counter()
    accreditation = set_accreditation()
    cohort, people = completed_run(COHORT)
    traced_cohort, _traced_people = completed_run(COHORT)
    print(f"   (two completed course runs of {COHORT} made in {time.perf_counter() - started:.1f} s)")

    # The snapshot of (1) and of the baseline of (2): the first participant's, as issuing would build it.
    participant = people[0]
    days = cohort.days.count()
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
    first_render = timed(certificate)  # the first one parses the stylesheet and loads the fonts
    for _ in range(WARMUP):
        certificate()
        hello()
    samples = {"certificate": [], "hello": []}
    for _ in range(RENDERS):
        samples["hello"].append(timed(hello))
        samples["certificate"].append(timed(certificate))
    one = statistics.median(samples["certificate"]) * 1000
    minimal = statistics.median(samples["hello"]) * 1000
    ratio = one / minimal
    size = len(certificate())
    print(
        f"one certificate, warm: {one:.1f} ms median (min {min(samples['certificate']) * 1000:.1f}, "
        f"max {max(samples['certificate']) * 1000:.1f}) against a minimal one-page WeasyPrint document at "
        f"{minimal:.1f} ms (min {min(samples['hello']) * 1000:.1f}): ratio {ratio:.2f} "
        f"(target <= {RENDER_TARGET}){verdict(ratio, RENDER_TARGET)}"
    )
    print(
        f"   (median of {RENDERS} after {WARMUP} untimed; the process's first render took "
        f"{first_render * 1000:.0f} ms; a PDF of {size / 1024:.0f} KiB; {days} course days)"
    )

    # 2. Issuing a course run of 30, against 30 single renders of the same snapshot before and after.
    before = timed(lambda: [certificate() for _ in range(COHORT)])
    rendering = []
    render = pdf.render_certificate

    def render_timed(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return render(*args, **kwargs)
        finally:
            rendering.append(time.perf_counter() - begun)

    pdf.render_certificate = render_timed
    connection.queries_log = deque(maxlen=100_000)
    rss_before = max_rss_mb()
    try:
        with CaptureQueriesContext(connection) as queries:
            begun = time.perf_counter()
            result = services.issue_cohort_certificates(cohort=cohort)
            issuing = time.perf_counter() - begun
    finally:
        pdf.render_certificate = render
    rss_after = max_rss_mb()
    after = timed(lambda: [certificate() for _ in range(COHORT)])
    if result["issued"] != COHORT or result["skipped"]:
        raise RuntimeError(f"issued {result['issued']} of {COHORT}; skipped {result['skipped']}")
    issued = Certificate.objects.filter(participant__cohort=cohort, status=Certificate.Status.VALID)
    if issued.count() != COHORT or issued.filter(sha256="").exists():
        raise RuntimeError("not every participant has a certificate with its PDF")
    baseline = (before + after) / 2
    ratio = issuing / baseline
    captured = queries.captured_queries
    print(
        f"issuing a course run of {COHORT} (issue_cohort_certificates): {issuing * 1000:,.0f} ms "
        f"({issuing / COHORT * 1000:.1f} ms each) against {COHORT} single renders of the same snapshot at "
        f"{baseline * 1000:,.0f} ms (before {before * 1000:,.0f}, after {after * 1000:,.0f}): ratio {ratio:.2f} "
        f"(target <= {ISSUE_TARGET}){verdict(ratio, ISSUE_TARGET)}; queries {len(captured)} "
        f"({len(captured) / COHORT:.1f} each: {kinds(captured)})"
    )
    print(
        f"   (of which in render_certificate: {sum(rendering) * 1000:,.0f} ms over {len(rendering)} renders; "
        f"the rest, queries, e-mail rendering and writing the files: {(issuing - sum(rendering)) * 1000:,.0f} ms; "
        f"issuing / its own renders {issuing / sum(rendering):.2f}, which other load on the machine sways less)"
    )

    # 3. Memory.
    tracemalloc.start()
    tracemalloc.reset_peak()
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


if __name__ == "__main__":
    main()
