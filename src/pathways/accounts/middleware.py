"""Deny-by-default enforcement of view policies."""

from __future__ import annotations

import logging

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .access import is_api_view, policy_for_match

logger = logging.getLogger(__name__)


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
