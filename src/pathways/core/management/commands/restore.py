"""`pathways restore FILE`: load a backup into a freshly migrated, empty database."""

from django.core.management.base import BaseCommand, CommandError

from pathways.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `pathways backup` into this database, all or nothing. "
        "The database must be freshly migrated (same migrations as the backup) and empty."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The backup file")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(label: str, count: int) -> None:
            if verbosity > 1:
                self.stdout.write(f"  {label}: {count}")

        try:
            summary = backup_restore(options["file"], progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Restored {summary.rows} rows of {summary.models} kinds")
        )
