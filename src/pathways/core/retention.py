"""Retention: how long each kind of record keeps what identifies people, and applying it.

Periods are configuration (`settings.PATHWAYS_RETENTION`, days per rule, merged over the
defaults below). The defaults are a starting point, not advice: each partnership sets its
own from its retention schedule and data protection impact assessment. `pathways
apply-retention` runs every rule in order (support and perpetrator cases before the
referrals that led to them), each in one transaction, and writes one audit event per rule
that changed anything. The audit trail itself is never shortened (it holds no free text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

DAY = 1
YEAR = 365

DEFAULT_RETENTION_DAYS: dict[str, int] = {
    # Cases: six years after closing, then the people in them are anonymised.
    "support_cases": 6 * YEAR,
    "perpetrator_cases": 6 * YEAR,
    # Referrals that ended without a case (signposted, withdrawn, no suitable service).
    "referrals_without_case": 2 * YEAR,
    # Acknowledged alerts and sent-notification records are working messages.
    "alerts": 1 * YEAR,
    "notifications": 1 * YEAR,
}


@dataclass(frozen=True)
class Rule:
    name: str
    action: str  # "anonymise" or "delete"
    describe: str
    run: Callable[[dt.datetime, bool], int]


def _rules() -> list[Rule]:
    from pathways.cases.services import retention as cases
    from pathways.referrals.services import retention as referrals

    return [
        Rule(
            "support_cases",
            "anonymise",
            "support cases closed longer ago than the period",
            lambda before, dry: cases.support_cases_anonymise(closed_before=before, dry_run=dry),
        ),
        Rule(
            "perpetrator_cases",
            "anonymise",
            "perpetrator cases closed longer ago than the period",
            lambda before, dry: cases.cases_anonymise(closed_before=before, dry_run=dry),
        ),
        Rule(
            "referrals_without_case",
            "anonymise",
            "referrals that ended without a case longer ago than the period (and referrals "
            "whose case is anonymised)",
            lambda before, dry: referrals.referrals_anonymise(ended_before=before, dry_run=dry),
        ),
        Rule(
            "alerts",
            "delete",
            "alerts acknowledged longer ago than the period",
            lambda before, dry: cases.alerts_delete(acknowledged_before=before, dry_run=dry),
        ),
        Rule(
            "notifications",
            "delete",
            "notification records older than the period",
            lambda before, dry: referrals.notifications_delete(sent_before=before, dry_run=dry),
        ),
    ]


def retention_days() -> dict[str, int]:
    """The periods in force: the defaults overridden by settings.PATHWAYS_RETENTION."""
    configured = dict(getattr(settings, "PATHWAYS_RETENTION", {}) or {})
    unknown = set(configured) - set(DEFAULT_RETENTION_DAYS)
    if unknown:
        raise ValueError(f"Unknown retention rules in PATHWAYS_RETENTION: {sorted(unknown)}")
    days = {**DEFAULT_RETENTION_DAYS, **configured}
    for name, value in days.items():
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"Retention for {name} must be a whole number of days, at least 1")
    return days


@dataclass(frozen=True)
class Outcome:
    rule: str
    action: str
    days: int
    before: dt.datetime
    count: int


def apply_retention(
    *, now: dt.datetime | None = None, dry_run: bool = False, actor: Any = None
) -> list[Outcome]:
    """Apply every rule; returns what each did (or would do, on a dry run)."""
    now = now or timezone.now()
    days = retention_days()
    outcomes = []
    for rule in _rules():
        before = now - dt.timedelta(days=days[rule.name])
        count = rule.run(before, dry_run)
        outcomes.append(Outcome(rule.name, rule.action, days[rule.name], before, count))
        if count and not dry_run:
            audit_record(
                actor=actor,
                action=AuditAction.DELETE if rule.action == "delete" else AuditAction.UPDATE,
                object_type="retention",
                object_id=rule.name,
                detail={
                    "retention": rule.action,
                    "days": days[rule.name],
                    "before": before.isoformat(),
                    "count": count,
                },
            )
    return outcomes
