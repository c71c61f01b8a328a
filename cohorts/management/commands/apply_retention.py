from django.core.management.base import BaseCommand

from privacy import services as privacy


class Command(BaseCommand):
    help = "Apply the retention periods (README, 'Privacy'); with --dry-run, only report what would be done."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run, **options):
        report = privacy.apply_retention(dry_run=dry_run)
        verb = "would anonymise or delete" if dry_run else "anonymised or deleted"
        self.stdout.write(f"Retention {verb}:")
        for what, count in report.items():
            self.stdout.write(f"  {what.replace('_', ' ')}: {count}")
