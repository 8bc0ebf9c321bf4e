"""Reads for mapping: load plain data in a fixed number of queries, then call the engine.

Whatever the area's size, computing a mapping costs the same queries: the area, the area
hierarchy (areas and links), the services, their claims, their areas and their abuse types,
the abuse-type names, and the agreed risk-tier definitions above the area with (when one
applies) its checks of the services' tier claims from `standards.selectors`. Everything
else happens in `engine`, in memory.

What counts (documented in docs/mapping.md): services the public directory lists as active
now (`directory.selectors.service_public_queryset`: not deleted, status active, inside any
visibility window), less those recorded as in development, decommissioned or replaced. A
service recorded as not available in Wales does not count in Welsh districts.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import groupby
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, ExpressionWrapper, F, QuerySet
from django.http import Http404
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.accounts.policies import user_organisation_ids
from pathways.areas.models import Area, AreaKind
from pathways.directory.models import (
    DeliveryStatus,
    ProvenanceSource,
    Service,
    ServiceArea,
    ServiceClaim,
    TaxonomyTerm,
)
from pathways.directory.selectors import service_public_queryset
from pathways.evidence import selectors as evidence_selectors
from pathways.evidence.models import Approach as EvidenceApproach
from pathways.evidence.models import ServiceApproach
from pathways.evidence.scales import label_words
from pathways.standards import selectors as standards_selectors

from . import engine
from .models import MappingSnapshot, PublishedSummary
from .policies import can_publish_mapping, can_view_mapping, can_view_own_services_mapping

REFERENCE_FILE = Path(__file__).resolve().parent / "data" / "reference.json"
NOT_DELIVERING = (
    DeliveryStatus.IN_DEVELOPMENT,
    DeliveryStatus.DECOMMISSIONED,
    DeliveryStatus.REPLACED,
)
# Services recorded as not available in Wales do not count below this area.
WALES_SLUG = "wales"
ABUSE_TYPES = "abuse-types"


# --------------------------------------------------------------------------------------
# Reference data and seams
# --------------------------------------------------------------------------------------


@functools.cache
def mapping_reference() -> dict[str, Any]:
    """The mapping reference data shipped with Pathways (approaches, published checks)."""
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


def evidence_strength(agreement: Any, *, slug: str, name: str) -> engine.EvidenceStrength:
    """An evidence-library `Agreement` as the engine's plain data: every rating in its
    source's own words, the band the library compares it in, and the agreement status."""
    ratings = []
    for banded in agreement.ratings:
        r = banded.rating
        ratings.append(
            engine.SourceRating(
                source=r.source_slug,
                source_name=r.source_label,
                name_as_published=r.name_as_published,
                statement=str(r.statement),
                rating=label_words(r.scale, r.rating),
                evidence_rating=label_words(r.scale, r.evidence_rating),
                impact_rating=label_words(r.scale, r.impact_rating),
                studies=tuple(r.studies),
                band=banded.band.name.lower() if banded.band is not None else None,
                band_label=str(banded.band_label),
            )
        )
    return engine.EvidenceStrength(
        approach=slug,
        name=name,
        ratings=tuple(ratings),
        agreement=agreement.status.value,
        agreement_label=agreement.label,
        spread=agreement.spread,
    )


def _reference_approaches() -> dict[str, tuple[engine.Approach, ...]]:
    """The fallback: approaches per component as summarised in mapping's reference data."""
    approaches = mapping_reference()["approaches"]
    return {
        component: tuple(engine.Approach(**item) for item in items)
        for component, items in approaches.items()
    }


def recommended_approaches() -> dict[str, tuple[engine.Approach, ...]]:
    """Approaches worth commissioning for each missing component (two or three queries).

    Which evidence-library approaches suit which component is an explicit table in mapping's
    reference data (`suite_approaches`, keyed by approach slug, each with its basis): the
    library's own intervention type and prevention level are too sparsely recorded to derive
    it honestly. Each approach comes with every source's rating and the agreement, read from
    the library. Only when the library holds no approaches at all does this fall back to the
    reference data's own summaries (`approaches`). A slug the library lacks is left out.
    """
    table: dict[str, list[dict[str, str]]] = mapping_reference()["suite_approaches"]
    slugs = {item["approach"] for items in table.values() for item in items}
    found = {
        a.slug: a
        for a in evidence_selectors.approach_queryset(evidence_selectors.ApproachFilters()).filter(
            slug__in=sorted(slugs)
        )
    }
    if not found and not EvidenceApproach.objects.exists():
        return _reference_approaches()
    strengths = {
        slug: evidence_strength(
            evidence_selectors.approach_agreement(
                evidence_selectors.rating_view(r) for r in approach.ratings.all()
            ),
            slug=slug,
            name=approach.name,
        )
        for slug, approach in found.items()
    }
    out: dict[str, tuple[engine.Approach, ...]] = {}
    for component, items in table.items():
        chosen = []
        for item in items:
            strength = strengths.get(item["approach"])
            if strength is None:
                continue
            sources = list(dict.fromkeys(r.source_name for r in strength.ratings))
            chosen.append(
                engine.Approach(
                    name=strength.name,
                    basis=item["basis"],
                    evidence=strength.statements(),
                    source="; ".join(sources),
                    strength=strength,
                )
            )
        out[component] = tuple(chosen)
    return out


def evidence_for_services(queryset: QuerySet[Service]) -> dict[str, engine.EvidenceStrength]:
    """The approach each service in `queryset` follows, with its ratings (three queries).

    One query finds which of the services have an approach recorded, so the evidence
    library's `evidence_strength_for_services` (two queries) is asked only about those.
    """
    linked = list(
        ServiceApproach.objects.filter(service_id__in=queryset.values("id")).values_list(
            "service_id", flat=True
        )
    )
    found = evidence_selectors.evidence_strength_for_services(linked) if linked else {}
    return {
        str(service_id): evidence_strength(
            item.agreement, slug=item.approach_slug, name=item.approach_name
        )
        for service_id, item in found.items()
        if item is not None
    }


# Unmet need counts over the year to the mapping date.
UNMET_NEED_WINDOW_DAYS = 365
# A front-door tier is demand for the suite component of the same name.
_TIER_COLUMNS = {
    "standard_risk": "standard_risk",
    "medium_risk": "medium_risk",
    "high_risk": "high_risk",
}


def unmet_need_for_districts(
    *, district_slugs: Iterable[str], as_of: dt.date
) -> tuple[engine.UnmetNeed, ...] | None:
    """Demand the One Front Door could not meet, by district and column, over the 365 days to
    `as_of`. Each unmet need counts once in its tier's column, once in its cohort's column
    (when the cohort is a matrix column) and once in sexual violence when that was the abuse
    type, so a row of the matrix never adds them up as if they were separate people."""
    from pathways.referrals.selectors.unmet import unmet_need_counts

    column_slugs = {c.slug for c in engine.COLUMNS}
    totals: dict[tuple[str, str], int] = {}
    for row in unmet_need_counts(
        district_slugs=district_slugs,
        since=as_of - dt.timedelta(days=UNMET_NEED_WINDOW_DAYS - 1),
        until=as_of,
    ):
        columns = {_TIER_COLUMNS.get(row.tier, "")}
        if row.cohort in column_slugs:
            columns.add(row.cohort)
        if row.abuse_type == "SV":
            columns.add("sexual_violence")
        for column in columns - {""}:
            totals[(row.district, column)] = totals.get((row.district, column), 0) + row.count
    return tuple(
        engine.UnmetNeed(district=d, column=c, count=n) for (d, c), n in sorted(totals.items())
    )


# --------------------------------------------------------------------------------------
# Area hierarchy, read once
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AreaRow:
    id: int
    slug: str
    name: str
    kind: str


@dataclass(frozen=True)
class Hierarchy:
    """Every area and its parents, read in two queries.

    `areas.selectors` walks the hierarchy one area at a time (a query each); mapping needs
    the ancestors of every district in an area at once, so it reads the links together.
    """

    areas: dict[int, _AreaRow]
    parents: dict[int, frozenset[int]]

    def by_slug(self, slug: str) -> _AreaRow | None:
        for row in self.areas.values():
            if row.slug == slug:
                return row
        return None

    def ancestors(self, area_id: int) -> frozenset[int]:
        seen = {area_id}
        stack = [area_id]
        while stack:
            for parent in self.parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return frozenset(seen)

    def descendants(self, area_id: int) -> frozenset[int]:
        children: dict[int, set[int]] = defaultdict(set)
        for child, parents in self.parents.items():
            for parent in parents:
                children[parent].add(child)
        seen = {area_id}
        stack = [area_id]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return frozenset(seen)

    def nearest_at_or_above(self, area_id: int, candidates: Iterable[int]) -> int | None:
        """The candidate that is the area itself or the closest area above it, or None.

        Two candidates equally close (an area with two parents) go to the first by slug.
        """
        wanted = set(candidates)
        level, seen = {area_id}, {area_id}
        while level:
            found = level & wanted
            if found:
                return min(found, key=lambda i: self.areas[i].slug if i in self.areas else "")
            above: set[int] = set()
            for current in level:
                above |= self.parents.get(current, frozenset()) - seen
            seen |= above
            level = above
        return None

    def districts(self, area_ids: Iterable[int]) -> tuple[engine.District, ...]:
        rows = sorted(
            (self.areas[i] for i in area_ids if self.areas[i].kind == AreaKind.LOCAL_AUTHORITY),
            key=lambda r: (r.name, r.slug),
        )
        return tuple(
            engine.District(id=r.id, slug=r.slug, name=r.name, ancestor_ids=self.ancestors(r.id))
            for r in rows
        )


def area_hierarchy() -> Hierarchy:
    """Every area with its parent links (two queries)."""
    areas = {
        row[0]: _AreaRow(*row) for row in Area.objects.values_list("id", "slug", "name", "kind")
    }
    parents: dict[int, set[int]] = defaultdict(set)
    for child, parent in Area.parents.through.objects.values_list("from_area_id", "to_area_id"):
        parents[child].add(parent)
    return Hierarchy(areas=areas, parents={k: frozenset(v) for k, v in parents.items()})


def mapping_area_choices() -> list[tuple[str, str, str]]:
    """(slug, name, kind) of every area a mapping can be drawn for, widest kinds first."""
    order: dict[str, int] = {
        AreaKind.COUNTRY: 0,
        AreaKind.REGION: 1,
        AreaKind.COMBINED_AUTHORITY: 2,
        AreaKind.POLICE_FORCE_AREA: 3,
        AreaKind.HEALTH_BOARD: 4,
        AreaKind.LOCAL_AUTHORITY: 5,
    }
    rows = list(Area.objects.values_list("slug", "name", "kind"))
    return sorted(rows, key=lambda r: (order.get(r[2], 9), r[1]))


# --------------------------------------------------------------------------------------
# Services as plain records
# --------------------------------------------------------------------------------------


def _counted_services(*, as_of: dt.date) -> QuerySet[Service]:
    return service_public_queryset(today=as_of).exclude(delivery_status__in=NOT_DELIVERING)


def _raw_uuid(field: str) -> ExpressionWrapper:
    """A UUID column as the database driver returns it (SQLite: 32 hex digits, PostgreSQL: a
    `uuid.UUID`). Mapping reads ~100,000 service ids at national scale; used as dict keys,
    they join the reads below without Django building a `uuid.UUID` for each."""
    return ExpressionWrapper(F(field), output_field=CharField())


def _uuid_text(raw: Any) -> str:
    """A raw UUID from `_raw_uuid` as `str(uuid.UUID)` spells it."""
    return str(raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw))


_NOWHERE: frozenset[int] = frozenset()


def _by_service(rows: Iterable[tuple[Any, Any]]) -> dict[Any, tuple[Any, ...]]:
    """(service, value) rows as each service's values, in the order read. Rows read in
    service order make one tuple per service; rows out of order are still gathered."""
    found: dict[Any, tuple[Any, ...]] = {}
    for service_id, group in groupby(rows, key=itemgetter(0)):
        values = tuple(value for _service_id, value in group)
        found[service_id] = found[service_id] + values if service_id in found else values
    return found


def _service_records(
    *, queryset: QuerySet[Service], hierarchy: Hierarchy, serving: Collection[int]
) -> tuple[engine.ServiceRecord, ...]:
    """Plain records for the services in `queryset` that serve any of the areas `serving`:
    seven queries, whatever the count (the services, claims, areas, abuse types, and the
    approaches they follow)."""
    serving = frozenset(serving)
    every_district = {
        i for i, row in hierarchy.areas.items() if row.kind == AreaKind.LOCAL_AUTHORITY
    }
    # Mapping every district, nearly every service serves one of the areas, so asking the
    # database which costs more than it saves: the areas read below decide, and the rows
    # about services are read for all of them (those not counted are never looked up).
    everywhere = every_district <= serving
    if not everywhere:
        queryset = _serving_any(queryset, serving)
    ids = queryset.order_by().values("id")

    def about_services(rows: QuerySet[Any]) -> QuerySet[Any]:
        return rows if everywhere else rows.filter(service_id__in=ids)

    wales = hierarchy.by_slug(WALES_SLUG)
    not_in_wales = frozenset({wales.id}) if wales else _NOWHERE
    rows = list(
        queryset.values_list(
            _raw_uuid("id"),
            "name",
            _raw_uuid("organisation_id"),
            "organisation__name",
            "organisation__is_synthetic",
            "suite_tier",
            "intervention_type",
            "languages",
            "provenance_source",
            "confirmed_at",
            "funding_ends",
            "delivery_status",
            "updated_at",
        ).order_by("name", "id")
    )
    # Services share a few hundred distinct claims and area and abuse-type sets: one
    # object for each keeps the garbage collector from walking ~100,000 copies.
    claim_of: dict[tuple[str, str, str], engine.Claim] = {}

    def one_claim(dimension: str, value: str, level: str) -> engine.Claim:
        key = (dimension, value, level)
        found = claim_of.get(key)
        if found is None:
            found = claim_of[key] = engine.Claim(dimension, value, level)
        return found

    claims = _by_service(
        (service_id, one_claim(dimension, value, level))
        for service_id, dimension, value, level in about_services(
            ServiceClaim.objects.all()
        ).values_list(_raw_uuid("service_id"), "dimension", "value", "evidence_level")
    )
    areas = _by_service(
        about_services(ServiceArea.objects.all())
        .values_list(_raw_uuid("service_id"), "area_id")
        .order_by("service_id")
    )
    abuse = _by_service(
        about_services(
            Service.taxonomy_terms.through.objects.filter(taxonomyterm__taxonomy__slug=ABUSE_TYPES)
        ).values_list(_raw_uuid("service_id"), "taxonomyterm__code")
    )
    shared: dict[frozenset[Any], frozenset[Any]] = {}

    def one_of(values: Iterable[Any]) -> frozenset[Any]:
        found = frozenset(values)
        return shared.setdefault(found, found)

    evidence = evidence_for_services(queryset)
    organisation_ids: dict[Any, str] = {}
    here = timezone.get_current_timezone()
    by_dimension = attrgetter("dimension")
    records = []
    for (
        raw_id,
        name,
        raw_organisation_id,
        organisation,
        organisation_is_synthetic,
        suite_tier,
        intervention_type,
        languages,
        provenance_source,
        confirmed_at,
        funding_ends,
        delivery_status,
        updated_at,
    ) in rows:
        served = one_of(areas.get(raw_id, ()))
        if serving.isdisjoint(served):
            continue
        sid = _uuid_text(raw_id)
        organisation_id = organisation_ids.get(raw_organisation_id)
        if organisation_id is None:
            organisation_id = organisation_ids[raw_organisation_id] = _uuid_text(
                raw_organisation_id
            )
        records.append(
            engine.ServiceRecord(
                id=sid,
                name=name,
                organisation_id=organisation_id,
                organisation=organisation,
                served_area_ids=served,
                suite_tier=suite_tier,
                intervention_type=intervention_type,
                abuse_types=one_of(abuse.get(raw_id, ())),
                claims=tuple(sorted(claims.get(raw_id, ()), key=by_dimension)),
                languages=tuple(languages or ()),
                provenance_source=provenance_source,
                confirmed_on=timezone.localdate(confirmed_at, here) if confirmed_at else None,
                funding_ends=funding_ends,
                is_synthetic=provenance_source == ProvenanceSource.SYNTHETIC
                or organisation_is_synthetic,
                excluded_area_ids=not_in_wales
                if delivery_status == DeliveryStatus.NOT_AVAILABLE_IN_WALES
                else _NOWHERE,
                updated_at=updated_at,
                evidence=evidence.get(sid),
            )
        )
    return tuple(records)


def _serving_any(queryset: QuerySet[Service], area_ids: Iterable[int]) -> QuerySet[Service]:
    # `id IN (services of these areas)`, not a correlated EXISTS: SQLite ran the EXISTS as
    # one index probe per service and area (~3 million at national scale).
    return queryset.filter(
        id__in=ServiceArea.objects.filter(area_id__in=sorted(area_ids)).values("service_id")
    )


def abuse_type_names() -> dict[str, str]:
    return dict(TaxonomyTerm.objects.filter(taxonomy__slug=ABUSE_TYPES).values_list("code", "name"))


# --------------------------------------------------------------------------------------
# Agreed risk-tier definitions (standards)
# --------------------------------------------------------------------------------------

RISK_TIER_CLAIMS = ("risk_medium", "risk_high")


def tier_definitions_for_areas(area_ids: Iterable[int]) -> dict[int, engine.TierDefinition]:
    """The risk-tier definitions recorded for these areas, by area id (two queries).

    A definition's version is when it or any of its criteria last changed.
    """
    found: dict[int, engine.TierDefinition] = {}
    for definition in standards_selectors.tier_definition_list().filter(area_id__in=list(area_ids)):
        changed = [definition.updated_at, *(c.updated_at for c in definition.criteria.all())]
        found[definition.area_id] = engine.TierDefinition(
            area=definition.area.slug,
            area_name=definition.area.name,
            title=definition.title,
            updated_at=max(changed),
        )
    return found


def _plain_tier_check(check: Any, definition: engine.TierDefinition) -> engine.TierClaimCheck:
    """standards.checks.TierCheck as the engine's plain data, naming its definition."""
    return engine.TierClaimCheck(
        tier=check.tier,
        result=check.result,
        criteria=tuple(
            engine.CriterionCheck(c.criterion, c.label, c.met, c.detail) for c in check.criteria
        ),
        definition=definition,
    )


def _claims_a_risk_tier(record: engine.ServiceRecord) -> bool:
    return any(c.dimension in RISK_TIER_CLAIMS and c.value == "yes" for c in record.claims)


def with_tier_checks(
    records: Sequence[engine.ServiceRecord],
    applies: Mapping[str, Sequence[engine.TierDefinition]],
) -> tuple[engine.ServiceRecord, ...]:
    """The records with their medium- and high-risk claims checked against the definitions
    that apply to each (`applies`: service id -> definitions).

    One `standards.selectors.tier_claim_checks_for_services` call per definition in use (a
    constant number of queries each, whatever the number of services); an area's mapping
    uses at most one definition. Services claiming no risk tier are not sent.
    """
    by_definition: dict[str, list[str]] = defaultdict(list)
    definitions: dict[str, engine.TierDefinition] = {}
    for record in records:
        if not _claims_a_risk_tier(record):
            continue
        for definition in applies.get(record.id, ()):
            by_definition[definition.area].append(record.id)
            definitions[definition.area] = definition
    checks: dict[str, list[engine.TierClaimCheck]] = defaultdict(list)
    for slug, ids in sorted(by_definition.items()):
        found = standards_selectors.tier_claim_checks_for_services(ids, area_slug=slug)
        for service_id, tier_checks in found.items():
            checks[str(service_id)].extend(
                _plain_tier_check(check, definitions[slug]) for check in tier_checks
            )
    return tuple(
        replace(record, tier_checks=tuple(checks[record.id])) if checks.get(record.id) else record
        for record in records
    )


def _input(
    *,
    hierarchy: Hierarchy,
    area: _AreaRow | None,
    member_ids: frozenset[int],
    districts: tuple[engine.District, ...],
    services: tuple[engine.ServiceRecord, ...],
    as_of: dt.date,
    tier_definition: engine.TierDefinition | None = None,
) -> engine.MappingInput:
    return engine.MappingInput(
        area_id=area.id if area else 0,
        area_slug=area.slug if area else "",
        area_name=area.name if area else "",
        area_member_ids=member_ids,
        districts=districts,
        services=services,
        as_of=as_of,
        area_slugs={i: row.slug for i, row in hierarchy.areas.items()},
        abuse_type_names=abuse_type_names(),
        approaches=recommended_approaches(),
        stale_after_days=settings.DIRECTORY_STALE_AFTER_DAYS,
        unmet_need=unmet_need_for_districts(
            district_slugs=[d.slug for d in districts], as_of=as_of
        ),
        generated_at=timezone.now(),
        tier_definition=tier_definition,
    )


# --------------------------------------------------------------------------------------
# The mapping of an area
# --------------------------------------------------------------------------------------


def unknown_area_error(slug: str) -> ValidationError:
    return ValidationError({"area": [f"There is no area called {slug!r}. Choose an area."]})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a mapping is built.

    A national mapping makes some 100,000 objects that live until it is done (records,
    result lines, findings). Each time enough of them have piled up the collector walks
    every object in the process, and found nothing to free: those walks were a fifth of
    the time. Reference counting frees memory as usual meanwhile; the collector resumes at
    the end, unless it was already off when the mapping began.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@_collector_paused()
def mapping_compute_for_area(
    *, area_slug: str, rule: engine.CountingRule, as_of: dt.date | None = None
) -> engine.MappingResult:
    """The mapping of an area, with no access check: for services and the command only."""
    as_of = as_of or timezone.localdate()
    hierarchy = area_hierarchy()
    area = hierarchy.by_slug(area_slug) if area_slug else None
    if area is None:
        raise unknown_area_error(area_slug)
    member_ids = hierarchy.descendants(area.id)
    districts = hierarchy.districts(member_ids)
    relevant: set[int] = set()
    for district in districts:
        relevant |= district.ancestor_ids
    services = _service_records(
        queryset=_counted_services(as_of=as_of), hierarchy=hierarchy, serving=relevant
    )
    # The definition agreed for the mapped area, or else the nearest area above it, judges
    # every claim counted here; with none, questionable claims are claims without evidence.
    definitions = tier_definitions_for_areas(hierarchy.ancestors(area.id))
    nearest = hierarchy.nearest_at_or_above(area.id, definitions)
    tier_definition = definitions[nearest] if nearest is not None else None
    if tier_definition is not None:
        services = with_tier_checks(services, {s.id: (tier_definition,) for s in services})
    data = _input(
        hierarchy=hierarchy,
        area=area,
        member_ids=member_ids,
        districts=districts,
        services=services,
        as_of=as_of,
        tier_definition=tier_definition,
    )
    return engine.compute(data, rule)


def mapping_for_area(
    *, user: Any, area_slug: str, rule: engine.CountingRule, as_of: dt.date | None = None
) -> engine.MappingResult:
    """The mapping of an area for a commissioner, analyst or administrator."""
    if not can_view_mapping(user):
        raise PermissionDenied("Mapping is for commissioners, analysts and administrators.")
    return mapping_compute_for_area(area_slug=area_slug, rule=rule, as_of=as_of)


# --------------------------------------------------------------------------------------
# A provider manager's own services
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderPlace:
    """What a provider manager may see: their own services' cells, nothing about others."""

    rule: engine.CountingRule
    columns: tuple[engine.Column, ...]
    district_names: dict[str, str]
    place: dict[str, Any]


@_collector_paused()
def mapping_for_provider(
    *, user: Any, rule: engine.CountingRule, as_of: dt.date | None = None
) -> ProviderPlace:
    """Where the user's organisations' services count, for a provider manager."""
    if not can_view_own_services_mapping(user):
        raise PermissionDenied("This page is for provider managers.")
    as_of = as_of or timezone.localdate()
    organisations = user_organisation_ids(user, Role.PROVIDER_MANAGER)
    hierarchy = area_hierarchy()
    own = _counted_services(as_of=as_of).filter(organisation_id__in=organisations)
    served = set(
        ServiceArea.objects.filter(service__in=own.values("id")).values_list("area_id", flat=True)
    )
    districts = tuple(d for d in hierarchy.districts(hierarchy.areas) if d.ancestor_ids & served)
    relevant: set[int] = set()
    for district in districts:
        relevant |= district.ancestor_ids
    services = _service_records(
        queryset=_counted_services(as_of=as_of), hierarchy=hierarchy, serving=relevant
    )
    # No single mapped area here: each of the user's services is judged by the definition
    # nearest at or above each area it serves (only their own findings are shown).
    own_ids = {str(o) for o in organisations}
    own_records = [s for s in services if s.organisation_id in own_ids]
    above: set[int] = set()
    for record in own_records:
        for area_id in record.served_area_ids:
            above |= hierarchy.ancestors(area_id)
    definitions = tier_definitions_for_areas(above)
    applies: dict[str, list[engine.TierDefinition]] = {}
    for record in own_records:
        nearest = {hierarchy.nearest_at_or_above(a, definitions) for a in record.served_area_ids}
        applies[record.id] = [definitions[n] for n in sorted(n for n in nearest if n is not None)]
    services = with_tier_checks(services, applies)
    data = _input(
        hierarchy=hierarchy,
        area=None,
        # Every area counts as "area-wide" here: there is no single mapped area.
        member_ids=frozenset(hierarchy.areas),
        districts=districts,
        services=services,
        as_of=as_of,
    )
    result = engine.compute(data, rule)
    return ProviderPlace(
        rule=rule,
        columns=result.columns,
        district_names={d.slug: d.name for d in districts},
        place=engine.provider_place(result, (str(o) for o in organisations)),
    )


# --------------------------------------------------------------------------------------
# Snapshots
# --------------------------------------------------------------------------------------


def snapshot_list_for_area(*, user: Any, area_slug: str) -> QuerySet[MappingSnapshot]:
    """Saved snapshots of an area, newest first, without their payloads."""
    if not can_view_mapping(user):
        raise PermissionDenied("Mapping is for commissioners, analysts and administrators.")
    return (
        MappingSnapshot.objects.filter(area__slug=area_slug)
        .select_related("area", "created_by")
        .defer("payload")
        .order_by("-created_at", "id")
    )


def snapshot_get(*, user: Any, snapshot_id: Any) -> MappingSnapshot:
    """One snapshot, or 404."""
    if not can_view_mapping(user):
        raise PermissionDenied("Mapping is for commissioners, analysts and administrators.")
    snapshot = (
        MappingSnapshot.objects.select_related("area", "created_by").filter(pk=snapshot_id).first()
    )
    if snapshot is None:
        raise Http404("No such snapshot")
    return snapshot


def snapshot_compare(
    *, user: Any, before_id: Any, after_id: Any
) -> tuple[MappingSnapshot, MappingSnapshot, engine.Comparison]:
    """Compare two snapshots of the same area: gaps closed and opened, services added and lost."""
    before = snapshot_get(user=user, snapshot_id=before_id)
    after = snapshot_get(user=user, snapshot_id=after_id)
    if before.pk == after.pk:
        raise ValidationError({"after": ["Choose two different snapshots to compare."]})
    if before.area_id != after.area_id:
        raise ValidationError({"after": ["Choose two snapshots of the same area."]})
    return before, after, engine.compare(before.payload, after.payload)


# --------------------------------------------------------------------------------------
# Published summaries (public)
# --------------------------------------------------------------------------------------


def published_summary_list() -> QuerySet[PublishedSummary]:
    """Every area's live public summary, by area name (one query). Public: no access check,
    because a published summary holds only headline figures and gaps."""
    return (
        PublishedSummary.objects.filter(withdrawn_at__isnull=True)
        .select_related("area")
        .only("id", "area__slug", "area__name", "published_at", "content")
        .order_by("area__name", "area__slug")
    )


def published_summary_for_area(*, area_slug: str) -> PublishedSummary:
    """The area's live public summary (one query), or 404 when nothing is published."""
    summary = (
        PublishedSummary.objects.filter(area__slug=area_slug, withdrawn_at__isnull=True)
        .select_related("area")
        .first()
    )
    if summary is None:
        raise Http404("Nothing is published for this area")
    return summary


def published_summary_live_for_area_of(
    *, user: Any, snapshot: MappingSnapshot
) -> PublishedSummary | None:
    """What is public now for the snapshot's area, for the snapshot page (one query)."""
    if not can_view_mapping(user):
        raise PermissionDenied("Mapping is for commissioners, analysts and administrators.")
    return PublishedSummary.objects.filter(
        area_id=snapshot.area_id, withdrawn_at__isnull=True
    ).first()


def publish_preview(*, user: Any, snapshot: MappingSnapshot) -> dict[str, Any]:
    """Exactly what publishing this snapshot would show the public; administrators only."""
    if not can_publish_mapping(user):
        raise PermissionDenied("Only administrators publish mapping summaries.")
    return engine.public_summary(snapshot.payload, abuse_type_names=abuse_type_names())
