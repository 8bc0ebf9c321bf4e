"""Reads for recency-frequency-gravity scoring: the configuration in force for an area, the
incidents as a Polars frame, and scores with their explanations for the people allowed."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Collection
from itertools import islice
from typing import Any

import polars as pl
from django.db.models import QuerySet
from django.http import Http404

from pathways.areas.models import Area
from pathways.areas.selectors import area_ancestor_ids

from . import rfg
from .models import Incident, RFGScore, RFGScoreRun, ScoringConfig
from .policies import can_view_rfg_scores

INCIDENT_FIELDS = ("perpetrator_ref", "victim_ref", "occurred_on", "category", "domestic_abuse")
FRAME_CHUNK = 100_000


def scoring_config_for_area(*, area_id: int) -> ScoringConfig | None:
    """The stored configuration in force for an area: the latest active version on the
    area or its nearest ancestor (a district inherits its force area's); None when none."""
    ancestors = area_ancestor_ids(area_id=area_id)
    parents = {
        a.id: [p.id for p in a.parents.all()]
        for a in Area.objects.filter(id__in=ancestors).prefetch_related("parents")
    }
    latest: dict[int, ScoringConfig] = {}
    for config in ScoringConfig.objects.filter(area_id__in=ancestors, is_active=True).order_by(
        "version"
    ):
        latest[config.area_id] = config
    # Breadth-first up the hierarchy so the nearest configuration wins.
    queue, seen = deque([area_id]), {area_id}
    while queue:
        current = queue.popleft()
        if current in latest:
            return latest[current]
        for parent in sorted(parents.get(current, [])):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return None


def scoring_config_in_force(*, area_id: int) -> tuple[rfg.ScoringConfig, ScoringConfig | None]:
    """The configuration to score an area with, and the stored version it came from (None:
    the shipped default)."""
    stored = scoring_config_for_area(area_id=area_id)
    if stored is None:
        return rfg.DEFAULT_CONFIG, None
    return rfg.ScoringConfig.from_json(stored.definition), stored


def incident_frame(
    *,
    area_ids: Collection[int] | None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pl.DataFrame:
    """The incidents of some areas (None: every area, for national analysis and the
    benchmark), dated start..end (both included) when given, as the frame `rfg.score`
    reads: one query, straight into Polars. For services, not for views."""
    qs = Incident.objects.all()
    if area_ids is not None:
        qs = qs.filter(area_id__in=list(area_ids))
    if start is not None:
        qs = qs.filter(occurred_on__gte=start)
    if end is not None:
        qs = qs.filter(occurred_on__lte=end)
    return _frame(qs)


def _frame(qs: QuerySet[Incident]) -> pl.DataFrame:
    # One query, read in chunks: each chunk's Python tuples become Polars columns before
    # the next is fetched, so a million incidents never sit in memory as Python objects.
    rows = qs.order_by().values_list(*INCIDENT_FIELDS).iterator(chunk_size=FRAME_CHUNK)
    frames = [rfg.empty_incidents()]
    while chunk := list(islice(rows, FRAME_CHUNK)):
        frames.append(pl.DataFrame(chunk, schema=rfg.INCIDENT_SCHEMA, orient="row"))
    return pl.concat(frames, rechunk=True)


def rfg_run_latest_for_user(*, user: Any, area: Area) -> RFGScoreRun | None:
    """The latest score run for an area, for panel chairs and members; None for others."""
    if not can_view_rfg_scores(user):
        return None
    return RFGScoreRun.objects.filter(area=area).order_by("-created_at", "-id").first()


def rfg_run_get_for_user(*, user: Any, run_id: int) -> RFGScoreRun:
    """One score run, or 404 (for anyone who may not read scores, every run is not found)."""
    run = RFGScoreRun.objects.select_related("area", "config").filter(pk=run_id).first()
    if run is None or not can_view_rfg_scores(user):
        raise Http404("No such score run")
    return run


def rfg_scores_for_user(*, user: Any, run_id: int, top: int | None = None) -> QuerySet[RFGScore]:
    """A run's scores in rank order (the first `top` when given), or 404."""
    run = rfg_run_get_for_user(user=user, run_id=run_id)
    qs = run.scores.order_by("rank")
    return qs[:top] if top is not None else qs


def rfg_score_explain_for_user(*, user: Any, run_id: int, perpetrator_ref: str) -> rfg.Explanation:
    """Why a person scored what they did in a run: the components and the incidents behind
    them, recomputed with the run's own configuration and reference date. 404 if the
    person is not in the run or the user may not read scores."""
    run = rfg_run_get_for_user(user=user, run_id=run_id)
    if not run.scores.filter(perpetrator_ref=perpetrator_ref).exists():
        raise Http404("No such score")
    # Incidents imported after the run are left out, so the explanation is of the score stored.
    frame = _frame(
        Incident.objects.filter(
            area_id=run.area_id, perpetrator_ref=perpetrator_ref, created_at__lte=run.created_at
        )
    )
    return rfg.explain(
        frame,
        perpetrator_id=perpetrator_ref,
        as_of=run.as_of,
        config=rfg.ScoringConfig.from_json(run.config_snapshot),
    )
