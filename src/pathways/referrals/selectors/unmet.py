"""Unmet need as demand for the mapping reports: aggregates only, no referral details."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count

from ..models import UnmetNeed


@dataclass(frozen=True)
class UnmetNeedCount:
    district: str  # area slug
    tier: str
    cohort: str
    abuse_type: str
    count: int


def unmet_need_counts(
    *, district_slugs: Iterable[str], since: dt.date, until: dt.date
) -> list[UnmetNeedCount]:
    """Unmet need recorded in the districts between two dates (both included), counted by
    its dimensions. Open to mapping readers: it carries counts, never people."""
    rows = (
        UnmetNeed.objects.filter(
            area__slug__in=list(district_slugs),
            recorded_at__date__gte=since,
            recorded_at__date__lte=until,
        )
        .values("area__slug", "tier", "cohort", "abuse_type")
        .annotate(n=Count("id"))
        .order_by("area__slug", "tier", "cohort", "abuse_type")
    )
    return [
        UnmetNeedCount(r["area__slug"], r["tier"], r["cohort"], r["abuse_type"], r["n"])
        for r in rows
    ]
