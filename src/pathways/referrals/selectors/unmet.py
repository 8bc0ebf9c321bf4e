"""Unmet need as demand for the mapping reports: aggregates only, no referral details."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count
from django.utils import timezone

from ..models import UnmetNeed


@dataclass(frozen=True)
class UnmetNeedCount:
    district: str  # area slug
    tier: str
    cohort: str
    abuse_type: str
    count: int


def _start_of_day(day: dt.date) -> dt.datetime:
    """Local midnight at the start of `day`, aware, in the current time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def unmet_need_counts(
    *, district_slugs: Iterable[str], since: dt.date, until: dt.date
) -> list[UnmetNeedCount]:
    """Unmet need recorded in the districts between two dates (both included), counted by
    its dimensions. Open to mapping readers: it carries counts, never people."""
    # Bounds as instants rather than `recorded_at__date`: the same days in the current time
    # zone, but the database compares the column instead of casting every row to a date
    # (on SQLite a Python function call per row).
    rows = (
        UnmetNeed.objects.filter(
            area__slug__in=list(district_slugs),
            recorded_at__gte=_start_of_day(since),
            recorded_at__lt=_start_of_day(until + dt.timedelta(days=1)),
        )
        .values("area__slug", "tier", "cohort", "abuse_type")
        .annotate(n=Count("id"))
        .order_by("area__slug", "tier", "cohort", "abuse_type")
    )
    return [
        UnmetNeedCount(r["area__slug"], r["tier"], r["cohort"], r["abuse_type"], r["n"])
        for r in rows
    ]
