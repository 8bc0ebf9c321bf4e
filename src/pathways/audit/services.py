"""Writing to the audit trail. Every service that touches sensitive data calls `audit_record`."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditAction, AuditEvent

GENESIS_HASH = "0" * 64
_PG_LOCK_KEY = 7_271_001  # advisory lock that serialises appends on PostgreSQL


def _canonical(
    *,
    occurred_at: str,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any],
    ip_address: str | None,
    previous_hash: str,
) -> bytes:
    payload = {
        "occurred_at": occurred_at,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "detail": detail,
        "ip_address": ip_address,
        "previous_hash": previous_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_hash(event: AuditEvent) -> str:
    """The hash an event should carry, computed from its own fields and its predecessor's hash."""
    return hashlib.sha256(
        _canonical(
            occurred_at=event.occurred_at.isoformat(),
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            detail=event.detail,
            ip_address=event.ip_address,
            previous_hash=event.previous_hash,
        )
    ).hexdigest()


def _client_ip(request: Any) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: Any = "",
    detail: dict[str, Any] | None = None,
    request: Any = None,
) -> AuditEvent:
    """Append one event to the trail. Any caller may use it; it never fails silently."""
    if action not in AuditAction.values:
        # Refused here, not by the database: SQLite would store any string.
        raise ValueError(f"Unknown audit action {action!r}: add it to AuditAction")
    detail = json.loads(json.dumps(detail or {}, default=str))
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEvent.objects.order_by("-sequence").values_list("hash", flat=True).first()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor=actor_obj,
            actor_label=actor_obj.get_username() if actor_obj else "anonymous",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail,
            ip_address=_client_ip(request),
            previous_hash=last or GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save()
    return event
