"""Perpetrator-side case pages, mounted at /cases/: the worker's list, opening a case,
the case page, and recording a session's attendance. The action pages on a case are in
`perpetrator_actions`.

Every page uses the CASE_WORK policy; which cases a person sees is decided by
`selectors.cases.case_list_for_user`, so another organisation's case is a 404. Opening a
case page is audited (`case_view_record`).

The victim-survivor's support record never appears here: a linked support case is shown
only as its reference, its status and whether a support worker is allocated, and those
three values are all the page is given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.accounts.models import Role
from pathways.accounts.policies import has_role
from pathways.referrals.reference import RiskTier

from ..forms_perpetrator import (
    SORTS,
    CaseFilterForm,
    CaseOpenForm,
    SessionForm,
    SessionServiceForm,
)
from ..models import (
    CASE_TRANSITIONS,
    EQUALITY_LABELS,
    EQUALITY_QUESTIONS,
    OPEN_CASE_STATUSES,
    CaseStatus,
    ConsentState,
    PerpetratorCase,
    SupportStatus,
)
from ..policies import CASE_WORK, is_manager_for
from ..selectors.cases import (
    CaseSortFacts,
    assessments_for_case,
    attendance_for_case,
    case_get_for_user,
    case_list_filtered_for_user,
    case_page_for_user,
    case_sort_facts,
    consents_for_case,
    equality_profile_for_case,
    handovers_for_case,
    notes_for_case,
    open_cases_on_service_for_user,
    risk_events_for_case,
    session_attendance_count,
    shares_for_case,
    status_history_for_case,
    support_links_for_case,
)
from ..selectors.directory import case_services_for_user
from ..services.common import assessment_intervals, case_list_view_record
from ..services.perpetrator import (
    CaseInput,
    activation_blockers,
    case_view_record,
    consent_in_force,
    ending_blockers,
    perpetrator_case_open,
)
from ..services.records import assessment_due_on, session_record
from .common import (
    CASE_STATUS_TAG_KEYS,
    PAGE_SIZE,
    RISK_TAG_KEYS,
    SUPPORT_STATUS_TAG_KEYS,
    add_service_errors,
    form_status,
)

OVERDUE_TAG_KEY = "failed"
FLAG_TAG_KEY = "stale"
CONSENTED = (ConsentState.GIVEN, ConsentState.WITHOUT_CONSENT)
ENDING_OR_PAUSING = (
    CaseStatus.CLOSED,
    CaseStatus.DROPPED_OUT,
    CaseStatus.DESELECTED,
    CaseStatus.SUSPENDED,
)
# The list ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sortable:
    """What ordering the list needs of each case, read in one light query."""

    id: Any
    reference: str
    person_name: str
    status: str
    current_risk: str
    opened_at: dt.datetime
    due_on: dt.date | None


@dataclass(frozen=True)
class Row:
    """One case in the list, with its tags and flags worked out once."""

    case: PerpetratorCase
    status_tag: str
    risk_tag: str
    due_on: dt.date | None
    overdue: bool
    flags: list[str]


def _due_on(status: str, opened_at: dt.datetime, latest: dt.date | None, interval: int) -> Any:
    """The same rule as `services.records.assessment_due_on`, from a light row."""
    if status not in OPEN_CASE_STATUSES:
        return None
    if latest is None:
        return timezone.localtime(opened_at).date()
    return latest + dt.timedelta(days=interval)


def _filtered_facts(user: Any, filters: dict[str, str]) -> list[CaseSortFacts]:
    """The sort facts of every case the list's filters match (one query)."""
    status = filters["status"]
    statuses: tuple[str, ...] | None = None
    if status == "open":
        statuses = OPEN_CASE_STATUSES
    elif status in CaseStatus.values:
        statuses = (status,)
    risk = filters["risk"]
    wanted_risk: str | None = None
    if risk == "none":
        wanted_risk = ""
    elif risk in RiskTier.values:
        wanted_risk = risk
    cases = case_list_filtered_for_user(
        user=user, mine=filters["scope"] == "mine", statuses=statuses, risk=wanted_risk
    )
    return case_sort_facts(cases=cases)


def _sorted(light: list[CaseSortFacts], sort: str, today: dt.date) -> list[_Sortable]:
    """The matching cases' sort facts (plus one query for the services' intervals), sorted
    in Python because the due date depends on each service's interval."""
    intervals = assessment_intervals({row.service_id for row in light}) if light else {}
    items = [
        _Sortable(
            id=row.id,
            reference=row.reference,
            person_name=row.person_name,
            status=row.status,
            current_risk=row.current_risk,
            opened_at=row.opened_at,
            due_on=_due_on(
                row.status, row.opened_at, row.latest_assessed_on, intervals[row.service_id]
            ),
        )
        for row in light
    ]
    never = dt.date.max
    if sort == "due":
        items.sort(key=lambda i: (i.due_on is None, i.due_on or never, i.reference))
    elif sort == "opened":
        items.sort(key=lambda i: (i.opened_at, i.reference), reverse=True)
    elif sort == "person":
        items.sort(key=lambda i: (i.person_name.casefold(), i.reference))
    elif sort == "reference":
        items.sort(key=lambda i: i.reference)
    else:  # priority: open cases, high risk first, then overdue, then soonest due
        items.sort(
            key=lambda i: (
                i.status not in OPEN_CASE_STATUSES,
                i.current_risk != RiskTier.HIGH,
                not (i.due_on is not None and i.due_on < today),
                i.due_on or never,
                i.reference,
            )
        )
    return items


def _flags(case: Any) -> list[str]:
    """What needs attention on an open case (annotated by `case_page_for_user`)."""
    if case.status not in OPEN_CASE_STATUSES:
        return []
    flags = []
    if case.engagement_review_due:
        flags.append("Engagement review due")
    if not case.has_open_support and not (case.no_victim_reason and case.no_victim_approved_at):
        flags.append("No linked support")
    if case.consent_state == ConsentState.WITHDRAWN:
        flags.append("Consent withdrawn")
    elif case.consent_state not in CONSENTED:
        flags.append("No consent")
    return flags


@policy_required(CASE_WORK)
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    default_scope = "mine" if has_role(user, Role.PERPETRATOR_WORKER) else "all"
    form = CaseFilterForm(request.GET or None, default_scope=default_scope)
    filters = form.filters()
    today = timezone.localdate()
    items = _sorted(_filtered_facts(user, filters), filters["sort"], today)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    cases = case_page_for_user(user=user, ids=[item.id for item in page.object_list])
    intervals = assessment_intervals({case.service_id for case in cases})
    rows = []
    for case in cases:
        due_on = assessment_due_on(case, intervals[case.service_id])
        rows.append(
            Row(
                case=case,
                status_tag=CASE_STATUS_TAG_KEYS.get(case.status, ""),
                risk_tag=RISK_TAG_KEYS.get(case.current_risk, ""),
                due_on=due_on,
                overdue=due_on is not None and due_on < today,
                flags=_flags(case),
            )
        )
    case_list_view_record(
        actor=user,
        object_type="perpetrator_case",
        references=[row.case.reference for row in rows],
        request=request,
    )
    if not form.is_bound:
        form = CaseFilterForm(initial=filters, default_scope=default_scope)
    return render(
        request,
        "cases/perpetrator/list.html",
        {
            "form": form,
            "filters": filters,
            "sort_label": SORTS[filters["sort"]],
            "page": page,
            "rows": rows,
            "overdue_tag_key": OVERDUE_TAG_KEY,
            "flag_tag_key": FLAG_TAG_KEY,
            "filtered": filters["status"] != "open" or bool(filters["risk"]),
            "has_services": case_services_for_user(user=user).exists(),
        },
    )


# Opening a case ---------------------------------------------------------------------------


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    services = case_services_for_user(user=request.user)
    form = CaseOpenForm(request.POST if request.method == "POST" else None, services=services)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = perpetrator_case_open(
                actor=request.user,
                service=data["service"],
                data=CaseInput(
                    person_name=data["person_name"],
                    intervention=data["intervention"],
                    tier=data["tier"],
                    person_date_of_birth=data["person_date_of_birth"],
                    person_gender=data["person_gender"],
                    planned_sessions=data["planned_sessions"],
                    planned_weeks=data["planned_weeks"],
                ),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, f"Case {case.reference} opened")
            return redirect("cases:case-detail", case_reference=case.reference)
    return render(
        request,
        "cases/perpetrator/new.html",
        {"form": form, "has_services": services.exists()},
        status=form_status(form),
    )


# The case page ----------------------------------------------------------------------------


def status_moves(case: PerpetratorCase) -> list[dict[str, Any]]:
    """The statuses the case may move to next, each with what stops the move now."""
    allowed = CASE_TRANSITIONS[case.status]
    moves = []
    for value, label in CaseStatus.choices:
        if value not in allowed:
            continue
        blockers = activation_blockers(case) if value == CaseStatus.ACTIVE else []
        blockers += ending_blockers(case, value)
        moves.append(
            {
                "value": value,
                "label": label,
                "blockers": blockers,
                "needs_reason": value in ENDING_OR_PAUSING,
            }
        )
    return moves


def linked_support(case: PerpetratorCase) -> list[dict[str, Any]]:
    """Support cases linked to the case, as reference, status and whether a support worker
    is allocated: nothing else of the support record is read."""
    labels = dict(SupportStatus.choices)
    return [
        {
            "reference": row["reference"],
            "status": labels.get(row["status"], row["status"]),
            "tag_key": SUPPORT_STATUS_TAG_KEYS.get(row["status"], ""),
            "allocated": row["worker_id"] is not None,
        }
        for row in support_links_for_case(case=case)
    ]


def equality_rows(case: PerpetratorCase) -> list[tuple[str, str]] | None:
    """The equality monitoring answers, or None when nothing is recorded."""
    profile = equality_profile_for_case(case=case)
    if profile is None:
        return None
    rows = []
    for question in EQUALITY_QUESTIONS:
        value = getattr(profile, question)
        label = getattr(profile, f"get_{question}_display")() if value else "Not answered"
        rows.append((EQUALITY_LABELS[question], str(label)))
    return rows


def history_rows(case: PerpetratorCase) -> list[dict[str, Any]]:
    """The case's status history, oldest first, with readable labels."""
    labels = dict(CaseStatus.choices)
    return [
        {
            "at": change.at,
            "by": change.by,
            "label": labels.get(change.to_status, change.to_status),
            "reason": change.reason,
        }
        for change in status_history_for_case(case=case)
    ]


def _consent_label(state: str) -> str:
    return str(dict(ConsentState.choices).get(state, "")) if state else ""


def _person(user: Any) -> str:
    if user is None:
        return "Nobody named"
    return user.get_full_name() or user.get_username()


@policy_required(CASE_WORK)
@require_GET
def case_detail(request: HttpRequest, case_reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=case_reference)
    case_view_record(actor=request.user, case=case, request=request)
    settings_interval = assessment_intervals({case.service_id})[case.service_id]
    due_on = assessment_due_on(case, settings_interval)
    today = timezone.localdate()
    consents = list(consents_for_case(case=case))
    return render(
        request,
        "cases/perpetrator/detail.html",
        {
            "case": case,
            "status_tag": CASE_STATUS_TAG_KEYS.get(case.status, ""),
            "risk_tag": RISK_TAG_KEYS.get(case.current_risk, ""),
            "overdue_tag_key": OVERDUE_TAG_KEY,
            "flag_tag_key": FLAG_TAG_KEY,
            "moves": status_moves(case) if case.is_open else [],
            "support_cases": linked_support(case),
            "consent_label": _consent_label(consent_in_force(case)),
            "consents": consents,
            "assessments": list(assessments_for_case(case=case)),
            "due_on": due_on,
            "overdue": due_on is not None and due_on < today,
            "interval": settings_interval,
            "attendance": list(attendance_for_case(case=case)),
            "notes": list(notes_for_case(case=case)),
            "handovers": list(handovers_for_case(case=case)),
            "risk_events": list(risk_events_for_case(case=case)),
            "history": history_rows(case),
            "shares": list(shares_for_case(case=case)),
            "equality": equality_rows(case),
            "contacts": [
                ("Named statutory lead", _person(case.statutory_lead)),
                ("Police contact", _person(case.police_contact)),
                ("Panel chair", _person(case.panel_chair)),
            ],
            "is_manager": is_manager_for(request.user, case.service.organisation_id),
        },
    )


# Sessions ---------------------------------------------------------------------------------


@policy_required(CASE_WORK)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    """Step 1 chooses the service (skipped when the user has one); step 2 records the
    session and each open case's attendance."""
    services = case_services_for_user(user=request.user)
    chosen = request.GET.get("service", "")
    if not chosen and request.method == "GET" and services.count() == 1:
        chosen = str(services.get().pk)
    if not chosen:
        return render(
            request,
            "cases/perpetrator/session_service.html",
            {"form": SessionServiceForm(services=services), "has_services": services.exists()},
        )
    picker = SessionServiceForm({"service": chosen}, services=services)
    if not picker.is_valid():
        return render(
            request,
            "cases/perpetrator/session_service.html",
            {"form": picker, "has_services": services.exists()},
            status=400,
        )
    service = picker.cleaned_data["service"]
    cases = open_cases_on_service_for_user(user=request.user, service=service)
    form = SessionForm(request.POST if request.method == "POST" else None, cases=cases)
    if request.method == "POST" and form.is_valid():
        try:
            session = session_record(
                actor=request.user,
                service=service,
                format=form.cleaned_data["format"],
                held_on=form.cleaned_data["held_on"],
                title=form.cleaned_data["title"],
                attendance=form.attendance(),
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            count = session_attendance_count(session=session)
            messages.success(
                request,
                f"Session on {session.held_on:%d %B %Y} recorded with attendance for "
                f"{count} {'person' if count == 1 else 'people'}",
            )
            return redirect("cases:case-list")
    return render(
        request,
        "cases/perpetrator/session.html",
        {
            "service": service,
            "form": form,
            "several_services": services.count() > 1,
        },
        status=form_status(form),
    )
