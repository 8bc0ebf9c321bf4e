"""`pathways load_demo`: reference data, published services, synthetic services, demo users."""

from django.core.management.base import BaseCommand

from pathways.core.demo import describe, load_demo, load_reference


class Command(BaseCommand):
    help = "Load reference and demo data (idempotent). Use --reference-only in production."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reference-only", action="store_true", help="Areas and taxonomies only."
        )
        parser.add_argument("--synthetic-services", type=int, default=150)

    def handle(self, *args, **options):
        if options["reference_only"]:
            report = load_reference()
        else:
            report = load_demo(synthetic_services=options["synthetic_services"])
        summary = ", ".join(f"{k}: {v}" for k, v in describe(report).items())
        self.stdout.write(self.style.SUCCESS(f"Loaded. {summary}"))
