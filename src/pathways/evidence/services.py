"""Every write to the evidence library and to the links from services to approaches.

Writes take keyword-only arguments, run in a transaction, check who may make them (a user
without the right raises PermissionDenied; `actor=None` is the system loader) and write an
audit event. Labels are checked against the source's own scale, so a rating is always stored
in the words its source uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record
from pathways.directory.models import InterventionType, Service

from .models import AbuseFocus, Approach, PreventionLevel, Rating, ServiceApproach, Source
from .policies import can_edit_evidence_library, can_link_approach_for_service
from .scales import SCALES, Scale, allowed_labels

APPROACH_FIELDS = (
    "name",
    "description",
    "abuse_focus",
    "prevention_level",
    "intervention_type",
    "audience",
    "target_cohort",
)
SOURCE_FIELDS = (
    "name",
    "cited_as",
    "publisher",
    "year",
    "scale",
    "scale_description",
    "reported_in",
    "reported_in_short",
    "reported_in_year",
)
RATING_FIELDS = (
    "rating",
    "evidence_rating",
    "impact_rating",
    "abuse_focus",
    "studies",
    "note",
    "mapping_basis",
)


def _require_editor(actor: Any) -> None:
    if actor is not None and not can_edit_evidence_library(actor):
        raise PermissionDenied("Only administrators can change the evidence library.")


def _validate_approach(data: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not str(data.get("name", "")).strip():
        errors["name"] = "Enter the name of the approach"
    if data.get("abuse_focus", AbuseFocus.NOT_STATED) not in AbuseFocus.values:
        errors["abuse_focus"] = "Select a valid abuse focus"
    if data.get("prevention_level", PreventionLevel.NOT_STATED) not in PreventionLevel.values:
        errors["prevention_level"] = "Select a valid prevention level"
    if data.get("intervention_type", InterventionType.NOT_STATED) not in InterventionType.values:
        errors["intervention_type"] = "Select a valid intervention type"
    audience = data.get("audience", [])
    if not isinstance(audience, list) or not all(isinstance(a, str) for a in audience):
        errors["audience"] = "Audience must be a list of words"
    if errors:
        raise ValidationError(errors)


def validate_rating_labels(*, scale: str, data: Mapping[str, Any]) -> None:
    """Refuse labels the source's scale does not use, and studies that are not counts."""
    errors: dict[str, str] = {}
    if scale not in SCALES:
        raise ValidationError({"scale": f"Unknown rating scale {scale!r}"})
    labels = allowed_labels(scale)
    fields: tuple[str, ...]
    unused: tuple[str, ...]
    if scale == Scale.THREE_POINT:
        fields, unused = ("rating",), ("evidence_rating", "impact_rating")
    else:
        fields, unused = ("evidence_rating", "impact_rating"), ("rating",)
    for name in fields:
        value = data.get(name, "")
        if value and value not in labels:
            errors[name] = f"‘{value}’ is not a label this source's scale uses"
    for name in unused:
        if data.get(name, ""):
            errors[name] = "This source's scale does not use this rating"
    studies = data.get("studies", [])
    if not isinstance(studies, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in studies
    ):
        errors["studies"] = "Studies must be a list of whole numbers above 0"
    if data.get("abuse_focus", AbuseFocus.NOT_STATED) not in AbuseFocus.values:
        errors["abuse_focus"] = "Select a valid abuse focus"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def approach_create(*, actor: Any, slug: str, data: Mapping[str, Any]) -> Approach:
    """Add an approach to the library. Administrators, or the system loader (actor None)."""
    _require_editor(actor)
    _validate_approach(data)
    if Approach.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "An approach with this short name already exists"})
    approach = Approach(slug=slug, **{k: data[k] for k in APPROACH_FIELDS if k in data})
    approach.full_clean()
    approach.save()
    audit_record(
        actor=actor,
        action=AuditAction.CREATE,
        object_type="evidence.approach",
        object_id=approach.slug,
        detail={"name": approach.name},
    )
    return approach


@transaction.atomic
def approach_update(*, actor: Any, approach: Approach, data: Mapping[str, Any]) -> Approach:
    """Change an approach's description fields. Administrators, or the system loader."""
    _require_editor(actor)
    merged = {k: getattr(approach, k) for k in APPROACH_FIELDS} | dict(data)
    _validate_approach(merged)
    changed = [k for k in APPROACH_FIELDS if k in data and getattr(approach, k) != data[k]]
    for key in changed:
        setattr(approach, key, data[key])
    if changed:
        approach.full_clean()
        approach.save(update_fields=[*changed, "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE,
            object_type="evidence.approach",
            object_id=approach.slug,
            detail={"changed": changed},
        )
    return approach


@transaction.atomic
def rating_set(
    *,
    actor: Any,
    approach: Approach,
    source: Source,
    name_as_published: str,
    data: Mapping[str, Any],
) -> Rating:
    """Record what a source says about an approach, in the source's own labels (create or replace)."""
    _require_editor(actor)
    if not name_as_published.strip():
        raise ValidationError({"name_as_published": "Enter the name the source uses"})
    validate_rating_labels(scale=source.scale, data=data)
    values = {k: data.get(k, [] if k == "studies" else "") for k in RATING_FIELDS}
    values["abuse_focus"] = values["abuse_focus"] or AbuseFocus.NOT_STATED
    rating, created = Rating.objects.update_or_create(
        approach=approach,
        source=source,
        defaults={"name_as_published": name_as_published, **values},
    )
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        object_type="evidence.rating",
        object_id=rating.pk,
        detail={
            "approach": approach.slug,
            "source": source.slug,
            "rating": values["rating"],
            "evidence_rating": values["evidence_rating"],
            "impact_rating": values["impact_rating"],
        },
    )
    return rating


@transaction.atomic
def service_approach_set(
    *,
    actor: Any,
    service: Service,
    approach: Approach | None,
    note: str = "",
    request: Any = None,
) -> ServiceApproach | None:
    """Say which approach a service follows (None removes the link).

    Commissioners and administrators for any service, provider managers for their own
    organisation's services; the system loader passes actor None.
    """
    if actor is not None and not can_link_approach_for_service(actor, service):
        raise PermissionDenied("You cannot change this service's approach.")
    if len(note) > 1000:
        raise ValidationError({"note": "Note must be 1000 characters or fewer"})
    existing = ServiceApproach.objects.filter(service=service).select_related("approach").first()
    before = existing.approach.slug if existing else None
    after = approach.slug if approach else None
    link: ServiceApproach | None
    if approach is None:
        if existing is None:
            return None
        existing.delete()
        link = None
    elif existing is None:
        link = ServiceApproach.objects.create(
            service=service,
            approach=approach,
            note=note,
            set_by=actor if getattr(actor, "is_authenticated", False) else None,
            set_at=timezone.now(),
        )
    else:
        if existing.approach_id == approach.pk and existing.note == note:
            return existing
        existing.approach = approach
        existing.note = note
        existing.set_by = actor if getattr(actor, "is_authenticated", False) else None
        existing.set_at = timezone.now()
        existing.save()
        link = existing
    audit_record(
        actor=actor,
        action=AuditAction.DELETE if link is None else AuditAction.UPDATE,
        object_type="evidence.service_approach",
        object_id=service.pk,
        detail={"service": service.name, "from": before, "to": after, "note": note},
        request=request,
    )
    return link


# --- Loading the library from its fixture --------------------------------------------------


@dataclass
class LibraryLoad:
    sources: int = 0
    approaches: int = 0
    ratings: int = 0

    @property
    def changed(self) -> int:
        return self.sources + self.approaches + self.ratings


def _differs(obj: Any, values: Mapping[str, Any]) -> bool:
    return any(getattr(obj, key) != value for key, value in values.items())


def _validate_payload(payload: Mapping[str, Any]) -> None:
    """The whole fixture is checked before anything is written: all or nothing."""
    sources = {s["slug"]: s for s in payload["sources"]}
    approaches = {a["slug"]: a for a in payload["approaches"]}
    mapping = {(m["source"], m["name_as_published"]): m for m in payload["mapping"]}
    for approach in approaches.values():
        _validate_approach(approach)
    for row in payload["ratings"]:
        key = (row["source"], row["name_as_published"])
        if row["source"] not in sources:
            raise ValidationError(f"Rating {key} names an unknown source")
        if key not in mapping:
            raise ValidationError(f"Rating {key} has no row in the mapping table")
        if mapping[key]["approach"] not in approaches:
            raise ValidationError(f"Mapping {key} names an unknown approach")
        validate_rating_labels(scale=sources[row["source"]]["scale"], data=row)
    seen: set[tuple[str, str]] = set()
    for row in payload["ratings"]:
        pair = (mapping[(row["source"], row["name_as_published"])]["approach"], row["source"])
        if pair in seen:
            raise ValidationError(f"Two ratings from {pair[1]} are filed under {pair[0]}")
        seen.add(pair)


@transaction.atomic
def library_load(*, payload: Mapping[str, Any]) -> LibraryLoad:
    """Create or refresh the library from a fixture payload; safe to run again (system only).

    A second run with the same payload reads three tables and writes nothing. When anything
    changes, one audit event records the counts.
    """
    _validate_payload(payload)
    result = LibraryLoad()
    sources = {s.slug: s for s in Source.objects.all()}
    for row in payload["sources"]:
        values = {k: row.get(k) for k in SOURCE_FIELDS}
        values["publisher"] = values["publisher"] or ""
        source = sources.get(row["slug"])
        if source is None:
            sources[row["slug"]] = Source.objects.create(slug=row["slug"], **values)
            result.sources += 1
        elif _differs(source, values):
            for key, value in values.items():
                setattr(source, key, value)
            source.save()
            result.sources += 1

    approaches = {a.slug: a for a in Approach.objects.all()}
    new_approaches = []
    for row in payload["approaches"]:
        values = {k: row[k] for k in APPROACH_FIELDS if k in row}
        approach = approaches.get(row["slug"])
        if approach is None:
            new_approaches.append(Approach(slug=row["slug"], **values))
        elif _differs(approach, values):
            for key, value in values.items():
                setattr(approach, key, value)
            approach.save()
            result.approaches += 1
    if new_approaches:
        Approach.objects.bulk_create(new_approaches)
        # Read back rather than trust bulk_create to fill primary keys on every database.
        approaches = {a.slug: a for a in Approach.objects.all()}
        result.approaches += len(new_approaches)

    mapping = {(m["source"], m["name_as_published"]): m for m in payload["mapping"]}
    existing = {
        (r.source.slug, r.name_as_published): r for r in Rating.objects.select_related("source")
    }
    new_ratings = []
    for row in payload["ratings"]:
        rating_key = (row["source"], row["name_as_published"])
        entry = mapping[rating_key]
        rating_values: dict[str, Any] = {
            "rating": row.get("rating", ""),
            "evidence_rating": row.get("evidence_rating", ""),
            "impact_rating": row.get("impact_rating", ""),
            "abuse_focus": row.get("abuse_focus") or AbuseFocus.NOT_STATED,
            "studies": list(row.get("studies", [])),
            "note": row.get("note", ""),
            "mapping_basis": entry.get("basis", ""),
        }
        approach = approaches[entry["approach"]]
        rating = existing.get(rating_key)
        if rating is None:
            new_ratings.append(
                Rating(
                    approach=approach,
                    source=sources[row["source"]],
                    name_as_published=row["name_as_published"],
                    **rating_values,
                )
            )
        elif rating.approach_id != approach.pk or _differs(rating, rating_values):
            rating.approach = approach
            for k, value in rating_values.items():
                setattr(rating, k, value)
            rating.save()
            result.ratings += 1
    if new_ratings:
        Rating.objects.bulk_create(new_ratings)
        result.ratings += len(new_ratings)

    if result.changed:
        audit_record(
            actor=None,
            action=AuditAction.IMPORT,
            object_type="evidence.library",
            object_id=payload.get("format", ""),
            detail={
                "sources": result.sources,
                "approaches": result.approaches,
                "ratings": result.ratings,
            },
        )
    return result


def service_links_load(*, links: Iterable[Mapping[str, str]]) -> int:
    """Link published services to approaches by external reference, skipping ones already
    linked (a person's later choice is never overwritten). System only. Returns links made."""
    links = list(links)
    services = {
        s.external_ref: s
        for s in Service.objects.filter(
            external_ref__in=[link["service_ref"] for link in links], deleted_at__isnull=True
        )
    }
    linked = set(
        ServiceApproach.objects.filter(service__in=services.values()).values_list(
            "service__external_ref", flat=True
        )
    )
    approaches = {a.slug: a for a in Approach.objects.all()}
    made = 0
    for link in links:
        service = services.get(link["service_ref"])
        approach = approaches.get(link["approach"])
        if service is None or approach is None or link["service_ref"] in linked:
            continue
        service_approach_set(
            actor=None, service=service, approach=approach, note=link.get("basis", "")
        )
        made += 1
    return made
