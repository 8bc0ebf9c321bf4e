"""`pathways sign-in-unlock`: list sign-in lockouts, or lift one; audited."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pathways.accounts.selectors import sign_in_lockouts_active
from pathways.accounts.services import sign_in_unlock


class Command(BaseCommand):
    help = (
        "List usernames and addresses locked out after repeated failed sign-ins (--list), or "
        "lift the lockout on a username (--username) or an address (--ip-address)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--list", action="store_true", help="Show current lockouts.")
        parser.add_argument("--username", default="", help="Username to unlock, as typed.")
        parser.add_argument("--ip-address", default="", help="Address to unlock.")
        parser.add_argument(
            "--by", default="", help="Your own Pathways username, recorded in the audit trail."
        )

    def handle(self, *args, **options):
        if options["list"]:
            lockouts = sign_in_lockouts_active()
            if not lockouts:
                self.stdout.write("No sign-in lockouts.")
            for lockout in lockouts:
                until = timezone.localtime(lockout.until).strftime("%Y-%m-%d %H:%M")
                self.stdout.write(
                    f"{lockout.scope} {lockout.value}: {lockout.failures} failures, "
                    f"locked until {until}"
                )
            return
        if not options["username"] and not options["ip_address"]:
            raise CommandError("Give --username or --ip-address (or --list to see lockouts).")
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user {options['by']!r} (--by names who is unlocking).")
        cleared = sign_in_unlock(
            actor=actor,
            username=options["username"],
            ip_address=options["ip_address"],
            via="command",
        )
        target = " and ".join(
            part
            for part in (
                f"username {options['username']}" if options["username"] else "",
                f"address {options['ip_address']}" if options["ip_address"] else "",
            )
            if part
        )
        self.stdout.write(
            self.style.SUCCESS(f"Unlocked {target}: {cleared} failure record(s) cleared.")
        )
