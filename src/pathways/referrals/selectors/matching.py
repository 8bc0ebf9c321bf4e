"""Reads for matching: the facts of every service in scope, and the need of a referral or of
a what-if question, as the pure engine in `referrals.matching` takes them.

`service_facts_in_scope` answers in a constant number of queries however many services
there are (plain value rows, no model instances: 10,000 services are read in one pass).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from pathways.areas.models import Area
from pathways.areas.selectors import area_ancestor_ids, area_descendant_ids
from pathways.directory.models import (
    COHORT_DIMENSIONS,
    Service,
    ServiceArea,
    ServiceClaim,
    ServiceStatus,
    TaxonomyTerm,
)
from pathways.evidence.selectors import evidence_strength_for_services

from ..matching import ROUTE_AGENCY, ROUTE_SELF, RULES, Need, ServiceFacts, service_genders
from ..models import Match, MatchRun, Referral, ReferralRoute, ReferralStatus
from ..reference import RiskTier

# Services matching looks at: active ones, and temporarily closed ones so that the
# capacity rule can say why they are not offered.
IN_SCOPE_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.TEMPORARILY_CLOSED)
# The taxonomies the rules read.
MATCHING_TAXONOMIES = ("abuse-types", "referral-routes", "exclusion-criteria")
# A service's current share of self-referrals is taken over this many days.
QUOTA_WINDOW_DAYS = 90
QUOTA_STATUSES = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)
COHORT_CODES = tuple(str(c) for c in COHORT_DIMENSIONS)


def _scope(today: dt.date) -> QuerySet[Service]:
    return Service.objects.filter(deleted_at__isnull=True, status__in=IN_SCOPE_STATUSES).filter(
        Q(visible_from__isnull=True) | Q(visible_from__lte=today),
        Q(visible_to__isnull=True) | Q(visible_to__gte=today),
    )


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def service_facts_in_scope(*, today: dt.date | None = None) -> list[ServiceFacts]:
    """Facts for every active (or temporarily closed), not deleted, currently visible
    service. Seven queries at most, however many services. Directory data only: open to
    anyone the calling view or command lets in."""
    today = today or timezone.localdate()
    scope = _scope(today)
    rows = list(
        scope.order_by("name", "id").values_list(
            "id",
            "name",
            "organisation__name",
            "min_age",
            "max_age",
            "genders_served",
            "languages",
            "capacity_status",
            "status",
            "waiting_weeks",
            "accreditation",
            "integrated_victim_support",
            "victim_support_partner",
            "self_referral_max_percent",
        )
    )
    if not rows:
        return []
    in_scope = scope.values("id")

    areas: dict[Any, set[int]] = defaultdict(set)
    for service_id, area_id in ServiceArea.objects.filter(service__in=in_scope).values_list(
        "service_id", "area_id"
    ):
        areas[service_id].add(area_id)

    terms: dict[tuple[Any, str], set[str]] = defaultdict(set)
    through = Service.taxonomy_terms.through
    for service_id, taxonomy, code in through.objects.filter(
        service__in=in_scope, taxonomyterm__taxonomy__slug__in=MATCHING_TAXONOMIES
    ).values_list("service_id", "taxonomyterm__taxonomy__slug", "taxonomyterm__code"):
        terms[(service_id, taxonomy)].add(code)

    claims: dict[Any, dict[str, str]] = defaultdict(dict)
    levels: dict[Any, dict[str, str]] = defaultdict(dict)
    for service_id, dimension, value, level in ServiceClaim.objects.filter(
        service__in=in_scope
    ).values_list("service_id", "dimension", "value", "evidence_level"):
        claims[service_id][dimension] = value
        levels[service_id][dimension] = level

    since = _start_of_day(today - dt.timedelta(days=QUOTA_WINDOW_DAYS))
    shares = {
        service_id: (total, selfs)
        for service_id, total, selfs in Referral.objects.filter(
            status__in=QUOTA_STATUSES, sent_service__in=in_scope, sent_at__gte=since
        )
        .values("sent_service_id")
        .annotate(total=Count("id"), selfs=Count("id", filter=Q(route=ReferralRoute.SELF)))
        .values_list("sent_service_id", "total", "selfs")
    }

    evidence = evidence_strength_for_services([row[0] for row in rows])

    # Many services share the same sets (abuse types, routes, languages): keep one copy.
    shared: dict[frozenset[Any], frozenset[Any]] = {}

    def one(values: Iterable[Any]) -> frozenset[Any]:
        key = frozenset(values)
        return shared.setdefault(key, key)

    facts = []
    for (
        service_id,
        name,
        organisation,
        min_age,
        max_age,
        genders,
        languages,
        capacity_status,
        status,
        waiting_weeks,
        accreditation,
        victim_support,
        victim_support_partner,
        max_percent,
    ) in rows:
        total, selfs = shares.get(service_id, (0, 0))
        strength = evidence.get(service_id)
        lowest = strength.agreement.lowest if strength is not None else None
        facts.append(
            ServiceFacts(
                id=service_id,
                name=name,
                organisation=organisation,
                area_ids=one(areas.get(service_id, ())),
                claims=claims.get(service_id, {}),
                claim_levels=levels.get(service_id, {}),
                min_age=min_age,
                max_age=max_age,
                genders=one(service_genders(genders)),
                abuse_types=one(terms.get((service_id, "abuse-types"), ())),
                referral_routes=one(terms.get((service_id, "referral-routes"), ())),
                exclusion_criteria=one(terms.get((service_id, "exclusion-criteria"), ())),
                languages=one(str(code).lower() for code in languages or ()),
                capacity_status=capacity_status,
                status=status,
                waiting_weeks=waiting_weeks,
                accreditation=accreditation.strip(),
                integrated_victim_support=victim_support,
                victim_support_partner=victim_support_partner.strip(),
                self_referral_max_percent=max_percent,
                recent_referrals=total,
                recent_self_referrals=selfs,
                evidence_approach=strength.approach_name if strength is not None else "",
                evidence_band=int(lowest) if lowest is not None else None,
                evidence_disagree=bool(strength is not None and strength.disagree),
            )
        )
    return facts


def _labels(*, area_ids: Iterable[int]) -> dict[str, str]:
    """Names for the reasons: "taxonomy:code" for the matching taxonomies, "area:<id>"."""
    labels = {
        f"{taxonomy}:{code}": name
        for taxonomy, code, name in TaxonomyTerm.objects.filter(
            taxonomy__slug__in=MATCHING_TAXONOMIES
        ).values_list("taxonomy__slug", "code", "name")
    }
    for area_id, name in Area.objects.filter(id__in=list(area_ids)).values_list("id", "name"):
        labels[f"area:{area_id}"] = name
    return labels


def _age(referral: Referral, today: dt.date) -> int | None:
    born = referral.person_date_of_birth
    if born is not None:
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return referral.person_age


def need_for_referral(*, referral: Referral, today: dt.date | None = None) -> Need:
    """What a triaged referral asks of a service, for `matching.match`. Callers have
    already read the referral through a scoped selector."""
    if referral.tier not in RiskTier.values:
        raise ValidationError({"tier": ["Set the risk tier at triage before matching"]})
    today = today or timezone.localdate()
    area = referral.area
    above = area_ancestor_ids(area_id=area.id)
    return Need(
        tier=referral.tier,
        area_ids=frozenset(above),
        area_id=area.id,
        area_slug=area.slug,
        area_name=area.name,
        route=ROUTE_SELF if referral.route == ReferralRoute.SELF else ROUTE_AGENCY,
        source=referral.source,
        age=_age(referral, today),
        gender=referral.person_gender,
        cohorts=frozenset(c for c in referral.cohorts or () if c in COHORT_CODES),
        abuse_types=frozenset(referral.abuse_types or ()),
        language=(referral.language or "").lower(),
        circumstances=frozenset(referral.circumstances or ()),
        labels=_labels(area_ids=above),
    )


def need_for_what_if(
    *,
    area: Area,
    tier: str,
    route: str | None = None,
    cohort: str | None = None,
    abuse_type: str | None = None,
) -> Need:
    """The need of a what-if question: an area (a district or a wider area), a tier and,
    optionally, a referral route ("self" for a self-referral), a cohort and an abuse type.
    Raises ValidationError naming each unknown value. Stores nothing."""
    codes: dict[str, set[str]] = defaultdict(set)
    for taxonomy, code in TaxonomyTerm.objects.filter(
        taxonomy__slug__in=("abuse-types", "referral-routes")
    ).values_list("taxonomy__slug", "code"):
        codes[taxonomy].add(code)
    errors: dict[str, list[str]] = {}
    if tier not in RiskTier.values:
        errors["tier"] = [f"Choose a risk tier: {', '.join(RiskTier.values)}"]
    if route and route not in codes["referral-routes"]:
        errors["route"] = [
            f"'{route}' is not a referral route; use one of "
            f"{', '.join(sorted(codes['referral-routes']))}"
        ]
    if cohort and cohort not in COHORT_CODES:
        errors["cohort"] = [f"'{cohort}' is not a cohort; use one of {', '.join(COHORT_CODES)}"]
    if abuse_type and abuse_type not in codes["abuse-types"]:
        errors["abuse_type"] = [
            f"'{abuse_type}' is not an abuse type; use one of "
            f"{', '.join(sorted(codes['abuse-types']))}"
        ]
    if errors:
        raise ValidationError(errors)
    above = area_ancestor_ids(area_id=area.id)
    below = set() if area.is_district else area_descendant_ids(area_id=area.id) - {area.id}
    if not route:
        route_kind, source = "", ""
    elif route == ROUTE_SELF:
        route_kind, source = ROUTE_SELF, ROUTE_SELF
    else:
        route_kind, source = ROUTE_AGENCY, route
    return Need(
        tier=tier,
        area_ids=frozenset(above),
        area_id=area.id,
        area_slug=area.slug,
        area_name=area.name,
        area_descendant_ids=frozenset(below),
        route=route_kind,
        source=source,
        cohorts=frozenset({cohort}) if cohort else frozenset(),
        abuse_types=frozenset({abuse_type}) if abuse_type else frozenset(),
        labels=_labels(area_ids=above | below),
    )


def match_run_latest(*, referral: Referral) -> MatchRun | None:
    """The referral's latest match run with its matches (service and organisation loaded),
    eligible first by rank, then excluded by rule and name. Callers have already read the
    referral through a scoped selector."""
    rule_order = Case(
        *(When(excluded_rule=code, then=Value(i)) for i, (code, _label) in enumerate(RULES)),
        default=Value(len(RULES)),
    )
    matches = (
        Match.objects.select_related("service__organisation")
        .annotate(rule_order=rule_order)
        .order_by("-eligible", "rank", "rule_order", "service__name", "id")
    )
    return (
        MatchRun.objects.filter(referral=referral)
        .order_by("-ran_at")
        .prefetch_related(Prefetch("matches", queryset=matches))
        .first()
    )
