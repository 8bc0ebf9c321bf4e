"""Reads of the directory shared by pages, the API and the ORUK feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.accounts.policies import can_curate_directory, has_role, user_organisation_ids
from pathways.areas.selectors import area_ancestor_ids, area_descendant_ids

from .models import (
    CONFIRMING_SOURCES,
    ClaimDimension,
    Service,
    ServiceArea,
    ServiceClaim,
    ServiceStatus,
    TaxonomyTerm,
)


@dataclass(frozen=True)
class ServiceFilters:
    """What a member of the public (or the API) can filter services by."""

    area_id: int | None = None
    risk_tier: str = ""  # one of risk_high / risk_medium / risk_standard
    abuse_type: str = ""  # abuse-types term code, e.g. DA
    cohort: str = ""  # a cohort ClaimDimension
    referral_route: str = ""  # referral-routes term code
    self_referral: bool = False
    text: str = ""
    taxonomy_term_id: Any = None
    include_area_descendants: bool = False


def _with_related(qs: QuerySet[Service]) -> QuerySet[Service]:
    return qs.select_related("organisation").prefetch_related(
        Prefetch("claims", queryset=ServiceClaim.objects.order_by("dimension")),
        Prefetch("service_areas", queryset=ServiceArea.objects.select_related("area")),
        Prefetch("taxonomy_terms", queryset=TaxonomyTerm.objects.select_related("taxonomy")),
    )


def service_public_queryset(*, today: dt.date | None = None) -> QuerySet[Service]:
    """Services the public may see: not deleted, active and inside their visibility window."""
    today = today or timezone.localdate()
    return Service.objects.filter(deleted_at__isnull=True, status=ServiceStatus.ACTIVE).filter(
        Q(visible_from__isnull=True) | Q(visible_from__lte=today),
        Q(visible_to__isnull=True) | Q(visible_to__gte=today),
    )


def _claim_yes(dimension: str) -> Exists:
    return Exists(
        ServiceClaim.objects.filter(service=OuterRef("pk"), dimension=dimension, value="yes")
    )


def service_apply_filters(qs: QuerySet[Service], filters: ServiceFilters) -> QuerySet[Service]:
    """Narrow a service queryset by the public filters. Area-wide services match their districts."""
    if filters.area_id:
        area_ids = area_ancestor_ids(area_id=filters.area_id)
        if filters.include_area_descendants:
            area_ids |= area_descendant_ids(area_id=filters.area_id)
        qs = qs.filter(
            Exists(ServiceArea.objects.filter(service=OuterRef("pk"), area_id__in=area_ids))
        )
    if filters.risk_tier in {
        ClaimDimension.RISK_HIGH,
        ClaimDimension.RISK_MEDIUM,
        ClaimDimension.RISK_STANDARD,
    }:
        qs = qs.filter(_claim_yes(filters.risk_tier))
    if filters.cohort and filters.cohort in ClaimDimension.values:
        qs = qs.filter(_claim_yes(filters.cohort))
    if filters.self_referral:
        qs = qs.filter(_claim_yes(ClaimDimension.SELF_REFERRAL))
    if filters.abuse_type:
        qs = qs.filter(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=OuterRef("pk"),
                    taxonomyterm__taxonomy__slug="abuse-types",
                    taxonomyterm__code=filters.abuse_type,
                )
            )
        )
    if filters.referral_route:
        qs = qs.filter(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=OuterRef("pk"),
                    taxonomyterm__taxonomy__slug="referral-routes",
                    taxonomyterm__code=filters.referral_route,
                )
            )
        )
    if filters.taxonomy_term_id:
        qs = qs.filter(
            Exists(
                Service.taxonomy_terms.through.objects.filter(
                    service_id=OuterRef("pk"), taxonomyterm_id=filters.taxonomy_term_id
                )
            )
        )
    if filters.text:
        for word in filters.text.split()[:8]:
            qs = qs.filter(
                Q(name__icontains=word)
                | Q(description__icontains=word)
                | Q(organisation__name__icontains=word)
            )
    return qs


def service_list_for_public(*, filters: ServiceFilters) -> QuerySet[Service]:
    """Public search results, ordered by name, with everything a result card shows prefetched."""
    return _with_related(service_apply_filters(service_public_queryset(), filters)).order_by(
        "name", "id"
    )


def service_get_for_public(*, service_id: Any) -> Service:
    """One public service or 404 (deleted, closed and out-of-window services are not found)."""
    service = _with_related(service_public_queryset()).filter(pk=service_id).first()
    if service is None:
        raise Http404("No such service")
    return service


def service_list_for_user(*, user: Any, include_deleted: bool = False) -> QuerySet[Service]:
    """Services a signed-in user may manage: curators and admins see all, provider managers their own."""
    qs = Service.objects.all()
    if not include_deleted:
        qs = qs.filter(deleted_at__isnull=True)
    if can_curate_directory(user):
        return _with_related(qs).order_by("name", "id")
    if has_role(user, Role.PROVIDER_MANAGER):
        orgs = user_organisation_ids(user, Role.PROVIDER_MANAGER)
        return _with_related(qs.filter(organisation_id__in=orgs)).order_by("name", "id")
    return Service.objects.none()


def service_get_for_user(*, user: Any, service_id: Any, include_deleted: bool = False) -> Service:
    """A service the user may manage, or 404 (another organisation's service is not found)."""
    service = (
        service_list_for_user(user=user, include_deleted=include_deleted)
        .filter(pk=service_id)
        .first()
    )
    if service is None:
        raise Http404("No such service")
    return service


def service_is_stale(service: Service, *, now: dt.datetime | None = None) -> bool:
    """Not confirmed by the provider or verified by a commissioner within the stale window."""
    now = now or timezone.now()
    if service.confirmed_at is None:
        return True
    return service.confirmed_at < now - dt.timedelta(days=settings.DIRECTORY_STALE_AFTER_DAYS)


def service_is_unconfirmed(service: Service) -> bool:
    """The record has never been confirmed by the provider or a commissioner."""
    return service.confirmed_at is None and service.provenance_source not in CONFIRMING_SOURCES


def claim_map(service: Service) -> dict[str, ServiceClaim]:
    """Claims by dimension, using the prefetched rows."""
    return {claim.dimension: claim for claim in service.claims.all()}
