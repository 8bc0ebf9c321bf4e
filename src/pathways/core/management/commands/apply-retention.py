"""`pathways apply-retention`: anonymise or delete what is past its retention period."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pathways.core.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Apply the retention periods (settings.PATHWAYS_RETENTION over the defaults in "
        "pathways/core/retention.py): anonymise closed cases and old referrals, delete old "
        "alerts and notification records. Audited. Use --dry-run to see counts first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        parser.add_argument(
            "--today", help="Apply as if today were YYYY-MM-DD (for checking a schedule)."
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options["today"]:
            try:
                day = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today must be a date like 2027-01-31") from exc
            now = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
        try:
            outcomes = apply_retention(now=now, dry_run=options["dry_run"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "would" if options["dry_run"] else "did"
        for o in outcomes:
            self.stdout.write(
                f"{o.rule}: {o.action} {o.count} (older than {o.days} days, before "
                f"{o.before.date().isoformat()}) — {verb}"
            )
        total = sum(o.count for o in outcomes)
        self.stdout.write(self.style.SUCCESS(f"Retention applied: {total} records"))
