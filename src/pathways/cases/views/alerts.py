"""Alerts and risk events, mounted at /cases/alerts/ (namespace "cases").

Every page uses the RISK_ALERTS policy (any signed-in user); what each person sees is
decided by the selectors: their own alerts (`alert_list_for_user`, someone else's alert is
a 404) and the risk events they may read (`risk_event_get_for_user`). Only the support side
of the case and its statutory lead record that a victim-survivor was told of a threat;
for anyone else that page is a 404, like an event they cannot read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pathways.accounts.access import policy_required

from ..forms_support import ALERTS_OPEN, AlertFilterForm, VictimToldForm
from ..models import RiskEvent
from ..policies import RISK_ALERTS
from ..selectors.cases import alert_get_for_user, alert_list_for_user, risk_event_get_for_user
from ..services.risk import (
    alert_acknowledge,
    can_record_victim_told,
    risk_event_victim_told,
    risk_event_view_record,
)
from .common import PAGE_SIZE, add_service_errors, form_status

ALERT_OPEN_TAG_KEY = "pending"
ALERT_DONE_TAG_KEY = "no"
THREAT_TAG_KEY = "failed"
TOLD_TAG_KEY = "approved"


def _display_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@policy_required(RISK_ALERTS)
@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    open_only = form.open_only()
    qs = alert_list_for_user(user=request.user, open_only=open_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/alerts/list.html",
        {
            "form": form,
            "page": page,
            "alerts": page.object_list,
            "open_only": open_only,
            "open_tag_key": ALERT_OPEN_TAG_KEY,
            "done_tag_key": ALERT_DONE_TAG_KEY,
        },
    )


@policy_required(RISK_ALERTS)
@require_POST
def alert_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_get_for_user(user=request.user, alert_id=alert_id)
    alert_acknowledge(actor=request.user, alert=alert, request=request)
    messages.success(request, f"Alert about {alert.case.reference} acknowledged")
    if request.POST.get("show") == ALERTS_OPEN:
        return redirect(f"{reverse('cases:alert-list')}?show={ALERTS_OPEN}")
    return redirect("cases:alert-list")


def _risk_event_read(request: HttpRequest, event: RiskEvent) -> None:
    """Audit that someone read a risk event (by id and case reference; the summary stays
    out of the trail)."""
    risk_event_view_record(actor=request.user, event=event, request=request)


def _event_context(event: RiskEvent) -> dict[str, Any]:
    return {
        "event": event,
        "raised_by": _display_name(event.raised_by),
        "threat_tag_key": THREAT_TAG_KEY,
        "told_tag_key": TOLD_TAG_KEY,
        "told_by": _display_name(event.victim_told_by) if event.victim_told_at else "",
    }


@policy_required(RISK_ALERTS)
@require_GET
def risk_event_detail(request: HttpRequest, event_id: Any) -> HttpResponse:
    event = risk_event_get_for_user(user=request.user, event_id=event_id)
    _risk_event_read(request, event)
    return render(
        request,
        "cases/alerts/risk_event.html",
        {
            **_event_context(event),
            "can_tell": event.needs_victim_told and can_record_victim_told(request.user, event),
        },
    )


@policy_required(RISK_ALERTS)
@require_http_methods(["GET", "POST"])
def risk_event_victim_told_view(request: HttpRequest, event_id: Any) -> HttpResponse:
    event = risk_event_get_for_user(user=request.user, event_id=event_id)
    if not can_record_victim_told(request.user, event):
        # The same answer as an event they cannot read: nothing to act on here.
        raise Http404("No such risk event")
    form = VictimToldForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            risk_event_victim_told(
                actor=request.user, event=event, note=form.cleaned_data["note"], request=request
            )
        except ValidationError as exc:
            add_service_errors(form, exc, {})
        else:
            messages.success(request, "Recorded that the person at risk was told of the threat")
            return redirect("cases:risk-event-detail", event_id=event.pk)
    return render(
        request,
        "cases/alerts/victim_told.html",
        {**_event_context(event), "form": form},
        status=form_status(form),
    )
