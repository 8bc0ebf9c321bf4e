"""`pathways rfg-score`: score an incident file without the database, with the same code."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pathways.panels import rfg
from pathways.panels.incident_files import IncidentFileError, parse_gravity_csv, parse_incidents

OUTPUT_KEYS = ("perpetrator_id", "rfg", "recency", "frequency", "gravity", "victims", "incidents")
SHOWN_ERRORS = 20


def read_bytes(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read the {what} file {path}: {exc.strerror or exc}") from exc


def file_problems(errors: list[Any], what: str, path: str) -> CommandError:
    lines = [f"The {what} file {path} cannot be used; nothing was scored:"]
    lines += [f"  {error}" for error in errors[:SHOWN_ERRORS]]
    if len(errors) > SHOWN_ERRORS:
        lines.append(f"  … and {len(errors) - SHOWN_ERRORS} more")
    return CommandError("\n".join(lines))


class Command(BaseCommand):
    help = (
        "Score a police incident file (CSV or XLSX with columns perpetrator_id, victim_id, "
        "date, category) by recency, frequency and gravity at a reference date, without the "
        "database, and print the ranked list as CSV or JSON. See docs/panels-rfg.md."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--incidents", required=True, help="The incident file.")
        parser.add_argument(
            "--as-of", required=True, help="Reference date T, YYYY-MM-DD.", dest="as_of"
        )
        parser.add_argument(
            "--gravity",
            default="",
            help="A CSV with columns category,weight replacing the default gravity table.",
        )
        parser.add_argument(
            "--config",
            default="",
            help="A scoring configuration as JSON (docs/panels-rfg.md); --gravity replaces "
            "its table.",
        )
        parser.add_argument("--top", type=int, default=None, help="Only the first N in rank.")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args, **options):
        try:
            as_of = dt.date.fromisoformat(options["as_of"])
        except ValueError as exc:
            raise CommandError("--as-of must be a date written YYYY-MM-DD") from exc
        if options["top"] is not None and options["top"] < 1:
            raise CommandError("--top must be 1 or more")
        config = rfg.DEFAULT_CONFIG
        if options["config"]:
            try:
                data = json.loads(read_bytes(options["config"], "configuration"))
                config = rfg.ScoringConfig.from_json(data)
            except ValueError as exc:  # JSONDecodeError and ScoringConfigError
                raise CommandError(
                    f"The configuration {options['config']} cannot be used: {exc}"
                ) from exc
        if options["gravity"]:
            try:
                table = parse_gravity_csv(read_bytes(options["gravity"], "gravity"))
                config = config.with_gravity_table(table)
            except IncidentFileError as exc:
                raise file_problems(exc.errors, "gravity", options["gravity"]) from exc
            except rfg.ScoringConfigError as exc:
                raise CommandError(f"The gravity table cannot be used: {exc}") from exc
        parsed = parse_incidents(
            read_bytes(options["incidents"], "incidents"), categories=config.gravity_table
        )
        if parsed.errors:
            raise file_problems(parsed.errors, "incidents", options["incidents"])
        try:
            rows = rfg.score_rows(parsed.frame(), as_of=as_of, config=config, top=options["top"])
        except rfg.IncidentFrameError as exc:
            raise CommandError(str(exc)) from exc
        out = [{key: row[key] for key in OUTPUT_KEYS} for row in rows]
        if options["format"] == "json":
            # Components are exact two-place decimals; JSON carries them as numbers.
            self.stdout.write(json.dumps(out, indent=2, default=float))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(OUTPUT_KEYS)
        for row in out:
            writer.writerow(
                [
                    row["perpetrator_id"],
                    row["rfg"],
                    *(f"{row[k]:.2f}" for k in ("recency", "frequency", "gravity", "victims")),
                    row["incidents"],
                ]
            )
