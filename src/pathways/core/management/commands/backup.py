"""`pathways backup FILE`: write every row of the database to a gzip JSON-lines file."""

from django.core.management.base import BaseCommand, CommandError

from pathways.core.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Back up all Pathways data (SQLite or PostgreSQL) to FILE (gzip JSON lines). "
        "Restore with `pathways restore FILE` into a freshly migrated database."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the backup, e.g. pathways.backup.gz")

    def handle(self, *args, **options):
        verbosity = options["verbosity"]

        def progress(label: str, count: int) -> None:
            if verbosity > 1 and count:
                self.stdout.write(f"  {label}: {count}")

        try:
            summary = backup_write(options["file"], progress=progress)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {summary.rows} rows of {summary.models} kinds to {summary.path}"
            )
        )
