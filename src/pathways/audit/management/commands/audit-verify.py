"""`pathways audit-verify`: check the audit trail's hash chain end to end."""

from django.core.management.base import BaseCommand, CommandError

from pathways.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain and report the first broken link."

    def handle(self, *args, **options):
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"Audit trail broken at event #{report.broken_at}: {report.reason} "
                f"({report.checked} events before it verified)."
            )
        self.stdout.write(
            self.style.SUCCESS(f"Audit trail intact: {report.checked} events verified.")
        )
