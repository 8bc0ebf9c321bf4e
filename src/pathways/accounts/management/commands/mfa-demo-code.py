"""`pathways mfa-demo-code`: the current security code for the demo users (DEMO ONLY)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pathways.accounts.mfa import DEMO_TOTP_SECRET, demo_code


class Command(BaseCommand):
    help = (
        "Print the 6-digit security code the demo users' authenticator shows now. Only in "
        "development and demo modes: the demo secret is published, so it is no secret."
    )

    def handle(self, *args, **options):
        if not settings.DEMO_MODE:
            raise CommandError("Demo security codes exist only in development and demo modes.")
        self.stdout.write(demo_code())
        if options["verbosity"] > 1:
            self.stdout.write(f"(demo secret {DEMO_TOTP_SECRET}; a new code every 30 seconds)")
