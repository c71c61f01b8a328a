import sys

from django.core.management.base import BaseCommand, CommandError

from cohorts.models import Cohort
from registry import exports


class Command(BaseCommand):
    help = "Export a course run's completions for the Schoolleidersregister (the report of problems goes to stderr)."

    def add_arguments(self, parser):
        parser.add_argument("cohort_code")
        parser.add_argument("--format", choices=sorted(exports.FORMATS), default="paste")
        parser.add_argument("--output", help="a file to write; standard output when not given")

    def handle(self, *args, cohort_code, format, output, **options):
        cohort = Cohort.objects.filter(code=cohort_code.strip().upper()).first()
        if cohort is None:
            raise CommandError(f"No course run with code {cohort_code!r}.")
        rows = exports.export_rows(cohort)
        for problem in exports.validation_report(cohort, rows):
            self.stderr.write(f"! {problem}")
        content, _content_type, _filename = exports.export(cohort=cohort, kind=format)
        if output:
            with open(output, "wb") as file:
                file.write(content)
            self.stderr.write(f"Written to {output}")
        else:
            sys.stdout.buffer.write(content)
