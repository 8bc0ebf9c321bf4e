"""`pathways synth --scale small|region|national [--seed N]`: invented data at scale."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pathways.synth.incidents import write_incidents_csv
from pathways.synth.plan import SCALES, build_plan
from pathways.synth.write import SynthRefusedError, synth_write


class Command(BaseCommand):
    help = (
        "Generate synthetic areas, services, staff, referrals and police incidents at small, "
        "region or national scale, deterministic for a seed. Refuses a database that already "
        "holds synthetic data. With --incidents-csv, writes only the incidents to a CSV file. "
        "See docs/performance.md and docs/panels-rfg.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="Date the data is generated on, YYYY-MM-DD (noon UTC; default: this hour): "
            "referrals fall in the year before it. The same seed and date give the same data.",
        )
        parser.add_argument(
            "--factor",
            type=int,
            default=1,
            help="Multiply services, organisations, referrals and staff (not areas) by this; "
            "the benchmarks use 10 to check query counts do not grow with data.",
        )
        parser.add_argument(
            "--incidents-csv",
            default="",
            metavar="FILE",
            help="Write only the scale's synthetic police incidents to FILE as CSV (the file "
            "`pathways rfg-score --incidents` reads) and touch no database.",
        )

    def handle(self, *args, **options):
        if options["factor"] < 1:
            raise CommandError("--factor must be 1 or more")
        if options["as_of"]:
            as_of = dt.datetime.combine(options["as_of"], dt.time(12, 0), tzinfo=dt.UTC)
        else:
            as_of = timezone.now().replace(minute=0, second=0, microsecond=0)
        plan = build_plan(
            scale=options["scale"], seed=options["seed"], as_of=as_of, factor=options["factor"]
        )
        if options["incidents_csv"]:
            try:
                with open(options["incidents_csv"], "w", newline="", encoding="utf-8") as out:
                    count = write_incidents_csv(plan, out)
            except OSError as exc:
                raise CommandError(f"Cannot write {options['incidents_csv']}: {exc}") from exc
            self.stdout.write(
                self.style.SUCCESS(
                    f"Wrote {count} synthetic incidents ({plan.scale.name}, seed {plan.seed}, "
                    f"as of {as_of.date().isoformat()}) to {options['incidents_csv']}."
                )
            )
            return
        try:
            report = synth_write(
                plan,
                progress=lambda msg: self.stdout.write(f"  {msg}")
                if options["verbosity"] > 1
                else None,
            )
        except SynthRefusedError as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{k}: {v}" for k, v in report.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Synthetic {report.scale} data, seed {report.seed}, in {report.seconds:.1f}s. "
                f"{summary}"
            )
        )
