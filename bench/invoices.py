"""
Invoices, in one process: issuing the invoices of 40 confirmed course runs of one or two boards (each invoice's PDF,
e-invoice and e-mail, as the office issues them) against rendering the same PDFs alone, a batch just before (of as
many runs issued first, untimed) and one just after; with its queries and its time in rendering.
"""

import datetime
import os

from bench import common

RUNS, INVOICES = 40, 60  # every other run has a second board


def main():
    scratch = common.setup_django()
    from billing import demo, pdf
    from billing.models import Invoice
    from billing.services import invoicing
    from mail.models import OutgoingMailAttachment

    common.in_process(MEDIA_ROOT=os.path.join(scratch, "media"))
    demo.fill_in_provider_and_price()
    run = {"participants": 12, "statuses": ["confirmed"], "first_date": datetime.date(2027, 3, 1), "boards": 2}
    runs = common.bulk_runs(prefix="VL-2027", count=2 * RUNS, **run)
    for cohort in runs[:RUNS]:  # warm, and the first batch's invoices
        invoicing.issue_invoices_for_run(cohort=cohort)
    issued, _rss_before, _rss_after = common.issuing_against_rendering(
        f"issuing the invoices of {RUNS} course runs (issue_invoices_for_run)",
        lambda: [invoice for cohort in runs[RUNS:] for invoice in invoicing.issue_invoices_for_run(cohort=cohort)],
        lambda: [pdf.render_invoice(invoice) for invoice in Invoice.objects.select_related("cohort")[:INVOICES]],
        render=(pdf, "render_invoice"),
        count=INVOICES,
        noun="invoices",
        rest_is="queries, the e-invoices, e-mail rendering and writing",
    )
    if len(issued) != INVOICES or OutgoingMailAttachment.objects.count() != 4 * INVOICES:
        raise RuntimeError(f"{len(issued)} invoices, not each e-mailed with its PDF and e-invoice")
    common.TARGETS.finish()


if __name__ == "__main__":
    main()
