"""Who may do what. Plain predicates and named policies; deny by default.

Every view and API endpoint names one `Policy` (see `accounts.access`). The policy answers
"may this user use this page at all"; object-level scoping (this organisation's services
only) is applied by each app's selectors, so another organisation's object is a 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from .models import Role

_ROLES_CACHE = "_pathways_roles"
_ORGS_CACHE = "_pathways_role_orgs"


def user_roles(user: Any) -> frozenset[str]:
    """The roles a user holds through any membership (superusers hold the admin role)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _ROLES_CACHE, None)
    if cached is None:
        roles = set(user.memberships.values_list("role", flat=True))
        if user.is_superuser:
            roles.add(Role.ADMIN)
        cached = frozenset(roles)
        setattr(user, _ROLES_CACHE, cached)
    return cached


# Roles that see only aggregates, never an identifiable person. Every other role can read
# identifiable case or referral data. Both the idle timeout (accounts/idle.py) and
# multi-factor sign-in follow this one split; docs/security.md lists it.
AGGREGATE_ONLY_ROLES: frozenset[str] = frozenset({Role.COMMISSIONER, Role.ANALYST})
IDENTIFIABLE_DATA_ROLES: frozenset[str] = frozenset(Role.values) - AGGREGATE_ONLY_ROLES


def has_role(user: Any, *roles: str) -> bool:
    """True when the user holds at least one of the roles."""
    held = user_roles(user)
    return any(role in held for role in roles)


def user_organisation_ids(user: Any, *roles: str) -> frozenset[Any]:
    """Organisations the user acts for in any of the given roles (all roles when none given)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cache: dict[tuple[str, ...], frozenset[Any]] = getattr(user, _ORGS_CACHE, None) or {}
    key = tuple(sorted(roles))
    if key not in cache:
        qs = user.memberships.all()
        if roles:
            qs = qs.filter(role__in=roles)
        cache[key] = frozenset(qs.values_list("organisation_id", flat=True))
        setattr(user, _ORGS_CACHE, cache)
    return cache[key]


@dataclass(frozen=True)
class Policy:
    """A named rule saying who may use a view or endpoint."""

    name: str
    check: Callable[[Any], bool]
    description: str

    def allows(self, user: Any) -> bool:
        try:
            return bool(self.check(user))
        except Exception:  # noqa: BLE001 - a failing policy denies, never allows
            return False


def role_policy(name: str, roles: Iterable[str], description: str) -> Policy:
    role_set = tuple(roles)
    return Policy(name, lambda user: has_role(user, *role_set), description)


def is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def must_use_mfa(user: Any) -> bool:
    """True when this user must sign in with a second factor (TOTP) before using Pathways.

    Anyone holding a role that can read identifiable data, or no role yet, must; people whose
    every role sees only aggregates (commissioners, analysts) may choose to. Off everywhere
    only when MFA_REQUIRED is off (the test suite; production refuses to start so).
    """
    if not settings.MFA_REQUIRED:
        return False
    roles = user_roles(user)
    return not roles or bool(roles & IDENTIFIABLE_DATA_ROLES)


def can_reset_mfa(user: Any) -> bool:
    """Administrators reset someone's lost authenticator (after checking who is asking)."""
    return has_role(user, Role.ADMIN)


PUBLIC = Policy("public", lambda user: True, "Anyone, signed in or not.")
SIGNED_IN = Policy("signed_in", is_signed_in, "Any signed-in user.")
ADMIN_SITE = Policy(
    "admin_site",
    lambda user: is_signed_in(user) and user.is_staff and has_role(user, Role.ADMIN),
    "Administrators; the Django admin also checks staff status itself.",
)


def can_manage_organisation_services(user: Any) -> bool:
    """Provider managers keep their organisation's entries current; administrators too."""
    return has_role(user, Role.PROVIDER_MANAGER, Role.ADMIN)


def can_curate_directory(user: Any) -> bool:
    """Commissioners (directory editors) approve edits, verify claims and import; admins too."""
    return has_role(user, Role.COMMISSIONER, Role.ADMIN)


def can_export_directory(user: Any) -> bool:
    """Directory exports are for the people who plan and curate provision."""
    return has_role(user, Role.COMMISSIONER, Role.ANALYST, Role.ADMIN)
