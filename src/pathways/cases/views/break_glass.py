"""Break-glass: an administrator opens a short, audited window to read case records in the
Django admin (mounted at /cases/manage/break-glass/).

Case records are not for administrators: the admin shows them only while a window is open
in the administrator's own session. Opening one needs a reason, which goes into the audit
trail with the window's length; every case record then read in the admin is audited too
(see `cases.admin`). The window closes by itself after `WINDOW_MINUTES`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from pathways.accounts.access import policy_required
from pathways.audit.models import AuditAction
from pathways.audit.services import audit_record

from ..forms_manage import BreakGlassForm
from ..policies import BREAK_GLASS
from .common import form_status

SESSION_KEY = "pathways_cases_break_glass"
WINDOW_MINUTES = 15
AUDIT_REASON_MAX = 300


def break_glass_open_until(request: HttpRequest) -> dt.datetime | None:
    """When the requester's break-glass window closes, or None when none is open. Only an
    administrator's window, opened in this session by this user, counts."""
    user = getattr(request, "user", None)
    if user is None or not BREAK_GLASS.allows(user) or not hasattr(request, "session"):
        return None
    window = request.session.get(SESSION_KEY)
    if not isinstance(window, dict) or window.get("user") != user.pk:
        return None
    try:
        until = dt.datetime.fromisoformat(str(window.get("until")))
    except ValueError:
        return None
    if timezone.is_naive(until) or until <= timezone.now():
        return None
    return until


def break_glass_open(*, request: HttpRequest, reason: str) -> dt.datetime:
    """Open a window for the signed-in administrator and audit it (the reason trimmed to
    300 characters, and the window's length). Only for users the BREAK_GLASS policy lets in."""
    user: Any = request.user
    until = timezone.now() + dt.timedelta(minutes=WINDOW_MINUTES)
    audit_record(
        actor=user,
        action=AuditAction.BREAK_GLASS,
        object_type="admin_site",
        object_id="cases",
        detail={"minutes": WINDOW_MINUTES, "reason": reason.strip()[:AUDIT_REASON_MAX]},
        request=request,
    )
    request.session[SESSION_KEY] = {"user": user.pk, "until": until.isoformat()}
    return until


def break_glass_close(request: HttpRequest) -> None:
    """Close the requester's window now."""
    request.session.pop(SESSION_KEY, None)


def _safe_next(request: HttpRequest, value: str) -> str:
    """Where to go once the window is open: an admin page on this site, else the admin's
    home page."""
    admin_home = reverse("admin:index")
    if (
        value
        and value.startswith(admin_home)
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return admin_home


@policy_required(BREAK_GLASS)
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")
    if request.method == "POST" and "close" in request.POST:
        break_glass_close(request)
        messages.success(request, "Break-glass closed. Case records are hidden in the admin again.")
        return redirect("cases:break-glass")
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        until = break_glass_open(request=request, reason=form.cleaned_data["reason"])
        local = timezone.localtime(until)
        messages.success(
            request,
            f"Break-glass open until {local:%H:%M}. Every case record you read is audited.",
        )
        return redirect(next_url)
    open_until = break_glass_open_until(request)
    return render(
        request,
        "cases/manage/break_glass.html",
        {
            "form": form,
            "next_url": next_url,
            "open_until": timezone.localtime(open_until) if open_until else None,
            "minutes": WINDOW_MINUTES,
        },
        status=form_status(form),
    )
