"""Deny-by-default enforcement of view policies, idle sign-out, and the second factor."""

from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import idle, mfa, services
from .access import is_allowed_before_second_factor, is_api_view, policy_for_match
from .policies import PUBLIC

logger = logging.getLogger(__name__)


class IdleTimeoutMiddleware:
    """Sign out a session left unused longer than its user's idle timeout; audited.

    Runs after authentication and before the policy check, so a timed-out request goes on
    as an anonymous visitor: a protected page sends them to sign in, where the page says
    why. Each other request by a signed-in person counts as activity, except a look at the
    session's status (the warning script's GET), which must not keep it alive. Token API
    requests have no session user and pass untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _session_path() -> str | None:
        try:
            return reverse("accounts:session")
        except NoReverseMatch:  # a URL configuration without accounts (some tests)
            return None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            on_status_url = request.path == self._session_path()
            idle_for = idle.idle_seconds(request)
            if idle_for is not None and idle_for >= idle.idle_timeout_seconds(user):
                services.user_sign_out_idle(request=request)
                if on_status_url:
                    return JsonResponse(
                        {"signed_in": False, "sign_in_url": reverse("accounts:sign-in")},
                        status=401,
                    )
            elif not (on_status_url and request.method in ("GET", "HEAD")):
                idle.activity_record(request)
        return self.get_response(request)


class SecondFactorMiddleware:
    """Keep a session that still owes its second factor to the MFA pages.

    After the right password, someone who must use MFA (or has an authenticator) is signed
    in but not verified (django-otp's `request.user.is_verified()`). Until they give a code,
    or set up an authenticator, every page other than the MFA pages, sign-out, the session
    status and public pages sends them to the code page, which comes back afterwards. The
    Django admin too, whichever login form they used. An API call made with such a session
    gets 403 with the error body. Token API calls carry no session and are not affected:
    the token endpoint asks for the code itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not mfa.session_owes_second_factor(request):
            return None
        match = request.resolver_match
        policy = policy_for_match(match) if match is not None else None
        if policy is PUBLIC or is_allowed_before_second_factor(view_func):
            return None
        if is_api_view(view_func):
            message = _("Sign in with your security code before using the API with this session.")
            return JsonResponse(
                {
                    "error": {
                        "status": 403,
                        "code": "mfa_required",
                        "message": message,
                        "fields": [],
                    }
                },
                status=403,
            )
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('accounts:mfa-verify')}?{query}")


class PolicyMiddleware:
    """Refuse any request whose view names no policy; apply the policy of HTML views.

    API views are checked by `PolicyPermission` instead, after DRF has authenticated
    the request (a token user is not known to this middleware).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        policy = policy_for_match(match) if match is not None else None
        if policy is None:
            logger.error("No access policy for view %s; refusing", getattr(match, "view_name", "?"))
            raise PermissionDenied("This page has no access policy.")
        if is_api_view(view_func) or "admin" in match.namespaces:
            return None
        if policy.allows(request.user):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(policy.description)
