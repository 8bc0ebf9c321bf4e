"""Sign-in lockout: the glue between django-axes and Pathways.

django-axes counts failed sign-ins in the database and refuses a username, or an address,
that has failed `SIGN_IN_FAILURE_LIMIT` times within `SIGN_IN_LOCKOUT_MINUTES`. This module
tells axes where a request comes from, answers a lockout on a sign-in form Pathways does not
render itself (the admin's) with a GOV.UK page or the API error body, and works out what to
tell a locked-out person: how long to wait and whom to ask. See docs/security.md.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Set on a request whose lockout the view already answered, so the axes middleware keeps
# the view's own response (the sign-in page with its error summary, or the API error body).
LOCKOUT_ANSWERED = "pathways_lockout_answered"


def client_ip_address(request: Any) -> str | None:
    """The address a request comes from, for lockout counting (AXES_CLIENT_IP_CALLABLE).

    Behind `TRUSTED_PROXY_COUNT` proxies that each append to X-Forwarded-For, the client is
    the entry that many places from the right: the one the outermost trusted proxy saw.
    Entries further left are whatever the client sent and are never trusted. Without
    proxies, or when the header is short or malformed, the connection's own address counts.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            try:
                return str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:
                pass
    return remote


def cool_off() -> timedelta:
    return get_cool_off() or timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)


@dataclass(frozen=True)
class LockoutState:
    """What a locked-out request is locked by, and for how long."""

    scopes: tuple[str, ...]  # "username", "address"
    retry_after: timedelta

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))


def lockout_state(request: Any, username: str) -> LockoutState:
    """Which limits this username and address have reached, and when the later one lifts.

    A lockout lifts once the failures that caused it are older than the cool-off, so the
    wait is counted from the latest failure that still counts.
    """
    period = cool_off()
    now = timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - period)
    address = client_ip_address(request)
    limit = settings.AXES_FAILURE_LIMIT
    scopes = []
    latest = None
    for scope, condition in (
        ("username", Q(username=username)),
        ("address", Q(ip_address=address)),
    ):
        totals = recent.filter(condition).aggregate(
            failures=Sum("failures_since_start"), last=Max("attempt_time")
        )
        if (totals["failures"] or 0) >= limit:
            scopes.append(scope)
            if latest is None or totals["last"] > latest:
                latest = totals["last"]
    retry_after = (latest + period - now) if latest is not None else period
    return LockoutState(scopes=tuple(scopes), retry_after=max(retry_after, timedelta(0)))


def lockout_message(state: LockoutState) -> str:
    """The sentence a locked-out person reads: how long to wait and whom to ask."""
    wait = ngettext(
        "You can try again in %(minutes)d minute.",
        "You can try again in %(minutes)d minutes.",
        state.retry_after_minutes,
    ) % {"minutes": state.retry_after_minutes}
    return " ".join(
        [
            _("You have tried to sign in too many times."),
            wait,
            _("If you need to sign in sooner, contact %(contact)s.")
            % {"contact": settings.ACCOUNT_SUPPORT_CONTACT},
        ]
    )


def lockout_response(
    request: Any, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the answer to a locked-out sign-in.

    Pathways' sign-in page and token API answer lockouts themselves and mark the request;
    their response is kept. Any other sign-in form (the Django admin's) gets a GOV.UK page,
    or the API error body under /api/.
    """
    if original_response is not None and getattr(request, LOCKOUT_ANSWERED, False):
        return original_response
    username = ""
    if isinstance(credentials, dict):
        username = str(credentials.get("username") or "")
    state = lockout_state(request, username)
    message = lockout_message(state)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": {"status": 429, "code": "locked_out", "message": message, "fields": []}},
            status=429,
        )
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": message, "state": state},
            status=429,
        )
    response["Retry-After"] = str(int(state.retry_after.total_seconds()) or 1)
    return response
