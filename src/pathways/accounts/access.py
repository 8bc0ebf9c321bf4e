"""Attaching policies to views, and finding the policy for any resolved URL.

`PolicyMiddleware` refuses any URL whose view names no policy, so a new view that forgets
one is closed, not open. The URL-by-role test uses `policy_for_match` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.urls import ResolverMatch

from .policies import ADMIN_SITE, Policy

F = TypeVar("F", bound=Callable[..., Any])


def policy_required(policy: Policy) -> Callable[[F], F]:
    """Name the policy for a function view."""

    def decorator(view: F) -> F:
        view.pathways_policy = policy  # type: ignore[attr-defined]
        return view

    return decorator


def allowed_before_second_factor(view: F) -> F:
    """Mark a view a signed-in person may use before giving their second factor: the MFA
    pages themselves, sign-out and the idle warning's session status. (Public pages are
    open to them anyway.) See `SecondFactorMiddleware`."""
    view.pathways_before_second_factor = True  # type: ignore[attr-defined]
    return view


def is_allowed_before_second_factor(view_func: Any) -> bool:
    return bool(getattr(view_func, "pathways_before_second_factor", False))


def policy_for_view(view_func: Any) -> Policy | None:
    policy = getattr(view_func, "pathways_policy", None)
    if policy is None and hasattr(view_func, "view_class"):
        policy = getattr(view_func.view_class, "policy", None)
    if policy is None and hasattr(view_func, "cls"):
        policy = getattr(view_func.cls, "policy", None)
    return policy if isinstance(policy, Policy) else None


def policy_for_match(match: ResolverMatch) -> Policy | None:
    """The policy that governs a resolved URL, or None when nothing names one."""
    if "admin" in match.namespaces:
        return ADMIN_SITE
    return policy_for_view(match.func)


def is_api_view(view_func: Any) -> bool:
    return hasattr(view_func, "cls")
