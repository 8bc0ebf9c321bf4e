"""The referrer's pages, mounted at /referrals/mine/: "Your referrals", one referral's
progress and what was submitted, and withdrawing a referral.

Every page uses the REFER policy; `selectors.referrals.referral_list_for_referrer` limits
each person to the referrals they made themselves, so anyone else's is a 404. A referrer
sees the tier once set, but none of the front door's reasoning and nothing of case work.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required

from ..forms_routing import ReferrerFilterForm, WithdrawForm
from ..models import Referral, ReferralStatus
from ..policies import REFER
from ..selectors.referrals import referral_get_for_referrer, referral_list_for_referrer
from ..selectors.timers import overdue_q
from ..services.routing import (
    can_withdraw_as_referrer,
    referral_view_record,
    referral_withdraw_by_referrer,
)
from .provider import (
    OVERDUE_TAG_KEY,
    add_service_errors,
    detail_context,
    history_rows,
    rows_for,
)

PAGE_SIZE = 20
# The agency referral form (owned by the agency pages); linked by path so this page does not
# depend on that URL name existing.
NEW_REFERRAL_PATH = "/referrals/new/"
# Where a referral is in its life, for sorting by status.
STATUS_ORDER = [status.value for status in ReferralStatus]
# Once triaged, the referrer may see the tier (never how it was arrived at).
TIER_VISIBLE = frozenset(ReferralStatus.values) - {ReferralStatus.RECEIVED}
# The referrer sees which service took the referral on only while it is with that service.
SERVICE_VISIBLE = (ReferralStatus.SENT, ReferralStatus.ACCEPTED)


def _ordered(qs: QuerySet[Referral], sort: str) -> QuerySet[Referral]:
    if sort == "oldest":
        return qs.order_by("created_at", "reference")
    if sort == "overdue":
        overdue_rank = Case(
            When(overdue_q(now=timezone.now()), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return qs.annotate(overdue_rank=overdue_rank).order_by(
            "overdue_rank", "-created_at", "reference"
        )
    if sort == "status":
        status_rank = Case(
            *[When(status=value, then=Value(index)) for index, value in enumerate(STATUS_ORDER)],
            default=Value(len(STATUS_ORDER)),
            output_field=IntegerField(),
        )
        return qs.annotate(status_rank=status_rank).order_by(
            "status_rank", "-created_at", "reference"
        )
    return qs.order_by("-created_at", "reference")


@policy_required(REFER)
@require_GET
def referrer_list(request: HttpRequest) -> HttpResponse:
    form = ReferrerFilterForm(request.GET or None)
    status, sort = form.filters() if form.is_bound else ("", "newest")
    qs = referral_list_for_referrer(user=request.user)
    if status:
        qs = qs.filter(status=status)
    page = Paginator(_ordered(qs, sort), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/referrer/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows_for(page.object_list, now=timezone.now()),
            "overdue_tag_key": OVERDUE_TAG_KEY,
            "filtered": bool(status),
            "new_referral_path": NEW_REFERRAL_PATH,
        },
    )


def _own_note(user: Any) -> Any:
    """Only notes the referrer wrote themselves appear in their history."""
    return lambda change: change.by_id == user.pk


@policy_required(REFER)
@require_GET
def referrer_detail(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_referrer(user=request.user, reference=reference)
    referral_view_record(
        actor=request.user, referral=referral, audience="referrer", request=request
    )
    return render(
        request,
        "referrals/referrer/detail.html",
        {
            **detail_context(referral),
            "show_tier": referral.status in TIER_VISIBLE and bool(referral.tier),
            "service": referral.sent_service if referral.status in SERVICE_VISIBLE else None,
            "history": history_rows(referral, show_note=_own_note(request.user)),
            "can_withdraw": can_withdraw_as_referrer(request.user, referral),
        },
    )


@policy_required(REFER)
@require_http_methods(["GET", "POST"])
def referrer_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    referral = referral_get_for_referrer(user=request.user, reference=reference)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            referral_withdraw_by_referrer(
                actor=request.user,
                referral=referral,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {"status": "__all__"})
        else:
            messages.success(request, f"Referral {referral.reference} has been withdrawn")
            return redirect("referrals:referrer-detail", reference=referral.reference)
    return render(
        request,
        "referrals/referrer/withdraw.html",
        {
            "referral": referral,
            "form": form,
            "allowed": can_withdraw_as_referrer(request.user, referral),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


urlpatterns = [
    path("", referrer_list, name="referrer-list"),
    path("<str:reference>/", referrer_detail, name="referrer-detail"),
    path("<str:reference>/withdraw/", referrer_withdraw, name="referrer-withdraw"),
]
