"""Template helpers for standards: public per-status counts and RAG tags."""

from __future__ import annotations

from typing import Any

from django import template

from .. import selectors
from ..models import Rating

register = template.Library()

RATING_LABELS = dict(Rating.choices)
# Keys the GOV.UK tag component already colours: green, yellow, red, grey.
_TAG_KEYS = {
    Rating.GREEN: "approved",
    Rating.AMBER: "pending",
    Rating.RED: "failed",
    Rating.NOT_APPLICABLE: "not_stated",
    Rating.NOT_RATED: "",
}


@register.simple_tag
def service_assessment_summary(service: Any) -> dict[str, Any] | None:
    """Per-status counts of the service's latest finalised assessment, for public pages.

    Only counts and the framework's name are returned: findings stay inside Pathways.
    """
    if service is None:
        return None
    assessment = selectors.latest_finalised_for_service(service_id=service.pk)
    if assessment is None:
        return None
    counts = selectors.assessment_counts(assessment)
    return {
        "framework": assessment.framework.title,
        "year": assessment.framework.year,
        "checklist": assessment.checklist.title,
        "kind": assessment.get_kind_display(),
        "source": assessment.source,
        "finalised_at": assessment.finalised_at,
        "outcome": assessment.get_outcome_display(),
        "counts": [(value, RATING_LABELS[value], count) for value, count in counts.items()],
        "total": sum(counts.values()),
    }


@register.filter
def rating_tag_key(value: str) -> str:
    return _TAG_KEYS.get(value, "")


@register.filter
def rating_label(value: str) -> str:
    return RATING_LABELS.get(value, value or "")
