"""`pathways rfg-import --area SLUG FILE`: import a police incident extract; audited."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pathways.areas.models import Area
from pathways.panels.services import IncidentImportError, incidents_import

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = (
        "Import a police incident extract (CSV or XLSX) for an area, all or nothing; the same "
        "extract again changes nothing. See docs/panels-rfg.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The incident extract.")
        parser.add_argument("--area", required=True, help="Slug of the area the extract is for.")
        parser.add_argument(
            "--by", default="", help="Your own Pathways username, recorded in the audit trail."
        )

    def handle(self, *args, **options):
        area = Area.objects.filter(slug=options["area"]).first()
        if area is None:
            raise CommandError(f"No area {options['area']!r}")
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user {options['by']!r} (--by names who is importing).")
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        try:
            job = incidents_import(actor=actor, area=area, file_name=path.name, content=content)
        except IncidentImportError as exc:
            lines = [f"Nothing was imported from {path}:"]
            lines += [f"  {error}" for error in exc.errors[:SHOWN_ERRORS]]
            if len(exc.errors) > SHOWN_ERRORS:
                lines.append(f"  … and {len(exc.errors) - SHOWN_ERRORS} more")
            raise CommandError("\n".join(lines)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {path.name} for {area.name}: {job.total_rows} rows, "
                f"{job.created_count} new, {job.already_present_count} already present."
            )
        )
