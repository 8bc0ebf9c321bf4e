"""Every write to the directory. Each runs in a transaction, keeps a version and audits.

Other modules (curation, imports, the demo loader) call these. `directory.curation` holds
the curation writes (proposals, approval, soft delete and restore); nothing outside these
two modules saves a `Service` directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from pathways.areas.models import Area
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.core.models import TriState

from .models import (
    CONFIRMING_SOURCES,
    ClaimDimension,
    EvidenceLevel,
    Organisation,
    Service,
    ServiceArea,
    ServiceClaim,
    ServiceVersion,
    TaxonomyTerm,
)

# Fields a provider, an import or an editor may set. Provenance and lifecycle fields are
# set by the service functions themselves.
EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "url",
    "email",
    "phone",
    "status",
    "delivery_status",
    "intervention_type",
    "suite_tier",
    "referral_routes_text",
    "genders_served",
    "min_age",
    "max_age",
    "languages",
    "eligibility_text",
    "exclusions_text",
    "capacity_status",
    "capacity_places",
    "waiting_weeks",
    "self_referral_max_percent",
    "duration_weeks",
    "delivery_formats",
    "integrated_victim_support",
    "victim_support_partner",
    "cost_per_user",
    "funding_source",
    "funding_ends",
    "accreditation",
    "evaluation_status",
    "evidence_approach",
    "notes",
    "is_virtual",
    "visible_from",
    "visible_to",
)

ClaimInput = Mapping[
    str, Any
]  # {"value": "yes", "evidence_level": "self_reported", "evidence_note": ""}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def service_snapshot(service: Service) -> dict[str, Any]:
    """A plain, comparable picture of a service with its claims, areas and taxonomy terms."""
    data: dict[str, Any] = {field: _jsonable(getattr(service, field)) for field in EDITABLE_FIELDS}
    data["organisation"] = service.organisation.name
    data["external_ref"] = service.external_ref
    data["provenance_source"] = service.provenance_source
    data["provenance_detail"] = service.provenance_detail
    data["claims"] = {
        claim.dimension: {
            "value": claim.value,
            "evidence_level": claim.evidence_level,
            "evidence_note": claim.evidence_note,
        }
        for claim in sorted(service.claims.all(), key=lambda c: c.dimension)
    }
    data["areas"] = sorted(sa.area.slug for sa in service.service_areas.select_related("area"))
    data["taxonomy_terms"] = sorted(
        f"{term.taxonomy.slug}:{term.code}"
        for term in service.taxonomy_terms.select_related("taxonomy")
    )
    return data


def _write_version(*, service: Service, actor: Any, source: str, summary: str) -> ServiceVersion:
    last = service.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ServiceVersion.objects.create(
        service=service,
        number=last + 1,
        snapshot=service_snapshot(service),
        changed_at=timezone.now(),
        changed_by=actor if getattr(actor, "is_authenticated", False) else None,
        source=source,
        summary=summary[:500],
    )


def _validate_claims(claims: Mapping[str, ClaimInput]) -> None:
    errors: dict[str, list[str]] = {}
    for dimension, claim in claims.items():
        if dimension not in ClaimDimension.values:
            errors.setdefault("claims", []).append(f"Unknown claim {dimension!r}")
            continue
        if claim.get("value", TriState.NOT_STATED) not in TriState.values:
            errors.setdefault("claims", []).append(
                f"{ClaimDimension(dimension).label}: value must be yes, no, unknown or not stated"
            )
        if claim.get("evidence_level", EvidenceLevel.SELF_REPORTED) not in EvidenceLevel.values:
            errors.setdefault("claims", []).append(
                f"{ClaimDimension(dimension).label}: evidence level must be self-reported, evidenced or verified"
            )
    if errors:
        raise ValidationError(errors)


def _set_claims(*, service: Service, claims: Mapping[str, ClaimInput], actor: Any) -> None:
    existing = {claim.dimension: claim for claim in service.claims.all()}
    now = timezone.now()
    for dimension, claim in claims.items():
        level = claim.get("evidence_level", EvidenceLevel.SELF_REPORTED)
        values = {
            "value": claim.get("value", TriState.NOT_STATED),
            "evidence_level": level,
            "evidence_note": claim.get("evidence_note", ""),
        }
        verified = level == EvidenceLevel.VERIFIED
        row = existing.get(dimension)
        if row is None:
            ServiceClaim.objects.create(
                service=service,
                dimension=dimension,
                verified_by=actor
                if verified and getattr(actor, "is_authenticated", False)
                else None,
                verified_at=now if verified else None,
                **values,
            )
            continue
        changed = any(getattr(row, key) != value for key, value in values.items())
        if not changed:
            continue
        for key, value in values.items():
            setattr(row, key, value)
        if verified:
            row.verified_by = actor if getattr(actor, "is_authenticated", False) else None
            row.verified_at = now
        else:
            row.verified_by, row.verified_at = None, None
        row.save()


def _set_areas(*, service: Service, area_ids: Iterable[int]) -> None:
    wanted = set(area_ids)
    current = set(service.service_areas.values_list("area_id", flat=True))
    ServiceArea.objects.filter(service=service, area_id__in=current - wanted).delete()
    ServiceArea.objects.bulk_create(
        [ServiceArea(service=service, area_id=area_id) for area_id in sorted(wanted - current)]
    )


def _apply_fields(service: Service, data: Mapping[str, Any]) -> list[str]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {"__all__": [f"These fields cannot be set: {', '.join(sorted(unknown))}"]}
        )
    changed = []
    for field, value in data.items():
        if getattr(service, field) != value:
            setattr(service, field, value)
            changed.append(field)
    return changed


def _full_clean(service: Service) -> None:
    service.full_clean(exclude=["organisation", "provenance_recorded_by", "deleted_by"])


@transaction.atomic
def service_create(
    *,
    organisation: Organisation,
    data: Mapping[str, Any],
    actor: Any,
    source: str,
    provenance_detail: str = "",
    external_ref: str | None = None,
    claims: Mapping[str, ClaimInput] | None = None,
    area_ids: Iterable[int] = (),
    term_ids: Iterable[Any] = (),
    request: Any = None,
    audit: bool = True,
) -> Service:
    """Add a service to the directory with its provenance; version 1 is written."""
    now = timezone.now()
    service = Service(
        organisation=organisation,
        external_ref=external_ref or None,
        provenance_source=source,
        provenance_detail=provenance_detail[:500],
        provenance_recorded_at=now,
        provenance_recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
        confirmed_at=now if source in CONFIRMING_SOURCES else None,
    )
    _apply_fields(service, data)
    _full_clean(service)
    _validate_claims(claims or {})
    service.save()
    _set_claims(service=service, claims=claims or {}, actor=actor)
    _set_areas(service=service, area_ids=area_ids)
    service.taxonomy_terms.set(list(term_ids))
    _write_version(service=service, actor=actor, source=source, summary="Added to the directory")
    if audit:
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            object_type="service",
            object_id=service.pk,
            detail={"name": service.name, "source": source},
            request=request,
        )
    return service


@transaction.atomic
def service_update(
    *,
    service: Service,
    data: Mapping[str, Any] | None = None,
    actor: Any,
    source: str,
    provenance_detail: str | None = None,
    claims: Mapping[str, ClaimInput] | None = None,
    area_ids: Iterable[int] | None = None,
    term_ids: Iterable[Any] | None = None,
    summary: str = "",
    request: Any = None,
) -> Service:
    """Apply a change to a live service, record its provenance, write a version and audit it.

    Callers: approved provider changes, commissioner edits and verification, imports.
    """
    service = Service.objects.select_for_update().get(pk=service.pk)
    changed = _apply_fields(service, data or {})
    _validate_claims(claims or {})
    now = timezone.now()
    service.provenance_source = source
    if provenance_detail is not None:
        service.provenance_detail = provenance_detail[:500]
    service.provenance_recorded_at = now
    service.provenance_recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    if source in CONFIRMING_SOURCES:
        service.confirmed_at = now
    _full_clean(service)
    service.save()
    if claims:
        _set_claims(service=service, claims=claims, actor=actor)
        changed.append("claims")
    if area_ids is not None:
        _set_areas(service=service, area_ids=area_ids)
        changed.append("areas")
    if term_ids is not None:
        service.taxonomy_terms.set(list(term_ids))
        changed.append("taxonomy_terms")
    version = _write_version(
        service=service,
        actor=actor,
        source=source,
        summary=summary
        or (f"Changed: {', '.join(changed)}" if changed else "Confirmed with no changes"),
    )
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="service",
        object_id=service.pk,
        detail={"fields": changed, "source": source, "version": version.number},
        request=request,
    )
    return service


@transaction.atomic
def organisation_create(
    *,
    name: str,
    actor: Any,
    kind: str = "provider",
    slug: str | None = None,
    is_synthetic: bool = False,
    description: str = "",
    website: str = "",
    email: str = "",
) -> Organisation:
    """Add an organisation; a unique slug is made from the name when none is given."""
    base = slug or slugify(name)[:100] or "organisation"
    candidate, n = base, 2
    while Organisation.objects.filter(slug=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    organisation = Organisation(
        name=name,
        slug=candidate,
        kind=kind,
        is_synthetic=is_synthetic,
        description=description,
        website=website,
        email=email,
    )
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="organisation",
        object_id=organisation.pk,
        detail={"name": name},
    )
    return organisation


def area_ids_for_slugs(slugs: Iterable[str]) -> list[int]:
    """Resolve area slugs, failing with a clear message for any that do not exist."""
    slugs = list(slugs)
    found = dict(Area.objects.filter(slug__in=slugs).values_list("slug", "id"))
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        raise ValidationError({"areas": [f"Unknown area: {', '.join(missing)}"]})
    return [found[slug] for slug in slugs]


def term_ids_for_codes(codes: Iterable[str]) -> list[Any]:
    """Resolve 'taxonomy:code' strings (such as 'abuse-types:DA') to term ids."""
    wanted: list[tuple[str, str]] = []
    for item in codes:
        if ":" not in item:
            raise ValidationError(
                {"taxonomy_terms": [f"{item!r} should look like 'abuse-types:DA'"]}
            )
        slug, code = item.split(":", 1)
        wanted.append((slug, code))
    terms = {
        (slug, code): pk
        for pk, slug, code in TaxonomyTerm.objects.filter(
            code__in=[code for _, code in wanted]
        ).values_list("pk", "taxonomy__slug", "code")
    }
    missing = [f"{slug}:{code}" for slug, code in wanted if (slug, code) not in terms]
    if missing:
        raise ValidationError({"taxonomy_terms": [f"Unknown term: {', '.join(missing)}"]})
    return [terms[key] for key in wanted]
