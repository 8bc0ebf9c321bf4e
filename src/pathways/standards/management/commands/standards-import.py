"""`pathways standards-import FILE [FILE…]`: load framework editions, all or nothing.

Each file is in Pathways' framework format (see docs/standards.md). Every file is checked
before anything is written; any error anywhere means nothing is imported. Importing the
same file again changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pathways.standards import services


class Command(BaseCommand):
    help = "Import standards framework editions from JSON files (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="Framework JSON files.")

    def handle(self, *args, **options):
        payloads = []
        problems: list[str] = []
        for name in options["files"]:
            try:
                payload = services.framework_parse_file(Path(name))
            except ValidationError as exc:
                problems.extend(f"{name}: {m}" for m in exc.messages)
                continue
            problems.extend(f"{name}: {m}" for m in services.framework_validate(payload))
            payloads.append((name, payload))
        if problems:
            raise CommandError("Nothing was imported.\n" + "\n".join(problems))
        results = []
        try:
            with transaction.atomic():
                for name, payload in payloads:
                    framework, outcome = services.framework_import(payload=payload, actor=None)
                    results.append(f"{name}: {framework.slug} {framework.version} {outcome}")
        except ValidationError as exc:
            raise CommandError("Nothing was imported.\n" + "\n".join(exc.messages)) from exc
        for line in results:
            self.stdout.write(line)
