"""What `pathways synth` makes, as plain rows: pure, deterministic for a seed and a date.

Nothing here touches the database. Rows refer to areas by slug, taxonomy terms by code and
each other by identifiers drawn from the seed, so the same seed and `as_of` give the same
rows byte for byte (tests/synth checks it). `synth.write` resolves and inserts them.

Each kind of row draws from its own random stream (seed + name), so adding a field to
referrals does not change the services a seed makes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .geography import SYN, Geography, plan_geography
from .incidents import IncidentRow
from .incidents import incidents as plan_incidents


@dataclass(frozen=True)
class Scale:
    name: str
    services: int
    organisations: int
    referrals: int
    referrers: int
    incidents: int = 0  # police incidents for recency-frequency-gravity scoring


SCALES: dict[str, Scale] = {
    "small": Scale(
        "small", services=200, organisations=40, referrals=1_000, referrers=10, incidents=5_000
    ),
    "region": Scale(
        "region",
        services=1_000,
        organisations=150,
        referrals=20_000,
        referrers=50,
        incidents=100_000,
    ),
    "national": Scale(
        "national",
        services=10_000,
        organisations=1_500,
        referrals=200_000,
        referrers=500,
        incidents=1_000_000,
    ),
}


def scaled(scale: str, factor: int = 1) -> Scale:
    """A scale with `factor` times its services, organisations, referrals, referrers and
    incidents (areas stay as they are): the bench's 10x data for query counts."""
    base = SCALES[scale]
    return Scale(
        base.name if factor == 1 else f"{base.name}x{factor}",
        services=base.services * factor,
        organisations=base.organisations * factor,
        referrals=base.referrals * factor,
        referrers=base.referrers * factor,
        incidents=base.incidents * factor,
    )


def rng_for(seed: int, stream: str) -> random.Random:
    return random.Random(f"pathways-synth:{seed}:{stream}")  # noqa: S311 - not security


def uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


# --------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------

# (programme, intervention type, suite tier, weeks, share): shares are rough proportions of
# what the published mappings list (group programmes and help-seeking lines most common).
PROGRAMMES: tuple[tuple[str, str, str, int | None, int], ...] = (
    ("Respectful Relationships Group", "behaviour_change", "medium_risk", 26, 14),
    ("Domestic Abuse Perpetrator Programme", "behaviour_change", "medium_risk", 27, 12),
    ("Early Change Conversations", "early_response", "early_intervention", 8, 10),
    ("Worried About Your Behaviour Line", "help_seeking", "early_intervention", None, 6),
    ("Intensive Case Management Service", "intensive_case_management", "high_harm", 52, 7),
    ("Fathers Who Care Programme", "behaviour_change", "standard_risk", 24, 7),
    ("Young People's Healthy Relationships", "early_response", "preventative", 10, 8),
    ("Harmful Sexual Behaviour Service", "behaviour_change", "sexual_violence", 30, 5),
    ("Stalking Intervention Programme", "intensive_case_management", "high_harm", 40, 4),
    ("Out of Court Disposal Course", "early_response", "criminal_justice", 6, 5),
    ("Accredited Programme in Custody", "behaviour_change", "criminal_justice", 30, 3),
    ("Child to Parent Violence Service", "early_response", "family", 12, 5),
    ("Women Using Force Group", "behaviour_change", "standard_risk", 16, 3),
    ("One-to-One Change Work", "behaviour_change", "medium_risk", 20, 7),
    ("Community Safety Advice", "other", "not_stated", None, 4),
)
PROGRAMME_WEIGHTS = [p[4] for p in PROGRAMMES]

ORG_PATTERNS = (
    "{place} Relationship Change Trust",
    "{place} Domestic Abuse Service",
    "{place} Families Project",
    "{place} Men's Project",
    "Safer Futures {place}",
    "{place} Community Interest Company",
    "{place} Respect Partnership",
    "{place} Healthy Relationships Centre",
)
ABUSE = ("DA", "SV", "stalking", "HBA", "CAPVA", "CSE")
ROUTES = (
    "self",
    "police",
    "probation",
    "childrens-social-care",
    "family-court",
    "health",
    "housing",
    "marac",
    "criminal-court",
)
FORMATS = ("group", "one-to-one", "phone", "online")
EXCLUSIONS = (
    "untreated-substance-dependency",
    "acute-mental-health-crisis",
    "current-da-proceedings",
    "sexual-offence-conviction",
    "denies-all-abuse",
)
COHORTS = (
    "adults",
    "children_young_people",
    "young_adults",
    "ethnic_minority",
    "lgbtqia",
    "women_using_force",
    "disabled_neurodivergent",
    "language_specific",
)
LANGUAGES = ("ur", "pl", "pa", "bn", "ro", "ar", "so", "gu")
LEVELS = ("self_reported", "self_reported", "self_reported", "evidenced", "verified")
FIRST_NAMES = (
    "Alex", "Bailey", "Cameron", "Dakota", "Eden", "Frankie", "Harley", "Jesse", "Jordan",
    "Kai", "Lee", "Morgan", "Nico", "Parker", "Quinn", "Reese", "Riley", "Robin", "Rowan",
    "Sam", "Sidney", "Skyler", "Taylor", "Toni",
)  # fmt: skip
SURNAMES = (
    "Ashdown", "Birchley", "Coldmere", "Dunmore", "Eastwell", "Fernhill", "Glenholme",
    "Hartwick", "Kingsmere", "Larkfield", "Millbrook", "Northcott", "Oakhurst", "Penrose",
    "Redmarsh", "Southby", "Stonecroft", "Thornbury", "Westerby", "Whitlock",
)  # fmt: skip
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


_CUMULATIVE: dict[tuple[tuple[str, int], ...], tuple[list[str], list[int], int]] = {}


def _pick(rng: random.Random, weighted: dict[str, int]) -> str:
    """One key of `weighted`, drawn by weight (as `rng.choices` would, but cached)."""
    items = tuple(weighted.items())
    cached = _CUMULATIVE.get(items)
    if cached is None:
        total, cumulative = 0, []
        for _key, w in items:
            total += w
            cumulative.append(total)
        cached = _CUMULATIVE[items] = ([k for k, _w in items], cumulative, total)
    keys, cumulative, total = cached
    return keys[bisect.bisect_right(cumulative, rng.random() * total)]


# --------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------


@dataclass
class OrgRow:
    id: uuid.UUID
    slug: str
    name: str
    kind: str
    home: str  # area slug, for choosing where its services and staff are
    description: str = ""


@dataclass
class ServiceRow:
    id: uuid.UUID
    organisation_id: uuid.UUID
    external_ref: str
    fields: dict[str, Any]
    claims: dict[str, tuple[str, str]]  # dimension -> (value, evidence level)
    areas: tuple[str, ...]
    terms: tuple[str, ...]  # "taxonomy:code"
    location: dict[str, Any] | None = None


@dataclass
class UserRow:
    username: str
    first_name: str
    organisation_slug: str
    role: str


@dataclass
class ReferralRow:
    id: uuid.UUID
    fields: dict[str, Any]
    area: str
    referrer: str  # username or ""
    referrer_organisation: str  # slug or ""
    sent_service: uuid.UUID | None
    history: list[tuple[str, str, dt.datetime]]  # (from, to, at)
    victims: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    unmet: dict[str, Any] | None = None


@dataclass
class Plan:
    scale: Scale
    seed: int
    as_of: dt.datetime
    geography: Geography
    organisations: list[OrgRow]
    services: list[ServiceRow]
    users: list[UserRow]

    def referrals(self) -> Iterator[ReferralRow]:
        """Referrals one by one (200,000 at national scale are never all held at once)."""
        return _referrals(self)

    def incidents(self) -> Iterator[IncidentRow]:
        """Police incidents one by one (1,000,000 at national scale); see `synth.incidents`."""
        return plan_incidents(self)


def build_plan(*, scale: str, seed: int, as_of: dt.datetime, factor: int = 1) -> Plan:
    """Everything a scale makes, from a seed and the moment data is generated `as_of`."""
    size = scaled(scale, factor)
    geography = plan_geography(scale, rng_for(seed, "areas"))
    organisations = _organisations(size, geography, rng_for(seed, "organisations"))
    services = _services(size, geography, organisations, rng_for(seed, "services"), as_of)
    users = _users(size, organisations, rng_for(seed, "users"))
    return Plan(size, seed, as_of, geography, organisations, services, users)


def _organisations(size: Scale, geo: Geography, rng: random.Random) -> list[OrgRow]:
    out: list[OrgRow] = []
    used: set[str] = set()
    for n in range(1, size.organisations + 1):
        home = rng.choice(geo.districts)
        place = home.removeprefix(SYN).replace("-", " ").title()
        name = rng.choice(ORG_PATTERNS).format(place=place)
        while name in used:
            name = f"{name} {rng.randint(2, 99)}"
        used.add(name)
        out.append(
            OrgRow(
                id=uuid_from(rng),
                slug=f"{SYN}org-{n:05d}",
                name=f"{name} (synthetic)",
                kind="provider",
                home=home,
                description="A synthetic organisation made by pathways synth. It does not exist.",
            )
        )
    # Referring agencies: a police force and a probation service for each force area, and
    # children's social care for each district (a fixed set, not scaled by `factor`).
    forces = sorted({a for d in geo.districts for a in geo.ancestors[d][1:] if "police" in a})
    for force in forces:
        label = force.removeprefix(SYN).removesuffix("-police").replace("-", " ").title()
        for kind, what in (("police", "Police"), ("probation", "Probation Service")):
            out.append(
                OrgRow(
                    id=uuid_from(rng),
                    slug=f"{SYN}{kind}-{force.removeprefix(SYN)}",
                    name=f"{label} {what} (synthetic)",
                    kind=kind,
                    home=force,
                )
            )
    for district in geo.districts:
        label = district.removeprefix(SYN).replace("-", " ").title()
        out.append(
            OrgRow(
                id=uuid_from(rng),
                slug=f"{SYN}council-{district.removeprefix(SYN)}",
                name=f"{label} Council Children's Services (synthetic)",
                kind="local_authority",
                home=district,
            )
        )
    return out


def _served_areas(rng: random.Random, geo: Geography, home: str) -> tuple[str, ...]:
    """Most services serve one district; many a force area (commissioned by a police and
    crime commissioner) or combined authority; some a region; a few two districts; one in
    two hundred the whole country (a national helpline)."""
    up = geo.ancestors[home]
    roll = rng.random()
    if roll < 0.64 or len(up) == 1:
        return (home,)
    if roll < 0.82:
        return (up[1],)  # the district's first parent: a force area or combined authority
    if roll < 0.92:
        return (up[min(2, len(up) - 1)],)
    if roll < 0.995:
        other = rng.choice(geo.districts)
        return (home,) if other == home else (home, other)
    return (up[-1],)  # the whole country


def _services(
    size: Scale,
    geo: Geography,
    orgs: list[OrgRow],
    rng: random.Random,
    as_of: dt.datetime,
) -> list[ServiceRow]:
    providers = [o for o in orgs if o.kind == "provider"]
    # A few large providers run many services; most run one to three (a long tail).
    weights = [1.0 / (i + 1) ** 0.8 for i in range(len(providers))]
    out: list[ServiceRow] = []
    today = as_of.date()
    for n in range(1, size.services + 1):
        org = rng.choices(providers, weights=weights)[0]
        programme, itype, tier, weeks, _share = rng.choices(PROGRAMMES, weights=PROGRAMME_WEIGHTS)[
            0
        ]
        home = org.home if rng.random() < 0.7 else rng.choice(geo.districts)
        areas = _served_areas(rng, geo, home)
        place = home.removeprefix(SYN).replace("-", " ").title()
        abuse = (
            ["SV"]
            if tier == "sexual_violence"
            else ["DA", *rng.sample(ABUSE[2:], rng.randint(0, 2))]
        )
        if tier == "family":
            abuse = ["CAPVA", *abuse[1:]]
        routes = rng.sample(ROUTES, rng.randint(1, 4))
        formats = rng.sample(FORMATS, rng.randint(1, 2))
        exclusions = rng.sample(EXCLUSIONS, rng.choice((0, 0, 0, 1, 1, 2)))
        risk = {
            "risk_high": "yes" if tier == "high_harm" else rng.choice(("no", "no", "unknown")),
            "risk_medium": "yes"
            if tier in ("medium_risk", "high_harm")
            else rng.choice(("no", "unknown", "yes")),
            "risk_standard": "yes"
            if tier in ("standard_risk", "early_intervention", "preventative")
            else rng.choice(("yes", "no")),
        }
        cohorts = {
            d: rng.choice(("yes", "no", "unknown", "not_stated"))
            for d in rng.sample(COHORTS, rng.randint(1, 4))
        }
        claims = {d: (v, rng.choice(LEVELS)) for d, v in {**risk, **cohorts}.items()}
        claims["self_referral"] = ("yes" if "self" in routes else "no", "self_reported")
        status = _pick(rng, {"active": 92, "inactive": 3, "temporarily closed": 3, "defunct": 2})
        delivery = _pick(
            rng,
            {"running": 80, "pilot": 6, "trial": 2, "in_development": 3, "decommissioned": 2}
            | {"not_stated": 7},
        )
        young = tier == "preventative" or "children_young_people" in cohorts
        funded_to = today + dt.timedelta(days=rng.randint(-120, 900))
        confirmed = (
            as_of - dt.timedelta(days=rng.randint(0, 600), seconds=rng.randint(0, 86399))
            if rng.random() < 0.55
            else None
        )
        fields: dict[str, Any] = {
            "name": f"{programme} – {place}",
            "description": (
                f"A synthetic {programme.lower()} for people in {place}. "
                "Made up by pathways synth for testing and benchmarks: it does not exist. "
                + rng.choice(
                    (
                        "Sessions run weekly with a trained facilitator.",
                        "Work is one-to-one at first, then in a group.",
                        "Support for partners and ex-partners is offered alongside.",
                        "Referrals are assessed within ten working days.",
                    )
                )
            ),
            "status": status,
            "delivery_status": delivery,
            "intervention_type": itype,
            "suite_tier": tier,
            "duration_weeks": weeks,
            "capacity_status": _pick(rng, {"open": 55, "limited": 25, "closed": 10, "unknown": 10}),
            "capacity_places": rng.choice((None, 8, 10, 12, 16, 24, 40)),
            "waiting_weeks": rng.randint(0, 20) if rng.random() < 0.8 else None,
            "min_age": 11 if young else rng.choice((16, 18, 18, 18)),
            "max_age": 18 if tier == "preventative" else rng.choice((None, None, 25, 65)),
            "genders_served": rng.choice(
                (["man"], ["man"], ["man", "woman"], ["woman"], ["man", "woman", "non_binary"], [])
            ),
            "languages": ["en", *rng.sample(LANGUAGES, rng.choice((0, 0, 0, 1, 2)))],
            "delivery_formats": formats,
            "is_virtual": set(formats) <= {"phone", "online"},
            "integrated_victim_support": _pick(
                rng, {"own": 35, "partner": 30, "none": 10, "unknown": 15, "not_stated": 10}
            ),
            "cost_per_user": rng.choice((None, 450, 900, 1500, 2400, 3200)),
            "funding_source": rng.choice(
                ("", "Police and crime commissioner", "Local authority", "Home Office", "Charity")
            ),
            "funding_ends": funded_to if rng.random() < 0.7 else None,
            "accreditation": rng.choice(("", "", "Respect accredited", "Working towards")),
            "evaluation_status": rng.choice(("", "", "Internal monitoring", "External evaluation")),
            "url": f"https://synthetic-{n}.example.invalid/",
            "email": f"service-{n}@example.invalid",
            "phone": f"07700 900{rng.randint(0, 999):03d}",
            "provenance_detail": f"Synthetic data made by pathways synth ({size.name} scale)",
            "confirmed_at": confirmed,
            "self_referral_max_percent": rng.choice((None, None, None, 30, 40, 50))
            if "self" in routes
            else None,
            "deleted_at": as_of - dt.timedelta(days=rng.randint(1, 20))
            if rng.random() < 0.01
            else None,
        }
        location = None
        if not fields["is_virtual"] and rng.random() < 0.4:
            location = {
                "id": uuid_from(rng),
                "name": f"{place} centre (synthetic)",
                "address_1": f"{rng.randint(1, 200)} Synthetic Street",
                "city": place,
                "is_sensitive": rng.random() < 0.5,
            }
        out.append(
            ServiceRow(
                id=uuid_from(rng),
                organisation_id=org.id,
                external_ref=f"synth-{n:06d}",
                fields=fields,
                claims=claims,
                areas=areas,
                terms=tuple(
                    dict.fromkeys(
                        [f"abuse-types:{a}" for a in abuse]
                        + [f"referral-routes:{r}" for r in routes]
                        + [f"delivery-formats:{f}" for f in formats]
                        + [f"exclusion-criteria:{e}" for e in exclusions]
                    )
                ),
                location=location,
            )
        )
    return out


def _users(size: Scale, orgs: list[OrgRow], rng: random.Random) -> list[UserRow]:
    agencies = [o for o in orgs if o.kind in ("police", "probation", "local_authority")]
    # Police make most agency referrals; weight their staff accordingly.
    weights = [{"police": 5, "probation": 2, "local_authority": 1}[o.kind] for o in agencies]
    out = []
    for n in range(1, size.referrers + 1):
        org = rng.choices(agencies, weights=weights)[0]
        out.append(UserRow(f"{SYN}referrer-{n:05d}", rng.choice(FIRST_NAMES), org.slug, "referrer"))
    return out


# Final statuses of referrals older than a fortnight, as rough shares.
SETTLED = {
    "accepted": 44,
    "signposted": 17,
    "withdrawn": 9,
    "no_suitable_service": 6,
    "declined": 3,
    "sent": 6,
    "matched": 2,
    "triaged": 3,
    "received": 2,
}
# Referrals under a fortnight old are mostly still with the front door.
RECENT = {"received": 35, "triaged": 25, "matched": 15, "sent": 15, "accepted": 5, "withdrawn": 5}
PATHS = {
    "received": ["received"],
    "triaged": ["received", "triaged"],
    "matched": ["received", "triaged", "matched"],
    "sent": ["received", "triaged", "matched", "sent"],
    "accepted": ["received", "triaged", "matched", "sent", "accepted"],
    "declined": ["received", "triaged", "matched", "sent", "declined"],
    "signposted": ["received", "triaged", "signposted"],
    "no_suitable_service": ["received", "triaged", "no_suitable_service"],
    "withdrawn": ["received", "triaged", "withdrawn"],
}
SOURCES = {
    "police": 46,
    "self": 14,
    "probation": 11,
    "childrens-social-care": 12,
    "health": 6,
    "housing": 3,
    "family-court": 3,
    "marac": 5,
}
SOURCE_ORG_KIND = {"police": "police", "probation": "probation", "marac": "police"}


def _services_by_district(plan: Plan) -> dict[str, list[ServiceRow]]:
    """Active services that serve each district, directly or through an area above it."""
    serving: dict[str, list[ServiceRow]] = {d: [] for d in plan.geography.districts}
    covers: dict[str, list[str]] = {}
    for district, ups in plan.geography.ancestors.items():
        for area in ups:
            covers.setdefault(area, []).append(district)
    for service in plan.services:
        if service.fields["status"] != "active" or service.fields["deleted_at"]:
            continue
        for area in service.areas:
            for district in covers.get(area, ()):
                serving[district].append(service)
    return serving


def _referrals(plan: Plan) -> Iterator[ReferralRow]:
    rng = rng_for(plan.seed, "referrals")
    geo = plan.geography
    serving = _services_by_district(plan)
    # Districts differ in size: a weight each, drawn once.
    district_weights = [rng.uniform(0.3, 3.0) for _ in geo.districts]
    staff_by_district: dict[str, list[UserRow]] = {}
    org_home = {o.slug: o.home for o in plan.organisations}
    org_kind = {o.slug: o.kind for o in plan.organisations}
    for user in plan.users:
        home = org_home[user.organisation_slug]
        for district in geo.districts:
            if home in geo.ancestors[district]:
                staff_by_district.setdefault(district, []).append(user)
    seen_refs: set[str] = set()
    year = dt.timedelta(days=365)
    for _n in range(plan.scale.referrals):
        district = rng.choices(geo.districts, weights=district_weights)[0]
        created = plan.as_of - year * rng.random() ** 1.3  # a little more recent demand
        age = plan.as_of - created
        status = _pick(rng, RECENT if age < dt.timedelta(days=14) else SETTLED)
        source = _pick(rng, SOURCES)
        route = "self" if source == "self" else ("panel" if source == "marac" else "agency")
        channel = (
            rng.choice(("web", "web", "phone"))
            if route == "self"
            else rng.choice(("form", "form", "api", "phone"))
        )
        ref = ""
        while not ref or ref in seen_refs:
            chars = "".join(rng.choice(REF_ALPHABET) for _ in range(8))
            ref = f"PW-{chars[:4]}-{chars[4:]}"
        seen_refs.add(ref)
        referrer = ""
        referrer_org = ""
        if route != "self":
            wanted = SOURCE_ORG_KIND.get(source, "local_authority")
            staff = [
                u
                for u in staff_by_district.get(district, ())
                if org_kind[u.organisation_slug] == wanted
            ] or staff_by_district.get(district, [])
            if staff:
                chosen = rng.choice(staff)
                referrer, referrer_org = chosen.username, chosen.organisation_slug
        tier = _pick(rng, {"standard_risk": 50, "medium_risk": 35, "high_risk": 15})
        candidates = serving.get(district, [])
        path = PATHS[status]
        sent_service = None
        if "sent" in path:
            if candidates:
                sent_service = rng.choice(candidates).id
            else:
                status = "no_suitable_service"
                path = PATHS[status]
        # Times: each step a little after the one before, never after as_of.
        history: list[tuple[str, str, dt.datetime]] = []
        at = created
        previous = ""
        for step in path:
            if previous:
                at = min(plan.as_of, at + dt.timedelta(hours=rng.uniform(2, 24 * 6)))
            history.append((previous, step, at))
            previous = step
        times = {to: when for _f, to, when in history}
        gender = _pick(rng, {"man": 82, "woman": 12, "non_binary": 1, "not_said": 5})
        abuse = ["DA"] if rng.random() < 0.85 else [rng.choice(ABUSE[1:])]
        if rng.random() < 0.1:
            abuse.append(rng.choice(("stalking", "HBA")))
        cohorts = rng.sample(COHORTS[1:], rng.choice((0, 0, 0, 1, 1, 2)))
        language = "cy" if district in geo.welsh_districts and rng.random() < 0.15 else "en"
        if rng.random() < 0.08:
            language = rng.choice(LANGUAGES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        triaged = "triaged" in times
        overridden = triaged and rng.random() < 0.05
        fields: dict[str, Any] = {
            "reference": ref,
            "route": route,
            "channel": channel,
            "source": source,
            "status": status,
            "status_changed_at": history[-1][2],
            "created_at": created,
            "updated_at": history[-1][2],
            "person_name": f"{first} {last} (synthetic)",
            "person_age": rng.randint(13, 17) if "CAPVA" in abuse else rng.randint(18, 72),
            "person_gender": gender,
            "cohorts": cohorts,
            "language": language,
            "interpreter_needed": language not in ("en", "cy") and rng.random() < 0.6,
            "needs": rng.sample(
                ("substance_use", "mental_health", "neurodivergence", "disability", "language"),
                rng.choice((0, 0, 1, 1, 2)),
            ),
            "circumstances": rng.sample(EXCLUSIONS, 1) if rng.random() < 0.07 else [],
            "contact_phone": f"07700 900{rng.randint(0, 999):03d}",
            "contact_methods": rng.sample(("phone", "text", "email"), rng.randint(1, 2)),
            "safe_times": rng.choice(("", "Weekday mornings", "After 6pm", "Any time")),
            "voicemail_safe": rng.choice(("yes", "no", "not_sure")),
            "text_safe": rng.choice(("yes", "no", "not_sure")),
            "account": "Synthetic account made by pathways synth. None of this happened.",
            "children_in_household": _pick(rng, {"yes": 40, "no": 45, "not_sure": 15}),
            "relationship": _pick(
                rng,
                {"current_partner": 45, "former_partner": 40, "family_member": 8}
                | {"child_to_parent": 4, "other": 3},
            ),
            "abuse_types": abuse,
            "marac_heard": source == "marac" or rng.random() < 0.05,
            "lawful_basis": ""
            if route == "self"
            else _pick(rng, {"consent": 55, "public_task": 35, "legal_obligation": 10}),
            "consent_status": "" if route == "self" else _pick(rng, {"given": 75, "not_asked": 25}),
            "computed_tier": tier if triaged else "",
            "tier": (
                rng.choice([t for t in ("standard_risk", "medium_risk", "high_risk") if t != tier])
                if overridden
                else tier
            )
            if triaged
            else "",
            "tier_override_reason": "Synthetic override reason." if overridden else "",
            "triaged_at": times.get("triaged"),
            "sent_at": times.get("sent"),
            "decided_at": times.get("accepted") or times.get("declined"),
            "decline_reason": "Synthetic: no capacity this quarter." if "declined" in times else "",
            "signpost_note": "Synthetic signposting note." if "signposted" in times else "",
            "first_contact_at": times["accepted"] + dt.timedelta(days=rng.randint(1, 6))
            if "accepted" in times and rng.random() < 0.8
            else None,
        }
        if fields["consent_status"] == "not_asked":
            fields["consent_reason"] = "Synthetic safeguarding reason."
        if fields["first_contact_at"] and fields["first_contact_at"] > plan.as_of:
            fields["first_contact_at"] = None
        victims = []
        children = []
        if route != "self":
            for v in range(rng.choice((0, 1, 1, 1, 1, 2))):
                victims.append(
                    {
                        "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} (synthetic)",
                        "relationship": fields["relationship"] if v == 0 else "former_partner",
                        "lives_with_person": rng.choice(("yes", "no", "not_sure")),
                        "contact_phone": f"07700 900{rng.randint(0, 999):03d}",
                        "voicemail_safe": rng.choice(("yes", "no", "not_sure")),
                        "knows_of_referral": rng.choice(("yes", "no", "not_sure")),
                    }
                )
        if fields["children_in_household"] == "yes":
            for _c in range(rng.choice((1, 1, 2, 3))):
                children.append(
                    {
                        "age": rng.randint(0, 17),
                        "lives_with_person": rng.choice(("yes", "no", "not_sure")),
                        "social_care_involved": rng.choice(("yes", "no", "not_sure")),
                    }
                )
        unmet = None
        if status == "no_suitable_service":
            unmet = {
                "tier": tier,
                "cohort": cohorts[0] if cohorts else "",
                "abuse_type": abuse[0],
                "route": source,
                "recorded_at": history[-1][2],
            }
        yield ReferralRow(
            id=uuid_from(rng),
            fields=fields,
            area=district,
            referrer=referrer,
            referrer_organisation=referrer_org,
            sent_service=sent_service,
            history=history,
            victims=victims,
            children=children,
            unmet=unmet,
        )
