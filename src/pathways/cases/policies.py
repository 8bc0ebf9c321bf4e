"""Who may do what in case work. Plain predicates used by views, services and selectors.

Two sides, kept apart (standards 1.2 and 2.2):

- the **perpetrator side**: perpetrator-side workers and provider managers of the
  organisation running the perpetrator case's service;
- the **support side**: victim-survivor support workers (IVSS) of the organisation holding
  the support case. Nobody else reads the support record: not provider managers, not
  perpetrator-side workers, not administrators outside audited break-glass; and never the
  worker on the linked perpetrator case, even if they also hold a support role.

Named contacts on a case (statutory lead, police contact, panel chair) receive its risk
events and may read those events, not the case record.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import Policy, has_role, role_policy, user_organisation_ids

PERPETRATOR_SIDE_ROLES = (Role.PERPETRATOR_WORKER, Role.PROVIDER_MANAGER)
SUPPORT_SIDE_ROLES = (Role.SUPPORT_WORKER,)
MANAGER_ROLES = (Role.PROVIDER_MANAGER,)
SHARING_REGISTER_ROLES = (Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.ADMIN)
SHARING_MANAGE_ROLES = (Role.COMMISSIONER, Role.ADMIN)


def perpetrator_side_org_ids(user: Any) -> frozenset[Any]:
    """Organisations whose perpetrator cases the user works on."""
    return user_organisation_ids(user, *PERPETRATOR_SIDE_ROLES)


def support_side_org_ids(user: Any) -> frozenset[Any]:
    """Organisations whose support cases the user works on."""
    return user_organisation_ids(user, *SUPPORT_SIDE_ROLES)


def is_perpetrator_side_for(user: Any, organisation_id: Any) -> bool:
    """True when the user works perpetrator cases for the organisation."""
    return organisation_id in perpetrator_side_org_ids(user)


def is_manager_for(user: Any, organisation_id: Any) -> bool:
    """True when the user is a provider manager of the organisation."""
    return organisation_id in user_organisation_ids(user, *MANAGER_ROLES)


def can_view_case(user: Any, case: Any) -> bool:
    """Perpetrator-side staff of the organisation running the case's service."""
    return is_perpetrator_side_for(user, case.service.organisation_id)


def can_view_support_case(user: Any, support_case: Any) -> bool:
    """Support workers of the organisation holding the support case, except the worker on
    the linked perpetrator case."""
    if support_case.organisation_id not in support_side_org_ids(user):
        return False
    linked = support_case.perpetrator_case
    return not (linked is not None and linked.worker_id and linked.worker_id == user.pk)


def is_named_contact(user: Any, case: Any) -> bool:
    """True when the user is the case's statutory lead, police contact or panel chair."""
    uid = getattr(user, "pk", None)
    return uid is not None and uid in {
        case.statutory_lead_id,
        case.police_contact_id,
        case.panel_chair_id,
    }


def can_view_risk_event(user: Any, event: Any) -> bool:
    """Both sides of the case and its named contacts see its risk events."""
    case = event.case
    if can_view_case(user, case) or is_named_contact(user, case):
        return True
    return any(can_view_support_case(user, sc) for sc in case.support_cases.all())


def can_manage_sharing(user: Any) -> bool:
    """Commissioners and administrators keep the sharing agreements register."""
    return has_role(user, *SHARING_MANAGE_ROLES)


CASE_WORK = role_policy(
    "case_work",
    PERPETRATOR_SIDE_ROLES,
    "Perpetrator-side workers and provider managers; cases scoped to their organisation.",
)
SUPPORT_WORK = role_policy(
    "support_work",
    SUPPORT_SIDE_ROLES,
    "Victim-survivor support workers; support cases scoped to their organisation.",
)
CASE_MANAGER = role_policy(
    "case_manager", MANAGER_ROLES, "Provider managers: workload, staff records, approvals."
)
RISK_ALERTS = Policy(
    "risk_alerts",
    lambda user: bool(getattr(user, "is_authenticated", False) and user.is_active),
    "Any signed-in user; each sees only alerts delivered to them and risk events they may see.",
)
SHARING_REGISTER = role_policy(
    "sharing_register",
    SHARING_REGISTER_ROLES,
    "Commissioners and administrators keep the register; provider managers read it.",
)
SHARING_MANAGE = role_policy(
    "sharing_manage",
    SHARING_MANAGE_ROLES,
    "Commissioners and administrators add and change agreements in the register.",
)
BREAK_GLASS = role_policy(
    "break_glass", (Role.ADMIN,), "Administrators, for an audited, time-limited break-glass."
)
