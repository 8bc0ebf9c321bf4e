"""The information sharing agreements register and the log of each share made under it.
Sharing a category of a case's information with another organisation is allowed only
under an agreement in force with both as parties that covers the category."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.audit.models import AuditAction

from ..models import (
    AgreementStatus,
    PerpetratorCase,
    Share,
    SharingAgreement,
    SharingCategory,
    SharingLawfulBasis,
    SupportCase,
)
from ..policies import can_manage_sharing, can_view_case, can_view_support_case
from ..selectors.sharing import agreement_covering
from .common import audit


@transaction.atomic
def sharing_agreement_save(
    *,
    actor: Any,
    name: str,
    parties: Iterable[Any],
    purpose: str,
    lawful_basis: str,
    categories: Iterable[str],
    starts_on: dt.date,
    review_on: dt.date,
    status: str = AgreementStatus.DRAFT,
    agreement: SharingAgreement | None = None,
    request: Any = None,
) -> SharingAgreement:
    """Commissioners and administrators add or change an agreement in the register."""
    if not can_manage_sharing(actor):
        raise PermissionDenied("Only commissioners and administrators keep the register")
    parties = list(parties)
    categories = list(dict.fromkeys(categories))
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = ["Enter the agreement's name"]
    if len({p.pk for p in parties}) < 2:
        errors["parties"] = ["Choose at least two organisations"]
    if not (purpose or "").strip():
        errors["purpose"] = ["Enter the purpose of sharing"]
    if lawful_basis not in SharingLawfulBasis.values:
        errors["lawful_basis"] = ["Choose the lawful basis"]
    bad = set(categories) - set(SharingCategory.values)
    if not categories or bad:
        errors["categories"] = ["Choose the categories of data the agreement covers"]
    if status not in AgreementStatus.values:
        errors["status"] = ["Choose a status"]
    if starts_on and review_on and review_on < starts_on:
        errors["review_on"] = ["The review date must be on or after the start date"]
    if errors:
        raise ValidationError(errors)
    created = agreement is None
    if agreement is None:
        agreement = SharingAgreement(created_by=actor)
    agreement.name = name.strip()
    agreement.purpose = purpose.strip()
    agreement.lawful_basis = lawful_basis
    agreement.categories = categories
    agreement.starts_on = starts_on
    agreement.review_on = review_on
    agreement.status = status
    agreement.save()
    agreement.parties.set(parties)
    audit(
        actor=actor,
        action=AuditAction.SHARING_AGREEMENT_SAVED,
        object_type="sharing_agreement",
        object_id=str(agreement.pk),
        detail={
            "created": created,
            "status": status,
            "parties": sorted(p.pk for p in parties),
            "categories": categories,
            "review_on": review_on.isoformat(),
        },
        request=request,
    )
    return agreement


def share_record(
    *,
    actor: Any,
    to_organisation: Any,
    category: str,
    purpose: str,
    case: PerpetratorCase | None = None,
    support_case: SupportCase | None = None,
    request: Any = None,
) -> Share:
    """Record sharing a category of one case's information with another organisation. A
    share no agreement covers is refused and the refusal audited."""
    if (case is None) == (support_case is None):
        raise ValidationError("Share from one case: perpetrator or support")
    if case is not None:
        if not can_view_case(actor, case):
            raise PermissionDenied("Only the case's perpetrator-side staff can share from it")
        from_org = case.service.organisation
        object_type, reference = "perpetrator_case", case.reference
    else:
        if support_case is None:  # unreachable: checked above
            raise ValueError("support_case is required")
        if not can_view_support_case(actor, support_case):
            raise PermissionDenied("Only the victim-survivor's support workers can share this")
        from_org = support_case.organisation
        object_type, reference = "support_case", support_case.reference
    purpose = (purpose or "").strip()
    errors: dict[str, list[str]] = {}
    if category not in SharingCategory.values:
        errors["category"] = ["Choose what is being shared"]
    if not purpose:
        errors["purpose"] = ["Enter why this is being shared"]
    if to_organisation.pk == from_org.pk:
        errors["to_organisation"] = ["Choose another organisation"]
    if errors:
        raise ValidationError(errors)
    agreement = agreement_covering(
        from_org=from_org.pk, to_org=to_organisation.pk, category=category
    )
    if agreement is None:
        # Nothing is written but the refusal, which is kept (this function opens no
        # transaction of its own until the share is allowed).
        _audit_refusal(actor, object_type, reference, to_organisation, category, request)
        raise ValidationError(
            {
                "to_organisation": [
                    f"No sharing agreement in force with {to_organisation.name} covers "
                    f"{SharingCategory(category).label.lower()}"
                ]
            }
        )
    with transaction.atomic():
        return _share_create(
            actor=actor,
            agreement=agreement,
            case=case,
            support_case=support_case,
            from_org=from_org,
            to_organisation=to_organisation,
            category=category,
            purpose=purpose,
            object_type=object_type,
            reference=reference,
            request=request,
        )


def _share_create(
    *,
    actor: Any,
    agreement: SharingAgreement,
    case: PerpetratorCase | None,
    support_case: SupportCase | None,
    from_org: Any,
    to_organisation: Any,
    category: str,
    purpose: str,
    object_type: str,
    reference: str,
    request: Any,
) -> Share:
    share = Share.objects.create(
        agreement=agreement,
        case=case,
        support_case=support_case,
        from_organisation=from_org,
        to_organisation=to_organisation,
        category=category,
        purpose=purpose[:300],
        shared_at=timezone.now(),
        shared_by=actor,
    )
    audit(
        actor=actor,
        action=AuditAction.SHARE_RECORDED,
        object_type=object_type,
        object_id=reference,
        detail={
            "agreement": agreement.pk,
            "to_organisation": to_organisation.pk,
            "category": category,
        },
        request=request,
    )
    return share


def _audit_refusal(
    actor: Any, object_type: str, reference: str, to_org: Any, category: str, request: Any
) -> None:
    audit(
        actor=actor,
        action=AuditAction.SHARE_REFUSED,
        object_type=object_type,
        object_id=reference,
        detail={"to_organisation": to_org.pk, "category": category},
        request=request,
    )
