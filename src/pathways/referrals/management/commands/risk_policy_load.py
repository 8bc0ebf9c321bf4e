"""Load a partnership's risk policy for an area from a JSON file.

    pathways risk_policy_load --area west-yorkshire-police policy.json [--name NAME] [--licensed]

The file holds either a bare definition (questions, thresholds, rules) or an object with
"definition" and, optionally, "name" and "source_note" (the shape of the shipped
demonstration checklist in `referrals/fixtures/risk_policy_demo.json`). The definition is
validated first: any problem stops the load with every message, and nothing changes. A
valid one becomes the next version for the area and the one in force there.

Use --licensed when the file carries a licensed risk tool the partnership holds. Pathways
never ships such a tool; its questions stay in the partnership's own database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.areas.models import Area
from pathways.referrals.services.triage import risk_policy_load


class Command(BaseCommand):
    help = "Validate and load a partnership's risk policy (JSON) for an area."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="Path to the policy's JSON file.")
        parser.add_argument("--area", required=True, help="Slug of the area, such as leeds.")
        parser.add_argument("--name", default="", help="Name of the policy (else the file's).")
        parser.add_argument(
            "--source-note",
            default="",
            help="Who agreed the policy, when, and on what basis (else the file's).",
        )
        parser.add_argument(
            "--licensed",
            action="store_true",
            help="The definition is a licensed risk tool the partnership holds.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise CommandError(f"No such file: {path}") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{path} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            ) from exc
        wrapped = isinstance(data, dict) and "definition" in data
        definition = data["definition"] if wrapped else data
        name = options["name"] or (data.get("name", "") if wrapped else "") or path.stem
        source_note = options["source_note"] or (data.get("source_note", "") if wrapped else "")
        area = Area.objects.filter(slug=options["area"]).first()
        if area is None:
            raise CommandError(f"No area with the slug '{options['area']}'")
        try:
            policy = risk_policy_load(
                actor=None,
                area=area,
                name=str(name),
                definition=definition,
                source_note=str(source_note),
                is_licensed_tool=options["licensed"],
            )
        except ValidationError as exc:
            lines = [f"{path} was not loaded:"]
            for messages in exc.message_dict.values():
                lines += [f"  - {message}" for message in messages]
            raise CommandError("\n".join(lines)) from exc
        questions = len(policy.definition["questions"])
        self.stdout.write(
            f"Loaded '{policy.name}' as version {policy.version} for {area.name}: "
            f"{questions} question{'s' if questions != 1 else ''}, "
            f"{len(policy.definition.get('rules', []))} rule(s)"
            + (" (licensed tool)" if policy.is_licensed_tool else "")
            + ". It is now the risk policy in force there."
        )
