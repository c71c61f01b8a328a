"""
Certificates as PDF, in one process: (1) one certificate, warm, against a minimal one-page WeasyPrint document, in
turns; (2) issuing a completed course run of 30 against 30 single renders of the same snapshot (a batch just before
and one just after), with its queries and its time in rendering; (3) the max RSS around (2), and the tracemalloc peak
(Python's allocations only, not cairo's, Pango's or HarfBuzz's) while issuing another run. No e-mail is sent.
"""

import datetime
import os
import tracemalloc

from bench import common
from bench.common import interleaved, timed

WARMUP, RENDERS, COHORT = 5, 20, 30
RENDER_TARGET = 3.0


def completed_runs():
    """Two completed course runs of COHORT, everyone approved and present every day; and their accreditation."""
    from registry.models import Accreditation

    accreditation = Accreditation.objects.get(programme__slug="verbindend-leiderschap", register="po")
    # As the tests' accreditation fixture: with its hours, and valid on the days of the runs.
    accreditation.number, accreditation.contact_hours, accreditation.self_study_hours = "SLR-2026-0042", 36, 24
    accreditation.valid_from, accreditation.valid_until = datetime.date(2025, 1, 1), datetime.date(2027, 12, 31)
    accreditation.save()
    run = {"participants": COHORT, "statuses": ["completed"], "first_date": datetime.date(2026, 2, 2)}
    cohorts = common.bulk_runs(prefix="VL-2027", count=2, attended=True, **run)
    approved = {"initials": "A.", "final_assignment_approved_at": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)}
    for cohort in cohorts:
        cohort.participants.update(**approved)
    return accreditation, cohorts


def main():
    scratch = common.setup_django()
    import weasyprint
    from django.utils import timezone
    from weasyprint.text.ffi import harfbuzz_subset

    from registry import pdf, services
    from registry.models import Certificate

    common.in_process(MEDIA_ROOT=os.path.join(scratch, "media"))
    made, (accreditation, (cohort, traced_cohort)) = timed(completed_runs)
    print(
        f"   (WeasyPrint {weasyprint.__version__}; HarfBuzz subsetter found: {harfbuzz_subset is not None}; load "
        f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; two runs of {COHORT} made in {made:.1f} s)"
    )
    # The snapshot of (1) and of the baseline of (2): the first participant's, as issuing would build it.
    participant, days = cohort.participants.order_by("pk").first(), cohort.days.count()
    facts = {"kind": Certificate.Kind.CERTIFICATE, "attended": days, "version": 1, "issued_on": timezone.localdate()}
    facts |= {"participant": participant, "accreditation": accreditation, "number": f"{cohort.code}-001"}
    snapshot = services.build_snapshot(**facts)
    url, language = services.verification_url(Certificate(participant=participant)), participant.language

    def certificate():
        return pdf.render_certificate(snapshot, verification_url=url, language=language)

    # 1. One certificate, warm, against the minimal document.
    first_render = timed(certificate)[0]  # the first one parses the stylesheet and loads the fonts
    calls = {"hello": lambda: weasyprint.HTML(string="<p>Hallo</p>").write_pdf(), "certificate": certificate}
    samples, document = interleaved(calls, warmup=WARMUP, rounds=RENDERS), "a minimal one-page WeasyPrint document"
    common.versus("one certificate, warm", samples["certificate"], samples["hello"], document, "<=", RENDER_TARGET)
    print(
        f"   (median of {RENDERS} after {WARMUP} untimed; the process's first render took {first_render * 1000:.0f} "
        f"ms; a PDF of {len(certificate()) / 1024:.0f} KiB; {days} course days)"
    )

    # 2. Issuing a course run of 30, its renders timed, against 30 single renders before and after.
    result, rss_before, rss_after = common.issuing_against_rendering(
        f"issuing a course run of {COHORT} (issue_cohort_certificates)",
        lambda: services.issue_cohort_certificates(cohort=cohort),
        lambda: [certificate() for _ in range(COHORT)],
        render=(pdf, "render_certificate"),
        count=COHORT,
        noun="snapshot",
        rest_is="queries, e-mail rendering and writing the files",
    )
    issued = Certificate.objects.filter(participant__cohort=cohort, status=Certificate.Status.VALID)
    if result["issued"] != COHORT or result["skipped"] or issued.count() != COHORT or issued.filter(sha256="").exists():
        raise RuntimeError(f"not every participant has a certificate with its PDF: {result}")

    # 3. Memory, apart: tracing slows Python code.
    tracemalloc.start()
    traced, peak = services.issue_cohort_certificates(cohort=traced_cohort), tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if traced["issued"] != COHORT:
        raise RuntimeError(f"the traced run issued {traced['issued']} of {COHORT}; skipped {traced['skipped']}")
    print(
        f"memory: max RSS {rss_before:,.1f} MB before issuing the run of {COHORT}, {rss_after:,.1f} MB after "
        f"(+{rss_after - rss_before:,.1f} MB; {common.max_rss_mb():,.1f} MB at the end); tracemalloc peak while "
        f"issuing another run of {COHORT}: {peak / 1024 / 1024:,.1f} MB"
    )
    common.TARGETS.finish()


if __name__ == "__main__":
    main()
