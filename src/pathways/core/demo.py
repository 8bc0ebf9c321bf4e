"""Reference and demo data: areas, taxonomies, published services, synthetic services, demo users.

`pathways load_demo` runs `load_demo()`. Every step is idempotent, so running it again
changes nothing and is quick. Demo users exist only in demo modes and only through here.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from pathways.accounts.models import Role, User
from pathways.accounts.policies import IDENTIFIABLE_DATA_ROLES
from pathways.accounts.services import membership_grant, mfa_demo_device_ensure
from pathways.areas.models import Area
from pathways.areas.reference import areas_load_reference
from pathways.directory import services as directory_services
from pathways.directory.models import (
    ClaimDimension,
    DeliveryStatus,
    InterventionType,
    Organisation,
    OrganisationKind,
    ProvenanceSource,
    Service,
    ServiceStatus,
    SuiteTier,
)
from pathways.directory.reference import taxonomies_load_reference
from pathways.evidence.reference import evidence_link_demo_services, evidence_load_reference
from pathways.standards import services as standards_services

FIXTURES = Path(__file__).resolve().parent.parent / "directory" / "fixtures"

# username -> (role, organisation slug, first name)
DEMO_USERS: dict[str, tuple[str, str, str]] = {
    "demo-commissioner": (Role.COMMISSIONER, "demo-partnership", "Casey"),
    "demo-analyst": (Role.ANALYST, "demo-partnership", "Alex"),
    "demo-triage": (Role.TRIAGE, "demo-front-door", "Toni"),
    "demo-referrer": (Role.REFERRER, "demo-police", "Robin"),
    "demo-provider-manager": (Role.PROVIDER_MANAGER, "womencentre", "Pat"),
    "demo-perpetrator-worker": (Role.PERPETRATOR_WORKER, "womencentre", "Jordan"),
    "demo-support-worker": (Role.SUPPORT_WORKER, "womencentre", "Sam"),
    "demo-panel-chair": (Role.PANEL_CHAIR, "demo-police", "Charlie"),
    "demo-admin": (Role.ADMIN, "demo-partnership", "Ash"),
}

DEMO_ORGANISATIONS = [
    (
        "demo-partnership",
        "Demo Community Safety Partnership (synthetic)",
        OrganisationKind.COMMISSIONER,
    ),
    ("demo-front-door", "Demo One Front Door (synthetic)", OrganisationKind.COMMISSIONER),
    ("demo-police", "Demo Police (synthetic)", OrganisationKind.POLICE),
]

CARDIFF_STATUS = {
    DeliveryStatus.DECOMMISSIONED: ServiceStatus.DEFUNCT,
    DeliveryStatus.REPLACED: ServiceStatus.DEFUNCT,
}


@dataclass
class LoadReport:
    areas: int = 0
    terms: int = 0
    services_created: int = 0
    users_created: int = 0
    referrals_created: int = 0
    cases_created: int = 0
    notes: list[str] = field(default_factory=list)


def _organisation(
    name: str,
    *,
    kind: str = OrganisationKind.PROVIDER,
    synthetic: bool = False,
    slug: str | None = None,
) -> Organisation:
    existing = (
        Organisation.objects.filter(slug=slug).first()
        if slug
        else Organisation.objects.filter(name=name).first()
    )
    if existing:
        return existing
    return directory_services.organisation_create(
        name=name, kind=kind, slug=slug, is_synthetic=synthetic, actor=None
    )


def _published(report: LoadReport, filename: str, default_detail: str) -> None:
    payload = json.loads((FIXTURES / filename).read_text(encoding="utf-8"))
    source = payload["source"]
    existing = set(
        Service.objects.filter(external_ref__isnull=False).values_list("external_ref", flat=True)
    )
    for row in payload["services"]:
        if row["ref"] in existing:
            continue
        provider = row["provider"] or "Provider not stated"
        organisation = _organisation(provider)
        detail = f"{source['title']}, {source['publisher']}, {source['year']}"
        if "table" in source:
            detail += f", {source['table']} row {row['table_row']}"
        delivery = row.get("delivery_status", DeliveryStatus.NOT_STATED)
        directory_services.service_create(
            organisation=organisation,
            external_ref=row["ref"],
            data={
                "name": row["name"],
                "description": row.get("description", ""),
                "notes": row.get("notes", ""),
                "suite_tier": row.get("suite_tier", SuiteTier.NOT_STATED),
                "delivery_status": delivery,
                "status": CARDIFF_STATUS.get(delivery, ServiceStatus.ACTIVE),
                "referral_routes_text": row.get("referral_routes_text", ""),
                "evaluation_status": row.get("evaluation_status", ""),
            },
            claims={dim: {"value": value} for dim, value in row["claims"].items()},
            area_ids=directory_services.area_ids_for_slugs(row["areas"]),
            term_ids=directory_services.term_ids_for_codes(
                f"abuse-types:{a}" for a in row["abuse_types"]
            ),
            actor=None,
            source=ProvenanceSource.PUBLISHED_MAPPING,
            provenance_detail=detail or default_detail,
        )
        report.services_created += 1


SYNTHETIC_PROGRAMMES = [
    (
        "Respectful Relationships Group",
        InterventionType.BEHAVIOUR_CHANGE,
        SuiteTier.MEDIUM_RISK,
        26,
    ),
    (
        "Early Change Conversations",
        InterventionType.EARLY_RESPONSE,
        SuiteTier.EARLY_INTERVENTION,
        8,
    ),
    (
        "Worried About Your Behaviour Line",
        InterventionType.HELP_SEEKING,
        SuiteTier.EARLY_INTERVENTION,
        None,
    ),
    (
        "Intensive Case Management Service",
        InterventionType.INTENSIVE_CASE_MANAGEMENT,
        SuiteTier.HIGH_HARM,
        52,
    ),
    ("Fathers Who Care Programme", InterventionType.BEHAVIOUR_CHANGE, SuiteTier.STANDARD_RISK, 24),
    (
        "Young People's Healthy Relationships",
        InterventionType.EARLY_RESPONSE,
        SuiteTier.PREVENTATIVE,
        10,
    ),
    (
        "Harmful Sexual Behaviour Service",
        InterventionType.BEHAVIOUR_CHANGE,
        SuiteTier.SEXUAL_VIOLENCE,
        30,
    ),
    (
        "Stalking Intervention Programme",
        InterventionType.INTENSIVE_CASE_MANAGEMENT,
        SuiteTier.HIGH_HARM,
        40,
    ),
]
SYNTHETIC_PLACES = ["Northbrook", "Eastmere", "Westford", "Southdale", "Kingsvale", "Ashcombe"]


def _synthetic(report: LoadReport, count: int, seed: int = 2026) -> None:
    """Clearly labelled made-up services in Leicester, Leicestershire and Rutland, so search and paging are real."""
    if Service.objects.filter(external_ref__startswith="syn-").count() >= count:
        return
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    llr_areas = list(
        Area.objects.filter(slug__in=["leicester", "leicestershire", "rutland", "llr"])
    )
    abuse = ["DA", "SV", "stalking", "HBA", "CAPVA", "CSE"]
    routes = [
        "self",
        "police",
        "probation",
        "childrens-social-care",
        "family-court",
        "health",
        "housing",
        "marac",
    ]
    formats = ["group", "one-to-one", "phone", "online"]
    cohort_dims = [
        d
        for d in ClaimDimension.values
        if d not in ("risk_high", "risk_medium", "risk_standard", "self_referral")
    ]
    orgs = [
        _organisation(f"{place} Relationship Change Trust (synthetic)", synthetic=True)
        for place in SYNTHETIC_PLACES
    ]
    existing = set(
        Service.objects.filter(external_ref__startswith="syn-").values_list(
            "external_ref", flat=True
        )
    )
    for n in range(1, count + 1):
        ref = f"syn-{n:04d}"
        programme, itype, tier, weeks = SYNTHETIC_PROGRAMMES[n % len(SYNTHETIC_PROGRAMMES)]
        # Draw every value even for rows that exist, so the sequence stays the same.
        org = rng.choice(orgs)
        area = rng.choice(llr_areas)
        types = (
            ["SV"]
            if tier == SuiteTier.SEXUAL_VIOLENCE
            else ["DA", *rng.sample(abuse[1:], rng.randint(0, 2))]
        )
        chosen_routes = rng.sample(routes, rng.randint(1, 4))
        chosen_formats = rng.sample(formats, rng.randint(1, 2))
        risk = {
            "risk_high": "yes" if tier == SuiteTier.HIGH_HARM else rng.choice(["no", "unknown"]),
            "risk_medium": "yes"
            if tier in (SuiteTier.MEDIUM_RISK, SuiteTier.HIGH_HARM)
            else rng.choice(["no", "unknown"]),
            "risk_standard": "yes"
            if tier in (SuiteTier.STANDARD_RISK, SuiteTier.EARLY_INTERVENTION)
            else rng.choice(["yes", "no"]),
        }
        cohorts = {
            d: rng.choice(["yes", "no", "unknown", "not_stated"])
            for d in rng.sample(cohort_dims, 3)
        }
        levels = ["self_reported", "self_reported", "evidenced", "verified"]
        claims = {
            d: {"value": v, "evidence_level": rng.choice(levels)}
            for d, v in {**risk, **cohorts}.items()
        }
        claims["self_referral"] = {"value": "yes" if "self" in chosen_routes else "no"}
        capacity = rng.choice(["open", "open", "limited", "closed"])
        waiting = rng.randint(0, 16)
        if ref in existing:
            continue
        directory_services.service_create(
            organisation=org,
            external_ref=ref,
            data={
                "name": f"{programme} – {org.name.split(' ')[0]} {n}",
                "description": "Synthetic demonstration service. It does not exist.",
                "intervention_type": itype,
                "suite_tier": tier,
                "delivery_status": DeliveryStatus.RUNNING,
                "duration_weeks": weeks,
                "capacity_status": capacity,
                "waiting_weeks": waiting,
                "min_age": 18 if tier != SuiteTier.PREVENTATIVE else 11,
                "max_age": None if tier != SuiteTier.PREVENTATIVE else 18,
                "languages": ["en"] + (["ur"] if n % 7 == 0 else []),
                "delivery_formats": chosen_formats,
                "is_virtual": chosen_formats == ["phone"] or chosen_formats == ["online"],
                "integrated_victim_support": rng.choice(["own", "partner", "none", "unknown"]),
            },
            claims=claims,
            area_ids=[area.id],
            term_ids=directory_services.term_ids_for_codes(
                [f"abuse-types:{a}" for a in types]
                + [f"referral-routes:{r}" for r in chosen_routes]
                + [f"delivery-formats:{f}" for f in chosen_formats]
            ),
            actor=None,
            source=ProvenanceSource.SYNTHETIC,
            provenance_detail="Synthetic demonstration data made by pathways load_demo",
            audit=False,
        )
        report.services_created += 1


def _demo_users(report: LoadReport) -> None:
    password = settings.DEMO_PASSWORD
    if not settings.DEMO_MODE or not password:
        raise ImproperlyConfigured("Demo users are only made in development or demo mode")
    for slug, name, kind in DEMO_ORGANISATIONS:
        _organisation(name, kind=kind, slug=slug)
    for username, (role, org_slug, first_name) in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=password,
                first_name=first_name,
                last_name="(demo)",
                email=f"{username}@example.invalid",
            )
            report.users_created += 1
        if role == Role.ADMIN and not (user.is_staff and user.is_superuser):
            user.is_staff = True
            user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        membership_grant(user=user, organisation=Organisation.objects.get(slug=org_slug), role=role)
        # Roles that must sign in with a code get an authenticator with the published DEMO-ONLY
        # secret (accounts.mfa.DEMO_TOTP_SECRET; `pathways mfa-demo-code` prints the code).
        if role in IDENTIFIABLE_DATA_ROLES:
            mfa_demo_device_ensure(user=user)


def load_reference() -> LoadReport:
    """Areas and taxonomies: needed in every mode, including production."""
    report = LoadReport()
    report.areas = areas_load_reference()
    report.terms = taxonomies_load_reference()
    evidence_load_reference()
    standards_services.frameworks_load_reference()
    return report


@transaction.atomic
def load_demo(*, synthetic_services: int = 150, users: bool = True) -> LoadReport:
    """Everything a demonstration needs. Safe to run again."""
    report = load_reference()
    _published(report, "west_yorkshire_2023.json", "West Yorkshire mapping 2023")
    _published(report, "cardiff_and_vale_2020.json", "Cardiff and Vale of Glamorgan review 2020")
    # WomenCentre is the demo provider manager's organisation.
    Organisation.objects.filter(name="WomenCentre").update(slug="womencentre")
    _synthetic(report, synthetic_services)
    evidence_link_demo_services()
    standards_services.standards_load_demo()
    if users:
        _demo_users(report)
        from pathways.referrals.demo import referrals_load_demo

        report.referrals_created = referrals_load_demo()
        from pathways.cases.demo import cases_load_demo

        report.cases_created = cases_load_demo()
    return report


def describe(report: LoadReport) -> dict[str, Any]:
    return {
        "areas": report.areas,
        "taxonomy_terms": report.terms,
        "services_created": report.services_created,
        "users_created": report.users_created,
        "referrals_created": report.referrals_created,
        "cases_created": report.cases_created,
    }
