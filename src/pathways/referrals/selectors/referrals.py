"""Scoped reads of referrals: a referrer sees their own, a provider the ones sent to its
services, the front door all of them. Anyone else's referral is a 404, never a 403."""

from __future__ import annotations

from collections import deque
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from pathways.accounts.policies import user_organisation_ids
from pathways.areas.models import Area
from pathways.areas.selectors import area_ancestor_ids

from ..models import Referral, ReferralStatus, RiskPolicy
from ..policies import PROVIDER_RESPONSE_ROLES, can_refer, can_respond_to_referrals, can_triage

# Once sent, a referral stays visible to the provider it was sent to (accepted or declined).
PROVIDER_VISIBLE = (ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.DECLINED)


def _base() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "area", "referrer", "referrer_organisation", "sent_service__organisation"
    )


def referral_list_for_referrer(*, user: Any) -> QuerySet[Referral]:
    """Referrals the user made themselves; nobody else's."""
    if not can_refer(user):
        return Referral.objects.none()
    return _base().filter(referrer=user)


def referral_get_for_referrer(*, user: Any, reference: str) -> Referral:
    """One of the user's own referrals, or 404."""
    return _get(referral_list_for_referrer(user=user), reference)


def referral_list_for_triage(*, user: Any) -> QuerySet[Referral]:
    """Every referral, for the front door."""
    if not can_triage(user):
        return Referral.objects.none()
    return _base()


def referral_get_for_triage(*, user: Any, reference: str) -> Referral:
    """One referral for the front door, or 404."""
    return _get(referral_list_for_triage(user=user), reference)


def referral_list_for_provider(*, user: Any) -> QuerySet[Referral]:
    """Referrals sent to services of the organisations the user works for as provider staff."""
    if not can_respond_to_referrals(user):
        return Referral.objects.none()
    org_ids = user_organisation_ids(user, *PROVIDER_RESPONSE_ROLES)
    return _base().filter(sent_service__organisation_id__in=org_ids, status__in=PROVIDER_VISIBLE)


def referral_get_for_provider(*, user: Any, reference: str) -> Referral:
    """One referral sent to the user's organisation, or 404."""
    return _get(referral_list_for_provider(user=user), reference)


def _get(qs: QuerySet[Referral], reference: str) -> Referral:
    try:
        return qs.get(reference=str(reference).upper())
    except Referral.DoesNotExist as exc:
        raise Http404("No such referral") from exc


def risk_policy_for_area(*, area_id: int) -> RiskPolicy | None:
    """The policy in force for an area: the latest active one on the area or its nearest
    ancestor (a district inherits its police force area's policy)."""
    # Breadth-first up the hierarchy so the nearest policy wins.
    ancestors = area_ancestor_ids(area_id=area_id)
    parents = {
        a.id: [p.id for p in a.parents.all()]
        for a in Area.objects.filter(id__in=ancestors).prefetch_related("parents")
    }
    policies: dict[int, RiskPolicy] = {}
    for policy in RiskPolicy.objects.filter(area_id__in=ancestors, is_active=True).order_by(
        "version"
    ):
        policies[policy.area_id] = policy
    queue, seen = deque([area_id]), {area_id}
    while queue:
        current = queue.popleft()
        if current in policies:
            return policies[current]
        for parent in sorted(parents.get(current, [])):
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return None
