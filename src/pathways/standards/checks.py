"""Automatic checks: pure functions over plain data, proposing a rating with the data behind it.

Nothing here touches the database. `selectors.service_facts` turns a directory service into
the plain `facts` mapping these take, so the checks are easy to test and to explain: every
proposal carries the values it was decided from. A proposal is only shown beside an item;
a person decides whether to take it. `rating` is None when the directory cannot answer.

Checks start with what the directory holds (integrated victim-survivor support, duration
of behaviour change work, accreditation, evaluation); later data (caseloads, equality
monitoring) add their own functions to `CHECKS`.

`tier_claim_check` checks a service's risk-tier claims against a partnership's agreed
risk-tier definition, criterion by criterion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GREEN, AMBER, RED, NOT_APPLICABLE = "green", "amber", "red", "not_applicable"

# Home Office 2023 guideline 3.3: at least 22 weekly group sessions, or 16 one-to-one.
BEHAVIOUR_CHANGE_GROUP_WEEKS = 22
BEHAVIOUR_CHANGE_ONE_TO_ONE_WEEKS = 16

# Referral routes that show a service works with the multi-agency risk system.
MULTI_AGENCY_ROUTES = frozenset({"marac", "police", "probation", "childrens-social-care"})

Facts = Mapping[str, Any]


@dataclass(frozen=True)
class Proposal:
    """A proposed rating and why. `data` holds the directory values it was decided from."""

    check: str
    title: str
    rating: str | None
    reason: str
    data: dict[str, Any] = field(default_factory=dict)


def check_integrated_victim_support(facts: Facts) -> Proposal:
    """Home Office 1.2, VAWDASV 5, Respect D: integrated support for victim-survivors in place."""
    value = facts.get("integrated_victim_support") or "not_stated"
    partner = facts.get("victim_support_partner") or ""
    data = {"integrated_victim_support": value, "victim_support_partner": partner}
    title = "Integrated victim-survivor support"
    if value == "own":
        return Proposal(
            "integrated_victim_support", title, GREEN, "The service provides it itself.", data
        )
    if value == "partner":
        who = f" ({partner})" if partner else ""
        return Proposal(
            "integrated_victim_support",
            title,
            GREEN,
            f"A partner organisation provides it{who}.",
            data,
        )
    if value == "none":
        return Proposal(
            "integrated_victim_support",
            title,
            RED,
            "The directory records no integrated victim-survivor support.",
            data,
        )
    return Proposal(
        "integrated_victim_support",
        title,
        None,
        "The directory does not say whether there is integrated victim-survivor support.",
        data,
    )


def check_behaviour_change_duration(facts: Facts) -> Proposal:
    """Home Office 3.3: behaviour change work lasts at least 22 weeks (16 if one-to-one only)."""
    itype = facts.get("intervention_type") or "not_stated"
    weeks = facts.get("duration_weeks")
    formats = set(facts.get("delivery_formats") or [])
    data = {
        "intervention_type": itype,
        "duration_weeks": weeks,
        "delivery_formats": sorted(formats),
    }
    title = "Length of behaviour change work"
    if itype == "not_stated":
        return Proposal(
            "behaviour_change_duration",
            title,
            None,
            "The directory does not record the intervention type.",
            data,
        )
    if itype != "behaviour_change":
        return Proposal(
            "behaviour_change_duration",
            title,
            NOT_APPLICABLE,
            "Not a behaviour change service, so the minimum length does not apply.",
            data,
        )
    if weeks is None:
        return Proposal(
            "behaviour_change_duration",
            title,
            None,
            "The directory does not record how many weeks it lasts.",
            data,
        )
    if weeks >= BEHAVIOUR_CHANGE_GROUP_WEEKS:
        return Proposal(
            "behaviour_change_duration",
            title,
            GREEN,
            f"{weeks} weeks: at least the {BEHAVIOUR_CHANGE_GROUP_WEEKS} expected.",
            data,
        )
    one_to_one_only = "one-to-one" in formats and "group" not in formats
    if one_to_one_only and weeks >= BEHAVIOUR_CHANGE_ONE_TO_ONE_WEEKS:
        return Proposal(
            "behaviour_change_duration",
            title,
            GREEN,
            f"{weeks} weeks of one-to-one work: at least the "
            f"{BEHAVIOUR_CHANGE_ONE_TO_ONE_WEEKS} expected.",
            data,
        )
    return Proposal(
        "behaviour_change_duration",
        title,
        RED,
        f"{weeks} weeks is shorter than the {BEHAVIOUR_CHANGE_GROUP_WEEKS} weeks expected "
        "(shorter work counts as an early response).",
        data,
    )


_WORKING_TOWARDS = re.compile(r"working towards|in progress|applied|pending", re.IGNORECASE)
_NOT_ACCREDITED = re.compile(r"^\s*(none|no|not accredited)\b", re.IGNORECASE)


def check_accreditation(facts: Facts) -> Proposal:
    """Home Office 2.6: accreditation held (or pursued) through CSAAP, Respect or similar."""
    text = (facts.get("accreditation") or "").strip()
    data = {"accreditation": text}
    title = "Accreditation"
    if not text:
        return Proposal(
            "accreditation", title, None, "The directory records no accreditation.", data
        )
    if _NOT_ACCREDITED.search(text):
        return Proposal("accreditation", title, RED, "Recorded as not accredited.", data)
    if _WORKING_TOWARDS.search(text):
        return Proposal(
            "accreditation", title, AMBER, "Working towards accreditation, not yet held.", data
        )
    return Proposal("accreditation", title, GREEN, f"Accreditation recorded: {text}.", data)


_NO_EVALUATION = re.compile(
    r"\bnot (yet )?(been )?(evaluated|reviewed)\b|\bno (formal )?evaluation\b", re.IGNORECASE
)
_INDEPENDENT = re.compile(r"independent|university|\bRCT\b", re.IGNORECASE)


def check_independent_evaluation(facts: Facts) -> Proposal:
    """Home Office 7.4, VAWDASV 11, CSAAP 7: evaluated, independently for new approaches."""
    text = (facts.get("evaluation_status") or "").strip()
    delivery = facts.get("delivery_status") or "not_stated"
    data = {"evaluation_status": text, "delivery_status": delivery}
    title = "Independent evaluation"
    if not text:
        return Proposal(
            "independent_evaluation",
            title,
            None,
            "The directory records nothing about evaluation.",
            data,
        )
    if _NO_EVALUATION.search(text):
        if delivery in ("pilot", "trial"):
            return Proposal(
                "independent_evaluation",
                title,
                RED,
                "A pilot with no evaluation recorded; new approaches must be evaluated "
                "independently.",
                data,
            )
        return Proposal("independent_evaluation", title, AMBER, "No evaluation recorded yet.", data)
    match = _INDEPENDENT.search(text)
    if match:
        return Proposal(
            "independent_evaluation",
            title,
            GREEN,
            f"The evaluation record mentions “{match.group(0)}”.",
            data,
        )
    return Proposal(
        "independent_evaluation",
        title,
        AMBER,
        "An evaluation is recorded but its independence is not evident.",
        data,
    )


CHECKS: dict[str, Callable[[Facts], Proposal]] = {
    "integrated_victim_support": check_integrated_victim_support,
    "behaviour_change_duration": check_behaviour_change_duration,
    "accreditation": check_accreditation,
    "independent_evaluation": check_independent_evaluation,
}


def run_checks(check_names: Iterable[str], facts: Facts) -> list[Proposal]:
    """Run the named checks (unknown names are skipped) in a stable order."""
    return [CHECKS[name](facts) for name in sorted(set(check_names)) if name in CHECKS]


# --------------------------------------------------------------------------------------
# Risk-tier definitions
# --------------------------------------------------------------------------------------

MEETS, DOES_NOT_MEET, CANNOT_TELL = "meets", "does_not_meet", "cannot_tell"
TIER_CLAIM = {"standard": "risk_standard", "medium": "risk_medium", "high": "risk_high"}


@dataclass(frozen=True)
class CriterionResult:
    criterion: str
    label: str
    met: bool | None
    detail: str


@dataclass(frozen=True)
class TierCheck:
    """One claimed tier checked against the agreed definition."""

    tier: str
    result: str
    criteria: tuple[CriterionResult, ...]

    @property
    def failed(self) -> list[CriterionResult]:
        return [c for c in self.criteria if c.met is False]


def _criteria_results(criteria: Facts, facts: Facts) -> list[CriterionResult]:
    out: list[CriterionResult] = []
    routes = set(facts.get("referral_routes") or [])
    if criteria.get("requires_intensive_case_management"):
        itype = facts.get("intervention_type") or "not_stated"
        out.append(
            CriterionResult(
                "requires_intensive_case_management",
                "Intensive case management",
                None if itype == "not_stated" else itype == "intensive_case_management",
                f"Intervention type: {itype}",
            )
        )
    if criteria.get("requires_multi_agency_links"):
        linked = sorted(routes & MULTI_AGENCY_ROUTES)
        out.append(
            CriterionResult(
                "requires_multi_agency_links",
                "Multi-agency links",
                None if not routes else bool(linked),
                f"Multi-agency referral routes: {', '.join(linked) or 'none'}",
            )
        )
    if criteria.get("requires_integrated_victim_support"):
        ivs = facts.get("integrated_victim_support") or "not_stated"
        out.append(
            CriterionResult(
                "requires_integrated_victim_support",
                "Integrated victim-survivor support",
                True if ivs in ("own", "partner") else False if ivs == "none" else None,
                f"Integrated victim-survivor support: {ivs}",
            )
        )
    minimum = criteria.get("min_duration_weeks")
    if minimum:
        weeks = facts.get("duration_weeks")
        out.append(
            CriterionResult(
                "min_duration_weeks",
                f"At least {minimum} weeks",
                None if weeks is None else weeks >= minimum,
                "Duration: not recorded" if weeks is None else f"Duration: {weeks} weeks",
            )
        )
    accepted = set(criteria.get("accepted_referral_routes") or [])
    if accepted:
        common = sorted(routes & accepted)
        out.append(
            CriterionResult(
                "accepted_referral_routes",
                f"Accepts one of: {', '.join(sorted(accepted))}",
                None if not routes else bool(common),
                f"Routes accepted: {', '.join(sorted(routes)) or 'none recorded'}",
            )
        )
    return out


def tier_claim_check(definition: Mapping[str, Facts], facts: Facts) -> list[TierCheck]:
    """Check every tier the service claims (claim value "yes") against the definition.

    `definition` maps tier ("standard", "medium", "high") to its criteria; `facts` is a
    service's plain data with `claims` (dimension -> value). Tiers the definition does not
    cover are not checked.
    """
    claims = facts.get("claims") or {}
    checks = []
    for tier, claim in TIER_CLAIM.items():
        if claims.get(claim) != "yes" or tier not in definition:
            continue
        results = _criteria_results(definition[tier], facts)
        if any(r.met is False for r in results):
            outcome = DOES_NOT_MEET
        elif any(r.met is None for r in results):
            outcome = CANNOT_TELL
        else:
            outcome = MEETS
        checks.append(TierCheck(tier, outcome, tuple(results)))
    return checks
