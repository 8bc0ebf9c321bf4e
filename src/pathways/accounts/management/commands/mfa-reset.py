"""`pathways mfa-reset USERNAME`: remove a person's authenticator and recovery codes; audited."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pathways.accounts.services import mfa_reset


class Command(BaseCommand):
    help = (
        "Reset a person's two-factor authentication: their authenticator app and recovery "
        "codes stop working, and they set it up again at their next sign-in."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Whose two-factor authentication to reset.")
        parser.add_argument(
            "--by", default="", help="Your own Pathways username, recorded in the audit trail."
        )

    def handle(self, *args, **options):
        users = get_user_model().objects
        user = users.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user {options['username']!r}.")
        actor = None
        if options["by"]:
            actor = users.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user {options['by']!r} (--by names who is resetting).")
        removed = mfa_reset(actor=actor, user=user, via="command")
        self.stdout.write(
            self.style.SUCCESS(
                f"Two-factor authentication reset for {user.username} ({removed} device(s) "
                "removed). They set it up again at their next sign-in."
            )
        )
