"""`pathways rfg-run --area SLUG --as-of DATE`: score an area's incidents and store them."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.areas.models import Area
from pathways.panels.services import rfg_score_run


class Command(BaseCommand):
    help = (
        "Score every perpetrator with incidents in an area by recency, frequency and gravity "
        "at a reference date, with the area's configuration, and store the ranked scores "
        "(audited). See docs/panels-rfg.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="Slug of the area.")
        parser.add_argument("--as-of", required=True, dest="as_of", help="Reference date T.")
        parser.add_argument("--top", type=int, default=10, help="How many to print (default 10).")
        parser.add_argument(
            "--by", default="", help="Your own Pathways username, recorded in the audit trail."
        )

    def handle(self, *args, **options):
        try:
            as_of = dt.date.fromisoformat(options["as_of"])
        except ValueError as exc:
            raise CommandError("--as-of must be a date written YYYY-MM-DD") from exc
        area = Area.objects.filter(slug=options["area"]).first()
        if area is None:
            raise CommandError(f"No area {options['area']!r}")
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user {options['by']!r} (--by names who is scoring).")
        try:
            run = rfg_score_run(
                actor=actor,
                area=area,
                as_of=as_of,
                progress=(lambda m: self.stdout.write(f"  {m}"))
                if options["verbosity"] > 1
                else None,
            )
        except ValidationError as exc:
            raise CommandError("Nothing was scored: " + "; ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Scored {run.perpetrators_scored} people from {run.incidents_considered} "
                f"incidents in {area.name} at {as_of.isoformat()} (run {run.pk}, "
                f"{run.seconds:.1f}s)."
            )
        )
        for score in run.scores.order_by("rank")[: max(options["top"], 0)]:
            self.stdout.write(
                f"{score.rank:>4}  {score.perpetrator_ref:<20} RFG {score.rfg:>3}  "
                f"(R {score.recency}, F {score.frequency}, G {score.gravity}, "
                f"V {score.victims}; {score.incidents} incidents)"
            )
