"""Reads of standards data shared by pages, the API, exports and commands; access applied here.

An assessment another user may not read is a 404, never a 403. Public pages get only the
per-status counts of a service's latest finalised assessment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.accounts.policies import has_role, user_organisation_ids
from pathways.areas.models import Area
from pathways.areas.selectors import area_ancestor_ids, area_descendant_ids
from pathways.directory.models import Service, ServiceArea, ServiceClaim, TaxonomyTerm

from . import checks
from .models import (
    RATING_ORDER,
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Attachment,
    Checklist,
    ChecklistQuestion,
    EvidenceSource,
    Framework,
    Item,
    ItemRating,
    Rating,
    RiskTierDefinition,
    TierCriteria,
)

EVIDENCE_LABELS = dict(EvidenceSource.choices)


# --------------------------------------------------------------------------------------
# Frameworks
# --------------------------------------------------------------------------------------


def framework_list(*, include_old: bool = False) -> QuerySet[Framework]:
    """Frameworks by title; only current editions unless asked. Reference data for signed-in roles."""
    qs = Framework.objects.annotate(item_count=Count("items", distinct=True))
    if not include_old:
        qs = qs.filter(is_current=True)
    return qs.prefetch_related(
        Prefetch("checklists", queryset=Checklist.objects.order_by("position"))
    ).order_by("title", "-year")


def framework_get(*, slug: str, version: str | None = None) -> Framework:
    """One framework edition (the current one when no version is given), or 404."""
    qs = Framework.objects.filter(slug=slug)
    qs = qs.filter(version=version) if version else qs.filter(is_current=True)
    framework = qs.first()
    if framework is None:
        raise Http404("No such framework")
    return framework


def framework_items(*, framework: Framework) -> QuerySet[Item]:
    """A framework's items in source order, with parents and checklist questions."""
    return (
        Item.objects.filter(framework=framework)
        .select_related("parent")
        .prefetch_related(
            Prefetch("questions", queryset=ChecklistQuestion.objects.select_related("checklist"))
        )
        .order_by("position")
    )


def checklist_list() -> QuerySet[Checklist]:
    """Every checklist of a current framework edition, for the start-an-assessment form."""
    return (
        Checklist.objects.filter(framework__is_current=True)
        .select_related("framework")
        .annotate(question_count=Count("questions"))
        .order_by("framework__title", "position")
    )


# --------------------------------------------------------------------------------------
# Assessments
# --------------------------------------------------------------------------------------


def _count(value: str) -> Count:
    return Count(
        "ratings",
        filter=Q(ratings__agreed_status=value)
        | Q(ratings__agreed_status="", ratings__status=value),
    )


def with_counts(qs: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """Annotate `count_<rating>` for every rating, counted on the final (reviewed) status."""
    return qs.annotate(**{f"count_{value}": _count(value) for value in RATING_ORDER})


def assessment_queryset_for_user(*, user: Any) -> QuerySet[Assessment]:
    """Assessments the user may read (the same rule as `policies.can_read_assessment`):
    admins all; provider managers their organisation's, except a commissioner's draft;
    commissioners everything but self-assessment drafts; analysts everything but drafts."""
    qs = Assessment.objects.select_related(
        "service__organisation", "framework", "checklist", "started_by", "returned_by"
    ).filter(service__deleted_at__isnull=True)
    if has_role(user, Role.ADMIN):
        return qs
    draft = Q(status=AssessmentStatus.DRAFT)
    commissioner_led = Q(kind=AssessmentKind.COMMISSIONER)
    scope = Q(service__organisation_id__in=user_organisation_ids(user, Role.PROVIDER_MANAGER)) & ~(
        draft & commissioner_led
    )
    if has_role(user, Role.COMMISSIONER):
        scope |= ~draft | commissioner_led
    elif has_role(user, Role.ANALYST):
        scope |= ~draft
    return qs.filter(scope)


def service_get_for_assessment(*, user: Any, service_id: Any) -> Service:
    """A live service the user may start an assessment of, or 404.

    Commissioners and administrators: any service. Provider managers: their own
    organisation's (another organisation's service is not found). Everyone else: none.
    """
    qs = Service.objects.filter(pk=service_id, deleted_at__isnull=True).select_related(
        "organisation"
    )
    if not has_role(user, Role.COMMISSIONER, Role.ADMIN):
        qs = qs.filter(organisation_id__in=user_organisation_ids(user, Role.PROVIDER_MANAGER))
    service = qs.first()
    if service is None:
        raise Http404("No such service")
    return service


def services_to_assess_for_user(*, user: Any, query: str = "", limit: int = 50) -> list[Service]:
    """Live services a commissioner (or admin) may assess, by name, optionally filtered."""
    if not has_role(user, Role.COMMISSIONER, Role.ADMIN):
        return []
    qs = Service.objects.filter(deleted_at__isnull=True).select_related("organisation")
    if query.strip():
        qs = qs.filter(name__icontains=query.strip())
    return list(qs.order_by("name", "id")[:limit])


def assessment_list_for_user(
    *, user: Any, status: str = "", service_id: Any = None
) -> QuerySet[Assessment]:
    """Readable assessments, newest first, with per-status counts (a constant number of queries)."""
    qs = assessment_queryset_for_user(user=user)
    if status:
        qs = qs.filter(status=status)
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    return with_counts(qs).order_by("-created_at", "id")


def assessment_get_for_user(*, user: Any, assessment_id: Any) -> Assessment:
    """One readable assessment with its ratings, questions, items and attachments, or 404."""
    qs = assessment_queryset_for_user(user=user).prefetch_related(
        Prefetch(
            "ratings",
            queryset=ItemRating.objects.select_related("question", "reviewed_by")
            .prefetch_related(
                Prefetch("question__items", queryset=Item.objects.order_by("position")),
                Prefetch("attachments", queryset=Attachment.objects.order_by("created_at")),
            )
            .order_by("position"),
        )
    )
    assessment = qs.filter(pk=assessment_id).first()
    if assessment is None:
        raise Http404("No such assessment")
    return assessment


def rating_get_for_user(*, user: Any, assessment: Assessment, rating_id: Any) -> ItemRating:
    """One rating of an assessment already read through `assessment_get_for_user`, or 404."""
    for rating in assessment.ratings.all():
        if rating.pk == rating_id:
            return rating
    raise Http404("No such item")


def attachment_get_for_user(*, user: Any, attachment_id: Any) -> Attachment:
    """An attachment of an assessment the user may read, or 404."""
    attachment = (
        Attachment.objects.select_related("rating__assessment")
        .filter(
            pk=attachment_id,
            rating__assessment__in=assessment_queryset_for_user(user=user).values("pk"),
        )
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment")
    return attachment


def assessment_counts(assessment: Assessment) -> dict[str, int]:
    """Counts by final rating in a fixed order: green, amber, red, not_applicable, not_rated."""
    if hasattr(assessment, f"count_{Rating.GREEN}"):
        return {value: getattr(assessment, f"count_{value}") for value in RATING_ORDER}
    counts = dict.fromkeys(RATING_ORDER, 0)
    for rating in assessment.ratings.all():
        counts[rating.final_status] += 1
    return counts


@dataclass(frozen=True)
class RatingRow:
    """One question of an assessment as plain data, for pages, exports, the API and compare."""

    id: int
    key: str
    codes: list[str]
    question: str
    status: str
    final_status: str
    finding: str
    evidence: list[str]
    evidence_sources: list[str]
    evidence_note: str
    review_date: dt.date | None
    decision: str
    review_reason: str
    checks: list[str] = field(default_factory=list)


def _rating_row(rating: ItemRating) -> RatingRow:
    items = list(rating.question.items.all())
    names = {rating.question.auto_check, *(i.auto_check for i in items)} - {""}
    return RatingRow(
        id=rating.pk,
        key=rating.question.key,
        codes=[i.code for i in items],
        question=rating.question.question,
        status=rating.status,
        final_status=rating.final_status,
        finding=rating.finding,
        evidence=[EVIDENCE_LABELS.get(s, s) for s in rating.evidence_sources],
        evidence_sources=list(rating.evidence_sources),
        evidence_note=rating.evidence_note,
        review_date=rating.review_date,
        decision=rating.get_decision_display() if rating.decision else "",
        review_reason=rating.review_reason,
        checks=sorted(names),
    )


def assessment_rows(assessment: Assessment) -> list[RatingRow]:
    """The assessment's questions in order, as plain rows (uses prefetched ratings)."""
    ratings = assessment.ratings.all()
    if not getattr(assessment, "_prefetched_objects_cache", {}).get("ratings"):
        ratings = ratings.select_related("question").prefetch_related(
            Prefetch("question__items", queryset=Item.objects.order_by("position"))
        )
    return [_rating_row(r) for r in sorted(ratings, key=lambda r: r.position)]


def overdue_ambers_for_user(*, user: Any, today: dt.date | None = None) -> QuerySet[ItemRating]:
    """Amber items of each service's latest finalised assessment whose review date has passed."""
    today = today or timezone.localdate()
    later = Assessment.objects.filter(
        service_id=OuterRef("assessment__service_id"),
        framework__slug=OuterRef("assessment__framework__slug"),
        status=AssessmentStatus.FINALISED,
        finalised_at__gt=OuterRef("assessment__finalised_at"),
    )
    return (
        ItemRating.objects.filter(
            assessment__in=assessment_queryset_for_user(user=user).values("pk"),
            assessment__status=AssessmentStatus.FINALISED,
            agreed_status=Rating.AMBER,
            review_date__lt=today,
        )
        .exclude(Exists(later))
        .select_related("assessment__service__organisation", "assessment__checklist", "question")
        .order_by("review_date", "id")
    )


def assessments_needing_reassessment_for_user(*, user: Any) -> QuerySet[Assessment]:
    """Finalised assessments that do not meet the standard and have no later assessment."""
    later = Assessment.objects.filter(
        service_id=OuterRef("service_id"),
        framework__slug=OuterRef("framework__slug"),
        number__gt=OuterRef("number"),
    )
    return (
        assessment_queryset_for_user(user=user)
        .filter(status=AssessmentStatus.FINALISED, outcome="does_not_meet")
        .exclude(Exists(later))
        .order_by("-finalised_at")
    )


@dataclass(frozen=True)
class CompareRow:
    key: str
    question: str
    codes: list[str]
    first: str | None
    second: str | None
    first_finding: str
    second_finding: str

    @property
    def changed(self) -> bool:
        return self.first != self.second


def assessment_compare(first: Iterable[RatingRow], second: Iterable[RatingRow]) -> list[CompareRow]:
    """Pair two assessments' rows by question key (items only in one side are kept). Pure."""
    a = {r.key: r for r in first}
    b = {r.key: r for r in second}
    keys = list(a) + [k for k in b if k not in a]
    rows = []
    for key in keys:
        ra, rb = a.get(key), b.get(key)
        ref = ra if ra is not None else b[key]
        rows.append(
            CompareRow(
                key=key,
                question=ref.question,
                codes=ref.codes,
                first=ra.final_status if ra else None,
                second=rb.final_status if rb else None,
                first_finding=ra.finding if ra else "",
                second_finding=rb.finding if rb else "",
            )
        )
    return rows


# --------------------------------------------------------------------------------------
# Public counts and the command-line summary
# --------------------------------------------------------------------------------------


def latest_finalised_for_service(*, service_id: Any) -> Assessment | None:
    """A service's most recently finalised assessment with counts. Public: counts only."""
    return (
        with_counts(
            Assessment.objects.filter(
                service_id=service_id, status=AssessmentStatus.FINALISED
            ).select_related("framework", "checklist")
        )
        .order_by("-finalised_at", "-number")
        .first()
    )


def service_find_by_name(*, name: str) -> Service:
    """The one live service with this name (exact, then partial match, ignoring case).

    Raises LookupError naming the candidates when no service or several match.
    """
    live = Service.objects.filter(deleted_at__isnull=True).select_related("organisation")
    matches = list(live.filter(name__iexact=name.strip())[:11])
    if not matches:
        matches = list(live.filter(name__icontains=name.strip()).order_by("name")[:11])
    if not matches:
        raise LookupError(f"No service is called “{name}”.")
    if len(matches) > 1:
        listed = "; ".join(f"{s.name} ({s.organisation.name})" for s in matches[:10])
        raise LookupError(
            f"“{name}” matches {len(matches)} services: {listed}. Give the full name."
        )
    return matches[0]


def service_latest_assessment_summary(*, service: Service) -> dict[str, Any] | None:
    """The service's latest assessment as framework, checklist, status and counts (plain data)."""
    assessment = (
        with_counts(
            Assessment.objects.filter(service=service).select_related("framework", "checklist")
        )
        .order_by("-number")
        .first()
    )
    if assessment is None:
        return None
    return {
        "service": service.name,
        "framework": f"{assessment.framework.slug} {assessment.framework.version}",
        "framework_title": assessment.framework.title,
        "checklist": assessment.checklist.key,
        "status": assessment.status,
        "outcome": assessment.outcome,
        "kind": assessment.kind,
        "counts": assessment_counts(assessment),
    }


# --------------------------------------------------------------------------------------
# Facts for automatic checks and tier checks
# --------------------------------------------------------------------------------------


def _services_with_facts(service_ids: Iterable[Any]) -> QuerySet[Service]:
    return Service.objects.filter(pk__in=list(service_ids)).prefetch_related(
        Prefetch("claims", queryset=ServiceClaim.objects.order_by("dimension")),
        Prefetch("taxonomy_terms", queryset=TaxonomyTerm.objects.select_related("taxonomy")),
        Prefetch("service_areas", queryset=ServiceArea.objects.only("service_id", "area_id")),
    )


def service_facts(service: Service) -> dict[str, Any]:
    """The plain data the automatic checks read (uses prefetched claims and terms if present)."""
    return {
        "intervention_type": service.intervention_type,
        "delivery_status": service.delivery_status,
        "duration_weeks": service.duration_weeks,
        "delivery_formats": list(service.delivery_formats or []),
        "integrated_victim_support": service.integrated_victim_support,
        "victim_support_partner": service.victim_support_partner,
        "accreditation": service.accreditation,
        "evaluation_status": service.evaluation_status,
        "claims": {c.dimension: c.value for c in service.claims.all()},
        "referral_routes": sorted(
            t.code for t in service.taxonomy_terms.all() if t.taxonomy.slug == "referral-routes"
        ),
    }


def assessment_proposals(*, assessment: Assessment) -> dict[int, list[checks.Proposal]]:
    """Automatic-check proposals per rating id, for questions whose items the directory can answer."""
    service = _services_with_facts([assessment.service_id]).first()
    if service is None:
        return {}
    facts = service_facts(service)
    return {
        row.id: checks.run_checks(row.checks, facts)
        for row in assessment_rows(assessment)
        if row.checks
    }


def tier_definition_list() -> QuerySet[RiskTierDefinition]:
    """Every area's risk-tier definition with its criteria."""
    return RiskTierDefinition.objects.select_related("area").prefetch_related(
        Prefetch("criteria", queryset=TierCriteria.objects.order_by("tier"))
    )


def tier_definition_get(*, area_slug: str) -> RiskTierDefinition | None:
    """An area's definition, or None when the partnership has not recorded one."""
    return tier_definition_list().filter(area__slug=area_slug).first()


def tier_definition_as_data(definition: RiskTierDefinition) -> dict[str, dict[str, Any]]:
    """A definition as the plain mapping `checks.tier_claim_check` takes."""
    return {
        c.tier: {
            "requires_intensive_case_management": c.requires_intensive_case_management,
            "requires_multi_agency_links": c.requires_multi_agency_links,
            "requires_integrated_victim_support": c.requires_integrated_victim_support,
            "min_duration_weeks": c.min_duration_weeks,
            "accepted_referral_routes": list(c.accepted_referral_routes),
        }
        for c in definition.criteria.all()
    }


def tier_claim_checks_for_services(
    service_ids: Iterable[Any], *, area_slug: str | None = None
) -> dict[Any, list[checks.TierCheck]]:
    """Each service's risk-tier claims checked against the agreed definition. For mapping.

    With `area_slug`, that area's definition applies to every service; otherwise each
    service is checked against the definitions of the areas it serves and the areas above
    them (a Leeds service meets the West Yorkshire definition). Services with no claimed
    tier, or no definition that applies, map to an empty list. A constant number of queries.
    """
    ids = list(service_ids)
    definitions = list(tier_definition_list())
    if area_slug is not None:
        definitions = [d for d in definitions if d.area.slug == area_slug]
    if not definitions or not ids:
        return {sid: [] for sid in ids}
    data = {d.area_id: tier_definition_as_data(d) for d in definitions}
    # One read of the hierarchy serves every service (area_ancestor_ids reads it per call).
    parents: dict[int, set[int]] = {}
    for child_id, parent_id in Area.parents.through.objects.values_list(
        "from_area_id", "to_area_id"
    ):
        parents.setdefault(child_id, set()).add(parent_id)

    def ancestors(area_id: int) -> set[int]:
        seen, stack = {area_id}, [area_id]
        while stack:
            for parent in parents.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    ancestors_cache: dict[int, set[int]] = {}
    result: dict[Any, list[checks.TierCheck]] = {}
    for service in _services_with_facts(ids):
        facts = service_facts(service)
        if area_slug is not None:
            applicable = list(data)
        else:
            served: set[int] = set()
            for sa in service.service_areas.all():
                if sa.area_id not in ancestors_cache:
                    ancestors_cache[sa.area_id] = ancestors(sa.area_id)
                served |= ancestors_cache[sa.area_id]
            applicable = [area_id for area_id in data if area_id in served]
        found: list[checks.TierCheck] = []
        for area_id in applicable:
            found.extend(checks.tier_claim_check(data[area_id], facts))
        result[service.pk] = found
    for sid in ids:
        result.setdefault(sid, [])
    return result


def tier_checks_for_area(*, area_slug: str) -> list[tuple[Service, list[checks.TierCheck]]]:
    """Services serving an area (or below it) that claim a tier, with their checks."""
    from pathways.areas.models import Area

    area = Area.objects.filter(slug=area_slug).first()
    if area is None:
        return []
    ids = list(
        Service.objects.filter(
            deleted_at__isnull=True,
            service_areas__area_id__in=area_descendant_ids(area_id=area.id)
            | area_ancestor_ids(area_id=area.id),
            claims__dimension__in=list(checks.TIER_CLAIM.values()),
            claims__value="yes",
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    found = tier_claim_checks_for_services(ids, area_slug=area_slug)
    services = {s.pk: s for s in Service.objects.filter(pk__in=ids).select_related("organisation")}
    return sorted(
        ((services[sid], result) for sid, result in found.items() if result),
        key=lambda pair: pair[0].name,
    )
