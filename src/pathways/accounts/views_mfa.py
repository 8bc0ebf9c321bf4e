"""Multi-factor sign-in pages: give a code, set up an authenticator, recovery codes.

After the right password, someone who owes a second factor comes here (sent by the sign-in
page, or by SecondFactorMiddleware from any other page). See docs/security.md.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import mfa, selectors, services
from .access import allowed_before_second_factor, policy_required
from .forms_mfa import RecoveryCodeForm, SecurityCodeForm
from .lockout import LockoutState, lockout_message
from .policies import SIGNED_IN, must_use_mfa


def _next_url(request) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return ""
    return next_url


def _with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _refusal(check: services.CodeCheck, *, recovery: bool = False) -> str:
    if check.reason == "throttled":
        return ngettext(
            "You entered a wrong code a moment ago. Wait %(seconds)d second, then try again",
            "You entered a wrong code a moment ago. Wait %(seconds)d seconds, then try again",
            check.retry_after,
        ) % {"seconds": check.retry_after}
    if recovery:
        return _("That recovery code is not right or has already been used. Enter another one")
    return _("The security code is not right or has expired. Enter the code your app shows now")


def _locked_out(request, state: LockoutState):
    """Too many wrong codes: the session ends, and the person reads how long to wait."""
    services.user_sign_out(request=request, reason="locked_out")
    response = render(
        request,
        "accounts/locked_out.html",
        {"message": lockout_message(state), "state": state},
        status=429,
    )
    response["Retry-After"] = str(int(state.retry_after.total_seconds()) or 1)
    return response


@policy_required(SIGNED_IN)
@allowed_before_second_factor
@require_http_methods(["GET", "POST"])
def verify(request, method: str = services.MFA_TOTP):
    """Give the code from the authenticator app (or, with method recovery_code, a recovery
    code) after the right password."""
    next_url = _next_url(request)
    done = next_url or reverse("core:dashboard")
    if mfa.is_verified(request):
        return redirect(done)
    step = mfa.step_for(request.user)
    if step is None:  # nothing owed: a role that does not need MFA, with no authenticator
        request.session.pop(mfa.PENDING_KEY, None)
        return redirect(done)
    if step == mfa.STEP_ENROL:
        return redirect(_with_next("accounts:mfa-set-up", next_url))
    recovery = method == services.MFA_RECOVERY_CODE
    form_class = RecoveryCodeForm if recovery else SecurityCodeForm
    form = form_class(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            check = services.mfa_verify(
                request=request, user=request.user, code=form.cleaned_data["code"], method=method
            )
            if check.ok:
                if check.recovery_codes_left is not None:
                    messages.warning(
                        request,
                        ngettext(
                            "You signed in with a recovery code. You have %(left)d left: "
                            "get new ones from your two-factor authentication page.",
                            "You signed in with a recovery code. You have %(left)d left: "
                            "get new ones from your two-factor authentication page.",
                            check.recovery_codes_left,
                        )
                        % {"left": check.recovery_codes_left},
                    )
                return redirect(done)
            if check.lockout is not None:
                return _locked_out(request, check.lockout)
            form.add_error("code", _refusal(check, recovery=recovery))
            if check.reason == "throttled":
                status = 429
    return render(
        request,
        "accounts/mfa_verify.html",
        {
            "form": form,
            "next": next_url,
            "recovery": recovery,
            "support_contact": settings.ACCOUNT_SUPPORT_CONTACT,
        },
        status=status,
    )


@policy_required(SIGNED_IN)
@allowed_before_second_factor
@require_http_methods(["GET", "POST"])
def set_up(request):
    """Set up an authenticator app: scan the QR code (or type the key), confirm with a code,
    then read the recovery codes, once."""
    next_url = _next_url(request)
    user = request.user
    replacing = mfa.is_enrolled(user)
    if replacing and not mfa.is_verified(request):
        # Only a session verified with the current authenticator may replace it: a password
        # alone must not be enough to add a new one.
        return redirect(_with_next("accounts:mfa-verify", next_url))
    device = services.mfa_enrolment_start(user=user)
    form = SecurityCodeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            check, codes = services.mfa_enrolment_confirm(
                request=request, user=user, code=form.cleaned_data["code"]
            )
            if check.ok:
                return render(
                    request,
                    "accounts/mfa_recovery_codes.html",
                    {"codes": codes, "next": next_url or reverse("core:dashboard"), "new": True},
                )
            form.add_error("code", _refusal(check))
            if check.reason == "throttled":
                status = 429
    return render(
        request,
        "accounts/mfa_set_up.html",
        {
            "form": form,
            "next": next_url,
            "replacing": replacing,
            "qr_code": mfa.qr_svg(
                device.config_url, title=_("QR code to add Pathways to your authenticator app")
            ),
            "secret_groups": mfa.secret_groups(device),
        },
        status=status,
    )


@policy_required(SIGNED_IN)
@require_GET
def account(request):
    """The person's own two-factor authentication: what is set up, and what they can change."""
    return render(
        request,
        "accounts/mfa_account.html",
        {
            "status": selectors.mfa_status_for_user(user=request.user),
            "required": must_use_mfa(request.user),
            "verified": mfa.is_verified(request),
        },
    )


@policy_required(SIGNED_IN)
@require_POST
def recovery_codes_new(request):
    """New recovery codes; the old ones stop working. Shown once."""
    if not mfa.is_enrolled(request.user):
        return redirect("accounts:mfa")
    if not mfa.is_verified(request):
        return redirect(_with_next("accounts:mfa-verify", reverse("accounts:mfa")))
    codes = services.mfa_recovery_codes_regenerate(request=request, user=request.user)
    return render(
        request,
        "accounts/mfa_recovery_codes.html",
        {"codes": codes, "next": reverse("accounts:mfa"), "new": False},
    )
