"""DRF side of the policy layer."""

from __future__ import annotations

from rest_framework.permissions import BasePermission


class PolicyPermission(BasePermission):
    """Let a request through only when the view names a policy and the policy allows the user."""

    message = "You do not have access to this endpoint."

    def has_permission(self, request, view) -> bool:
        policy = getattr(view, "policy", None)
        if policy is None:
            return False
        return policy.allows(request.user)
