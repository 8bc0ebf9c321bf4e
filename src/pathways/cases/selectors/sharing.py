"""Reads of the information sharing agreements register."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from pathways.accounts.policies import has_role, user_organisation_ids

from ..models import AgreementStatus, Share, SharingAgreement
from ..policies import SHARING_MANAGE_ROLES, SHARING_REGISTER_ROLES


def agreements_in_force(*, on: dt.date | None = None) -> QuerySet[SharingAgreement]:
    """Agreements that cover sharing on a date: active, started, and not past review."""
    on = on or timezone.localdate()
    return SharingAgreement.objects.filter(
        status=AgreementStatus.ACTIVE, starts_on__lte=on, review_on__gte=on
    )


def agreement_covering(
    *, from_org: Any, to_org: Any, category: str, on: dt.date | None = None
) -> SharingAgreement | None:
    """The agreement in force with both organisations as parties that covers the category,
    or None. Any caller may ask; it reveals nothing about people."""
    if from_org == to_org:
        return None
    candidates = (
        agreements_in_force(on=on)
        .filter(parties=from_org)
        .filter(parties=to_org)
        .order_by("review_on", "pk")
    )
    for agreement in candidates:
        if category in (agreement.categories or []):
            return agreement
    return None


def agreement_list_for_user(*, user: Any) -> QuerySet[SharingAgreement]:
    """Commissioners and administrators see the whole register; provider managers see the
    agreements their organisations are party to."""
    qs = SharingAgreement.objects.prefetch_related("parties").order_by("name", "pk")
    if has_role(user, *SHARING_MANAGE_ROLES):
        return qs
    if has_role(user, *SHARING_REGISTER_ROLES):
        orgs = user_organisation_ids(user, *SHARING_REGISTER_ROLES)
        return qs.filter(parties__in=orgs).distinct()
    return qs.none()


def share_list_for_agreement(*, agreement: SharingAgreement) -> QuerySet[Share]:
    """The log of shares made under an agreement (references only, no details)."""
    return agreement.shares.select_related(
        "from_organisation", "to_organisation", "shared_by", "case", "support_case"
    )
