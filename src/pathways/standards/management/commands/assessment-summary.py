"""`pathways assessment-summary --service "<name>" --format json`: a service's latest assessment."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from pathways.standards import selectors


class Command(BaseCommand):
    help = (
        "Print a service's latest standards assessment: framework, checklist, status and the "
        "counts by rating (green, amber, red, not_applicable, not_rated)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--service", required=True, help="The service's name.")
        parser.add_argument("--format", choices=["json", "text"], default="json", dest="fmt")

    def handle(self, *args, **options):
        try:
            service = selectors.service_find_by_name(name=options["service"])
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        summary = selectors.service_latest_assessment_summary(service=service)
        if summary is None:
            raise CommandError(f"“{service.name}” has not been assessed.")
        if options["fmt"] == "json":
            self.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False))
            return
        counts = ", ".join(f"{k} {v}" for k, v in summary["counts"].items())
        self.stdout.write(
            f"{summary['service']}: {summary['framework']} {summary['checklist']} checklist, "
            f"{summary['status']}. {counts}"
        )
