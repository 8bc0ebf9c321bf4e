"""`pathways match --area <slug> --tier <tier> [--route R] [--cohort C] [--abuse-type A]
--format json|text`.

What-if matching: which services would take such a referral, and why each other service
would not. It stores nothing and reads no referral, so it is not audited. JSON has the same
shape as GET /api/v1/match/ (see docs/front-door-matching.md).
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.areas.selectors import area_get_by_slug
from pathways.referrals.matching import (
    AREA_NOT_SERVED,
    RULE_LABELS,
    MatchResult,
    Need,
    match,
    result_json,
)
from pathways.referrals.reference import RiskTier
from pathways.referrals.selectors.matching import need_for_what_if, service_facts_in_scope

FORMATS = ("json", "text")


def _text(need: Need, result: MatchResult) -> str:
    lines = [
        f"Need: {RiskTier(need.tier).label.lower()} in {need.area_name}"
        + (
            f", referral route {need.label('referral-routes:' + need.source)}"
            if need.source
            else ""
        )
        + (f", cohort {', '.join(sorted(need.cohorts))}" if need.cohorts else "")
        + (
            f", abuse type {', '.join(need.label('abuse-types:' + a) for a in sorted(need.abuse_types))}"
            if need.abuse_types
            else ""
        ),
        "",
        f"Eligible ({len(result.eligible)}):",
    ]
    for outcome in result.eligible:
        lines.append(
            f"  {outcome.rank}. {outcome.name} ({outcome.organisation}), score {outcome.score}"
        )
        lines.extend(f"     - {reason}" for reason in outcome.reasons)
    if not result.eligible:
        lines.append("  None: this would be recorded as unmet need.")
    lines += ["", f"Excluded ({len(result.excluded)}):"]
    counts = result.excluded_by_rule()
    rule = ""
    for outcome in result.excluded:
        if outcome.rule != rule:
            rule = outcome.rule
            lines.append(f"  {rule}: {RULE_LABELS[rule]}")
            if rule == AREA_NOT_SERVED:
                # Most of a national directory; --format json lists them.
                lines.append(f"    {counts[rule]} services elsewhere (listed by --format json)")
        if rule != AREA_NOT_SERVED:
            lines.append(f"    - {outcome.name} ({outcome.organisation}): {outcome.detail}")
    lines += ["", f"Unmet need: {'yes' if result.unmet else 'no'}"]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "What-if matching: the services that would take a referral, and why others would not."

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="Area slug, such as leeds.")
        parser.add_argument(
            "--tier", required=True, help=f"Risk tier: {', '.join(RiskTier.values)}."
        )
        parser.add_argument(
            "--route", help="Referral route code, such as police; 'self' for a self-referral."
        )
        parser.add_argument("--cohort", help="Cohort code, such as young_adults or lgbtqia.")
        parser.add_argument("--abuse-type", dest="abuse_type", help="Abuse type code: DA, SV…")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")

    def handle(self, *args, **options):
        area = area_get_by_slug(slug=options["area"])
        if area is None:
            raise CommandError(f"Unknown area '{options['area']}': use an area slug, like leeds")
        try:
            need = need_for_what_if(
                area=area,
                tier=options["tier"],
                route=options.get("route"),
                cohort=options.get("cohort"),
                abuse_type=options.get("abuse_type"),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        result = match(need, service_facts_in_scope())
        if options["fmt"] == "json":
            self.stdout.write(json.dumps(result_json(need, result), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(_text(need, result))
