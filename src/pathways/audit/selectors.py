"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AuditEvent
from .services import GENESIS_HASH, event_hash


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_at: int | None = None
    reason: str = ""


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole trail in order and report the first event whose link or hash is wrong."""
    expected_previous = GENESIS_HASH
    checked = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size):
        if event.previous_hash != expected_previous:
            return ChainReport(
                checked, False, event.sequence, "its link to the previous event does not match"
            )
        if event_hash(event) != event.hash:
            return ChainReport(checked, False, event.sequence, "its contents were changed")
        expected_previous = event.hash
        checked += 1
    return ChainReport(checked, True)
