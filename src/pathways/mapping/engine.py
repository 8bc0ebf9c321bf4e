"""The mapping engine: pure functions over plain data. No database, no Django.

`compute(data, rule)` turns a `MappingInput` (districts, services with their claims and the
areas they serve) into a `MappingResult`: the coverage matrix, gaps, duplication,
questionable claims, fragility, the suite check and the headline summary, all under one
`CountingRule`. `compare(before, after)` compares two results' JSON (saved snapshots).

What a column means is data, not code: each `Column` lists the `Signal`s that put a service
in it, and a service's certainty in a column is the best certainty any of its signals gives.
A new dimension (say, a cohort for older people) is one more `Column` in `COLUMNS`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from itertools import chain
from typing import Any, Protocol

# --------------------------------------------------------------------------------------
# Certainty and the counting rule
# --------------------------------------------------------------------------------------


class Certainty(StrEnum):
    """How sure we are that a service provides what a column counts, best first."""

    VERIFIED = "verified"
    EVIDENCED = "evidenced"
    SELF_REPORTED = "self_reported"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        return CERTAINTY_LABELS[self]


CERTAINTIES: tuple[Certainty, ...] = (
    Certainty.VERIFIED,
    Certainty.EVIDENCED,
    Certainty.SELF_REPORTED,
    Certainty.UNKNOWN,
)
_RANK = {
    Certainty.VERIFIED: 3,
    Certainty.EVIDENCED: 2,
    Certainty.SELF_REPORTED: 1,
    Certainty.UNKNOWN: 0,
}
CERTAINTY_LABELS = {
    Certainty.VERIFIED: "Commissioner-verified",
    Certainty.EVIDENCED: "Evidenced",
    Certainty.SELF_REPORTED: "Self-reported",
    Certainty.UNKNOWN: "Unknown",
}
# A claim's evidence level (directory.EvidenceLevel values) as a certainty.
EVIDENCE_CERTAINTY = {
    "verified": Certainty.VERIFIED,
    "evidenced": Certainty.EVIDENCED,
    "self_reported": Certainty.SELF_REPORTED,
}
# Gap thresholds a rule may use: unknown never closes a gap.
GAP_THRESHOLDS: tuple[Certainty, ...] = CERTAINTIES[:3]


class RuleError(ValueError):
    """A counting rule given as parameters was not valid. `errors` maps parameter to message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


_YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class CountingRule:
    """How the matrix counts. Printed on every output so a reader knows what a number means.

    count_unknown: count services whose only support for a column is an unknown or
        not-stated claim ("?" or an empty cell in a published table).
    gap_threshold: the least certainty that closes a gap. Below it a cell with provision is
        still a gap of kind "unverified_only".
    wider_areas: count services for areas wider than the mapped area (a national helpline
        when mapping West Yorkshire) in each district they cover.
    synthetic: count synthetic demonstration services.
    """

    count_unknown: bool = False
    gap_threshold: Certainty = Certainty.VERIFIED
    wider_areas: bool = True
    synthetic: bool = True

    def __post_init__(self) -> None:
        if Certainty(self.gap_threshold) not in GAP_THRESHOLDS:
            raise RuleError({"gap_threshold": "must be verified, evidenced or self_reported"})
        object.__setattr__(self, "gap_threshold", Certainty(self.gap_threshold))

    def counts(self, certainty: Certainty) -> bool:
        """Whether a service with this certainty in a column is counted in its total."""
        return certainty is not Certainty.UNKNOWN or self.count_unknown

    def assures(self, certainty: Certainty) -> bool:
        """Whether a service with this certainty closes a gap."""
        return certainty is not Certainty.UNKNOWN and certainty.rank >= self.gap_threshold.rank

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CountingRule:
        """Read a rule from query parameters (missing ones take the default); RuleError if bad."""
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name in ("count_unknown", "wider_areas", "synthetic"):
            raw = params.get(name)
            if raw in (None, ""):
                continue
            if str(raw).lower() not in _YES_NO:
                errors[name] = f"{name} must be yes or no"
            else:
                values[name] = _YES_NO[str(raw).lower()]
        raw = params.get("gap_threshold")
        if raw not in (None, ""):
            if raw not in {c.value for c in GAP_THRESHOLDS}:
                errors["gap_threshold"] = (
                    "gap_threshold must be verified, evidenced or self_reported"
                )
            else:
                values["gap_threshold"] = Certainty(raw)
        if errors:
            raise RuleError(errors)
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        return {
            "count_unknown": "yes" if self.count_unknown else "no",
            "gap_threshold": self.gap_threshold.value,
            "wider_areas": "yes" if self.wider_areas else "no",
            "synthetic": "yes" if self.synthetic else "no",
        }

    def describe(self) -> str:
        """The rule in one paragraph, as printed on the page, the workbook, the PDF and JSON."""
        parts = [
            "Counts active services (not deleted, status active, inside their visibility "
            "window, not in development, decommissioned or replaced).",
            "A service for a wider area counts in every district inside it"
            + (
                ", including services for areas wider than the one mapped."
                if self.wider_areas
                else "; services for areas wider than the one mapped are not counted."
            ),
            "Unknown or not-stated claims are counted."
            if self.count_unknown
            else "Unknown or not-stated claims are shown but not counted.",
            f"A gap is a component with no counted service, or none at least "
            f"{self.gap_threshold.label.lower()}.",
            "Synthetic demonstration services are included."
            if self.synthetic
            else "Synthetic demonstration services are left out.",
        ]
        return " ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "count_unknown": self.count_unknown,
            "gap_threshold": self.gap_threshold.value,
            "wider_areas": self.wider_areas,
            "synthetic": self.synthetic,
            "description": self.describe(),
        }


# --------------------------------------------------------------------------------------
# Plain input data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    dimension: str
    value: str  # yes / no / unknown / not_stated
    evidence_level: str = "self_reported"

    @cached_property
    def support(self) -> Certainty | None:
        """What the claim says for a column counting its dimension: yes gives its evidence
        level, unknown / not stated gives unknown, no gives none. (Cached: the selector
        shares one object among the services making the same claim.)"""
        if self.value == "no":
            return None
        if self.value == "yes":
            return EVIDENCE_CERTAINTY.get(self.evidence_level, Certainty.SELF_REPORTED)
        return Certainty.UNKNOWN


@dataclass(frozen=True)
class TierDefinition:
    """A partnership's agreed risk-tier definition (standards.RiskTierDefinition) as plain data.

    `updated_at` is its version: when the definition or any of its criteria last changed.
    """

    area: str  # slug of the area that agreed it
    area_name: str
    title: str
    updated_at: dt.datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "area": self.area,
            "area_name": self.area_name,
            "title": self.title,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass(frozen=True)
class CriterionCheck:
    """One criterion of a tier: met (True), not met (False) or cannot tell (None), and the
    directory data it was decided from (`detail`, e.g. "Duration: 12 weeks")."""

    criterion: str
    label: str
    met: bool | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "label": self.label,
            "met": self.met,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class TierClaimCheck:
    """A claimed tier checked against a definition (standards.checks.TierCheck, plain)."""

    tier: str  # standard / medium / high
    result: str  # meets / does_not_meet / cannot_tell
    criteria: tuple[CriterionCheck, ...]
    definition: TierDefinition

    @property
    def failed(self) -> tuple[CriterionCheck, ...]:
        return tuple(c for c in self.criteria if c.met is False)

    @property
    def undecided(self) -> tuple[CriterionCheck, ...]:
        return tuple(c for c in self.criteria if c.met is None)


MEETS, DOES_NOT_MEET, CANNOT_TELL = "meets", "does_not_meet", "cannot_tell"


@dataclass(frozen=True)
class ServiceRecord:
    """One service as mapping sees it. Built by the selector; tests build them by hand."""

    id: str
    name: str
    organisation_id: str
    organisation: str
    served_area_ids: frozenset[int]
    suite_tier: str = "not_stated"
    intervention_type: str = "not_stated"
    abuse_types: frozenset[str] = frozenset()
    claims: tuple[Claim, ...] = ()
    languages: tuple[str, ...] = ()
    provenance_source: str = "desk_review"
    confirmed_on: dt.date | None = None
    funding_ends: dt.date | None = None
    is_synthetic: bool = False
    # Areas (with everything inside them) where the service does not count, e.g. Wales for a
    # service recorded as not available in Wales.
    excluded_area_ids: frozenset[int] = frozenset()
    updated_at: dt.datetime | None = None
    # Its risk-tier claims checked against the agreed definition(s) that apply, by the
    # selector (standards). Empty when no definition applies or no tier is claimed.
    tier_checks: tuple[TierClaimCheck, ...] = ()
    # The evidence-library approach the service follows, with its ratings; None when the
    # service has no approach recorded.
    evidence: EvidenceStrength | None = None

    def claim(self, dimension: str) -> Claim | None:
        return self.claims_by_dimension.get(dimension)

    @cached_property
    def claims_by_dimension(self) -> dict[str, Claim]:
        """The first claim of each dimension (computed once: every column asks)."""
        found: dict[str, Claim] = {}
        for claim in self.claims:
            found.setdefault(claim.dimension, claim)
        return found

    @property
    def record_certainty(self) -> Certainty:
        """Certainty of the record's own fields (tier, type, abuse types, languages)."""
        if self.provenance_source == "commissioner_verified":
            return Certainty.VERIFIED
        return Certainty.SELF_REPORTED


@dataclass(frozen=True)
class District:
    """A local authority: a row of the matrix. ancestor_ids holds its own id too."""

    id: int
    slug: str
    name: str
    ancestor_ids: frozenset[int]


@dataclass(frozen=True)
class UnmetNeed:
    """Demand recorded by the One Front Door when nothing fitted (see docs/mapping.md)."""

    district: str
    column: str
    count: int


@dataclass(frozen=True)
class SourceRating:
    """One source's rating of an approach, in the source's own words (evidence library).

    `band` is the comparison band the evidence library looks up for it ("higher", "middle",
    "lower" or None when the source gave no rating); it is for comparing sources, never a score.
    """

    source: str  # the source's slug
    source_name: str
    name_as_published: str
    statement: str  # a full sentence citing the source, in its words
    rating: str = ""  # three-point label, as words ("some or mixed")
    evidence_rating: str = ""  # quality-and-impact labels, as words
    impact_rating: str = ""
    studies: tuple[int, ...] = ()
    band: str | None = None
    band_label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_name": self.source_name,
            "name_as_published": self.name_as_published,
            "rating": self.rating,
            "evidence_rating": self.evidence_rating,
            "impact_rating": self.impact_rating,
            "studies": list(self.studies),
            "statement": self.statement,
            "band": self.band,
        }


DISAGREE = "disagree"


@dataclass(frozen=True)
class EvidenceStrength:
    """An evidence-library approach with every source's rating and whether they agree.

    Never a combined score: `agreement` is the library's band comparison (`not_rated`,
    `single_source`, `agree` or `disagree`) and `spread` how many bands apart they are.
    """

    approach: str  # the approach's slug
    name: str
    ratings: tuple[SourceRating, ...]
    agreement: str
    agreement_label: str
    spread: int = 0

    @property
    def disagree(self) -> bool:
        return self.agreement == DISAGREE

    @property
    def sources(self) -> int:
        return len({r.source for r in self.ratings})

    def agreement_json(self) -> dict[str, Any]:
        return {
            "status": self.agreement,
            "label": self.agreement_label,
            "spread": self.spread,
            "sources": self.sources,
        }

    def statements(self) -> str:
        return " ".join(r.statement for r in self.ratings)


EVIDENCE_LIBRARY, REFERENCE_DATA = "evidence_library", "reference_data"


@dataclass(frozen=True)
class Approach:
    """An approach worth commissioning for a missing component.

    From the evidence library (`strength` set: every source's rating and the agreement), or,
    when the library holds no approaches, from mapping's reference data (`strength` None).
    """

    name: str
    basis: str
    evidence: str
    source: str
    strength: EvidenceStrength | None = None

    @property
    def origin(self) -> str:
        return EVIDENCE_LIBRARY if self.strength is not None else REFERENCE_DATA

    def to_json(self) -> dict[str, Any]:
        """The original four fields, then what the evidence library adds (null without it)."""
        strength = self.strength
        return {
            "name": self.name,
            "basis": self.basis,
            "evidence": self.evidence,
            "source": self.source,
            "origin": self.origin,
            "approach": strength.approach if strength else None,
            "agreement": strength.agreement_json() if strength else None,
            "ratings": [r.to_json() for r in strength.ratings] if strength else [],
        }


@dataclass(frozen=True)
class MappingInput:
    area_id: int
    area_slug: str
    area_name: str
    # The mapped area and every area inside it: a service for one of these is "area-wide",
    # a service for an area above it is "wider area".
    area_member_ids: frozenset[int]
    districts: tuple[District, ...]
    services: tuple[ServiceRecord, ...]
    as_of: dt.date
    area_slugs: Mapping[int, str] = field(default_factory=dict)
    abuse_type_names: Mapping[str, str] = field(default_factory=dict)
    approaches: Mapping[str, tuple[Approach, ...]] = field(default_factory=dict)
    stale_after_days: int = 365
    funding_horizon_days: int = 183  # six months
    # None: demand is not recorded anywhere yet (the One Front Door does not exist).
    unmet_need: tuple[UnmetNeed, ...] | None = None
    generated_at: dt.datetime | None = None
    # The agreed risk-tier definition in force for the mapped area (its own or the nearest
    # above it), or None: then questionable claims fall back to "claimed without evidence".
    tier_definition: TierDefinition | None = None


# --------------------------------------------------------------------------------------
# Columns and the signals that put a service in them
# --------------------------------------------------------------------------------------


class Signal(Protocol):
    def support(self, service: ServiceRecord) -> Certainty | None: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class ClaimSignal:
    """A claim: yes gives its evidence level, unknown / not stated gives unknown, no gives none."""

    dimension: str

    def support(self, service: ServiceRecord) -> Certainty | None:
        claim = service.claims_by_dimension.get(self.dimension)
        return None if claim is None else claim.support

    def describe(self) -> str:
        return f"claim {self.dimension} is yes"


@dataclass(frozen=True)
class FieldSignal:
    """A field of the record has one of the values (suite tier, intervention type)."""

    field: str
    values: frozenset[str]

    def support(self, service: ServiceRecord) -> Certainty | None:
        if getattr(service, self.field) in self.values:
            return service.record_certainty
        return None

    def describe(self) -> str:
        return f"{self.field.replace('_', ' ')} is {' or '.join(sorted(self.values))}"


@dataclass(frozen=True)
class AbuseTypeSignal:
    codes: frozenset[str]

    def support(self, service: ServiceRecord) -> Certainty | None:
        return service.record_certainty if service.abuse_types & self.codes else None

    def describe(self) -> str:
        return f"abuse types include {' or '.join(sorted(self.codes))}"


@dataclass(frozen=True)
class LanguageSignal:
    """The record lists a language other than English."""

    def support(self, service: ServiceRecord) -> Certainty | None:
        if any(code and code.lower() != "en" for code in service.languages):
            return service.record_certainty
        return None

    def describe(self) -> str:
        return "lists a language other than English"


COMPONENT = "component"
COHORT = "cohort"


@dataclass(frozen=True)
class Column:
    slug: str
    label: str
    group: str  # COMPONENT (the recommended suite) or COHORT
    signals: tuple[Signal, ...]

    def certainty(self, service: ServiceRecord) -> Certainty | None:
        if len(self.signals) == 1:
            return self.signals[0].support(service)
        best: Certainty | None = None
        best_rank = -1
        for signal in self.signals:
            found = signal.support(service)
            if found is not None and _RANK[found] > best_rank:
                best, best_rank = found, _RANK[found]
        return best

    def describe(self) -> str:
        return "; or ".join(signal.describe() for signal in self.signals)


def _tier(*values: str) -> FieldSignal:
    return FieldSignal("suite_tier", frozenset(values))


def _type(*values: str) -> FieldSignal:
    return FieldSignal("intervention_type", frozenset(values))


# The five components of the suite West Yorkshire 2023 recommends, then cohort provision.
# Membership rules are documented in docs/mapping.md.
COLUMNS: tuple[Column, ...] = (
    Column(
        "early_intervention",
        "Early intervention",
        COMPONENT,
        (_tier("preventative", "early_intervention"), _type("help_seeking", "early_response")),
    ),
    Column(
        "standard_risk",
        "Standard or low risk",
        COMPONENT,
        (_tier("standard_risk"), ClaimSignal("risk_standard")),
    ),
    Column(
        "medium_risk",
        "Medium risk",
        COMPONENT,
        (_tier("medium_risk"), ClaimSignal("risk_medium")),
    ),
    Column(
        "high_risk",
        "High risk or high harm",
        COMPONENT,
        (_tier("high_harm"), ClaimSignal("risk_high")),
    ),
    Column(
        "sexual_violence",
        "Sexual violence",
        COMPONENT,
        (_tier("sexual_violence"), AbuseTypeSignal(frozenset({"SV"}))),
    ),
    Column(
        "children_young_people",
        "Children and young people",
        COHORT,
        (ClaimSignal("children_young_people"),),
    ),
    Column("young_adults", "Young adults (16-24)", COHORT, (ClaimSignal("young_adults"),)),
    Column(
        "ethnic_minority", "Ethnic minority communities", COHORT, (ClaimSignal("ethnic_minority"),)
    ),
    Column("lgbtqia", "LGBTQIA+", COHORT, (ClaimSignal("lgbtqia"),)),
    Column("women_using_force", "Women using force", COHORT, (ClaimSignal("women_using_force"),)),
    Column(
        "disabled_neurodivergent",
        "Disabled and neurodivergent people",
        COHORT,
        (ClaimSignal("disabled_neurodivergent"),),
    ),
    Column(
        "language_specific",
        "Language-specific",
        COHORT,
        (ClaimSignal("language_specific"), LanguageSignal()),
    ),
)
COMPONENT_SLUGS = tuple(c.slug for c in COLUMNS if c.group == COMPONENT)

# Intervention types too vague to call two services duplicates of each other.
_NOT_A_TYPE = frozenset({"not_stated", "other", ""})
# The risk claims questioned, with the tier a risk-tier definition gives for each; and the
# suite tiers that amount to the same claims.
_RISK_CLAIMS = {"risk_high": "high", "risk_medium": "medium"}
_RISK_TIERS = {"high_harm": "risk_high", "medium_risk": "risk_medium"}


# --------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------

LOCAL, AREA_WIDE, WIDER_AREA = "local", "area_wide", "wider_area"
_REACH_RANK = {LOCAL: 2, AREA_WIDE: 1, WIDER_AREA: 0}


@dataclass
class Cell:
    district: str
    column: str
    group: str
    counts: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in CERTAINTIES})
    total: int = 0
    reach: dict[str, int] = field(default_factory=lambda: {LOCAL: 0, AREA_WIDE: 0, WIDER_AREA: 0})
    assured: int = 0
    unmet_need: int | None = None
    # indexes into MappingResult.services of the services counted in `total`
    members: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "district": self.district,
            "column": self.column,
            "group": self.group,
            "counts": dict(self.counts),
            "total": self.total,
            "assured": self.assured,
            "local": self.reach[LOCAL],
            "area_wide": self.reach[AREA_WIDE],
            "wider_area": self.reach[WIDER_AREA],
            # Counts of people from 1 to 4 are never published: null with the flag set.
            "unmet_need": None if self.unmet_need_suppressed else self.unmet_need,
            "unmet_need_suppressed": self.unmet_need_suppressed,
        }

    @property
    def unmet_need_suppressed(self) -> bool:
        return self.unmet_need is not None and 0 < self.unmet_need < 5


@dataclass(frozen=True)
class ServiceLine:
    """A service as it appears in the result: where it reaches and what it counts for."""

    id: str
    name: str
    organisation_id: str
    organisation: str
    areas: tuple[str, ...]
    suite_tier: str
    intervention_type: str
    abuse_types: tuple[str, ...]
    columns: Mapping[str, Certainty]
    districts: Mapping[str, str]  # district slug -> reach

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "organisation": self.organisation,
            "areas": list(self.areas),
            "suite_tier": self.suite_tier,
            "intervention_type": self.intervention_type,
            "abuse_types": list(self.abuse_types),
            "columns": {slug: c.value for slug, c in self.columns.items()},
        }

    def ref(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "organisation": self.organisation}


@dataclass
class MappingResult:
    area: str
    area_name: str
    rule: CountingRule
    as_of: dt.date
    generated_at: dt.datetime | None
    data_as_of: dt.datetime | None
    districts: tuple[District, ...]
    columns: tuple[Column, ...]
    services: list[ServiceLine]
    cells: dict[tuple[str, str], Cell]
    summary: dict[str, Any]
    gaps: list[dict[str, Any]]
    duplication: list[dict[str, Any]]
    questionable_claims: list[dict[str, Any]]
    fragility: dict[str, list[dict[str, Any]]]
    suite_check: list[dict[str, Any]]
    unmet_need_recorded: bool
    abuse_type_names: Mapping[str, str] = field(default_factory=dict)
    tier_definition: TierDefinition | None = None

    def cell(self, district: str, column: str) -> Cell:
        return self.cells[(district, column)]

    def rows(self) -> list[tuple[District, list[Cell]]]:
        """The matrix in display order: districts down, columns across."""
        return [(d, [self.cells[(d.slug, c.slug)] for c in self.columns]) for d in self.districts]

    def to_json(self) -> dict[str, Any]:
        """The published JSON shape (API and command). Fields are only ever added."""
        return {
            "area": self.area,
            "area_name": self.area_name,
            "counting_rule": self.rule.to_json(),
            "as_of": self.as_of.isoformat(),
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "data_as_of": self.data_as_of.isoformat() if self.data_as_of else None,
            "districts": [{"slug": d.slug, "name": d.name} for d in self.districts],
            "columns": [
                {"slug": c.slug, "label": c.label, "group": c.group, "rule": c.describe()}
                for c in self.columns
            ],
            "summary": self.summary,
            "matrix": [cell.to_json() for _d, row in self.rows() for cell in row],
            "gaps": self.gaps,
            "duplication": self.duplication,
            "questionable_claims": self.questionable_claims,
            "fragility": self.fragility,
            "suite_check": self.suite_check,
            "services": [s.to_json() for s in self.services],
            "unmet_need_recorded": self.unmet_need_recorded,
            "risk_tier_definition": self.tier_definition.to_json()
            if self.tier_definition
            else None,
        }


# --------------------------------------------------------------------------------------
# Computing
# --------------------------------------------------------------------------------------


def reach_by_district(
    service: ServiceRecord, data: MappingInput, covers: Mapping[int, Sequence[int]]
) -> dict[int, str]:
    """Which districts (by index) a service counts in, and whether locally or area-wide."""
    reach: dict[int, str] = {}
    for area_id in service.served_area_ids:
        for index in covers.get(area_id, ()):
            district = data.districts[index]
            if area_id == district.id:
                kind = LOCAL
            elif area_id in data.area_member_ids:
                kind = AREA_WIDE
            else:
                kind = WIDER_AREA
            if index not in reach or _REACH_RANK[kind] > _REACH_RANK[reach[index]]:
                reach[index] = kind
    if service.excluded_area_ids:
        for index in list(reach):
            if data.districts[index].ancestor_ids & service.excluded_area_ids:
                del reach[index]
    return reach


def _covers(districts: Sequence[District]) -> dict[int, list[int]]:
    """For each area, the districts (by index) it contains or is."""
    covers: dict[int, list[int]] = defaultdict(list)
    for index, district in enumerate(districts):
        for area_id in district.ancestor_ids:
            covers[area_id].append(index)
    return covers


@dataclass
class _Reach:
    """The districts a set of served areas reaches, and how, with the services reaching them."""

    items: tuple[tuple[int, str], ...]  # (district index, reach), by district index
    districts: dict[str, str]  # district slug -> reach, as a ServiceLine shows it
    areas: tuple[str, ...]  # the served areas' slugs, as a ServiceLine shows them
    # per column (by index): the services in it (indexes into the result's, in order) by
    # their certainty there
    tallies: list[dict[Certainty, list[int]]]

    @classmethod
    def of(
        cls, record: ServiceRecord, reach: Mapping[int, str], data: MappingInput, columns: int
    ) -> _Reach:
        items = tuple(sorted(reach.items()))
        return cls(
            items=items,
            districts={data.districts[i].slug: kind for i, kind in items},
            areas=tuple(sorted(data.area_slugs.get(a, str(a)) for a in record.served_area_ids)),
            tallies=[{} for _ in range(columns)],
        )


def _judge(column: Column) -> Callable[[ServiceRecord], Certainty | None]:
    """`column.certainty`, or the support of its only signal, which is the same answer
    without a call in between (a national mapping asks ~100,000 times)."""
    if type(column).certainty is Column.certainty and len(column.signals) == 1:
        return column.signals[0].support
    return column.certainty


QuestionableRule = Callable[[ServiceRecord], Iterable[dict[str, Any]]]


def _finding(
    claim: str,
    value: str,
    evidence_level: str,
    reason: str,
    tier: str,
    check: TierClaimCheck | None = None,
) -> dict[str, Any]:
    """One questionable claim. Keys before `basis` are the original shape and never change."""
    return {
        "claim": claim,
        "value": value,
        "evidence_level": evidence_level,
        "reason": reason,
        # what decided it: "definition" (the agreed risk-tier definition) or "evidence"
        "basis": "definition" if check is not None and reason != "no_evidence" else "evidence",
        "tier": tier,
        "definition": check.definition.to_json() if check is not None else None,
        "definition_result": check.result if check is not None else None,
        "failed_criteria": [c.to_json() for c in check.failed] if check is not None else [],
        "criteria": [c.to_json() for c in check.criteria] if check is not None else [],
    }


def _checks_for(service: ServiceRecord, tier: str) -> list[TierClaimCheck]:
    return [check for check in service.tier_checks if check.tier == tier]


def claim_against_definition(service: ServiceRecord) -> Iterable[dict[str, Any]]:
    """A medium- or high-risk claim of yes checked against the agreed risk-tier definition.

    Questionable when a criterion is not met. When the directory lacks the data to decide
    (cannot tell), the evidence test still applies: questionable if only self-reported.
    """
    for dimension, tier in _RISK_CLAIMS.items():
        claim = service.claim(dimension)
        if claim is None or claim.value != "yes":
            continue
        for check in _checks_for(service, tier):
            if check.result == DOES_NOT_MEET:
                reason = "does_not_meet_definition"
            elif check.result == CANNOT_TELL and claim.evidence_level == "self_reported":
                reason = "no_evidence"
            else:
                continue
            yield _finding(dimension, claim.value, claim.evidence_level, reason, tier, check)


def claim_without_evidence(service: ServiceRecord) -> Iterable[dict[str, Any]]:
    """A medium- or high-risk claim of yes that nobody has evidenced or verified, where no
    risk-tier definition covers that tier (otherwise `claim_against_definition` decides)."""
    for dimension, tier in _RISK_CLAIMS.items():
        claim = service.claim(dimension)
        if claim is None or claim.value != "yes" or claim.evidence_level != "self_reported":
            continue
        if _checks_for(service, tier):
            continue
        yield _finding(dimension, claim.value, claim.evidence_level, "no_evidence", tier)


def tier_without_evidence(service: ServiceRecord) -> Iterable[dict[str, Any]]:
    """Placed in the medium-risk or high-harm tier with no evidenced or verified risk claim.

    Risk-tier definitions check claims, not the suite tier field, so this is the test for a
    suite tier whatever definition applies.
    """
    dimension = _RISK_TIERS.get(service.suite_tier)
    if dimension is None or service.record_certainty is Certainty.VERIFIED:
        return
    claim = service.claim(dimension)
    if claim is not None and claim.value == "yes":
        return  # evidenced, or already reported by the claim rules
    yield _finding(
        f"suite_tier:{service.suite_tier}",
        service.suite_tier,
        "self_reported",
        "no_evidence",
        _RISK_CLAIMS[dimension],
    )


# A new test of claims is one more function here (docs/mapping.md, "Questionable claims").
QUESTIONABLE_RULES: tuple[QuestionableRule, ...] = (
    claim_against_definition,
    claim_without_evidence,
    tier_without_evidence,
)


def compute(
    data: MappingInput,
    rule: CountingRule | None = None,
    *,
    columns: Sequence[Column] = COLUMNS,
    questionable_rules: Sequence[QuestionableRule] = QUESTIONABLE_RULES,
) -> MappingResult:
    """The whole mapping of one area under one counting rule."""
    rule = rule or CountingRule()
    columns = tuple(columns)
    districts = data.districts
    covers = _covers(districts)
    cells: dict[tuple[str, str], Cell] = {
        (d.slug, c.slug): Cell(d.slug, c.slug, c.group) for d in districts for c in columns
    }
    column_cells = [[cells[(d.slug, c.slug)] for c in columns] for d in districts]
    services: list[ServiceLine] = []
    records: list[ServiceRecord] = []

    # What the rule makes of each certainty, asked once rather than once per cell.
    effects = {c: (c.value, rule.counts(c), rule.assures(c)) for c in CERTAINTIES}
    # Services serving the same areas reach the same districts: each reach is worked out
    # once, and its services are tallied per column, then added to its cells together.
    reaches: dict[tuple[frozenset[int], frozenset[int]], _Reach | None] = {}

    judges = [_judge(c) for c in columns]
    slugs = [c.slug for c in columns]
    unique_slugs = len(set(slugs)) == len(slugs)

    ordered = sorted(data.services, key=lambda s: (s.name.casefold(), s.id))
    for record in ordered:
        if record.is_synthetic and not rule.synthetic:
            continue
        key = (record.served_area_ids, record.excluded_area_ids)
        if key in reaches:
            group = reaches[key]
        else:
            reach = reach_by_district(record, data, covers)
            if not rule.wider_areas:
                reach = {i: kind for i, kind in reach.items() if kind != WIDER_AREA}
            group = reaches[key] = _Reach.of(record, reach, data, len(columns)) if reach else None
        if group is None:
            continue
        found = [judge(record) for judge in judges]
        certainties = dict(zip(slugs, found, strict=True))
        index = len(services)
        services.append(
            ServiceLine(
                id=record.id,
                name=record.name,
                organisation_id=record.organisation_id,
                organisation=record.organisation,
                areas=group.areas,
                suite_tier=record.suite_tier,
                intervention_type=record.intervention_type,
                abuse_types=tuple(sorted(record.abuse_types)),
                columns={k: v for k, v in certainties.items() if v is not None},
                districts=dict(group.districts),
            )
        )
        records.append(record)
        for tally, certainty in zip(
            group.tallies, found if unique_slugs else map(certainties.get, slugs), strict=True
        ):
            if certainty is None:
                pass
            elif certainty in tally:
                tally[certainty].append(index)
            else:
                tally[certainty] = [index]

    for group in reaches.values():
        if group is None:
            continue
        for c_index, tally in enumerate(group.tallies):
            if not tally:
                continue
            counts = [(effects[c][0], len(indexes)) for c, indexes in tally.items()]
            # every service is once in a column, so the counted ones' indexes are distinct
            members = sorted(chain.from_iterable(i for c, i in tally.items() if effects[c][1]))
            assured = sum(len(i) for c, i in tally.items() if effects[c][1] and effects[c][2])
            for d_index, kind in group.items:
                cell = column_cells[d_index][c_index]
                for value, n in counts:
                    cell.counts[value] += n
                if members:
                    cell.total += len(members)
                    cell.reach[kind] += len(members)
                    cell.assured += assured
                    cell.members += members
    # Each cell's services in the order of the result's services, as if added one by one.
    for cell in cells.values():
        cell.members.sort()

    unmet_recorded = data.unmet_need is not None
    if data.unmet_need is not None:
        for cell in cells.values():
            cell.unmet_need = 0
        for need in data.unmet_need:
            if (need.district, need.column) in cells:
                cells[(need.district, need.column)].unmet_need = (
                    cells[(need.district, need.column)].unmet_need or 0
                ) + need.count

    data_as_of = max((r.updated_at for r in records if r.updated_at is not None), default=None)
    return MappingResult(
        area=data.area_slug,
        area_name=data.area_name,
        rule=rule,
        as_of=data.as_of,
        generated_at=data.generated_at,
        data_as_of=data_as_of,
        districts=districts,
        columns=columns,
        services=services,
        cells=cells,
        summary=summarise(services, records, districts, columns, rule),
        gaps=find_gaps(cells, districts, columns),
        duplication=find_duplication(cells, services, districts, columns),
        questionable_claims=find_questionable(services, records, questionable_rules),
        fragility=find_fragility(cells, services, records, districts, columns, data),
        suite_check=suite_check(cells, districts, columns, data.approaches, records),
        unmet_need_recorded=unmet_recorded,
        abuse_type_names=dict(data.abuse_type_names),
        tier_definition=data.tier_definition,
    )


def summarise(
    services: Sequence[ServiceLine],
    records: Sequence[ServiceRecord],
    districts: Sequence[District],
    columns: Sequence[Column],
    rule: CountingRule,
) -> dict[str, Any]:
    """Headline counts a report prints, computed from the services, never typed in."""
    by_district = {d.slug: 0 for d in districts}
    by_column: dict[str, int] = {c.slug: 0 for c in columns}
    counted = {c: rule.counts(c) for c in CERTAINTIES}
    reach_kinds: Counter[str] = Counter()
    for line in services:
        for slug, certainty in line.columns.items():
            if counted[certainty]:
                by_column[slug] += 1
        reach_kinds[max(set(line.districts.values()), key=_REACH_RANK.__getitem__)] += 1
    for slug, count in Counter(chain.from_iterable(s.districts for s in services)).items():
        by_district[slug] += count
    abuse = Counter(chain.from_iterable(r.abuse_types for r in records))
    tiers = Counter(r.suite_tier for r in records)
    return {
        "services": len(services),
        "organisations": len({s.organisation_id for s in services}),
        "by_district": by_district,
        "by_abuse_type": dict(sorted(abuse.items())),
        "by_tier": {c.slug: by_column[c.slug] for c in columns if c.group == COMPONENT},
        "by_cohort": {c.slug: by_column[c.slug] for c in columns if c.group == COHORT},
        "by_suite_tier": dict(sorted(tiers.items())),
        # services that serve at least one district directly, and those that reach the
        # area's districts only as part of a wider area
        "local_services": reach_kinds[LOCAL],
        "area_wide_services": reach_kinds[AREA_WIDE],
        "wider_area_services": reach_kinds[WIDER_AREA],
    }


def find_gaps(
    cells: Mapping[tuple[str, str], Cell],
    districts: Sequence[District],
    columns: Sequence[Column],
) -> list[dict[str, Any]]:
    """District x component cells with nothing counted, or nothing at the rule's threshold."""
    gaps = []
    for district in districts:
        for column in columns:
            if column.group != COMPONENT:
                continue
            cell = cells[(district.slug, column.slug)]
            if cell.total == 0:
                kind = "no_provision"
            elif cell.assured == 0:
                kind = "unverified_only"
            else:
                continue
            gaps.append(
                {
                    "district": district.slug,
                    "component": column.slug,
                    "kind": kind,
                    "services": cell.total,
                    "unknown": cell.counts[Certainty.UNKNOWN.value],
                }
            )
    return gaps


def find_duplication(
    cells: Mapping[tuple[str, str], Cell],
    services: Sequence[ServiceLine],
    districts: Sequence[District],
    columns: Sequence[Column],
) -> list[dict[str, Any]]:
    """Two or more counted services of the same intervention type for a component in a district."""
    found = []
    # Per service, once: its intervention type (None when too vague to compare) and ref.
    types = [None if s.intervention_type in _NOT_A_TYPE else s.intervention_type for s in services]
    refs = [s.ref() for s in services]
    for district in districts:
        for column in columns:
            if column.group != COMPONENT:
                continue
            by_type: dict[str, list[int]] = defaultdict(list)
            for index in cells[(district.slug, column.slug)].members:
                itype = types[index]
                if itype is not None:
                    by_type[itype].append(index)
            for itype, indexes in sorted(by_type.items()):
                if len(indexes) >= 2:
                    found.append(
                        {
                            "district": district.slug,
                            "component": column.slug,
                            "intervention_type": itype,
                            "services": [refs[i].copy() for i in indexes],
                        }
                    )
    return found


def find_questionable(
    services: Sequence[ServiceLine],
    records: Sequence[ServiceRecord],
    rules: Sequence[QuestionableRule],
) -> list[dict[str, Any]]:
    """Claims to medium- or high-risk work that the partnership cannot rely on: not meeting
    its agreed risk-tier definition where one applies, otherwise claimed without evidence."""
    found = []
    for line, record in zip(services, records, strict=True):
        for check in rules:
            for item in check(record):
                found.append(
                    {"service": line.id, "name": line.name, "organisation": line.organisation}
                    | item
                )
    return found


def find_fragility(
    cells: Mapping[tuple[str, str], Cell],
    services: Sequence[ServiceLine],
    records: Sequence[ServiceRecord],
    districts: Sequence[District],
    columns: Sequence[Column],
    data: MappingInput,
) -> dict[str, list[dict[str, Any]]]:
    """Funding ending within the horizon, records not confirmed lately, single-provider cells."""
    horizon = data.as_of + dt.timedelta(days=data.funding_horizon_days)
    stale_before = data.as_of - dt.timedelta(days=data.stale_after_days)
    funding, unconfirmed = [], []
    for line, record in zip(services, records, strict=True):
        if record.funding_ends is not None and record.funding_ends <= horizon:
            funding.append(
                {
                    "service": line.id,
                    "name": line.name,
                    "organisation": line.organisation,
                    "funding_ends": record.funding_ends.isoformat(),
                    "ended": record.funding_ends < data.as_of,
                }
            )
        if record.confirmed_on is None or record.confirmed_on < stale_before:
            unconfirmed.append(
                {
                    "service": line.id,
                    "name": line.name,
                    "organisation": line.organisation,
                    "confirmed_on": record.confirmed_on.isoformat()
                    if record.confirmed_on
                    else None,
                }
            )
    single = []
    organisation_of = [line.organisation_id for line in services]
    for district in districts:
        for column in columns:
            if column.group != COMPONENT:
                continue
            members = cells[(district.slug, column.slug)].members
            organisations = {organisation_of[i] for i in members}
            if len(organisations) == 1:
                single.append(
                    {
                        "district": district.slug,
                        "component": column.slug,
                        "organisation": services[members[0]].organisation,
                        "services": len(members),
                    }
                )
    funding.sort(key=lambda f: (f["funding_ends"], f["name"]))
    return {"funding_ending": funding, "unconfirmed": unconfirmed, "single_provider": single}


def suite_check(
    cells: Mapping[tuple[str, str], Cell],
    districts: Sequence[District],
    columns: Sequence[Column],
    approaches: Mapping[str, tuple[Approach, ...]],
    records: Sequence[ServiceRecord] = (),
) -> list[dict[str, Any]]:
    """Per district, which suite components exist; for a missing one, what to commission; for
    a present one, the evidence for the approaches its counted services follow.

    `records` are the counted services' records, in the order of the cells' `members`.
    """
    out = []
    for district in districts:
        components = []
        for column in columns:
            if column.group != COMPONENT:
                continue
            cell = cells[(district.slug, column.slug)]
            present = cell.total > 0
            in_use, unlinked = _approaches_in_use(cell, records)
            components.append(
                {
                    "component": column.slug,
                    "present": present,
                    "assured": cell.assured > 0,
                    "recommended": []
                    if present
                    else [a.to_json() for a in approaches.get(column.slug, ())],
                    "in_use": in_use,
                    "services_without_approach": unlinked,
                }
            )
        out.append(
            {
                "district": district.slug,
                "present": sum(1 for c in components if c["present"]),
                "of": len(components),
                "components": components,
            }
        )
    return out


def _approaches_in_use(
    cell: Cell, records: Sequence[ServiceRecord]
) -> tuple[list[dict[str, Any]], int]:
    """The approaches the cell's counted services follow, each with every source's rating,
    and how many counted services have no approach recorded."""
    if not records:
        return [], 0
    by_approach: dict[str, tuple[EvidenceStrength, list[ServiceRecord]]] = {}
    unlinked = 0
    for index in cell.members:
        record = records[index]
        if record.evidence is None:
            unlinked += 1
            continue
        entry = by_approach.setdefault(record.evidence.approach, (record.evidence, []))
        entry[1].append(record)
    in_use = [
        {
            "approach": strength.approach,
            "name": strength.name,
            "agreement": strength.agreement_json(),
            "ratings": [r.to_json() for r in strength.ratings],
            "services": [
                {"id": r.id, "name": r.name, "organisation": r.organisation} for r in services
            ],
        }
        for strength, services in sorted(
            by_approach.values(), key=lambda item: (item[0].name, item[0].approach)
        )
    ]
    return in_use, unlinked


# --------------------------------------------------------------------------------------
# Comparing two saved results
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    gaps_closed: list[dict[str, Any]]
    gaps_opened: list[dict[str, Any]]
    gaps_changed: list[dict[str, Any]]
    services_added: list[dict[str, Any]]
    services_lost: list[dict[str, Any]]
    rule_changed: bool
    area_changed: bool

    @property
    def unchanged(self) -> bool:
        return not (
            self.gaps_closed
            or self.gaps_opened
            or self.gaps_changed
            or self.services_added
            or self.services_lost
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "gaps_closed": self.gaps_closed,
            "gaps_opened": self.gaps_opened,
            "gaps_changed": self.gaps_changed,
            "services_added": self.services_added,
            "services_lost": self.services_lost,
            "rule_changed": self.rule_changed,
            "area_changed": self.area_changed,
        }


def compare(before: Mapping[str, Any], after: Mapping[str, Any]) -> Comparison:
    """What changed between two mapping JSONs: gaps closed and opened, services added and lost."""

    def gap_index(payload: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
        return {(g["district"], g["component"]): g for g in payload.get("gaps", [])}

    def service_index(payload: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in payload.get("services", [])}

    old_gaps, new_gaps = gap_index(before), gap_index(after)
    old_services, new_services = service_index(before), service_index(after)

    def gap_ref(key: tuple[str, str], gap: Mapping[str, Any]) -> dict[str, Any]:
        return {"district": key[0], "component": key[1], "kind": gap["kind"]}

    def service_ref(service: Mapping[str, Any]) -> dict[str, Any]:
        return {k: service[k] for k in ("id", "name", "organisation") if k in service}

    rule_keys = ("count_unknown", "gap_threshold", "wider_areas", "synthetic")
    old_rule, new_rule = before.get("counting_rule", {}), after.get("counting_rule", {})
    return Comparison(
        gaps_closed=[gap_ref(k, g) for k, g in sorted(old_gaps.items()) if k not in new_gaps],
        gaps_opened=[gap_ref(k, g) for k, g in sorted(new_gaps.items()) if k not in old_gaps],
        gaps_changed=[
            {"district": k[0], "component": k[1], "from": g["kind"], "to": new_gaps[k]["kind"]}
            for k, g in sorted(old_gaps.items())
            if k in new_gaps and new_gaps[k]["kind"] != g["kind"]
        ],
        services_added=[
            service_ref(s)
            for sid, s in sorted(new_services.items(), key=lambda i: i[1].get("name", ""))
            if sid not in old_services
        ],
        services_lost=[
            service_ref(s)
            for sid, s in sorted(old_services.items(), key=lambda i: i[1].get("name", ""))
            if sid not in new_services
        ],
        rule_changed=any(old_rule.get(k) != new_rule.get(k) for k in rule_keys),
        area_changed=before.get("area") != after.get("area"),
    )


# --------------------------------------------------------------------------------------
# What the public may see of a saved result
# --------------------------------------------------------------------------------------

PUBLIC_SUMMARY_FIGURES = (
    "services",
    "organisations",
    "by_district",
    "by_abuse_type",
    "by_tier",
    "by_cohort",
    "local_services",
    "area_wide_services",
    "wider_area_services",
)


def public_summary(
    payload: Mapping[str, Any], *, abuse_type_names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The public part of a saved mapping JSON: headline figures and gaps, nothing else.

    Built by listing what to keep, never by removing what not to, so a field added to the
    mapping later stays private until someone decides otherwise. No service, provider,
    claim, fragility finding or evidence rating is kept: the public summary says where
    provision is and is not, never how well anything works.
    """
    summary = payload.get("summary", {})
    names = dict(abuse_type_names or {})
    columns = [c for c in payload.get("columns", []) if c.get("group") in (COMPONENT, COHORT)]
    rule = payload.get("counting_rule", {})
    return {
        "area": payload.get("area", ""),
        "area_name": payload.get("area_name", ""),
        "as_of": payload.get("as_of"),
        "data_as_of": payload.get("data_as_of"),
        "counting_rule": {
            "gap_threshold": rule.get("gap_threshold"),
            "description": rule.get("description", ""),
        },
        "districts": [{"slug": d["slug"], "name": d["name"]} for d in payload.get("districts", [])],
        "columns": [{"slug": c["slug"], "label": c["label"], "group": c["group"]} for c in columns],
        "summary": {key: summary.get(key) for key in PUBLIC_SUMMARY_FIGURES if key in summary},
        "abuse_type_names": {
            code: names.get(code, code) for code in summary.get("by_abuse_type", {})
        },
        "gaps": [
            {"district": g["district"], "component": g["component"], "kind": g["kind"]}
            for g in payload.get("gaps", [])
        ],
    }


# --------------------------------------------------------------------------------------
# A provider's own place in the matrix
# --------------------------------------------------------------------------------------


def provider_place(result: MappingResult, organisation_ids: Iterable[str]) -> dict[str, Any]:
    """Only what concerns the given organisations' services: where each counts, with how many
    services share each cell, and the questionable claims and fragility of their own records.
    Other providers' services are never named."""
    own = {str(o) for o in organisation_ids}
    own_indexes = [i for i, s in enumerate(result.services) if s.organisation_id in own]
    own_ids = {result.services[i].id for i in own_indexes}
    places = []
    for index in own_indexes:
        line = result.services[index]
        cells = []
        for district_slug, reach in line.districts.items():
            for column in result.columns:
                certainty = line.columns.get(column.slug)
                if certainty is None:
                    continue
                cell = result.cells[(district_slug, column.slug)]
                others = {result.services[i].organisation_id for i in cell.members if i != index}
                cells.append(
                    {
                        "district": district_slug,
                        "column": column.slug,
                        "certainty": certainty.value,
                        "counted": result.rule.counts(certainty),
                        "reach": reach,
                        "services_in_cell": cell.total,
                        "only_provider": bool(cell.total) and not (others - own),
                    }
                )
        places.append({"service": line.to_json(), "cells": cells})
    return {
        "services": places,
        "questionable_claims": [q for q in result.questionable_claims if q["service"] in own_ids],
        "funding_ending": [
            f for f in result.fragility["funding_ending"] if f["service"] in own_ids
        ],
        "unconfirmed": [f for f in result.fragility["unconfirmed"] if f["service"] in own_ids],
    }
