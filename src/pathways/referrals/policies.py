"""Who may do what at the front door. Plain predicates, used by views, services and
selectors; object scoping (whose referral) lives in `selectors`."""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import Policy, has_role, role_policy

REFERRER_ROLES = (Role.REFERRER, Role.TRIAGE, Role.ADMIN)
TRIAGE_ROLES = (Role.TRIAGE, Role.ADMIN)
PROVIDER_RESPONSE_ROLES = (Role.PROVIDER_MANAGER, Role.PERPETRATOR_WORKER)
WHAT_IF_ROLES = (Role.COMMISSIONER, Role.TRIAGE, Role.ADMIN)


def can_refer(user: Any) -> bool:
    """Referrers (and the front door, entering a phone referral) may make agency referrals."""
    return has_role(user, *REFERRER_ROLES)


def can_triage(user: Any) -> bool:
    """Front-door triage workers see every referral, triage, match and route it."""
    return has_role(user, *TRIAGE_ROLES)


def can_respond_to_referrals(user: Any) -> bool:
    """Provider staff accept or decline referrals sent to their organisation's services."""
    return has_role(user, *PROVIDER_RESPONSE_ROLES)


def can_run_what_if_match(user: Any) -> bool:
    """Commissioners and triage workers may try matching without storing anything."""
    return has_role(user, *WHAT_IF_ROLES)


def can_manage_risk_policy(user: Any) -> bool:
    """The partnership's risk policy is loaded by commissioners and administrators."""
    return has_role(user, Role.COMMISSIONER, Role.ADMIN)


REFER = role_policy("refer", REFERRER_ROLES, "Referrers and the front door make agency referrals.")
TRIAGE = role_policy("triage", TRIAGE_ROLES, "Front-door triage workers and administrators.")
PROVIDER_RESPONSE = role_policy(
    "provider_response",
    PROVIDER_RESPONSE_ROLES,
    "Provider managers and perpetrator-side workers answer referrals sent to their services.",
)
WHAT_IF_MATCH = role_policy(
    "what_if_match", WHAT_IF_ROLES, "Commissioners and triage workers try matching."
)
RISK_POLICY_MANAGE = Policy(
    "risk_policy_manage", can_manage_risk_policy, "Commissioners load the risk policy."
)
