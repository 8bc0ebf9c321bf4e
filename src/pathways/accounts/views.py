"""Sign in, sign out, and the session status the idle warning asks for. The second factor's
pages are in `views_mfa`."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import idle, services
from .access import allowed_before_second_factor, policy_required
from .forms import SignInForm
from .lockout import lockout_message
from .policies import PUBLIC, SIGNED_IN


@policy_required(PUBLIC)
@require_http_methods(["GET", "POST"])
def sign_in(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    signed_out = request.session.pop(idle.SIGNED_OUT_KEY, None)
    form = SignInForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            attempt = services.user_authenticate(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
            if attempt.user is not None:
                if services.user_sign_in(request=request, user=attempt.user):
                    # A code is owed, or an authenticator to set up, before anything else.
                    query = f"?{urlencode({'next': next_url})}" if next_url else ""
                    return redirect(reverse("accounts:mfa-verify") + query)
                return redirect(next_url or "core:dashboard")
            if attempt.lockout is not None:
                form.add_error(None, lockout_message(attempt.lockout))
                status = 429
            else:
                form.add_error(None, _("Enter a correct username and password"))
        else:
            services.user_sign_in_failed(request=request, username=request.POST.get("username", ""))
    return render(
        request,
        "accounts/sign_in.html",
        {
            "form": form,
            "next": next_url,
            "signed_out": signed_out if isinstance(signed_out, dict) else None,
            "idle_timeout_minutes": max(1, math.ceil(settings.IDLE_TIMEOUT_MINUTES)),
        },
        status=status,
    )


@policy_required(PUBLIC)
@allowed_before_second_factor
@require_POST
def sign_out(request):
    services.user_sign_out(request=request)
    return redirect("public:home")


@policy_required(SIGNED_IN)
@allowed_before_second_factor
@require_http_methods(["GET", "POST"])
def session_status(request):
    """GET: how long the session has left (does not count as activity). POST: stay signed in.

    A session that has already timed out never reaches here: IdleTimeoutMiddleware signs it
    out and answers 401 with {"signed_in": false}.
    """
    if request.method == "POST":
        idle.activity_record(request, force=True)
    return JsonResponse(idle.idle_state(request).as_json())
