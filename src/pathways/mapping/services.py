"""Writes for mapping: saving snapshots, exporting, publishing summaries. Each is audited.

Computing a mapping reads only; what leaves the system (a download, an API answer, a file
written by the command) and what is saved (a snapshot) goes through here so the audit
trail records who took which area's mapping, in which format and under which rule.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from . import engine, exports, selectors
from .models import MappingSnapshot, PublishedSummary
from .policies import can_publish_mapping, can_view_mapping

LABEL_MAX = 200


@transaction.atomic
def snapshot_save(
    *,
    actor: Any,
    area_slug: str,
    rule: engine.CountingRule,
    label: str = "",
    request: Any = None,
) -> MappingSnapshot:
    """Save a dated snapshot of an area's mapping; commissioners, analysts and admins only."""
    if not can_view_mapping(actor):
        raise PermissionDenied("Mapping is for commissioners, analysts and administrators.")
    label = label.strip()
    if len(label) > LABEL_MAX:
        raise ValidationError({"label": [f"Label must be {LABEL_MAX} characters or fewer."]})
    area = Area.objects.filter(slug=area_slug).first()
    if area is None:
        raise selectors.unknown_area_error(area_slug)
    result = selectors.mapping_compute_for_area(area_slug=area_slug, rule=rule)
    snapshot = MappingSnapshot.objects.create(
        area=area,
        label=label,
        counting_rule=rule.to_json(),
        payload=result.to_json(),
        services=result.summary["services"],
        gaps=len(result.gaps),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="mapping_snapshot",
        object_id=snapshot.pk,
        detail={"area": area_slug, "label": label, "rule": rule.to_params()},
        request=request,
    )
    return snapshot


def mapping_export(
    *,
    actor: Any,
    area_slug: str,
    rule: engine.CountingRule,
    fmt: str,
    channel: str = "web",
    request: Any = None,
    result: engine.MappingResult | None = None,
) -> exports.ExportFile:
    """Build an area's mapping as json, xlsx or pdf and record the export in the audit trail.

    People must be allowed to see mapping; the command (channel "command") runs as the
    system with no actor and is trusted like any management command.
    """
    if channel != "command" and not can_view_mapping(actor):
        raise PermissionDenied("Mapping is for commissioners, analysts and administrators.")
    if fmt not in exports.FORMATS:
        raise ValidationError({"format": ["Format must be json, xlsx or pdf."]})
    if result is None:
        result = selectors.mapping_compute_for_area(area_slug=area_slug, rule=rule)
    export = exports.render(result, fmt)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        object_type="mapping",
        object_id=area_slug,
        detail={
            "format": fmt,
            "channel": channel,
            "rule": rule.to_params(),
            "services": result.summary["services"],
        },
        request=request,
    )
    return export


# --------------------------------------------------------------------------------------
# Public summaries
# --------------------------------------------------------------------------------------

PUBLISHED_SUMMARY = "mapping_published_summary"


def _require_publisher(actor: Any) -> None:
    if not can_publish_mapping(actor):
        raise PermissionDenied("Only administrators publish or unpublish mapping summaries.")


def _live_for_area(area_id: Any) -> PublishedSummary | None:
    return (
        PublishedSummary.objects.select_for_update()
        .filter(area_id=area_id, withdrawn_at__isnull=True)
        .first()
    )


@transaction.atomic
def summary_publish(*, actor: Any, snapshot_id: Any, request: Any = None) -> PublishedSummary:
    """Publish the headline figures and gaps of a saved snapshot for its area; admins only.

    What is published is copied now by `engine.public_summary` (figures and gaps, nothing
    about any service or provider). A summary already live for the area is replaced, so the
    public sees one summary per area. Audited as a create, naming any summary replaced.
    """
    _require_publisher(actor)
    snapshot = MappingSnapshot.objects.select_related("area").filter(pk=snapshot_id).first()
    if snapshot is None:
        raise Http404("No such snapshot")
    now = timezone.now()
    live = _live_for_area(snapshot.area_id)
    if live is not None and live.snapshot_id == snapshot.pk:
        raise ValidationError({"snapshot": ["This snapshot's summary is already published."]})
    if live is not None:
        live.withdrawn_at = now
        live.withdrawn_by = actor
        live.withdrawn_reason = PublishedSummary.Withdrawn.REPLACED
        live.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason", "updated_at"])
    summary = PublishedSummary.objects.create(
        snapshot=snapshot,
        area=snapshot.area,
        content=engine.public_summary(
            snapshot.payload, abuse_type_names=selectors.abuse_type_names()
        ),
        published_at=now,
        published_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type=PUBLISHED_SUMMARY,
        object_id=summary.pk,
        detail={
            "event": "publish",
            "area": snapshot.area.slug,
            "snapshot": str(snapshot.pk),
            "replaced": str(live.pk) if live is not None else None,
        },
        request=request,
    )
    return summary


@transaction.atomic
def summary_unpublish(*, actor: Any, area_slug: str, request: Any = None) -> PublishedSummary:
    """Withdraw the area's live public summary; admins only. 404 when none is live. Audited."""
    _require_publisher(actor)
    area = Area.objects.filter(slug=area_slug).first()
    live = _live_for_area(area.pk) if area is not None else None
    if live is None:
        raise Http404("Nothing is published for this area")
    live.withdrawn_at = timezone.now()
    live.withdrawn_by = actor
    live.withdrawn_reason = PublishedSummary.Withdrawn.UNPUBLISHED
    live.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type=PUBLISHED_SUMMARY,
        object_id=live.pk,
        detail={"event": "unpublish", "area": area_slug, "snapshot": str(live.snapshot_id)},
        request=request,
    )
    return live
