"""Explainable matching for the One Front Door. Pure Python: no database, no Django.

`match(need, services)` puts every service in scope in exactly one of two lists:

- **eligible**, ranked, each with the plain-English reasons it fits, or
- **excluded**, by the FIRST rule in `RULES` it fails, with a detail saying why.

Facts about the person that are missing (age not known, gender not said, no abuse types,
no circumstances) never exclude a service. A claim the service has not made is a different
matter: a service is matched for a risk tier only when it claims "yes" for that tier.

Ranking is a whole-number score (see `SCORE_*` below and docs/front-door-matching.md),
highest first, ties broken by name (case-folded) and then id, so the same input always
gives the same order whatever order the services came in.

The selectors in `referrals.selectors.matching` build `Need` and `ServiceFacts` from the
database; everything here is precomputed plain data, so one referral against 10,000
services is a single pass of set and dict look-ups.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from typing import Any, NamedTuple

# --------------------------------------------------------------------------------------
# Rules, in the order they are tried
# --------------------------------------------------------------------------------------

AREA_NOT_SERVED = "area_not_served"
TIER_NOT_ACCEPTED = "tier_not_accepted"
AGE = "age"
GENDER = "gender"
ABUSE_TYPE = "abuse_type"
REFERRAL_ROUTE = "referral_route"
SELF_REFERRAL_NOT_ACCEPTED = "self_referral_not_accepted"
CAPACITY_CLOSED = "capacity_closed"
REFERRAL_QUOTA = "referral_quota"
EXCLUSION_CRITERION = "exclusion_criterion"
NO_VICTIM_SUPPORT = "no_victim_support"

RULES: tuple[tuple[str, str], ...] = (
    (AREA_NOT_SERVED, "The service does not cover the person's area"),
    (
        TIER_NOT_ACCEPTED,
        "The service does not work with the person's risk tier, or it is not known that it does",
    ),
    (AGE, "The person's age is outside the ages the service works with"),
    (GENDER, "The service does not work with people of the person's gender"),
    (ABUSE_TYPE, "The service does not work with the kinds of abuse in the referral"),
    (REFERRAL_ROUTE, "The service does not take referrals from this kind of referrer"),
    (SELF_REFERRAL_NOT_ACCEPTED, "The service is not known to accept self-referrals"),
    (CAPACITY_CLOSED, "The service is closed to referrals"),
    (REFERRAL_QUOTA, "The service already takes as many self-referrals as it agreed to"),
    (
        EXCLUSION_CRITERION,
        "The person's circumstances meet one of the service's exclusion criteria",
    ),
    (
        NO_VICTIM_SUPPORT,
        "No integrated support for the victim-survivor is known to come with the service",
    ),
)
RULE_LABELS: Mapping[str, str] = MappingProxyType(dict(RULES))
RULE_ORDER: Mapping[str, int] = MappingProxyType({code: i for i, (code, _) in enumerate(RULES)})

# --------------------------------------------------------------------------------------
# Vocabulary (codes as `referrals.reference` and `directory.models` define them; a test
# keeps the two in step)
# --------------------------------------------------------------------------------------

ROUTE_SELF = "self"
ROUTE_AGENCY = "agency"

# Risk tier -> the service claim that says it works with that tier.
TIER_DIMENSIONS: Mapping[str, str] = MappingProxyType(
    {"standard_risk": "risk_standard", "medium_risk": "risk_medium", "high_risk": "risk_high"}
)
TIER_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "standard_risk": "standard or low-risk",
        "medium_risk": "medium-risk",
        "high_risk": "high-risk",
    }
)

# Cohorts with specific provision, in the order reasons list them ("adults" is general
# provision, not a specialism, and earns nothing).
SPECIALIST_COHORTS: Mapping[str, str] = MappingProxyType(
    {
        "children_young_people": "children and young people",
        "young_adults": "young adults (16-24)",
        "ethnic_minority": "ethnic minority communities",
        "lgbtqia": "LGBTQIA+ people",
        "women_using_force": "women using force",
        "disabled_neurodivergent": "disabled and neurodivergent people",
        "language_specific": "people whose first language is not English",
    }
)
COHORTS: tuple[str, ...] = ("adults", *SPECIALIST_COHORTS)

# The genders services record (referrals.reference.SERVICE_GENDER_CODES).
SERVICE_GENDERS: Mapping[str, str] = MappingProxyType(
    {"man": "men", "woman": "women", "non_binary": "non-binary people"}
)
_GENDER_WORDS = {
    "man": "man",
    "men": "man",
    "male": "man",
    "males": "man",
    "boy": "man",
    "boys": "man",
    "woman": "woman",
    "women": "woman",
    "female": "woman",
    "females": "woman",
    "girl": "woman",
    "girls": "woman",
    "non binary": "non_binary",
    "nonbinary": "non_binary",
    "non binary people": "non_binary",
}
_ALL_GENDERS = frozenset({"all", "any", "everyone", "all genders", "any gender"})

_EVIDENCE_LEVEL_WORDS = {
    "self_reported": "self-reported",
    "evidenced": "evidenced",
    "verified": "commissioner-verified",
}
# Evidence bands as `evidence.scales.Band` numbers them (3 is strongest).
_BAND_WORDS = {
    3: "higher (good or high)",
    2: "middle (some, mixed or moderate)",
    1: "lower (poor, negative or low)",
}
_CAPACITY_WORDS = {"open": "Open to referrals", "limited": "Limited places"}

# --------------------------------------------------------------------------------------
# The score (documented in docs/front-door-matching.md)
# --------------------------------------------------------------------------------------

SCORE_COHORT = 30  # each of the person's specialist cohorts the service claims "yes" for
SCORE_LANGUAGE = 20  # works in the person's language, when that is not English
SCORE_EVIDENCE = MappingProxyType({3: 15, 2: 8, 1: 0})  # weakest band any source gives
SCORE_ACCREDITED = 10  # an accreditation is recorded
SCORE_TIER_EVIDENCE = MappingProxyType({"verified": 10, "evidenced": 5, "self_reported": 0})
SCORE_WAIT_MAX = 10  # minus one a week of waiting; nothing when the wait is not known
SCORE_CAPACITY = MappingProxyType({"open": 5, "limited": 2})
SCORE_ABUSE_TYPE = 5  # names at least one of the person's abuse types (not just "any")
SCORE_LOCAL = 5  # names the person's own area, not only a wider area around it

# --------------------------------------------------------------------------------------
# Inputs and outputs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Need:
    """What one referral (or a what-if question) asks for, as the engine sees it.

    `area_ids` is the area and every area above it: a service serving any of them serves
    the person. `area_descendant_ids` is set only for a what-if on a wider area (a county,
    a combined authority): a service serving part of it counts, and says which part.
    `route` is "self", "agency", or "" when a what-if does not say; `source` is a
    referral-routes code. `labels` maps "taxonomy:code" and "area:<id>" to names for the
    reasons; anything missing is shown by its code.
    """

    tier: str
    area_ids: frozenset[int]
    area_id: int | None = None
    area_slug: str = ""
    area_name: str = ""
    area_descendant_ids: frozenset[int] = frozenset()
    route: str = ""
    source: str = ""
    age: int | None = None
    gender: str = ""
    cohorts: frozenset[str] = frozenset()
    abuse_types: frozenset[str] = frozenset()
    language: str = ""
    circumstances: frozenset[str] = frozenset()
    labels: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def label(self, key: str) -> str:
        """The name for a "taxonomy:code" or "area:<id>" key, or the code itself."""
        return self.labels.get(key) or key.split(":", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        """The dimensions matched on, as plain JSON (stored on MatchRun.need)."""
        return {
            "area": self.area_slug,
            "area_name": self.area_name,
            "wider_area": bool(self.area_descendant_ids),
            "tier": self.tier,
            "route": self.route,
            "source": self.source,
            "age": self.age,
            "gender": self.gender,
            "cohorts": sorted(self.cohorts),
            "abuse_types": sorted(self.abuse_types),
            "language": self.language,
            "circumstances": sorted(self.circumstances),
        }


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """Everything a rule or the score needs about one service, precomputed.

    `claims` maps a claim dimension to its value (yes, no, unknown, not_stated) and
    `claim_levels` to its evidence level. `genders` holds codes from `SERVICE_GENDERS`
    (empty: no restriction; see `service_genders`). `recent_referrals` and
    `recent_self_referrals` count referrals sent to the service in the quota window.
    `evidence_band` is the weakest band (1-3) any source gives the approach it follows.
    """

    id: Any
    name: str
    organisation: str
    area_ids: frozenset[int]
    claims: Mapping[str, str] = field(default_factory=dict)
    claim_levels: Mapping[str, str] = field(default_factory=dict)
    min_age: int | None = None
    max_age: int | None = None
    genders: frozenset[str] = frozenset()
    abuse_types: frozenset[str] = frozenset()
    referral_routes: frozenset[str] = frozenset()
    exclusion_criteria: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    capacity_status: str = "unknown"
    status: str = "active"
    waiting_weeks: int | None = None
    accreditation: str = ""
    integrated_victim_support: str = "not_stated"
    victim_support_partner: str = ""
    self_referral_max_percent: int | None = None
    recent_referrals: int = 0
    recent_self_referrals: int = 0
    evidence_approach: str = ""
    evidence_band: int | None = None
    evidence_disagree: bool = False
    # Name case-folded, then id, as one string: the tie-break, made once with the facts.
    # (One string sorts far faster than a tuple of two.)
    sort_key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sort_key", f"{self.name.casefold()}\x00{self.id}")

    @property
    def self_referral_share(self) -> float | None:
        """Self-referrals as a percentage of referrals sent in the window, or None if none."""
        if not self.recent_referrals:
            return None
        return 100.0 * self.recent_self_referrals / self.recent_referrals


class Outcome(NamedTuple):
    """One service's result: eligible (rank, score, reasons) or excluded (rule, detail).

    Immutable like the dataclasses here, but a named tuple: a match makes one per service
    in scope, and a tuple is built several times faster than a frozen dataclass."""

    service_id: Any
    name: str
    organisation: str
    eligible: bool
    rank: int | None = None
    reasons: tuple[str, ...] = ()
    rule: str = ""
    detail: str = ""
    score: int = 0

    def to_json(self) -> dict[str, Any]:
        """The outcome as the CLI and the API print it."""
        if self.eligible:
            return {
                "rank": self.rank,
                "id": str(self.service_id),
                "name": self.name,
                "organisation": self.organisation,
                "score": self.score,
                "reasons": list(self.reasons),
            }
        return {
            "id": str(self.service_id),
            "name": self.name,
            "organisation": self.organisation,
            "rule": self.rule,
            "rule_label": RULE_LABELS[self.rule],
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Eligible services in rank order, excluded ones by rule order then name; unmet when
    nothing is eligible."""

    eligible: tuple[Outcome, ...]
    excluded: tuple[Outcome, ...]
    unmet: bool

    def excluded_by_rule(self) -> dict[str, int]:
        """How many services each rule excluded (rules that excluded none are left out)."""
        counts: dict[str, int] = {}
        for outcome in self.excluded:
            counts[outcome.rule] = counts.get(outcome.rule, 0) + 1
        return counts


def result_json(need: Need, result: MatchResult) -> dict[str, Any]:
    """The what-if answer shared by `pathways match --format json` and GET /api/v1/match/."""
    return {
        "need": need.to_json(),
        "eligible": [outcome.to_json() for outcome in result.eligible],
        "excluded": [outcome.to_json() for outcome in result.excluded],
        "unmet": result.unmet,
    }


# --------------------------------------------------------------------------------------
# Helpers the selectors use to precompute facts
# --------------------------------------------------------------------------------------


def service_genders(values: Iterable[Any] | None) -> frozenset[str]:
    """The gender codes a service's `genders_served` list means; empty means anyone.

    The list is free text in published records and imports ("men", "Male", "women",
    "non-binary", "all"), so words are folded onto the codes. "All" or "any" means no
    restriction, and so does a list with no word we recognise: an unreadable restriction
    must not turn people away.
    """
    codes: set[str] = set()
    for value in values or ():
        word = " ".join(str(value).lower().replace("_", " ").replace("-", " ").split())
        if word in _ALL_GENDERS:
            return frozenset()
        code = _GENDER_WORDS.get(word)
        if code is not None:
            codes.add(code)
    return frozenset(codes)


# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _ages(s: ServiceFacts) -> str:
    if s.min_age is not None and s.max_age is not None:
        return f"aged {s.min_age} to {s.max_age}"
    if s.min_age is not None:
        return f"aged {s.min_age} and over"
    return f"aged up to {s.max_age}"


def _genders(codes: frozenset[str]) -> str:
    return _join([SERVICE_GENDERS[c] for c in SERVICE_GENDERS if c in codes])


def _lower_first(name: str) -> str:
    """ "Domestic abuse" -> "domestic abuse" for the middle of a sentence; "MARAC" stays."""
    if len(name) > 1 and name[1].isupper():
        return name
    return name[:1].lower() + name[1:]


def _terms(need: Need, taxonomy: str, codes: Iterable[str]) -> str:
    """Names for taxonomy codes, in code order, for the middle of a sentence. A code with no
    name is shown as it is."""
    names = []
    for code in sorted(codes):
        name = need.labels.get(f"{taxonomy}:{code}")
        names.append(_lower_first(name) if name else code)
    return _join(names)


def _area_reason(need: Need, s: ServiceFacts) -> tuple[str, bool]:
    """Why the service covers the area, and whether it names the area itself."""
    if need.area_id is not None and need.area_id in s.area_ids:
        return f"Serves {need.area_name}", True
    wider = sorted(need.label(f"area:{a}") for a in s.area_ids if a in need.area_ids)
    if wider:
        return f"Serves {_join(wider)}, which includes {need.area_name}", False
    parts = sorted(need.label(f"area:{a}") for a in s.area_ids if a in need.area_descendant_ids)
    return f"Serves part of {need.area_name}: {_join(parts)}", True


def _victim_support_detail(s: ServiceFacts) -> str:
    value = s.integrated_victim_support
    if value == "none":
        return "No integrated support for the victim-survivor comes with this service"
    if value == "partner":
        return (
            "Integrated victim-survivor support is said to come from a partner, "
            "but no partner organisation is named"
        )
    return "Not known whether integrated support for the victim-survivor comes with it"


def _eligible(need: Need, s: ServiceFacts, tier_dim: str) -> tuple[int, tuple[str, ...]]:
    """The score and the reasons for a service every rule let through."""
    reasons: list[str] = []
    score = 0
    level = s.claim_levels.get(tier_dim, "self_reported")
    score += SCORE_TIER_EVIDENCE.get(level, 0)
    reasons.append(
        f"Works with {TIER_WORDS[need.tier]} perpetrators "
        f"({_EVIDENCE_LEVEL_WORDS.get(level, level)})"
    )
    area_reason, local = _area_reason(need, s)
    reasons.append(area_reason)
    if local:
        score += SCORE_LOCAL
    shared = need.abuse_types & s.abuse_types
    if shared:
        score += SCORE_ABUSE_TYPE
        reasons.append(f"Works with {_terms(need, 'abuse-types', shared)}")
    if need.route == ROUTE_SELF:
        reasons.append("Accepts self-referrals")
        if s.self_referral_max_percent is not None:
            share = s.self_referral_share or 0.0
            reasons.append(
                f"Self-referrals are {share:.0f}% of its recent referrals, "
                f"below its limit of {s.self_referral_max_percent}%"
            )
    elif need.source and need.source in s.referral_routes:
        reasons.append(f"Takes referrals from {_terms(need, 'referral-routes', (need.source,))}")
    for cohort, words in SPECIALIST_COHORTS.items():
        if cohort in need.cohorts and s.claims.get(cohort) == "yes":
            score += SCORE_COHORT
            reasons.append(f"Specific provision for {words}")
    if need.language and need.language != "en" and need.language in s.languages:
        score += SCORE_LANGUAGE
        reasons.append(f"Works in the person's language ({need.language})")
    if s.integrated_victim_support == "own":
        reasons.append("Gives the victim-survivor integrated support itself")
    else:
        reasons.append(f"Integrated victim-survivor support from {s.victim_support_partner}")
    capacity = _CAPACITY_WORDS.get(s.capacity_status)
    score += SCORE_CAPACITY.get(s.capacity_status, 0)
    reasons.append(capacity or "Capacity not known")
    if s.waiting_weeks is None:
        reasons.append("Waiting time not known")
    else:
        score += max(0, SCORE_WAIT_MAX - s.waiting_weeks)
        reasons.append(
            "No waiting list"
            if s.waiting_weeks == 0
            else f"Waiting time about {s.waiting_weeks} week{'s' if s.waiting_weeks != 1 else ''}"
        )
    if s.evidence_approach:
        if s.evidence_band is None:
            reasons.append(f"Follows {s.evidence_approach}, which no source has rated")
        else:
            score += SCORE_EVIDENCE.get(s.evidence_band, 0)
            words = _BAND_WORDS.get(s.evidence_band, str(s.evidence_band))
            reasons.append(
                f"Follows {s.evidence_approach}: sources disagree, the weakest rating is {words}"
                if s.evidence_disagree
                else f"Follows {s.evidence_approach}: evidence rated {words}"
            )
    else:
        reasons.append("No evidence-based approach recorded")
    if s.accreditation:
        score += SCORE_ACCREDITED
        reasons.append(f"Accredited: {s.accreditation}")
    return score, tuple(reasons)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while a match builds its outcomes.

    A match against 10,000 services makes 10,000 small immutable records that outlive the
    loop. Each 700 of them would start a collection, and every few matches a full one that
    walks the whole process heap (tens of milliseconds), which is where the slow runs came
    from. The records cannot form cycles, reference counting frees them as usual, and the
    collector is switched back on afterwards unless something else had switched it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def match(need: Need, services: Iterable[ServiceFacts]) -> MatchResult:
    """Match one need against services: each eligible (ranked, with reasons) or excluded by
    the first failing rule in `RULES`. Deterministic, and independent of input order."""
    with _cycle_collector_paused():
        return _match(need, services)


def _match(need: Need, services: Iterable[ServiceFacts]) -> MatchResult:
    tier_dim = TIER_DIMENSIONS.get(need.tier)
    if tier_dim is None:
        raise ValueError(f"Unknown risk tier {need.tier!r}")
    tier_words = TIER_WORDS[need.tier]
    area_ids = need.area_ids
    below = need.area_descendant_ids
    age = need.age
    gender = need.gender if need.gender in SERVICE_GENDERS else ""
    abuse = need.abuse_types
    is_self = need.route == ROUTE_SELF
    agency_source = need.source if need.route == ROUTE_AGENCY else ""
    circumstances = need.circumstances
    # Details shared by many services are made once.
    not_served = f"Does not serve {need.area_name or 'the area'}"
    tier_no = f"Does not work with {tier_words} perpetrators"
    tier_unknown = f"Not known whether it works with {tier_words} perpetrators"
    closed = "Closed to referrals"
    temporarily_closed = "Temporarily closed"

    eligible: list[tuple[int, str, ServiceFacts, tuple[str, ...]]] = []
    # Excluded services go in one list per rule (so the lists are in rule order) and their
    # details in a dict by object id: no tuple per service until the outcomes are made.
    excluded: list[list[ServiceFacts]] = [[] for _ in RULES]
    details: dict[int, str] = {}
    for s in services:
        rule = detail = ""
        served = s.area_ids
        if area_ids.isdisjoint(served) and (not below or below.isdisjoint(served)):
            rule, detail = AREA_NOT_SERVED, not_served
        elif (claim := s.claims.get(tier_dim)) != "yes":
            rule = TIER_NOT_ACCEPTED
            if claim == "no":
                detail = tier_no
            else:
                detail = (
                    f"{tier_unknown} (its claim is {(claim or 'not_stated').replace('_', ' ')})"
                )
        elif age is not None and (
            (s.min_age is not None and age < s.min_age)
            or (s.max_age is not None and age > s.max_age)
        ):
            rule, detail = AGE, f"Works with people {_ages(s)}; the person is {age}"
        elif gender and s.genders and gender not in s.genders:
            rule, detail = GENDER, f"Works with {_genders(s.genders)} only"
        elif abuse and s.abuse_types and abuse.isdisjoint(s.abuse_types):
            rule = ABUSE_TYPE
            detail = (
                f"Works with {_terms(need, 'abuse-types', s.abuse_types)}, "
                f"not {_terms(need, 'abuse-types', abuse)}"
            )
        elif agency_source and s.referral_routes and agency_source not in s.referral_routes:
            rule = REFERRAL_ROUTE
            detail = (
                f"Does not take referrals from {_terms(need, 'referral-routes', (agency_source,))} "
                f"(takes referrals from {_terms(need, 'referral-routes', s.referral_routes)})"
            )
        elif (
            is_self
            and s.claims.get("self_referral") != "yes"
            and ROUTE_SELF not in s.referral_routes
        ):
            rule = SELF_REFERRAL_NOT_ACCEPTED
            detail = (
                "Does not accept self-referrals"
                if s.claims.get("self_referral") == "no"
                else "Not known to accept self-referrals: it makes no claim that it does "
                "and self-referral is not among its referral routes"
            )
        elif s.capacity_status == "closed" or s.status == "temporarily closed":
            rule = CAPACITY_CLOSED
            detail = closed if s.capacity_status == "closed" else temporarily_closed
        elif (
            is_self
            and s.self_referral_max_percent is not None
            and s.recent_referrals
            and 100 * s.recent_self_referrals >= s.self_referral_max_percent * s.recent_referrals
        ):
            rule = REFERRAL_QUOTA
            detail = (
                f"Takes at most {s.self_referral_max_percent}% self-referrals; "
                f"{s.self_referral_share:.0f}% of the referrals sent to it recently were "
                f"self-referrals"
            )
        elif circumstances and not circumstances.isdisjoint(s.exclusion_criteria):
            rule = EXCLUSION_CRITERION
            detail = "Cannot work with people with: " + _terms(
                need, "exclusion-criteria", circumstances & s.exclusion_criteria
            )
        elif not (
            s.integrated_victim_support == "own"
            or (s.integrated_victim_support == "partner" and s.victim_support_partner.strip())
        ):
            rule, detail = NO_VICTIM_SUPPORT, _victim_support_detail(s)
        if rule:
            excluded[RULE_ORDER[rule]].append(s)
            details[id(s)] = detail
            continue
        score, reasons = _eligible(need, s, tier_dim)
        eligible.append((-score, s.sort_key, s, reasons))

    eligible.sort(key=_eligible_key)
    ranked = tuple(
        Outcome(s.id, s.name, s.organisation, True, rank, reasons, "", "", -neg_score)
        for rank, (neg_score, _key, s, reasons) in enumerate(eligible, start=1)
    )
    out: list[Outcome] = []
    new = tuple.__new__  # Outcome(...) without the keyword-handling layer: 4x faster
    for (rule, _label), bucket in zip(RULES, excluded, strict=True):
        # A stable sort on (name, id): input order only ever separates copies of one service.
        bucket.sort(key=_SORT_KEY)
        out.extend(
            [
                new(
                    Outcome,
                    (s.id, s.name, s.organisation, False, None, (), rule, details[id(s)], 0),
                )
                for s in bucket
            ]
        )
    return MatchResult(eligible=ranked, excluded=tuple(out), unmet=not ranked)


def _eligible_key(row: tuple[int, str, ServiceFacts, tuple[str, ...]]) -> tuple[int, str]:
    return row[0], row[1]


_SORT_KEY = attrgetter("sort_key")
