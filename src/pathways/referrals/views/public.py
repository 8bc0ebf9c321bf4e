"""The public self-referral, mounted at /self-referral/: a start page, the form, and the
page that gives the reference.

Anyone may use it without an account. What protects the service from misuse, without any
third-party service:

* a honeypot field people never see;
* a signed form token that expires, whose random value is the idempotency key, so each
  form page can make one referral however often it is sent;
* at most `SELF_REFERRAL_RATE_PER_HOUR` new referrals an hour from one address, counted in
  Django's cache under a keyed hash of the address (the address itself is not stored).

What protects the person: nothing they typed goes into a URL or the session (only the
reference, shown once and then forgotten), the pages are never cached, the form asks
browsers not to remember what was typed, and the audit event for an anonymous
self-referral does not record the address it came from.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.crypto import salted_hmac
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from pathways.accounts.access import policy_required
from pathways.accounts.lockout import client_ip_address
from pathways.accounts.policies import PUBLIC

from ..forms_intake import (
    SELF_REFERRAL_MESSAGES,
    SELF_REFERRAL_TOKEN_MAX_AGE,
    FormTokenError,
    FormTokenExpiredError,
    SelfReferralForm,
    form_token_issue,
    form_token_nonce,
)
from ..services.intake import IdempotencyConflictError, referral_submit

FORM_PURPOSE = "self-referral"
SESSION_REFERENCE = "self_referral_reference"
RATE_WINDOW_SECONDS = 60 * 60
FORM_TEMPLATE = "referrals/public/form.html"
DONE_TEMPLATE = "referrals/public/done.html"


def _address_key(request: HttpRequest) -> str:
    # The same notion of "address" as sign-in lockout: behind trusted proxies, the client.
    address = client_ip_address(request) or "unknown"
    digest = salted_hmac("pathways.self-referral.rate", address).hexdigest()[:32]
    return f"self-referral:rate:{digest}"


def _sent_key(nonce: str) -> str:
    return f"self-referral:sent:{nonce}"


def _rate_limited(request: HttpRequest, nonce: str) -> bool:
    """True when this address has made its allowance of referrals this hour. Sending the
    same form page again (a retry) is never limited: it cannot make a second referral."""
    if cache.get(_sent_key(nonce)):
        return False
    return int(cache.get(_address_key(request)) or 0) >= settings.SELF_REFERRAL_RATE_PER_HOUR


def _count_referral(request: HttpRequest, nonce: str) -> None:
    key = _address_key(request)
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=RATE_WINDOW_SECONDS)
    cache.set(_sent_key(nonce), True, timeout=SELF_REFERRAL_TOKEN_MAX_AGE)


def _render_form(
    request: HttpRequest, form: SelfReferralForm, *, status: int = 200, problem: Any = None
) -> HttpResponse:
    if problem is not None:
        form.add_error(None, problem)
    return render(request, FORM_TEMPLATE, {"form": form}, status=status)


def _fresh_token(request: HttpRequest) -> SelfReferralForm:
    """The same answers on a new form page with a new token (the old one is unusable)."""
    data = request.POST.copy()
    data["form_token"] = form_token_issue(purpose=FORM_PURPOSE)
    data["website"] = ""
    return SelfReferralForm(data)


@policy_required(PUBLIC)
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """What happens, who sees it, that this is not an emergency service, how to leave."""
    return render(request, "referrals/public/start.html")


@policy_required(PUBLIC)
@never_cache
@require_http_methods(["GET", "POST"])
def details(request: HttpRequest) -> HttpResponse:
    """The self-referral form: check, make one referral per form page, show the reference."""
    if request.method == "GET":
        form = SelfReferralForm(initial={"form_token": form_token_issue(purpose=FORM_PURPOSE)})
        return _render_form(request, form)

    form = SelfReferralForm(request.POST)
    if form.honeypot_filled:
        # Told plainly, never a pretend success: a person who needs help must not believe a
        # referral was sent when it was not.
        return _render_form(
            request, _fresh_token(request), status=400, problem=SELF_REFERRAL_MESSAGES["honeypot"]
        )
    try:
        nonce = form_token_nonce(
            request.POST.get("form_token", ""),
            purpose=FORM_PURPOSE,
            max_age=SELF_REFERRAL_TOKEN_MAX_AGE,
        )
    except FormTokenExpiredError:
        return _render_form(
            request,
            _fresh_token(request),
            status=400,
            problem=SELF_REFERRAL_MESSAGES["token_expired"],
        )
    except FormTokenError:
        return _render_form(
            request,
            _fresh_token(request),
            status=400,
            problem=SELF_REFERRAL_MESSAGES["token_invalid"],
        )
    if not form.is_valid():
        return _render_form(request, form, status=400)
    if _rate_limited(request, nonce):
        return _render_form(
            request, form, status=429, problem=SELF_REFERRAL_MESSAGES["rate_limited"]
        )

    actor = request.user if request.user.is_authenticated else None
    try:
        referral, created = referral_submit(
            actor=actor,
            data=form.to_input(),
            idempotency_key=f"self:{nonce}",
            # An anonymous person's address is not written to the audit trail.
            request=request if actor is not None else None,
        )
    except IdempotencyConflictError as exc:
        # The same form page sent again with different answers: the first one stands.
        return render(
            request, DONE_TEMPLATE, {"reference": exc.referral.reference, "already_sent": True}
        )
    except ValidationError:
        # The form checks everything intake does; this is a backstop, in the person's language.
        return _render_form(request, form, status=400, problem=SELF_REFERRAL_MESSAGES["not_sent"])
    if created:
        _count_referral(request, nonce)
    # Only the reference, and only until the next page shows it.
    request.session[SESSION_REFERENCE] = referral.reference
    return redirect("self_referral:done")


@policy_required(PUBLIC)
@never_cache
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    """The reference, shown once: afterwards this device keeps no trace of it."""
    reference = request.session.pop(SESSION_REFERENCE, None)
    if not request.user.is_authenticated and not request.session.keys():
        # Nothing else in it: drop the stored session and its cookie altogether.
        request.session.flush()
    if not reference:
        return redirect("self_referral:start")
    return render(request, DONE_TEMPLATE, {"reference": reference, "already_sent": False})


urlpatterns = [
    path("", start, name="start"),
    path("details/", details, name="form"),
    path("done/", done, name="done"),
]
