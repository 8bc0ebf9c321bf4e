"""Triage at the front door: the partnership's risk policy, assessing a referral's tier, and
routing it on (send to a matched service, signpost, no suitable service, withdraw).

The risk policy is data (`triage.validate_policy_definition` says what a valid one is),
loaded per area and versioned; the policy in force for a referral is the nearest active
one up the area hierarchy. Triage stores the answers, the computed tier and its
explanation, and the final tier: a worker may override the computed tier, with a reason.

Every function here is for the front door (`policies.can_triage`) and refuses anyone else
with PermissionDenied. Status moves go through `status.referral_transition`. Free text
(override reasons, signposting notes, closing reasons) may name people, so it is kept on
the referral and its status history and never written to the audit trail.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.areas.models import Area
from pathways.audit.services import audit_record
from pathways.directory.models import Service

from ..models import TRANSITIONS, Referral, ReferralStatus, RiskPolicy
from ..notifications import notify_provider, notify_referrer
from ..policies import can_manage_risk_policy, can_triage
from ..reference import RiskTier
from ..selectors.matching import match_run_latest
from ..selectors.referrals import risk_policy_for_area
from ..triage import (
    TIER_RANK,
    TriageFacts,
    compute_tier,
    question_codes,
    validate_policy_definition,
)
from .matching import primary_abuse_type, primary_cohort, unmet_need_record
from .status import copy_fields, lock_referral, referral_transition, status_error

DEMO_FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "risk_policy_demo.json"

# Statuses triage may start from: a new referral, one a service declined, one that had no
# suitable service (provision changes), and one already matched (the tier needs a second
# look). A triaged referral is re-assessed in place.
TRIAGE_FROM = (
    ReferralStatus.RECEIVED,
    ReferralStatus.DECLINED,
    ReferralStatus.NO_SUITABLE_SERVICE,
    ReferralStatus.MATCHED,
)
TRIAGEABLE = (*TRIAGE_FROM, ReferralStatus.TRIAGED)

RFG_MIN, RFG_MAX = 0, 100


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _require_triage(actor: Any) -> None:
    if not can_triage(actor):
        raise PermissionDenied("Only the front door can do this")


def _allowed(referral: Referral) -> frozenset[str]:
    return TRANSITIONS.get(referral.status, frozenset())


def tier_label(tier: str) -> str:
    """The label people read for a tier code."""
    return str(RiskTier(tier).label).lower()


# --------------------------------------------------------------------------------------
# The risk policy
# --------------------------------------------------------------------------------------


@transaction.atomic
def risk_policy_load(
    *,
    actor: Any,
    area: Area,
    name: str,
    definition: dict[str, Any],
    source_note: str = "",
    is_licensed_tool: bool = False,
) -> RiskPolicy:
    """Load a new version of an area's risk policy and make it the one in force there.

    Commissioners and administrators (or the system itself, with actor None, for demo and
    command-line loads). A definition that fails validation changes nothing."""
    if actor is not None and not can_manage_risk_policy(actor):
        raise PermissionDenied("Only commissioners and administrators can load a risk policy")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Enter a name for the risk policy"]
    problems = validate_policy_definition(definition)
    if problems:
        errors["definition"] = problems
    if errors:
        raise ValidationError(errors)
    # Lock the area's policies so two loads cannot both think they are the latest version.
    existing = list(RiskPolicy.objects.select_for_update().filter(area=area).order_by("version"))
    previous = [p for p in existing if p.is_active]
    version = (max((p.version for p in existing), default=0)) + 1
    RiskPolicy.objects.filter(pk__in=[p.pk for p in previous]).update(
        is_active=False, updated_at=timezone.now()
    )
    policy = RiskPolicy.objects.create(
        area=area,
        name=name,
        version=version,
        is_active=True,
        is_licensed_tool=is_licensed_tool,
        source_note=(source_note or "").strip(),
        definition=definition,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(
        actor=actor,
        action="risk_policy.loaded",
        object_type="risk_policy",
        object_id=str(policy.pk),
        detail={
            "area": area.slug,
            "name": name[:200],
            "version": version,
            "questions": len(definition["questions"]),
            "rules": len(definition.get("rules", [])),
            "is_licensed_tool": is_licensed_tool,
            "replaced_versions": [p.version for p in previous],
        },
    )
    return policy


def risk_policy_demo_fixture() -> dict[str, Any]:
    """The shipped demonstration checklist: {"name", "source_note", "definition"}."""
    data: dict[str, Any] = json.loads(DEMO_FIXTURE.read_text(encoding="utf-8"))
    return data


def risk_policy_load_demo(*, areas: Iterable[Area]) -> list[RiskPolicy]:
    """Load the demonstration checklist for each area that has no risk policy of its own
    yet; safe to run again. For demo and development data loads (the system is the actor)."""
    fixture = risk_policy_demo_fixture()
    loaded = []
    for area in areas:
        if RiskPolicy.objects.filter(area=area).exists():
            continue
        loaded.append(
            risk_policy_load(
                actor=None,
                area=area,
                name=fixture["name"],
                definition=fixture["definition"],
                source_note=fixture["source_note"],
                is_licensed_tool=False,
            )
        )
    return loaded


# --------------------------------------------------------------------------------------
# Triage
# --------------------------------------------------------------------------------------


def referral_triage_facts(*, referral: Referral, rfg_score: int | None) -> TriageFacts:
    """The facts the policy's rules look at, from what the referral recorded."""
    return TriageFacts(
        marac_heard=bool(referral.marac_heard),
        victim_count=referral.victims.count(),
        rfg_score=rfg_score,
        children_in_household=referral.children_in_household == "yes",
        child_count=referral.children.count(),
    )


def _clean_answers(answers: Mapping[str, Any], codes: tuple[str, ...]) -> dict[str, bool]:
    unknown = sorted(set(answers) - set(codes))
    if unknown:
        raise ValidationError(
            {
                "answers": [
                    "The risk policy in force has no question with the code "
                    + ", ".join(f"'{c}'" for c in unknown)
                ]
            }
        )
    not_bool = sorted(code for code, value in answers.items() if not isinstance(value, bool))
    if not_bool:
        raise ValidationError(
            {"answers": ["Answer each question with true or false: " + ", ".join(not_bool)]}
        )
    # Every question is stored, "no" included, so the record shows what was asked.
    return {code: bool(answers.get(code, False)) for code in codes}


def _clean_rfg(rfg_score: Any) -> int | None:
    if rfg_score is None or rfg_score == "":
        return None
    if (
        isinstance(rfg_score, bool)
        or not isinstance(rfg_score, int)
        or not RFG_MIN <= rfg_score <= RFG_MAX
    ):
        raise ValidationError(
            {"rfg_score": [f"RFG score must be a whole number from {RFG_MIN} to {RFG_MAX}"]}
        )
    return rfg_score


@transaction.atomic
def referral_triage(
    *,
    actor: Any,
    referral: Referral,
    answers: Mapping[str, bool],
    rfg_score: int | None = None,
    tier_override: str = "",
    override_reason: str = "",
    request: Any = None,
) -> Referral:
    """The front door assesses a referral against the risk policy in force for its area and
    sets its tier (the computed one, or an override with a reason); the referral becomes
    triaged. A referral already triaged is re-assessed in place."""
    _require_triage(actor)
    locked = lock_referral(referral)
    if locked.status not in TRIAGEABLE:
        raise status_error(locked, "triage")
    policy = risk_policy_for_area(area_id=locked.area_id)
    if policy is None:
        raise ValidationError(
            {
                "risk_policy": [
                    f"No risk policy is in force for {locked.area.name}. A commissioner must "
                    "load the partnership's risk policy before referrals there can be triaged"
                ]
            }
        )
    codes = question_codes(policy.definition)
    clean_answers = _clean_answers(answers, codes)
    rfg = _clean_rfg(rfg_score)
    tier_override = (tier_override or "").strip()
    override_reason = (override_reason or "").strip()
    if tier_override and tier_override not in RiskTier.values:
        raise ValidationError({"tier_override": ["Select a risk tier from the list"]})
    result = compute_tier(
        definition=policy.definition,
        answers=clean_answers,
        facts=referral_triage_facts(referral=locked, rfg_score=rfg),
    )
    final = tier_override or result.tier
    overridden = final != result.tier
    if overridden and not override_reason:
        raise ValidationError(
            {
                "override_reason": [
                    f"Enter why you are changing the tier from {tier_label(result.tier)} "
                    f"to {tier_label(final)}"
                ]
            }
        )
    now = timezone.now()
    changes: dict[str, Any] = {
        "risk_policy": policy,
        "risk_answers": clean_answers,
        "rfg_score": rfg,
        "computed_tier": result.tier,
        "computed_explanation": list(result.explanation),
        "tier": final,
        "tier_override_reason": override_reason if overridden else "",
        "triaged_at": now,
        "triaged_by": actor if getattr(actor, "is_authenticated", False) else None,
    }
    from_status = locked.status
    if from_status == ReferralStatus.TRIAGED:
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*changes, "updated_at"])
    else:
        referral_transition(
            actor=actor,
            referral=locked,
            to_status=ReferralStatus.TRIAGED,
            reason="Triaged by the front door",
            request=request,
            changes=changes,
        )
    audit_record(
        actor=actor,
        action="referral.triaged",
        object_type="referral",
        object_id=locked.reference,
        detail={
            "policy_id": policy.pk,
            "policy_version": policy.version,
            "score": result.score,
            "computed_tier": result.tier,
            "tier": final,
            "overridden": overridden,
            # Lowering a computed tier is the override oversight most needs to find.
            "override_direction": (
                ("raised" if TIER_RANK[final] > TIER_RANK[result.tier] else "lowered")
                if overridden
                else ""
            ),
            "rules_fired": len(result.rules_fired),
            "from_status": from_status,
        },
        request=request,
    )
    copy_fields(referral, locked)
    return referral


# --------------------------------------------------------------------------------------
# Routing from the front door
# --------------------------------------------------------------------------------------


@transaction.atomic
def referral_send(
    *, actor: Any, referral: Referral, service: Service, request: Any = None
) -> Referral:
    """The front door sends a matched referral to a service that was eligible in its latest
    match run; the provider is told once the send is committed."""
    _require_triage(actor)
    locked = lock_referral(referral)
    if locked.status != ReferralStatus.MATCHED:
        raise status_error(locked, "send")
    run = match_run_latest(referral=locked)
    eligible = [m for m in run.matches.all() if m.eligible] if run is not None else []
    match = next((m for m in eligible if m.service_id == service.pk), None)
    if run is None or match is None:
        raise ValidationError(
            {
                "service": [
                    "Select a service that was eligible in the latest match for this referral"
                ]
            }
        )
    now = timezone.now()
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.SENT,
        reason="Sent to a service by the front door",
        request=request,
        # A previous service's decision belongs to the history, not to this send.
        changes={"sent_service": service, "sent_at": now, "decided_at": None, "decline_reason": ""},
    )
    audit_record(
        actor=actor,
        action="referral.sent",
        object_type="referral",
        object_id=locked.reference,
        detail={"service_id": str(service.pk), "match_run": str(run.pk), "rank": match.rank},
        request=request,
    )
    copy_fields(referral, locked)
    transaction.on_commit(lambda: _tell_sent(locked.pk))
    return referral


def _tell_sent(referral_id: Any) -> None:
    sent = Referral.objects.select_related("sent_service__organisation").get(pk=referral_id)
    notify_provider(referral=sent, kind="referral_sent")


@transaction.atomic
def referral_signpost(
    *, actor: Any, referral: Referral, note: str, request: Any = None
) -> Referral:
    """The front door closes a referral by pointing the person elsewhere, saying where."""
    _require_triage(actor)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["Enter where you signposted the person"]})
    locked = lock_referral(referral)
    if ReferralStatus.SIGNPOSTED not in _allowed(locked):
        raise status_error(locked, "signpost")
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.SIGNPOSTED,
        reason="Signposted by the front door",
        note=note,
        request=request,
        changes={"signpost_note": note},
    )
    copy_fields(referral, locked)
    transaction.on_commit(lambda: notify_referrer(referral=locked, kind="referral_closed"))
    return referral


@transaction.atomic
def referral_close_no_suitable_service(
    *, actor: Any, referral: Referral, reason: str, request: Any = None
) -> Referral:
    """The front door records that no service suits a triaged referral, with a reason; the
    unmet need is counted so mapping sees the gap."""
    _require_triage(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why no service is suitable"]})
    locked = lock_referral(referral)
    if ReferralStatus.NO_SUITABLE_SERVICE not in _allowed(locked):
        raise status_error(locked, "close as no suitable service")
    if not locked.tier:
        # Unmet need is counted by tier, so the gap can only be measured once it is known.
        raise ValidationError(
            {"status": ["Triage this referral before recording that no service is suitable"]}
        )
    # Counted under the same dimensions matching uses, so a referral whose match already
    # recorded its unmet need is not counted twice (unmet_need_record returns that row).
    unmet_need_record(
        actor=actor,
        referral=locked,
        area=locked.area,
        tier=locked.tier,
        cohort=primary_cohort(locked.cohorts or ()),
        abuse_type=primary_abuse_type(locked.abuse_types or ()),
        route=locked.source,
    )
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.NO_SUITABLE_SERVICE,
        reason="No suitable service",
        note=reason,
        request=request,
    )
    copy_fields(referral, locked)
    transaction.on_commit(lambda: notify_referrer(referral=locked, kind="referral_closed"))
    return referral


@transaction.atomic
def referral_withdraw_by_front_door(
    *, actor: Any, referral: Referral, reason: str, request: Any = None
) -> Referral:
    """The front door withdraws a referral that is still open, with a reason; the referrer
    (and the service, if it had been sent one) are told."""
    _require_triage(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter why you are withdrawing this referral"]})
    locked = lock_referral(referral)
    if ReferralStatus.WITHDRAWN not in _allowed(locked):
        raise status_error(locked, "withdraw")
    was_sent = locked.status == ReferralStatus.SENT
    referral_transition(
        actor=actor,
        referral=locked,
        to_status=ReferralStatus.WITHDRAWN,
        reason="Withdrawn by the front door",
        note=reason,
        request=request,
    )
    copy_fields(referral, locked)

    def tell() -> None:
        notify_referrer(referral=locked, kind="referral_closed")
        if was_sent:
            notify_provider(referral=locked, kind="referral_closed")

    transaction.on_commit(tell)
    return referral
