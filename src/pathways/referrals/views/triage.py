"""The front door's pages, mounted at /referrals/front-door/: the triage queue, a referral's
details, triage against the risk policy in force, matching, sending to a matched service,
signposting, "no suitable service" and withdrawing.

Every page uses the TRIAGE policy (front-door workers and administrators);
`selectors.referrals.referral_get_for_triage` finds the referral, and every write goes
through `services.triage` or `services.matching`. Opening a referral's details is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.areas.models import Area
from pathways.areas.selectors import area_descendant_ids

from ..forms_triage import (
    STATUS_ALL,
    STATUS_OPEN,
    TIER_NONE,
    FrontDoorWithdrawForm,
    NoSuitableServiceForm,
    SendForm,
    SignpostForm,
    TriageFilterForm,
    TriageForm,
)
from ..matching import RULES
from ..models import OPEN_FOR_TRIAGE, TRANSITIONS, MatchRun, Referral, ReferralStatus, RiskPolicy
from ..policies import TRIAGE
from ..reference import RiskTier
from ..selectors.matching import match_run_latest
from ..selectors.referrals import (
    referral_get_for_triage,
    referral_list_for_triage,
    risk_policy_for_area,
)
from ..selectors.timers import overdue_q
from ..services.matching import MATCHABLE, referral_match
from ..services.routing import referral_view_record
from ..services.triage import (
    TRIAGEABLE,
    referral_close_no_suitable_service,
    referral_send,
    referral_signpost,
    referral_triage,
    referral_withdraw_by_front_door,
)
from ..triage import question_codes
from .provider import (
    OVERDUE_TAG_KEY,
    add_service_errors,
    detail_context,
    history_rows,
    rows_for,
)

PAGE_SIZE = 25
STATUS_ORDER = [status.value for status in ReferralStatus]
TIER_TAG_KEYS: dict[str, str] = {
    RiskTier.STANDARD: "no",
    RiskTier.MEDIUM: "pending",
    RiskTier.HIGH: "rejected",
}
# Errors about the referral as a whole go to the top of the form's error summary.
WHOLE_FORM = {
    "status": "__all__",
    "risk_policy": "__all__",
    "answers": "__all__",
    "tier": "__all__",
}


def _status_code(form: BaseForm) -> int:
    return 400 if form.is_bound and form.errors else 200


def _allows(referral: Referral, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(referral.status, frozenset())


def _can_close_no_service(referral: Referral) -> bool:
    return bool(referral.tier) and _allows(referral, ReferralStatus.NO_SUITABLE_SERVICE)


# --------------------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------------------


def _areas() -> list[tuple[str, str]]:
    """Every area by name, for the filter (reference data: no scoping applies)."""
    return list(Area.objects.order_by("name").values_list("slug", "name"))


def _queue(user: Any, filters: dict[str, Any], now: dt.datetime) -> QuerySet[Referral]:
    qs = referral_list_for_triage(user=user)
    status = filters["status"]
    if status == STATUS_OPEN:
        qs = qs.filter(status__in=OPEN_FOR_TRIAGE)
    elif status != STATUS_ALL:
        qs = qs.filter(status=status)
    if filters["area"]:
        area = Area.objects.filter(slug=filters["area"]).only("id").first()
        qs = qs.filter(area_id__in=area_descendant_ids(area_id=area.id)) if area else qs.none()
    if filters["tier"] == TIER_NONE:
        qs = qs.filter(tier="")
    elif filters["tier"]:
        qs = qs.filter(tier=filters["tier"])
    if filters["overdue"]:
        qs = qs.filter(overdue_q(now=now))
    return _ordered(qs, filters["sort"], now)


def _ordered(qs: QuerySet[Referral], sort: str, now: dt.datetime) -> QuerySet[Referral]:
    if sort == "newest":
        return qs.order_by("-created_at", "reference")
    if sort == "overdue":
        overdue_rank = Case(
            When(overdue_q(now=now), then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return qs.annotate(overdue_rank=overdue_rank).order_by(
            "overdue_rank", "created_at", "reference"
        )
    if sort == "tier":
        tier_rank = Case(
            When(tier=RiskTier.HIGH, then=Value(0)),
            When(tier=RiskTier.MEDIUM, then=Value(1)),
            When(tier=RiskTier.STANDARD, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
        return qs.annotate(tier_rank=tier_rank).order_by("tier_rank", "created_at", "reference")
    if sort == "status":
        status_rank = Case(
            *[When(status=value, then=Value(index)) for index, value in enumerate(STATUS_ORDER)],
            default=Value(len(STATUS_ORDER)),
            output_field=IntegerField(),
        )
        return qs.annotate(status_rank=status_rank).order_by(
            "status_rank", "created_at", "reference"
        )
    return qs.order_by("created_at", "reference")


@policy_required(TRIAGE)
@require_GET
def triage_list(request: HttpRequest) -> HttpResponse:
    form = TriageFilterForm(request.GET or None, areas=_areas())
    filters = form.filters()
    now = timezone.now()
    page = Paginator(_queue(request.user, filters, now), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "referrals/triage/list.html",
        {
            "form": form,
            "page": page,
            "rows": [
                {"row": row, "tier_tag_key": TIER_TAG_KEYS.get(row.referral.tier, "")}
                for row in rows_for(page.object_list, now=now)
            ],
            "overdue_tag_key": OVERDUE_TAG_KEY,
            "filtered": filters != TriageFilterForm().filters(),
        },
    )


# --------------------------------------------------------------------------------------
# One referral
# --------------------------------------------------------------------------------------


def _actions(referral: Referral) -> dict[str, bool]:
    return {
        "can_triage": referral.status in TRIAGEABLE,
        "can_match": referral.status in MATCHABLE,
        "can_signpost": _allows(referral, ReferralStatus.SIGNPOSTED),
        "can_close": _can_close_no_service(referral),
        "can_withdraw": _allows(referral, ReferralStatus.WITHDRAWN),
    }


@policy_required(TRIAGE)
@require_GET
def triage_detail(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_triage(user=request.user, reference=reference)
    referral_view_record(actor=request.user, referral=referral, audience="triage", request=request)
    return render(
        request,
        "referrals/triage/detail.html",
        {
            **detail_context(referral),
            "tier_tag_key": TIER_TAG_KEYS.get(referral.tier, ""),
            # The front door sees every note: it holds the whole referral.
            "history": history_rows(referral, show_note=lambda change: True),
            **_actions(referral),
        },
    )


def _initial(referral: Referral, policy: RiskPolicy | None) -> dict[str, Any]:
    """The last triage's answers under this policy, or else what the referrer ticked."""
    if policy is None:
        return {}
    codes = question_codes(policy.definition)
    if referral.risk_policy_id == policy.pk and referral.risk_answers:
        ticked = {code for code, yes in referral.risk_answers.items() if yes}
    else:
        ticked = set(referral.risk_indicators or ()) & set(codes)
    initial: dict[str, Any] = {f"answer_{code}": code in ticked for code in codes}
    initial["rfg_score"] = referral.rfg_score
    if referral.tier_overridden:
        initial["tier_override"] = referral.tier
        initial["override_reason"] = referral.tier_override_reason
    return initial


@policy_required(TRIAGE)
@require_http_methods(["GET", "POST"])
def triage_assess(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_triage(user=request.user, reference=reference)
    policy = risk_policy_for_area(area_id=referral.area_id)
    allowed = referral.status in TRIAGEABLE
    questions = policy.definition["questions"] if policy is not None else []
    form = TriageForm(
        request.POST if request.method == "POST" else None,
        questions=questions,
        initial=_initial(referral, policy),
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral_triage(
                actor=request.user,
                referral=referral,
                answers=form.answers(),
                rfg_score=form.cleaned_data["rfg_score"],
                tier_override=form.cleaned_data["tier_override"],
                override_reason=form.cleaned_data["override_reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, WHOLE_FORM)
        else:
            messages.success(
                request,
                f"Referral {referral.reference} is triaged as {referral.get_tier_display().lower()}",
            )
            return redirect("referrals:triage-assess", reference=referral.reference)
    return render(
        request,
        "referrals/triage/assess.html",
        {
            "referral": referral,
            "policy": policy,
            "allowed": allowed,
            "form": form,
            "tier_tag_key": TIER_TAG_KEYS.get(referral.tier, ""),
            "computed_tag_key": TIER_TAG_KEYS.get(referral.computed_tier, ""),
            "policy_changed": bool(
                referral.triaged_at and policy and referral.risk_policy_id != policy.pk
            ),
            "referrer_ticked": bool(referral.risk_indicators),
            "can_match": referral.status in MATCHABLE,
        },
        status=_status_code(form),
    )


# --------------------------------------------------------------------------------------
# Matching and sending
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExcludedGroup:
    code: str
    label: str
    matches: list[Any]


def _groups(run: MatchRun | None) -> tuple[list[Any], list[ExcludedGroup]]:
    """Eligible matches in rank order, and excluded ones grouped by rule in rule order."""
    if run is None:
        return [], []
    eligible: list[Any] = []
    by_rule: dict[str, list[Any]] = {}
    for match in run.matches.all():
        if match.eligible:
            eligible.append(match)
        else:
            by_rule.setdefault(match.excluded_rule, []).append(match)
    eligible.sort(key=lambda m: (m.rank or 0, m.service.name.casefold()))
    groups = [
        ExcludedGroup(code, label, by_rule.pop(code)) for code, label in RULES if code in by_rule
    ]
    # A rule the engine no longer knows still shows, by its code, rather than vanishing.
    groups += [ExcludedGroup(code, code, rows) for code, rows in sorted(by_rule.items())]
    return eligible, groups


@policy_required(TRIAGE)
@require_http_methods(["GET", "POST"])
def triage_match(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_triage(user=request.user, reference=reference)
    form = forms.Form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            new_run = referral_match(actor=request.user, referral=referral, request=request)
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            found = new_run.eligible_count
            if found:
                messages.success(
                    request, f"{found} suitable service{'s' if found != 1 else ''} found"
                )
            return redirect("referrals:triage-match", reference=referral.reference)
    run = match_run_latest(referral=referral)
    eligible, excluded = _groups(run)
    stale = bool(run and referral.triaged_at and referral.triaged_at > run.ran_at)
    return render(
        request,
        "referrals/triage/match.html",
        {
            "referral": referral,
            "form": form,
            "run": run,
            "eligible": eligible,
            "excluded": excluded,
            "stale": stale,
            "can_match": referral.status in MATCHABLE,
            "can_send": referral.status == ReferralStatus.MATCHED and not stale,
            "can_signpost": _allows(referral, ReferralStatus.SIGNPOSTED),
            "can_close": _can_close_no_service(referral),
            "tier_tag_key": TIER_TAG_KEYS.get(referral.tier, ""),
        },
        status=_status_code(form),
    )


@policy_required(TRIAGE)
@require_http_methods(["GET", "POST"])
def triage_send(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_triage(user=request.user, reference=reference)
    run = match_run_latest(referral=referral)
    eligible, _excluded = _groups(run)
    by_id = {str(m.service_id): m for m in eligible}
    choices = [
        (key, f"{m.service.name} ({m.service.organisation.name})") for key, m in by_id.items()
    ]
    allowed = referral.status == ReferralStatus.MATCHED and bool(eligible)
    if request.method == "POST":
        form = SendForm(request.POST, services=choices)
    else:
        chosen = request.GET.get("service", "")
        form = SendForm(services=choices, initial={"service": chosen if chosen in by_id else ""})
    if request.method == "POST" and form.is_valid():
        match = by_id[form.cleaned_data["service"]]
        try:
            referral_send(
                actor=request.user, referral=referral, service=match.service, request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc, WHOLE_FORM)
        else:
            messages.success(
                request, f"Referral {referral.reference} has been sent to {match.service.name}"
            )
            return redirect("referrals:triage-detail", reference=referral.reference)
    chosen_match = by_id.get(str(form["service"].value() or ""))
    return render(
        request,
        "referrals/triage/send.html",
        {"referral": referral, "form": form, "allowed": allowed, "chosen": chosen_match},
        status=_status_code(form),
    )


# --------------------------------------------------------------------------------------
# Closing: signpost, no suitable service, withdraw
# --------------------------------------------------------------------------------------


def _closing_view(
    request: HttpRequest,
    reference: str,
    *,
    form_class: type[forms.Form],
    field: str,
    allowed_if: Any,
    act: Any,
    template: str,
    done: str,
) -> HttpResponse:
    referral = referral_get_for_triage(user=request.user, reference=reference)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            act(
                actor=request.user,
                referral=referral,
                request=request,
                **{field: form.cleaned_data[field]},
            )
        except ValidationError as exc:
            add_service_errors(form, exc, WHOLE_FORM)
        else:
            messages.success(request, done.format(reference=referral.reference))
            return redirect("referrals:triage-detail", reference=referral.reference)
    return render(
        request,
        template,
        {"referral": referral, "form": form, "allowed": allowed_if(referral)},
        status=_status_code(form),
    )


@policy_required(TRIAGE)
@require_http_methods(["GET", "POST"])
def triage_signpost(request: HttpRequest, reference: str) -> HttpResponse:
    return _closing_view(
        request,
        reference,
        form_class=SignpostForm,
        field="note",
        allowed_if=lambda r: _allows(r, ReferralStatus.SIGNPOSTED),
        act=referral_signpost,
        template="referrals/triage/signpost.html",
        done="Referral {reference} is closed as signposted",
    )


@policy_required(TRIAGE)
@require_http_methods(["GET", "POST"])
def triage_no_service(request: HttpRequest, reference: str) -> HttpResponse:
    return _closing_view(
        request,
        reference,
        form_class=NoSuitableServiceForm,
        field="reason",
        allowed_if=_can_close_no_service,
        act=referral_close_no_suitable_service,
        template="referrals/triage/no_service.html",
        done="Referral {reference} is recorded as having no suitable service",
    )


@policy_required(TRIAGE)
@require_http_methods(["GET", "POST"])
def triage_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    return _closing_view(
        request,
        reference,
        form_class=FrontDoorWithdrawForm,
        field="reason",
        allowed_if=lambda r: _allows(r, ReferralStatus.WITHDRAWN),
        act=referral_withdraw_by_front_door,
        template="referrals/triage/withdraw.html",
        done="Referral {reference} has been withdrawn",
    )


urlpatterns = [
    path("", triage_list, name="triage-list"),
    path("<str:reference>/", triage_detail, name="triage-detail"),
    path("<str:reference>/triage/", triage_assess, name="triage-assess"),
    path("<str:reference>/match/", triage_match, name="triage-match"),
    path("<str:reference>/send/", triage_send, name="triage-send"),
    path("<str:reference>/signpost/", triage_signpost, name="triage-signpost"),
    path("<str:reference>/no-suitable-service/", triage_no_service, name="triage-no-service"),
    path("<str:reference>/withdraw/", triage_withdraw, name="triage-withdraw"),
]
