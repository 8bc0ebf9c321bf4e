"""`pathways mapping --area <slug> --format json|xlsx|pdf [--output FILE]`.

Writes an area's mapping under a counting rule. JSON goes to standard output unless
--output is given; XLSX and PDF need --output, or a standard output that takes bytes. Each
run is recorded in the audit trail as an export by the system.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.mapping import engine, exports, services

YES_NO = ("yes", "no")


class Command(BaseCommand):
    help = (
        "Write an area's mapping (coverage, gaps, duplication, suite check) as JSON, XLSX or PDF."
    )

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="Area slug, such as west-yorkshire.")
        parser.add_argument("--format", required=True, choices=exports.FORMATS, dest="fmt")
        parser.add_argument("--output", help="File to write (standard output when not given).")
        parser.add_argument("--count-unknown", choices=YES_NO, help="Count unknown claims (no).")
        parser.add_argument(
            "--gap-threshold",
            choices=[c.value for c in engine.GAP_THRESHOLDS],
            help="Least certainty that closes a gap (verified).",
        )
        parser.add_argument(
            "--wider-areas", choices=YES_NO, help="Count services for wider areas (yes)."
        )
        parser.add_argument("--synthetic", choices=YES_NO, help="Count synthetic services (yes).")

    def _binary_stream(self):
        """Standard output as bytes, when it can take them (not a terminal, not a StringIO)."""
        stream = getattr(self.stdout, "_out", sys.stdout)
        buffer = getattr(stream, "buffer", None)
        if buffer is None or stream.isatty():
            return None
        return buffer

    def handle(self, *args, **options):
        fmt, output = options["fmt"], options.get("output")
        # Where the output goes is settled first, so a run that cannot write exports nothing.
        binary = None
        if not output and fmt != "json":
            binary = self._binary_stream()
            if binary is None:
                raise CommandError(f"{fmt} is binary: give --output FILE or redirect output")
        try:
            rule = engine.CountingRule.from_params(
                {
                    "count_unknown": options.get("count_unknown"),
                    "gap_threshold": options.get("gap_threshold"),
                    "wider_areas": options.get("wider_areas"),
                    "synthetic": options.get("synthetic"),
                }
            )
            export = services.mapping_export(
                actor=None, area_slug=options["area"], rule=rule, fmt=fmt, channel="command"
            )
        except engine.RuleError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if output:
            Path(output).write_bytes(export.content)
            self.stderr.write(f"Wrote {export.filename} ({len(export.content)} bytes) to {output}")
        elif binary is not None:
            binary.write(export.content)
            binary.flush()
        else:
            self.stdout.write(export.content.decode("utf-8"))
