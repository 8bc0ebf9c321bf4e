"""Matching a triaged referral, and recording the unmet need when nothing fits.

The engine (`referrals.matching`) decides; this module checks who may ask, keeps the run
(every eligible service and every excluded one except those outside the area, which are
only counted), moves the referral to "matched", records unmet need once per referral and
need, and audits without personal details.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.areas.models import Area
from pathways.audit.services import audit_record

from ..matching import AREA_NOT_SERVED, SPECIALIST_COHORTS, match
from ..models import Match, MatchRun, Referral, ReferralStatus, UnmetNeed
from ..policies import can_triage
from ..reference import RiskTier
from ..selectors.matching import need_for_referral, service_facts_in_scope
from .status import referral_transition

# A referral may be matched once triage has set its tier, and matched again while it waits
# to be sent. A declined referral goes back to triage first.
MATCHABLE = (ReferralStatus.TRIAGED, ReferralStatus.MATCHED)
# When a referral names several abuse types, unmet need records the most specific one:
# any other type before domestic abuse, which nearly every service works with.
ABUSE_TYPE_ORDER = ("SV", "CSE", "stalking", "HBA", "CAPVA", "DA")
DETAIL_LENGTH = Match._meta.get_field("excluded_detail").max_length or 300


def _signed_in(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def primary_cohort(cohorts: Iterable[str]) -> str:
    """The cohort unmet need is counted under: the first specialist cohort the person is
    in (in the mapping's column order), else "adults" if given, else none."""
    given = set(cohorts)
    for cohort in SPECIALIST_COHORTS:
        if cohort in given:
            return cohort
    return "adults" if "adults" in given else ""


def primary_abuse_type(abuse_types: Iterable[str]) -> str:
    """The abuse type unmet need is counted under (see ABUSE_TYPE_ORDER); other codes last."""
    given = set(abuse_types)
    for code in ABUSE_TYPE_ORDER:
        if code in given:
            return code
    return min(given) if given else ""


@transaction.atomic
def unmet_need_record(
    *,
    actor: Any,
    referral: Referral | None = None,
    area: Area,
    tier: str,
    cohort: str = "",
    abuse_type: str = "",
    route: str = "",
) -> UnmetNeed:
    """Record demand nothing in the directory could meet; the front door only. A referral
    already recorded with the same dimensions is not recorded again (the row is returned)."""
    if not can_triage(actor):
        raise PermissionDenied("Only the front door records unmet need.")
    if tier not in RiskTier.values:
        raise ValidationError({"tier": [f"Choose a risk tier: {', '.join(RiskTier.values)}"]})
    dimensions = {
        "area": area,
        "tier": tier,
        "cohort": cohort,
        "abuse_type": abuse_type,
        "route": route,
    }
    if referral is not None:
        existing = UnmetNeed.objects.filter(referral=referral, **dimensions).first()
        if existing is not None:
            return existing
    need = UnmetNeed.objects.create(
        referral=referral,
        recorded_at=timezone.now(),
        recorded_by=_signed_in(actor),
        is_synthetic=bool(referral is not None and referral.is_synthetic),
        **dimensions,
    )
    # Counts feed mapping; the audit event carries where and which tier, nothing about
    # the person.
    audit_record(
        actor=actor,
        action="unmet_need.recorded",
        object_type="unmet_need",
        object_id=need.pk,
        detail={"area": area.slug, "tier": tier},
    )
    return need


@transaction.atomic
def referral_match(*, actor: Any, referral: Referral, request: Any = None) -> MatchRun:
    """Match a triaged referral against every service in scope and keep the run; the front
    door only. A triaged referral becomes "matched"; a matched one gets a new run."""
    if not can_triage(actor):
        raise PermissionDenied("Only the front door matches referrals.")
    locked = (
        Referral.objects.select_for_update(of=("self",)).select_related("area").get(pk=referral.pk)
    )
    if locked.status == ReferralStatus.DECLINED:
        raise ValidationError(
            {"status": ["The service declined this referral: triage it again before matching"]}
        )
    if locked.status not in MATCHABLE:
        label = ReferralStatus(locked.status).label.lower()
        raise ValidationError(
            {"status": [f"A referral that is {label} cannot be matched: only triaged referrals"]}
        )
    need = need_for_referral(referral=locked)
    result = match(need, service_facts_in_scope())
    kept = [o for o in result.excluded if o.rule != AREA_NOT_SERVED]
    run = MatchRun.objects.create(
        referral=locked,
        ran_at=timezone.now(),
        ran_by=_signed_in(actor),
        need=need.to_json(),
        eligible_count=len(result.eligible),
        excluded_count=len(kept),
        out_of_area_count=len(result.excluded) - len(kept),
    )
    Match.objects.bulk_create(
        [
            Match(
                run=run,
                service_id=o.service_id,
                eligible=True,
                rank=o.rank,
                reasons=list(o.reasons),
            )
            for o in result.eligible
        ]
        + [
            Match(
                run=run,
                service_id=o.service_id,
                eligible=False,
                excluded_rule=o.rule,
                excluded_detail=o.detail[:DETAIL_LENGTH],
            )
            for o in kept
        ]
    )
    if locked.status == ReferralStatus.TRIAGED:
        referral_transition(
            actor=actor,
            referral=referral,
            to_status=ReferralStatus.MATCHED,
            reason=f"Matched: {len(result.eligible)} suitable service(s)",
            request=request,
        )
    if result.unmet:
        unmet_need_record(
            actor=actor,
            referral=locked,
            area=locked.area,
            tier=locked.tier,
            cohort=primary_cohort(need.cohorts),
            abuse_type=primary_abuse_type(need.abuse_types),
            route=locked.source,
        )
    audit_record(
        actor=actor,
        action="referral.matched",
        object_type="referral",
        object_id=locked.reference,
        detail={
            "run": str(run.pk),
            "eligible": run.eligible_count,
            "excluded": run.excluded_count,
            "out_of_area": run.out_of_area_count,
            "unmet": result.unmet,
        },
        request=request,
    )
    return run
