"""Scoped reads of case work. Each takes the user and applies the access policy, so an
object the user may not see is a 404, never a 403 (see `policies`), or takes a case, support
case or organisation the caller already read through one of these. Views and the API read
through here and never query the models themselves."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404

from pathways.accounts.models import Membership, Role

from ..models import (
    OPEN_CASE_STATUSES,
    OPEN_SUPPORT_STATUSES,
    Alert,
    Attendance,
    CaseAssessment,
    CaseNote,
    CaseStatusChange,
    Consent,
    EqualityProfile,
    GroupSession,
    Handover,
    PerpetratorCase,
    RiskEvent,
    Share,
    Side,
    StaffRecord,
    SupportCase,
    SupportNote,
    SupportStatus,
)
from ..policies import (
    can_view_risk_event,
    perpetrator_side_org_ids,
    support_side_org_ids,
)


def case_list_for_user(*, user: Any) -> QuerySet[PerpetratorCase]:
    """Perpetrator cases on services of the organisations the user works for on the
    perpetrator side (none for anyone else)."""
    orgs = perpetrator_side_org_ids(user)
    if not orgs:
        return PerpetratorCase.objects.none()
    return (
        PerpetratorCase.objects.filter(service__organisation_id__in=orgs)
        .select_related("service__organisation", "worker")
        # Whole rows, not `.only(...)` dates: a caller that chains on `case.assessments`
        # (say `.select_related("assessed_by")`) gets the prefetched queryset, and a deferred
        # foreign key there cannot be followed.
        .prefetch_related("assessments")
    )


def case_get_for_user(*, user: Any, reference: str) -> PerpetratorCase:
    """One perpetrator case the user may read, or 404."""
    try:
        return case_list_for_user(user=user).get(reference=str(reference).strip().upper())
    except PerpetratorCase.DoesNotExist as exc:
        raise Http404("No such case") from exc


def support_case_list_for_user(*, user: Any) -> QuerySet[SupportCase]:
    """Support cases of the organisations the user supports victim-survivors for, except
    any linked to a perpetrator case the user works (1.2)."""
    orgs = support_side_org_ids(user)
    if not orgs:
        return SupportCase.objects.none()
    return (
        SupportCase.objects.filter(organisation_id__in=orgs)
        .exclude(perpetrator_case__worker=user)
        .select_related("organisation", "worker", "perpetrator_case__service")
    )


def support_case_get_for_user(*, user: Any, reference: str) -> SupportCase:
    """One support case the user may read, or 404."""
    try:
        return support_case_list_for_user(user=user).get(reference=str(reference).strip().upper())
    except SupportCase.DoesNotExist as exc:
        raise Http404("No such support case") from exc


def _support_case_reference_only() -> list[str]:
    """The support case's columns to leave unread where a risk event shows only which
    support case raised it: everything but its id and reference."""
    return [
        f"support_case__{field.name}"
        for field in SupportCase._meta.concrete_fields
        if field.name not in ("id", "reference")
    ]


def risk_events_for_case(*, case: PerpetratorCase) -> QuerySet[RiskEvent]:
    """Every risk event on a perpetrator case (for its perpetrator-side staff). Of a support
    case an event was raised from, only the reference is read."""
    return case.risk_events.select_related("raised_by", "support_case", "victim_told_by").defer(
        *_support_case_reference_only()
    )


def risk_events_for_support_case(*, support_case: SupportCase) -> QuerySet[RiskEvent]:
    """Risk events a support worker sees: those raised on the perpetrator side of the linked
    case and those raised from this support case (not other victim-survivors')."""
    if support_case.perpetrator_case_id is None:
        return RiskEvent.objects.none()
    return (
        RiskEvent.objects.filter(case_id=support_case.perpetrator_case_id)
        .filter(Q(raised_side=Side.PERPETRATOR) | Q(support_case=support_case))
        .select_related("raised_by", "victim_told_by")
    )


def risk_event_list_for_user(*, user: Any, needs_victim_told: bool = False) -> QuerySet[RiskEvent]:
    """Risk events the user may read: on cases they work either side of, or are named on
    (with `needs_victim_told`, only specific threats the person at risk was not told of)."""
    if not getattr(user, "is_authenticated", False):
        return RiskEvent.objects.none()
    perp = perpetrator_side_org_ids(user)
    sup = support_side_org_ids(user)
    named = Q(case__statutory_lead=user) | Q(case__police_contact=user) | Q(case__panel_chair=user)
    visible = named | Q(case__service__organisation_id__in=perp)
    if sup:
        visible |= Q(
            raised_side=Side.PERPETRATOR, case__support_cases__organisation_id__in=sup
        ) & ~Q(case__worker=user)
        visible |= Q(support_case__organisation_id__in=sup) & ~Q(case__worker=user)
    events = (
        RiskEvent.objects.filter(visible)
        .distinct()
        .select_related("case__service", "raised_by", "support_case")
    )
    if needs_victim_told:
        events = events.exclude(threat_to="").filter(victim_told_at__isnull=True)
    return events


def risk_event_get_for_user(*, user: Any, event_id: Any) -> RiskEvent:
    """One risk event the user may read, or 404."""
    try:
        event = risk_event_list_for_user(user=user).get(pk=event_id)
    except (RiskEvent.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such risk event") from exc
    if not can_view_risk_event(user, event):
        raise Http404("No such risk event")
    return event


def alert_list_for_user(*, user: Any, open_only: bool = False) -> QuerySet[Alert]:
    """Alerts delivered to the user, unacknowledged first."""
    if not getattr(user, "is_authenticated", False):
        return Alert.objects.none()
    qs = Alert.objects.filter(recipient=user).select_related("case", "risk_event")
    if open_only:
        qs = qs.filter(acknowledged_at__isnull=True)
    # Unacknowledged (NULL) first on every database: PostgreSQL sorts NULLs last by default.
    return qs.order_by(F("acknowledged_at").asc(nulls_first=True), "-created_at", "-id")


def alert_get_for_user(*, user: Any, alert_id: Any) -> Alert:
    """One of the user's own alerts, or 404."""
    try:
        return alert_list_for_user(user=user).get(pk=alert_id)
    except (Alert.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such alert") from exc


def threats_awaiting_victim_told(*, user: Any) -> QuerySet[RiskEvent]:
    """Specific threats on the user's support cases that the victim-survivor has not yet
    been told of."""
    mine = support_case_list_for_user(user=user)
    linked_cases = mine.filter(perpetrator_case__isnull=False).values("perpetrator_case_id")
    # The same events risk_events_for_support_case shows: raised on the perpetrator side of
    # a linked case, or raised from one of the user's own support cases.
    visible = Q(raised_side=Side.PERPETRATOR, case_id__in=linked_cases) | Q(
        support_case__in=mine.values("pk")
    )
    return (
        RiskEvent.objects.filter(visible, victim_told_at__isnull=True)
        .exclude(threat_to="")
        .select_related("case")
    )


def caseloads_for_organisation(*, organisation_id: Any) -> list[dict[str, Any]]:
    """Each worker of the organisation with their open perpetrator and support cases (one
    query)."""
    users = (
        get_user_model()
        .objects.filter(
            memberships__organisation_id=organisation_id,
            memberships__role__in=(Role.PERPETRATOR_WORKER, Role.SUPPORT_WORKER),
            is_active=True,
        )
        .distinct()
        .annotate(
            open_cases=Count(
                "perpetrator_cases",
                filter=Q(perpetrator_cases__status__in=OPEN_CASE_STATUSES),
                distinct=True,
            ),
            open_support=Count(
                "support_cases",
                filter=Q(support_cases__status__in=OPEN_SUPPORT_STATUSES),
                distinct=True,
            ),
        )
        .order_by("last_name", "first_name", "username")
    )
    return [
        {
            "user": u,
            "open_cases": u.open_cases,
            "open_support": u.open_support,
            "total": u.open_cases + u.open_support,
        }
        for u in users
    ]


def staff_records_for_organisation(*, organisation_id: Any) -> QuerySet[StaffRecord]:
    """The organisation's staff records with their users."""
    return StaffRecord.objects.filter(organisation_id=organisation_id).select_related("user")


def active_users() -> QuerySet[Any]:
    """Every active user, for naming a person by id; whether they may hold a role on a case
    is the service's rule."""
    return get_user_model().objects.filter(is_active=True)


# --- The perpetrator case list ---------------------------------------------------------------


def case_list_filtered_for_user(
    *,
    user: Any,
    mine: bool = False,
    statuses: Iterable[str] | None = None,
    risk: str | None = None,
    service_id: Any = None,
) -> QuerySet[PerpetratorCase]:
    """The user's perpetrator cases (`case_list_for_user`) narrowed to those allocated to
    them, in the given statuses, at the given current risk ("" for none) or on a service."""
    qs = case_list_for_user(user=user)
    if mine:
        qs = qs.filter(worker=user)
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    if risk is not None:
        qs = qs.filter(current_risk=risk)
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    return qs


class CaseSortFacts(NamedTuple):
    """What sorting the case list needs of one case, read without loading the case."""

    id: Any
    reference: str
    person_name: str
    status: str
    current_risk: str
    service_id: Any
    opened_at: dt.datetime
    latest_assessed_on: dt.date | None


def case_sort_facts(*, cases: QuerySet[PerpetratorCase]) -> list[CaseSortFacts]:
    """The sort facts of every case in an already scoped queryset, in one query."""
    rows = (
        cases.prefetch_related(None)
        .select_related(None)
        .order_by()
        .annotate(latest=Max("assessments__assessed_on"))
        .values_list(
            "id",
            "reference",
            "person_name",
            "status",
            "current_risk",
            "service_id",
            "opened_at",
            "latest",
        )
    )
    return [CaseSortFacts(*row) for row in rows]


def case_page_for_user(*, user: Any, ids: list[Any]) -> list[PerpetratorCase]:
    """The user's cases with these ids, in this order, each annotated with
    `has_open_support` and `consent_state` (the latest consent decision): two queries, the
    cases and their assessments."""
    if not ids:
        return []
    open_support = SupportCase.objects.filter(perpetrator_case=OuterRef("pk")).exclude(
        status=SupportStatus.CLOSED
    )
    latest_consent = Consent.objects.filter(case=OuterRef("pk")).order_by("-created_at", "-id")
    found = {
        case.pk: case
        for case in case_list_for_user(user=user)
        .filter(pk__in=ids)
        .annotate(
            has_open_support=Exists(open_support),
            consent_state=Subquery(latest_consent.values("state")[:1]),
        )
    }
    return [found[pk] for pk in ids if pk in found]


def cases_by_reference_for_user(*, user: Any, references: Iterable[str]) -> dict[str, Any]:
    """The user's perpetrator cases with these references, by reference (others are left
    out, as if unknown)."""
    return {
        case.reference: case
        for case in case_list_for_user(user=user).filter(reference__in=list(references))
    }


def open_cases_on_service_for_user(*, user: Any, service: Any) -> list[PerpetratorCase]:
    """The user's open perpetrator cases on one service, by person's name."""
    return list(
        case_list_for_user(user=user)
        .prefetch_related(None)
        .filter(service=service, status__in=OPEN_CASE_STATUSES)
        .order_by("person_name", "reference")
    )


# --- One perpetrator case's record (the case already read through `case_get_for_user`) -----


def case_with_record(*, case: PerpetratorCase) -> PerpetratorCase:
    """The case reloaded with the people named on it, its history, consents and
    assessments, for its full record."""
    return (
        PerpetratorCase.objects.select_related(
            "service",
            "referral",
            "worker",
            "no_victim_approved_by",
            "statutory_lead",
            "police_contact",
            "panel_chair",
        )
        .prefetch_related("history__by", "consents__recorded_by", "assessments")
        .get(pk=case.pk)
    )


def support_links_for_case(*, case: PerpetratorCase) -> list[dict[str, Any]]:
    """Support cases linked to the case as `reference`, `status` and `worker_id`, oldest
    first: all the perpetrator side may learn of them."""
    rows = (
        SupportCase.objects.filter(perpetrator_case=case)
        .order_by("opened_at", "reference")
        .values("reference", "status", "worker_id")
    )
    return [dict(row) for row in rows]


def consents_for_case(*, case: PerpetratorCase) -> QuerySet[Consent]:
    """The case's consent decisions, latest first, with who recorded each."""
    return case.consents.select_related("recorded_by").order_by("-created_at", "-id")


def assessments_for_case(*, case: PerpetratorCase) -> QuerySet[CaseAssessment]:
    """The case's assessments, latest first, with who made each."""
    return (
        CaseAssessment.objects.filter(case=case)
        .select_related("assessed_by")
        .order_by("-assessed_on", "-created_at", "-id")
    )


def attendance_for_case(*, case: PerpetratorCase) -> QuerySet[Attendance]:
    """The case's session attendance, latest session first."""
    return case.attendance.select_related("session").order_by(
        "-session__held_on", "-session__created_at"
    )


def notes_for_case(*, case: PerpetratorCase) -> QuerySet[CaseNote]:
    """The case's notes (perpetrator side only), latest first, with their authors."""
    return case.notes.select_related("author").order_by("-created_at", "-id")


def handovers_for_case(*, case: PerpetratorCase) -> QuerySet[Handover]:
    """The case's risk handovers, latest first."""
    return case.handovers.select_related("to_organisation", "recorded_by").order_by(
        "-created_at", "-id"
    )


def shares_for_case(*, case: PerpetratorCase) -> QuerySet[Share]:
    """What was shared from the case, latest first."""
    return case.shares.select_related("to_organisation", "shared_by")


def status_history_for_case(*, case: PerpetratorCase) -> QuerySet[CaseStatusChange]:
    """The case's status changes, oldest first, with who made each."""
    return case.history.select_related("by")


def equality_profile_for_case(*, case: PerpetratorCase) -> EqualityProfile | None:
    """The equality monitoring answers recorded on the case, or None."""
    return EqualityProfile.objects.filter(case=case).first()


def session_with_attendance(*, session: GroupSession) -> GroupSession:
    """A session the caller just recorded, reloaded with its service and attendance."""
    return (
        GroupSession.objects.select_related("service")
        .prefetch_related("attendance__case")
        .get(pk=session.pk)
    )


def session_attendance_count(*, session: GroupSession) -> int:
    """How many people's attendance a session the caller just recorded holds."""
    return session.attendance.count()


# --- Managing an organisation (one the caller manages, already checked) ---------------------


def allocation_override_counts(*, organisation_id: Any) -> dict[Any, int]:
    """Cases on the organisation's services allocated above the maximum caseload (a
    manager's override reason is kept on the case), counted by the case's worker."""
    rows = (
        PerpetratorCase.objects.filter(service__organisation_id=organisation_id)
        .exclude(allocation_override_reason="")
        .values("worker_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["worker_id"]: row["n"] for row in rows}


def cases_awaiting_no_victim_approval(
    *, user: Any, organisation_id: Any
) -> QuerySet[PerpetratorCase]:
    """The user's open cases of the organisation with a recorded no-victim-survivor reason
    no manager has approved yet, oldest first."""
    return (
        case_list_for_user(user=user)
        .filter(
            service__organisation_id=organisation_id,
            status__in=OPEN_CASE_STATUSES,
            no_victim_approved_at__isnull=True,
        )
        .exclude(no_victim_reason="")
        .prefetch_related(None)
        .select_related("service", "worker")
        .order_by("updated_at", "pk")
    )


def members_of_organisation(*, organisation_id: Any) -> QuerySet[Any]:
    """Active members of the organisation by name, each with their memberships there as
    `roles_here` (two queries)."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation_id=organisation_id, is_active=True)
        .distinct()
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(organisation_id=organisation_id).order_by(
                    "role"
                ),
                to_attr="roles_here",
            )
        )
        .order_by("last_name", "first_name", "username")
    )


def member_get_for_organisation(*, organisation_id: Any, user_id: Any) -> Any:
    """One active member of the organisation (with `roles_here`), or 404."""
    try:
        member = members_of_organisation(organisation_id=organisation_id).filter(pk=user_id).first()
    except (ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such member of staff") from exc
    if member is None:
        raise Http404("No such member of staff")
    return member


def staff_record_for_member(*, organisation_id: Any, user_id: Any) -> StaffRecord | None:
    """A member's staff record at the organisation, or None when none is kept yet."""
    return (
        staff_records_for_organisation(organisation_id=organisation_id)
        .filter(user_id=user_id)
        .first()
    )


def perpetrator_worker_caseloads(*, organisation_id: Any) -> list[dict[str, Any]]:
    """The organisation's active perpetrator-side workers with their open caseloads (as
    `caseloads_for_organisation`)."""
    worker_ids = set(
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id=organisation_id,
            memberships__role=Role.PERPETRATOR_WORKER,
        )
        .values_list("pk", flat=True)
    )
    return [
        row
        for row in caseloads_for_organisation(organisation_id=organisation_id)
        if row["user"].pk in worker_ids
    ]


def support_worker_caseloads_for_support_case(*, support_case: SupportCase) -> list[dict[str, Any]]:
    """The active support workers of the support case's organisation with their open
    caseloads, never the worker on the linked perpetrator case (1.2)."""
    org_id = support_case.organisation_id
    support_ids = set(
        Membership.objects.filter(
            organisation_id=org_id, role=Role.SUPPORT_WORKER, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    linked = support_case.perpetrator_case
    perp_worker_id = linked.worker_id if linked is not None else None
    return [
        row
        for row in caseloads_for_organisation(organisation_id=org_id)
        if row["user"].pk in support_ids and row["user"].pk != perp_worker_id
    ]


# --- The support side --------------------------------------------------------------------------


def support_case_list_filtered_for_user(
    *,
    user: Any,
    mine: bool = False,
    unallocated: bool = False,
    status: str = "",
) -> QuerySet[SupportCase]:
    """The user's support cases (`support_case_list_for_user`) narrowed to those allocated
    to them, or to nobody, or in one status."""
    qs = support_case_list_for_user(user=user)
    if mine:
        qs = qs.filter(worker=user)
    elif unallocated:
        qs = qs.filter(worker__isnull=True)
    if status:
        qs = qs.filter(status=status)
    return qs


def support_case_list_with_threats_for_user(
    *,
    user: Any,
    mine: bool = False,
    unallocated: bool = False,
    status: str = "",
    threats_first: bool = False,
) -> QuerySet[SupportCase]:
    """The user's support cases (narrowed as `support_case_list_filtered_for_user`), newest
    first, each with `threat_awaiting`: a specific threat this support case sees still waits
    for the victim-survivor to be told (those first with `threats_first`)."""
    awaiting = (
        threats_awaiting_victim_told(user=user)
        .filter(case_id=OuterRef("perpetrator_case_id"))
        .filter(Q(raised_side=Side.PERPETRATOR) | Q(support_case_id=OuterRef("pk")))
    )
    qs = support_case_list_filtered_for_user(
        user=user, mine=mine, unallocated=unallocated, status=status
    ).annotate(threat_awaiting=Exists(awaiting))
    order = ["-opened_at", "reference"]
    if threats_first:
        order = ["-threat_awaiting", *order]
    return qs.order_by(*order)


def support_case_with_record(*, support_case: SupportCase) -> SupportCase:
    """The (already scoped) support case reloaded with its organisation, service, linked
    case, worker, history and consents, for its full record."""
    return (
        SupportCase.objects.select_related("organisation", "service", "perpetrator_case", "worker")
        .prefetch_related("history__by", "consents__recorded_by")
        .get(pk=support_case.pk)
    )


def notes_for_support_case(*, support_case: SupportCase) -> QuerySet[SupportNote]:
    """The victim-survivor's own notes, latest first, with their authors."""
    return support_case.notes.select_related("author").order_by("-created_at", "-id")


def consents_for_support_case(*, support_case: SupportCase) -> QuerySet[Consent]:
    """The support case's consent decisions, latest first, with who recorded each."""
    return support_case.consents.select_related("recorded_by")


def status_history_for_support_case(*, support_case: SupportCase) -> QuerySet[CaseStatusChange]:
    """The support case's status changes, oldest first."""
    return support_case.history.all()


def equality_profile_for_support_case(*, support_case: SupportCase) -> EqualityProfile | None:
    """The equality monitoring answers recorded on the support case, or None."""
    try:
        return support_case.equality  # type: ignore[no-any-return]
    except ObjectDoesNotExist:
        return None
