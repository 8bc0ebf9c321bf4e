"""Writes for mapping: saving snapshots and exporting. Each is audited.

Computing a mapping reads only; what leaves the system (a download, an API answer, a file
written by the command) and what is saved (a snapshot) goes through here so the audit
trail records who took which area's mapping, in which format and under which rule.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from . import engine, exports, selectors
from .models import MappingSnapshot
from .policies import can_view_mapping

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
