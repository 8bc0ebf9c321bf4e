"""Curation of the service directory: proposals, approval, claims, review, versions, deletion.

Provider managers propose changes to their own organisation's services (a `ServiceChange`
that does not touch the live record); directory editors (commissioners, administrators)
approve or reject them, edit directly with a stated source, mark claims as verified,
evidenced or self-reported, and soft-delete and restore services.

The module has three parts:

* service functions (writes): keyword-only, run in a transaction, check who is calling
  and raise `PermissionDenied` for the wrong user, and are audited. The live record only
  changes through `directory.services.service_update` / `service_create`, so every
  applied edit writes a version and records its provenance (who, when, source).
* curation selectors (reads) with the access rule applied: another organisation's
  service or change is a 404, never a 403.
* `service_version_compare`, a pure function that diffs two snapshots field by field.

A proposal's `data` has the shape of a version snapshot (`services.service_snapshot`),
holding only what differs from the live record: plain fields by name, plus `claims`
(dimension -> value, evidence level and note), `areas` (area slugs) and `taxonomy_terms`
("taxonomy:code"). That is why one diff function serves both "proposal against live" and
"version against version".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.accounts.policies import (
    can_curate_directory,
    can_manage_organisation_services,
    has_role,
    user_organisation_ids,
)
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.core.models import TriState

from . import selectors
from .models import (
    CONFIRMING_SOURCES,
    ChangeStatus,
    ClaimDimension,
    EvidenceLevel,
    Organisation,
    ProvenanceSource,
    Service,
    ServiceArea,
    ServiceChange,
    ServiceClaim,
    ServiceVersion,
)
from .services import (
    EDITABLE_FIELDS,
    area_ids_for_slugs,
    service_create,
    service_snapshot,
    service_update,
    term_ids_for_codes,
)

# The taxonomies a proposal may set. Terms of any other taxonomy are kept as they are.
# `term_codes` replaces the service's terms in all of these at once, so a caller that
# passes terms must pass every proposable taxonomy it means to keep (the form does).
PROPOSABLE_TAXONOMIES: tuple[str, ...] = (
    "abuse-types",
    "referral-routes",
    "delivery-formats",
    "exclusion-criteria",
)

# What each proposable taxonomy is called where a person reads a diff.
TAXONOMY_LABELS: dict[str, str] = {
    "abuse-types": "Types of abuse",
    "referral-routes": "Who can refer",
    "delivery-formats": "How it is delivered",
    "exclusion-criteria": "Exclusion criteria",
}

# Sources an editor may state when editing directly. Synthetic data is only made by the loader.
EDITOR_SOURCES: tuple[str, ...] = (
    ProvenanceSource.PUBLISHED_MAPPING,
    ProvenanceSource.QUESTIONNAIRE,
    ProvenanceSource.DESK_REVIEW,
    ProvenanceSource.PROVIDER_CONFIRMED,
    ProvenanceSource.COMMISSIONER_VERIFIED,
)

# Evidence levels a provider may give a claim; only a directory editor may verify.
PROVIDER_EVIDENCE_LEVELS: tuple[str, ...] = (EvidenceLevel.SELF_REPORTED, EvidenceLevel.EVIDENCED)

FIELD_LABELS: dict[str, str] = {
    "name": "Service name",
    "description": "Description",
    "url": "Website",
    "email": "Email address",
    "phone": "Phone number",
    "status": "Service status",
    "delivery_status": "Delivery status",
    "intervention_type": "Type of intervention",
    "suite_tier": "Tier",
    "referral_routes_text": "Referral routes as published",
    "genders_served": "Genders served",
    "min_age": "Minimum age",
    "max_age": "Maximum age",
    "languages": "Languages",
    "eligibility_text": "Eligibility",
    "exclusions_text": "Exclusions",
    "capacity_status": "Taking referrals",
    "capacity_places": "Places",
    "waiting_weeks": "Waiting time in weeks",
    "self_referral_max_percent": "Maximum share of self-referrals (%)",
    "duration_weeks": "Length in weeks",
    "delivery_formats": "Delivery formats",
    "integrated_victim_support": "Support for partners and ex-partners",
    "victim_support_partner": "Partner organisation giving that support",
    "cost_per_user": "Cost per person (£)",
    "funding_source": "Funding source",
    "funding_ends": "Funding ends",
    "accreditation": "Accreditation",
    "evaluation_status": "Evaluation",
    "evidence_approach": "Evidence approach followed",
    "notes": "Notes",
    "is_virtual": "Delivered by phone or online only",
    "visible_from": "Visible from",
    "visible_to": "Visible to",
    "organisation": "Organisation",
    "external_ref": "External reference",
    "provenance_source": "Source of the record",
    "provenance_detail": "Source detail",
    "areas": "Areas served",
    "taxonomy_terms": "Types of abuse, referral routes, delivery formats and exclusion criteria",
}

META_KEYS: tuple[str, ...] = (
    "organisation",
    "external_ref",
    "provenance_source",
    "provenance_detail",
)
RELATION_KEYS: tuple[str, ...] = ("claims", "areas", "taxonomy_terms")

VISIBLE_TO_ERROR = "Visible to date must be the same as or after visible from date"
MAX_AGE_ERROR = "Maximum age must be the same as or more than minimum age"
SELF_REFERRAL_PERCENT_ERROR = "Maximum share of self-referrals must be between 1 and 100"
NOTHING_CHANGED = (
    "You have not changed anything. If the entry is still correct, confirm it instead."
)


class ChangeConflictError(ValidationError):
    """The live service changed after the proposal was made; approving needs confirmation."""


# --------------------------------------------------------------------------------------
# Object-level permission predicates. These belong beside `accounts.policies` and could
# move there; they live here because curation is their only user so far.
# --------------------------------------------------------------------------------------


def can_manage_organisation(user: Any, organisation_id: Any) -> bool:
    """Provider managers of that organisation, and administrators, may propose for it."""
    if not can_manage_organisation_services(user):
        return False
    if has_role(user, Role.ADMIN):
        return True
    return organisation_id in user_organisation_ids(user, Role.PROVIDER_MANAGER)


def _require_curator(actor: Any, what: str) -> None:
    if not can_curate_directory(actor):
        raise PermissionDenied(f"Only a directory editor can {what}.")


def _require_manager_of(actor: Any, organisation_id: Any, what: str) -> None:
    if not can_manage_organisation(actor, organisation_id):
        raise PermissionDenied(f"Only a manager of this organisation can {what}.")


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _display_name(user: Any) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.get_username()


# --------------------------------------------------------------------------------------
# Snapshot helpers
# --------------------------------------------------------------------------------------


def _to_json(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return str(value)  # a TextChoices member becomes its plain value
    return value


def _model_field(name: str) -> models.Field:
    return Service._meta.get_field(name)  # type: ignore[return-value]


def _to_python(name: str, value: Any) -> Any:
    """A snapshot or form value as the model holds it (dates, decimals, integers)."""
    model_field = _model_field(name)
    if value is None and isinstance(model_field, models.CharField | models.TextField):
        return ""
    python = model_field.to_python(value)
    if isinstance(python, Decimal):
        python = python.quantize(Decimal("0.01"))
    return python


def empty_snapshot() -> dict[str, Any]:
    """The snapshot of a service with nothing set: the 'before' of a new-service proposal."""
    blank = Service()
    data: dict[str, Any] = {name: _to_json(getattr(blank, name)) for name in EDITABLE_FIELDS}
    data.update({"claims": {}, "areas": [], "taxonomy_terms": []})
    return data


def proposed_snapshot(base: Mapping[str, Any], change_data: Mapping[str, Any]) -> dict[str, Any]:
    """The record as it would be if a change were applied to `base` (claims merge by dimension)."""
    merged = dict(base)
    for key, value in change_data.items():
        if key == "claims":
            merged["claims"] = {**dict(base.get("claims") or {}), **dict(value)}
        else:
            merged[key] = value
    return merged


def _normalise_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {"__all__": [f"These fields cannot be set: {', '.join(sorted(unknown))}"]}
        )
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        try:
            values[name] = _to_python(name, value)
        except ValidationError as exc:
            errors[name] = [f"{FIELD_LABELS[name]}: {message}" for message in exc.messages]
    if errors:
        raise ValidationError(errors)
    return values


def _check_ranges(values: Mapping[str, Any]) -> None:
    """Visibility dates and ages in order, and the self-referral share from 1 to 100, with
    the words a form shows (not a model validator's or the database's)."""
    errors: dict[str, str] = {}
    percent = values.get("self_referral_max_percent")
    if percent is not None and not 1 <= percent <= 100:
        errors["self_referral_max_percent"] = SELF_REFERRAL_PERCENT_ERROR
    visible_from, visible_to = values.get("visible_from"), values.get("visible_to")
    if visible_from and visible_to and visible_to < visible_from:
        errors["visible_to"] = VISIBLE_TO_ERROR
    min_age, max_age = values.get("min_age"), values.get("max_age")
    if min_age is not None and max_age is not None and max_age < min_age:
        errors["max_age"] = MAX_AGE_ERROR
    if errors:
        raise ValidationError(errors)


_RANGE_FIELDS = (
    "visible_from",
    "visible_to",
    "min_age",
    "max_age",
    "self_referral_max_percent",
)


def _validate_candidate(
    *, service: Service | None, organisation: Organisation, values: Mapping[str, Any]
) -> None:
    """Run the model's own validation on the record as it would be, without saving it."""
    if service is not None:
        candidate = Service.objects.get(pk=service.pk)
    else:
        candidate = Service(
            organisation=organisation,
            provenance_source=ProvenanceSource.PROVIDER_CONFIRMED,
            provenance_recorded_at=timezone.now(),
        )
    for name, value in values.items():
        setattr(candidate, name, value)
    _check_ranges({name: getattr(candidate, name) for name in _RANGE_FIELDS})
    candidate.full_clean(
        exclude=["organisation", "provenance_recorded_by", "deleted_by", "external_ref"],
        validate_unique=False,
    )


def _claim_dict(claim: Mapping[str, Any]) -> dict[str, str]:
    return {
        "value": claim.get("value") or TriState.NOT_STATED,
        "evidence_level": claim.get("evidence_level") or EvidenceLevel.SELF_REPORTED,
        "evidence_note": (claim.get("evidence_note") or "").strip(),
    }


_EMPTY_CLAIM = {
    "value": TriState.NOT_STATED,
    "evidence_level": EvidenceLevel.SELF_REPORTED,
    "evidence_note": "",
}


def _changed_claims(
    *,
    live: Mapping[str, Mapping[str, Any]],
    claims: Mapping[str, Mapping[str, Any]],
    by_editor: bool,
) -> dict[str, dict[str, str]]:
    errors: list[str] = []
    changed: dict[str, dict[str, str]] = {}
    for dimension, raw in claims.items():
        if dimension not in ClaimDimension.values:
            errors.append(f"Unknown claim {dimension!r}")
            continue
        label = ClaimDimension(dimension).label
        new = _claim_dict(raw)
        if new["value"] not in TriState.values:
            errors.append(f"{label}: choose yes, no, unknown or not stated")
            continue
        if new["evidence_level"] not in EvidenceLevel.values:
            errors.append(f"{label}: choose self-reported, evidenced or verified")
            continue
        old = live.get(dimension)
        if old is None and new == _EMPTY_CLAIM:
            continue  # no claim and "not stated" are the same thing
        if old is not None and _claim_dict(old) == new:
            continue
        if new["evidence_level"] == EvidenceLevel.VERIFIED and not by_editor:
            raise PermissionDenied(
                f"{label}: only a directory editor can mark a claim as commissioner-verified."
            )
        if new["evidence_level"] != EvidenceLevel.SELF_REPORTED and not new["evidence_note"]:
            errors.append(f"{label}: enter a note describing the evidence")
            continue
        changed[dimension] = new
    if errors:
        raise ValidationError({"claims": errors})
    return changed


def _terms_with_kept(live_terms: Iterable[str], term_codes: Iterable[str]) -> list[str]:
    wanted = {code.strip() for code in term_codes if code.strip()}
    for code in wanted:
        if code.split(":", 1)[0] not in PROPOSABLE_TAXONOMIES:
            raise ValidationError({"taxonomy_terms": [f"{code!r} cannot be set here"]})
    term_ids_for_codes(sorted(wanted))  # fails clearly on unknown terms
    kept = {code for code in live_terms if code.split(":", 1)[0] not in PROPOSABLE_TAXONOMIES}
    return sorted(wanted | kept)


def _change_data(
    *,
    live: Mapping[str, Any],
    data: Mapping[str, Any] | None,
    claims: Mapping[str, Mapping[str, Any]] | None,
    area_slugs: Iterable[str] | None,
    term_codes: Iterable[str] | None,
    by_editor: bool,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What differs from `live`, as (snapshot-shaped JSON data, field values as Python)."""
    values = _normalise_fields(data or {})
    changed: dict[str, Any] = {}
    changed_values: dict[str, Any] = {}
    for name, value in values.items():
        if _to_python(name, live.get(name)) != value:
            changed[name] = _to_json(value)
            changed_values[name] = value
    if claims is not None:
        claim_changes = _changed_claims(
            live=live.get("claims") or {}, claims=claims, by_editor=by_editor
        )
        if claim_changes:
            changed["claims"] = claim_changes
    if area_slugs is not None:
        slugs = sorted({slug.strip() for slug in area_slugs if slug.strip()})
        area_ids_for_slugs(slugs)  # fails clearly on unknown areas
        if slugs != sorted(live.get("areas") or []):
            changed["areas"] = slugs
    if term_codes is not None:
        codes = _terms_with_kept(live.get("taxonomy_terms") or [], term_codes)
        if codes != sorted(live.get("taxonomy_terms") or []):
            changed["taxonomy_terms"] = codes
    return changed, changed_values


def _apply_arguments(change_data: Mapping[str, Any]) -> dict[str, Any]:
    """Turn snapshot-shaped change data into `service_update` / `service_create` arguments."""
    data = dict(change_data)
    claims = data.pop("claims", None)
    areas = data.pop("areas", None)
    terms = data.pop("taxonomy_terms", None)
    return {
        "data": _normalise_fields(data),
        "claims": claims,
        "area_ids": area_ids_for_slugs(areas) if areas is not None else None,
        "term_ids": term_ids_for_codes(terms) if terms is not None else None,
    }


def _summary_of(keys: Iterable[str]) -> str:
    labels = []
    for key in keys:
        if key == "claims":
            labels.append("claims")
        else:
            labels.append(FIELD_LABELS.get(key, key).lower())
    return ", ".join(labels)


# --------------------------------------------------------------------------------------
# Service functions (writes)
# --------------------------------------------------------------------------------------


@transaction.atomic
def service_change_propose(
    *,
    actor: Any,
    service: Service | None = None,
    organisation: Organisation | None = None,
    data: Mapping[str, Any] | None = None,
    claims: Mapping[str, Mapping[str, Any]] | None = None,
    area_slugs: Iterable[str] | None = None,
    term_codes: Iterable[str] | None = None,
    request: Any = None,
) -> ServiceChange:
    """Propose an edit to a service, or a new service, for a directory editor to approve.

    Callers: provider managers of the service's organisation, and administrators. The live
    record is not touched. Providers may give a claim self-reported or evidenced, never
    verified.
    """
    if service is None and organisation is None:
        raise ValueError("Give the service to change or the organisation of a new service")
    if service is not None:
        service = Service.objects.select_related("organisation").get(pk=service.pk)
        organisation = service.organisation
    if organisation is None:  # pragma: no cover - narrowed above, for the type checker
        raise ValueError("The service has no organisation")
    _require_manager_of(actor, organisation.pk, "propose changes to its services")
    if service is not None and service.deleted_at is not None:
        raise ValidationError("This service has been deleted and cannot be changed.")

    live = service_snapshot(service) if service is not None else empty_snapshot()
    changed, values = _change_data(
        live=live,
        data=data,
        claims=claims,
        area_slugs=area_slugs,
        term_codes=term_codes,
        by_editor=False,
    )
    if service is None:
        # A new service carries everything it was given, so the editor sees the whole record.
        values = _normalise_fields(data or {})
        if not str(values.get("name", "")).strip():
            raise ValidationError({"name": ["Enter the service name"]})
    elif not changed:
        raise ValidationError(NOTHING_CHANGED)
    _validate_candidate(service=service, organisation=organisation, values=values)

    change = ServiceChange.objects.create(
        service=service,
        organisation=organisation,
        data=changed,
        base_version=service_current_version_number(service) if service is not None else None,
        source=ProvenanceSource.PROVIDER_CONFIRMED,
        proposed_by=actor,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="service_change",
        object_id=change.pk,
        detail={
            "service": str(service.pk) if service else None,
            "organisation": str(organisation.pk),
            "fields": sorted(changed),
        },
        request=request,
    )
    return change


def _locked_pending(change: ServiceChange) -> ServiceChange:
    locked = (
        ServiceChange.objects.select_for_update()
        .select_related("organisation", "proposed_by")
        .get(pk=change.pk)
    )
    if locked.status != ChangeStatus.PENDING:
        raise ValidationError(
            f"This change has already been {locked.get_status_display().lower()}."
        )
    return locked


@transaction.atomic
def service_change_approve(
    *, change: ServiceChange, actor: Any, confirm_stale: bool = False, request: Any = None
) -> Service:
    """Apply a pending change to the live directory (or add the proposed service); audited.

    Callers: directory editors. If the service changed after the proposal was made, raises
    `ChangeConflictError` unless `confirm_stale` says the editor has checked the differences.
    """
    _require_curator(actor, "approve changes")
    change = _locked_pending(change)
    arguments = _apply_arguments(change.data)
    proposer = _display_name(change.proposed_by)
    detail = (
        f"Proposed by {proposer} on {timezone.localtime(change.created_at):%d %B %Y}; "
        f"approved by {_display_name(_actor_or_none(actor))}"
    )
    stale = False
    if change.service_id is None:
        _check_ranges(arguments["data"])
        service = service_create(
            organisation=change.organisation,
            data=arguments["data"],
            actor=actor,
            source=change.source,
            provenance_detail=detail,
            claims=arguments["claims"] or {},
            area_ids=arguments["area_ids"] or (),
            term_ids=arguments["term_ids"] or (),
            request=request,
        )
        change.service = service
    else:
        service = Service.objects.select_for_update().get(pk=change.service_id)
        if service.deleted_at is not None:
            raise ValidationError(
                "This service has been deleted. Restore it before approving the change, or reject the change."
            )
        current = service_current_version_number(service)
        stale = change.base_version is not None and current != change.base_version
        if stale and not confirm_stale:
            raise ChangeConflictError(
                f"The service has changed since this was proposed (version {change.base_version}, "
                f"now version {current}). Check the differences and confirm to approve anyway.",
                code="stale",
            )
        ranges = {name: getattr(service, name) for name in _RANGE_FIELDS}
        _check_ranges({**ranges, **arguments["data"]})
        service = service_update(
            service=service,
            data=arguments["data"],
            claims=arguments["claims"],
            area_ids=arguments["area_ids"],
            term_ids=arguments["term_ids"],
            actor=actor,
            source=change.source,
            provenance_detail=detail,
            summary=f"Approved change from {proposer}: {_summary_of(change.data)}",
            request=request,
        )
    change.status = ChangeStatus.APPROVED
    change.decided_by = _actor_or_none(actor)
    change.decided_at = timezone.now()
    change.save()
    audit_record(
        actor=actor,
        action=AuditAction.APPROVE,
        object_type="service_change",
        object_id=change.pk,
        detail={
            "service": str(service.pk),
            "fields": sorted(change.data),
            "source": change.source,
            "confirmed_stale": stale,
        },
        request=request,
    )
    return service


@transaction.atomic
def service_change_reject(
    *, change: ServiceChange, actor: Any, reason: str, request: Any = None
) -> ServiceChange:
    """Turn down a pending change with a reason the provider will see; audited. Directory editors."""
    _require_curator(actor, "reject changes")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Enter a reason for rejecting the change"]})
    change = _locked_pending(change)
    change.status = ChangeStatus.REJECTED
    change.decided_by = _actor_or_none(actor)
    change.decided_at = timezone.now()
    change.decision_reason = reason
    change.save()
    audit_record(
        actor=actor,
        action=AuditAction.REJECT,
        object_type="service_change",
        object_id=change.pk,
        detail={"service": str(change.service_id) if change.service_id else None, "reason": reason},
        request=request,
    )
    return change


@transaction.atomic
def service_change_withdraw(
    *, change: ServiceChange, actor: Any, request: Any = None
) -> ServiceChange:
    """Take back a pending change. Managers of the proposing organisation (and administrators)."""
    _require_manager_of(actor, change.organisation_id, "withdraw its changes")
    change = _locked_pending(change)
    change.status = ChangeStatus.WITHDRAWN
    change.decided_by = _actor_or_none(actor)
    change.decided_at = timezone.now()
    change.save()
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        object_type="service_change",
        object_id=change.pk,
        detail={"status": ChangeStatus.WITHDRAWN},
        request=request,
    )
    return change


@transaction.atomic
def service_edit(
    *,
    service: Service,
    actor: Any,
    source: str,
    data: Mapping[str, Any] | None = None,
    claims: Mapping[str, Mapping[str, Any]] | None = None,
    area_slugs: Iterable[str] | None = None,
    term_codes: Iterable[str] | None = None,
    provenance_detail: str | None = None,
    request: Any = None,
) -> Service:
    """Change a live service directly with a stated source; versioned and audited. Directory editors.

    With nothing changed it still records the source, so an editor can mark a record
    commissioner-verified after checking it.
    """
    _require_curator(actor, "edit services directly")
    if source not in EDITOR_SOURCES:
        raise ValidationError({"source": ["Select where this information comes from"]})
    service = Service.objects.select_related("organisation").get(pk=service.pk)
    if service.deleted_at is not None:
        raise ValidationError("This service has been deleted. Restore it before editing it.")
    live = service_snapshot(service)
    changed, values = _change_data(
        live=live,
        data=data,
        claims=claims,
        area_slugs=area_slugs,
        term_codes=term_codes,
        by_editor=True,
    )
    _validate_candidate(service=service, organisation=service.organisation, values=values)
    arguments = _apply_arguments(changed)
    return service_update(
        service=service,
        data=arguments["data"],
        claims=arguments["claims"],
        area_ids=arguments["area_ids"],
        term_ids=arguments["term_ids"],
        actor=actor,
        source=source,
        provenance_detail=provenance_detail,
        summary=(
            f"Edited by a directory editor: {_summary_of(changed)}"
            if changed
            else f"Checked with no changes ({ProvenanceSource(source).label.lower()})"
        ),
        request=request,
    )


@transaction.atomic
def service_confirm(*, service: Service, actor: Any, request: Any = None) -> Service:
    """The provider confirms the record is still correct: provenance becomes provider-confirmed.

    Callers: provider managers of the service's organisation, and administrators.
    """
    service = Service.objects.select_related("organisation").get(pk=service.pk)
    _require_manager_of(actor, service.organisation_id, "confirm its services")
    if service.deleted_at is not None:
        raise ValidationError("This service has been deleted and cannot be confirmed.")
    return service_update(
        service=service,
        data={},
        actor=actor,
        source=ProvenanceSource.PROVIDER_CONFIRMED,
        provenance_detail=f"Confirmed unchanged by {_display_name(_actor_or_none(actor))} for {service.organisation.name}",
        summary="Confirmed by the provider with no changes",
        request=request,
    )


@transaction.atomic
def service_claim_verify(
    *,
    service: Service,
    actor: Any,
    claims: Mapping[str, Mapping[str, Any]],
    request: Any = None,
) -> Service:
    """Set how sure we are of a service's claims (verified, evidenced, self-reported) with a note.

    Callers: directory editors. `claims` maps a dimension to its `evidence_level` and
    `evidence_note`; the claimed value is not changed. A version is written and the record's
    provenance becomes commissioner-verified (an editor has checked it); audited as VERIFY.
    """
    _require_curator(actor, "verify claims")
    service = Service.objects.get(pk=service.pk)
    if service.deleted_at is not None:
        raise ValidationError(
            "This service has been deleted. Restore it before verifying its claims."
        )
    existing = {claim.dimension: claim for claim in ServiceClaim.objects.filter(service=service)}
    errors: list[str] = []
    updates: dict[str, dict[str, str]] = {}
    for dimension, item in claims.items():
        row = existing.get(dimension)
        if dimension not in ClaimDimension.values or row is None:
            errors.append(f"The service makes no claim {dimension!r}")
            continue
        label = ClaimDimension(dimension).label
        level = item.get("evidence_level")
        note = (item.get("evidence_note") or "").strip()
        if level not in EvidenceLevel.values:
            errors.append(f"{label}: choose verified, evidenced or self-reported")
            continue
        if level == row.evidence_level and note == row.evidence_note:
            continue
        if level in (EvidenceLevel.VERIFIED, EvidenceLevel.EVIDENCED) and not note:
            errors.append(f"{label}: enter a note saying how the claim was checked")
            continue
        updates[dimension] = {"value": row.value, "evidence_level": level, "evidence_note": note}
    if errors:
        raise ValidationError({"claims": errors})
    if not updates:
        raise ValidationError("You have not changed any claim.")
    summary = "Claims checked: " + ", ".join(
        f"{ClaimDimension(d).label.lower()} {EvidenceLevel(c['evidence_level']).label.lower()}"
        for d, c in sorted(updates.items())
    )
    service = service_update(
        service=service,
        claims=updates,
        actor=actor,
        source=ProvenanceSource.COMMISSIONER_VERIFIED,
        summary=summary,
        request=request,
    )
    audit_record(
        actor=actor,
        action=AuditAction.VERIFY,
        object_type="service",
        object_id=service.pk,
        detail={"claims": {d: c["evidence_level"] for d, c in sorted(updates.items())}},
        request=request,
    )
    return service


@transaction.atomic
def service_soft_delete(*, service: Service, actor: Any, request: Any = None) -> Service:
    """Take a service out of the directory, restorable for the restore window. Directory editors."""
    _require_curator(actor, "delete services")
    service = Service.objects.select_for_update().get(pk=service.pk)
    if service.deleted_at is not None:
        raise ValidationError("This service has already been deleted.")
    service.deleted_at = timezone.now()
    service.deleted_by = _actor_or_none(actor)
    service.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.DELETE,
        object_type="service",
        object_id=service.pk,
        detail={"name": service.name},
        request=request,
    )
    return service


def service_restore_deadline(service: Service) -> dt.datetime | None:
    """The last moment a deleted service can be restored (None when it is not deleted)."""
    if service.deleted_at is None:
        return None
    return service.deleted_at + dt.timedelta(days=settings.DIRECTORY_RESTORE_WINDOW_DAYS)


@transaction.atomic
def service_restore(*, service: Service, actor: Any, request: Any = None) -> Service:
    """Bring back a soft-deleted service within the restore window. Directory editors."""
    _require_curator(actor, "restore services")
    service = Service.objects.select_for_update().get(pk=service.pk)
    deadline = service_restore_deadline(service)
    if deadline is None:
        raise ValidationError("This service has not been deleted.")
    if timezone.now() > deadline:
        raise ValidationError(
            f"{service.name} was deleted more than {settings.DIRECTORY_RESTORE_WINDOW_DAYS} days ago "
            "and can no longer be restored. Add it again if it is still needed.",
            code="restore_window",
        )
    service.deleted_at = None
    service.deleted_by = None
    service.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    audit_record(
        actor=actor,
        action=AuditAction.RESTORE,
        object_type="service",
        object_id=service.pk,
        detail={"name": service.name},
        request=request,
    )
    return service


# --------------------------------------------------------------------------------------
# Curation selectors (reads)
# --------------------------------------------------------------------------------------


def service_current_version_number(service: Service | None) -> int:
    """The number of the service's latest version (0 when it has none)."""
    if service is None:
        return 0
    return service.versions.aggregate(n=Max("number"))["n"] or 0


def organisation_list_for_manager(*, user: Any) -> QuerySet[Organisation]:
    """Organisations the user may propose new services for: their own, or all for administrators."""
    if has_role(user, Role.ADMIN):
        return Organisation.objects.order_by("name")
    if has_role(user, Role.PROVIDER_MANAGER):
        return Organisation.objects.filter(
            pk__in=user_organisation_ids(user, Role.PROVIDER_MANAGER)
        ).order_by("name")
    return Organisation.objects.none()


def service_get_for_manager(*, user: Any, service_id: Any) -> Service:
    """A live service the user may propose changes to, or 404 (another organisation's is not found)."""
    service = selectors.service_list_for_user(user=user).filter(pk=service_id).first()
    if service is None or not can_manage_organisation(user, service.organisation_id):
        raise Http404("No such service")
    return service


def _pending_count() -> Coalesce:
    pending = (
        ServiceChange.objects.filter(service=OuterRef("pk"), status=ChangeStatus.PENDING)
        .values("service")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(pending, output_field=IntegerField()), Value(0))


def service_list_for_manage(*, user: Any, text: str = "") -> QuerySet[Service]:
    """The services a user manages (providers: their own; editors: all), with pending change counts."""
    qs = selectors.service_list_for_user(user=user)
    for word in text.split()[:8]:
        qs = qs.filter(Q(name__icontains=word) | Q(organisation__name__icontains=word))
    return qs.annotate(pending_changes=_pending_count())


def change_list_for_user(
    *, user: Any, status: str = ChangeStatus.PENDING
) -> QuerySet[ServiceChange]:
    """Changes with a status, oldest first: editors see all, provider managers their organisations'."""
    qs = ServiceChange.objects.filter(status=status).select_related(
        "service", "organisation", "proposed_by", "decided_by"
    )
    if can_curate_directory(user):
        pass
    elif has_role(user, Role.PROVIDER_MANAGER):
        qs = qs.filter(organisation_id__in=user_organisation_ids(user, Role.PROVIDER_MANAGER))
    else:
        return ServiceChange.objects.none()
    return qs.order_by("created_at", "id")


def change_get_for_user(*, user: Any, change_id: Any) -> ServiceChange:
    """One change of any status the user may see, or 404."""
    qs = ServiceChange.objects.select_related(
        "service", "organisation", "proposed_by", "decided_by"
    )
    if can_curate_directory(user):
        pass
    elif has_role(user, Role.PROVIDER_MANAGER):
        qs = qs.filter(organisation_id__in=user_organisation_ids(user, Role.PROVIDER_MANAGER))
    else:
        raise Http404("No such change")
    change = qs.filter(pk=change_id).first()
    if change is None:
        raise Http404("No such change")
    return change


def change_list_for_service(*, service: Service, limit: int = 20) -> list[ServiceChange]:
    """The latest changes proposed for one service, newest first (for its manage page)."""
    return list(
        ServiceChange.objects.filter(service=service)
        .select_related("proposed_by", "decided_by")
        .order_by("-created_at")[:limit]
    )


REVIEW_REASONS: dict[str, str] = {
    "unconfirmed": "Never confirmed",
    "stale": "Not confirmed recently",
    "unverified": "Has claims not verified",
}

REVIEW_SORTS: dict[str, str] = {
    "confirmed": "Oldest confirmation first",
    "name": "Service name",
    "organisation": "Organisation",
    "unverified": "Most unverified claims first",
}


def _stale_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=settings.DIRECTORY_STALE_AFTER_DAYS)


def service_list_for_review(
    *,
    user: Any,
    area_id: int | None = None,
    provenance: str = "",
    reason: str = "",
    sort: str = "confirmed",
    now: dt.datetime | None = None,
) -> QuerySet[Service]:
    """Live records an editor should look at: never confirmed, stale, or with unverified claims.

    The rules are `selectors.service_is_stale` / `service_is_unconfirmed` written as SQL so
    the list can filter, sort and page in the database. Directory editors only.
    """
    if not can_curate_directory(user):
        return Service.objects.none()
    cutoff = _stale_cutoff(now)
    unconfirmed = Q(confirmed_at__isnull=True) & ~Q(provenance_source__in=CONFIRMING_SOURCES)
    stale = Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=cutoff)
    unverified_claims = ServiceClaim.objects.filter(service=OuterRef("pk")).exclude(
        evidence_level=EvidenceLevel.VERIFIED
    )
    unverified_count = unverified_claims.values("service").annotate(n=Count("pk")).values("n")
    has_unverified = Exists(unverified_claims)
    qs: QuerySet[Service] = Service.objects.filter(deleted_at__isnull=True).annotate(
        is_unconfirmed=ExpressionWrapper(unconfirmed, output_field=BooleanField()),
        is_stale=ExpressionWrapper(stale, output_field=BooleanField()),
        unverified_count=Coalesce(
            Subquery(unverified_count, output_field=IntegerField()), Value(0)
        ),
    )
    qs = qs.filter(stale | Q(has_unverified))
    if reason == "unconfirmed":
        qs = qs.filter(unconfirmed)
    elif reason == "stale":
        qs = qs.filter(confirmed_at__lt=cutoff)
    elif reason == "unverified":
        qs = qs.filter(has_unverified)
    if provenance:
        qs = qs.filter(provenance_source=provenance)
    if area_id:
        qs = selectors.service_apply_filters(
            qs, selectors.ServiceFilters(area_id=area_id, include_area_descendants=True)
        )
    ordering: tuple[Any, ...]
    if sort == "name":
        ordering = ("name", "id")
    elif sort == "organisation":
        ordering = ("organisation__name", "name", "id")
    elif sort == "unverified":
        ordering = ("-unverified_count", "name", "id")
    else:
        ordering = (F("confirmed_at").asc(nulls_first=True), "name", "id")
    return (
        qs.select_related("organisation")
        .prefetch_related(
            Prefetch("service_areas", queryset=ServiceArea.objects.select_related("area"))
        )
        .order_by(*ordering)
    )


def service_list_recently_deleted(
    *, user: Any, now: dt.datetime | None = None
) -> QuerySet[Service]:
    """Services deleted within the restore window, most recent first. Directory editors only."""
    if not can_curate_directory(user):
        return Service.objects.none()
    since = (now or timezone.now()) - dt.timedelta(days=settings.DIRECTORY_RESTORE_WINDOW_DAYS)
    return (
        Service.objects.filter(deleted_at__isnull=False, deleted_at__gte=since)
        .select_related("organisation", "deleted_by")
        .order_by("-deleted_at", "id")
    )


def service_get_deleted_for_user(*, user: Any, service_id: Any) -> Service:
    """A deleted service an editor may restore (even after the window, to say why not), or 404."""
    if not can_curate_directory(user):
        raise Http404("No such service")
    service = Service.objects.filter(pk=service_id, deleted_at__isnull=False).first()
    if service is None:
        raise Http404("No such service")
    return service


def service_version_list(*, service: Service) -> QuerySet[ServiceVersion]:
    """A service's versions, newest first, with who made each."""
    return (
        ServiceVersion.objects.filter(service=service)
        .select_related("changed_by")
        .defer("snapshot")
        .order_by("-number")
    )


def service_version_get(*, service: Service, number: int) -> ServiceVersion | None:
    """One version of a service by number, or None."""
    return (
        ServiceVersion.objects.filter(service=service, number=number)
        .select_related("changed_by")
        .first()
    )


# --------------------------------------------------------------------------------------
# Comparing snapshots (pure)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    """One difference between two snapshots, with words for people."""

    key: str
    label: str
    old: Any
    new: Any
    old_display: str
    new_display: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    added_display: str = ""
    removed_display: str = ""


_CHOICE_FIELDS = (
    "status",
    "delivery_status",
    "intervention_type",
    "suite_tier",
    "capacity_status",
    "integrated_victim_support",
    "provenance_source",
)
_CHOICE_LABELS: dict[str, dict[str, str]] = {
    name: {str(k): str(v) for k, v in Service._meta.get_field(name).flatchoices}  # type: ignore[union-attr]
    for name in _CHOICE_FIELDS
}
NOT_SET = "Not set"


def _display(key: str, value: Any, names: Mapping[str, str]) -> str:
    if value is None or value == "" or value == []:
        return NOT_SET
    if key in _CHOICE_LABELS:
        return _CHOICE_LABELS[key].get(str(value), str(value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        lookup = names if key == "areas" or key.startswith("taxonomy_terms") else {}
        return ", ".join(lookup.get(str(item), str(item)) for item in value)
    return str(value)


def _display_claim(claim: Mapping[str, Any] | None) -> str:
    if not claim:
        return "No claim"
    value = claim.get("value") or TriState.NOT_STATED
    level = claim.get("evidence_level") or EvidenceLevel.SELF_REPORTED
    text = f"{TriState(value).label if value in TriState.values else value} – "
    text += EvidenceLevel(level).label if level in EvidenceLevel.values else str(level)
    note = (claim.get("evidence_note") or "").strip()
    return f"{text}: {note}" if note else text


def service_version_compare(
    old: Mapping[str, Any], new: Mapping[str, Any], *, names: Mapping[str, str] | None = None
) -> list[FieldChange]:
    """The fields that differ between two snapshots, old against new, in form order.

    Pure: no database. Plain fields compare by value; each claim compares by dimension;
    areas compare as a set, and taxonomy terms as one set per taxonomy (key
    `taxonomy_terms.<slug>`, so exclusion criteria are a row of their own), each reporting
    what was added and removed. `names` optionally maps area slugs and "taxonomy:code"
    strings to display names.
    """
    names = names or {}
    changes: list[FieldChange] = []
    ordered = [*EDITABLE_FIELDS, *META_KEYS]
    extra = sorted((set(old) | set(new)) - set(ordered) - set(RELATION_KEYS))
    for key in [*ordered, *extra]:
        if key not in old and key not in new:
            continue
        before, after = old.get(key), new.get(key)
        if _same(before, after):
            continue
        changes.append(
            FieldChange(
                key=key,
                label=FIELD_LABELS.get(key, key.replace("_", " ").capitalize()),
                old=before,
                new=after,
                old_display=_display(key, before, names),
                new_display=_display(key, after, names),
            )
        )
    old_claims = old.get("claims") or {}
    new_claims = new.get("claims") or {}
    known = [d for d in ClaimDimension.values if d in old_claims or d in new_claims]
    others = sorted((set(old_claims) | set(new_claims)) - set(ClaimDimension.values))
    for dimension in [*known, *others]:
        before, after = old_claims.get(dimension), new_claims.get(dimension)
        if _claim_same(before, after):
            continue
        label = ClaimDimension(dimension).label if dimension in ClaimDimension.values else dimension
        changes.append(
            FieldChange(
                key=f"claims.{dimension}",
                label=f"Claim: {label}",
                old=before,
                new=after,
                old_display=_display_claim(before),
                new_display=_display_claim(after),
            )
        )
    if "areas" in old or "areas" in new:
        _compare_set(
            changes, "areas", FIELD_LABELS["areas"], old.get("areas"), new.get("areas"), names
        )
    if "taxonomy_terms" in old or "taxonomy_terms" in new:
        old_terms = _by_taxonomy(old.get("taxonomy_terms"))
        new_terms = _by_taxonomy(new.get("taxonomy_terms"))
        slugs = [s for s in TAXONOMY_LABELS if s in old_terms or s in new_terms]
        slugs += sorted((set(old_terms) | set(new_terms)) - set(TAXONOMY_LABELS))
        for slug in slugs:
            label = TAXONOMY_LABELS.get(slug) or slug.replace("-", " ").capitalize()
            _compare_set(
                changes,
                f"taxonomy_terms.{slug}",
                label,
                old_terms.get(slug),
                new_terms.get(slug),
                names,
            )
    return changes


def _by_taxonomy(codes: Iterable[str] | None) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for code in codes or []:
        grouped.setdefault(code.split(":", 1)[0], []).append(code)
    return grouped


def _compare_set(
    changes: list[FieldChange],
    key: str,
    label: str,
    old: Iterable[str] | None,
    new: Iterable[str] | None,
    names: Mapping[str, str],
) -> None:
    before_set, after_set = set(old or []), set(new or [])
    if before_set != after_set:
        changes.append(
            FieldChange(
                key=key,
                label=label,
                old=sorted(before_set),
                new=sorted(after_set),
                old_display=_display(key, sorted(before_set), names),
                new_display=_display(key, sorted(after_set), names),
                added=tuple(sorted(after_set - before_set)),
                removed=tuple(sorted(before_set - after_set)),
                added_display=_display(key, sorted(after_set - before_set), names),
                removed_display=_display(key, sorted(before_set - after_set), names),
            )
        )


def _same(before: Any, after: Any) -> bool:
    empty: tuple[Any, ...] = (None, "", [])
    if before in empty and after in empty:
        return True
    return bool(before == after)


def _claim_same(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> bool:
    def norm(claim: Mapping[str, Any] | None) -> dict[str, str]:
        return _claim_dict(claim or {})

    return norm(before) == norm(after)
