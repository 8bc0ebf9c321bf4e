"""A published mapping summary as its public page shows it, in the reader's language.

A summary's content is frozen, in English, when an administrator publishes it
(`mapping.engine.public_summary`): place names, column labels, abuse-type names and the
counting rule in one paragraph. On a Welsh page the names are swapped for their Welsh ones
(`Area.name_cy`, `TaxonomyTerm.name_cy`, the catalogue for column labels) before
`mapping.views.public_view` turns the content into rows, and the counting rule is written
again in Welsh. The content itself is never changed.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from django.utils.translation import gettext

from pathways.areas.models import Area
from pathways.directory.models import TaxonomyTerm
from pathways.mapping import engine
from pathways.mapping.views import public_view

from .labels import translated
from .language import is_welsh


def summary_view(summary: Any) -> dict[str, Any]:
    """The rows of `mapping/_public_summary.html` for a published summary (two queries more
    on a Welsh page, none on an English one)."""
    content = summary.content
    if not is_welsh():
        return public_view(content)
    content = copy.deepcopy(content)
    area_cy = getattr(summary.area, "name_cy", "")
    if area_cy:
        content["area_name"] = area_cy
    slugs = [d["slug"] for d in content.get("districts", [])]
    welsh_places = dict(
        Area.objects.filter(slug__in=slugs).exclude(name_cy="").values_list("slug", "name_cy")
    )
    for district in content.get("districts", []):
        district["name"] = welsh_places.get(district["slug"], district["name"])
    for column in content.get("columns", []):
        column["label"] = translated(column["label"])
    names = content.get("abuse_type_names", {})
    welsh_terms = dict(
        TaxonomyTerm.objects.filter(taxonomy__slug="abuse-types", code__in=list(names))
        .exclude(name_cy="")
        .values_list("code", "name_cy")
    )
    content["abuse_type_names"] = {
        code: welsh_terms.get(code, name) for code, name in names.items()
    }
    view = public_view(content)
    rule = content.get("counting_rule", {})
    threshold = engine.Certainty(rule.get("gap_threshold") or "verified")
    view["level"] = translated(threshold.label).lower()
    view["rule"] = rule_in_language(rule.get("description", ""), threshold)
    return view


def _rules_with(threshold: engine.Certainty) -> list[engine.CountingRule]:
    return [
        engine.CountingRule(
            count_unknown=count_unknown,
            gap_threshold=threshold,
            wider_areas=wider_areas,
            synthetic=synthetic,
        )
        for count_unknown, wider_areas, synthetic in itertools.product((False, True), repeat=3)
    ]


def rule_in_language(description: str, threshold: engine.Certainty) -> str:
    """The published counting rule in the active language.

    Only the paragraph and the gap threshold are published, so the rule is recognised by
    its English paragraph (`CountingRule.describe`). A paragraph worded differently (an
    older summary) is shown as it was published.
    """
    for rule in _rules_with(threshold):
        if rule.describe() == description:
            return describe(rule)
    return description


def describe(rule: engine.CountingRule) -> str:
    """`CountingRule.describe` in the active language: in English, word for word the same
    (tests/public/test_welsh_public_pages.py checks every rule)."""
    parts = [
        gettext(
            "Counts active services (not deleted, status active, inside their visibility "
            "window, not in development, decommissioned or replaced)."
        ),
        gettext(
            "A service for a wider area counts in every district inside it, including "
            "services for areas wider than the one mapped."
        )
        if rule.wider_areas
        else gettext(
            "A service for a wider area counts in every district inside it; services for "
            "areas wider than the one mapped are not counted."
        ),
        gettext("Unknown or not-stated claims are counted.")
        if rule.count_unknown
        else gettext("Unknown or not-stated claims are shown but not counted."),
        gettext("A gap is a component with no counted service, or none at least %(level)s.")
        % {"level": translated(rule.gap_threshold.label).lower()},
        gettext("Synthetic demonstration services are included.")
        if rule.synthetic
        else gettext("Synthetic demonstration services are left out."),
    ]
    return " ".join(parts)
