"""Who may see mapping. Mapping counts services (organisations), never people.

Commissioners, analysts and administrators see the mapping of any area. Provider managers
see only their own services' place in it (where each counts, how many services share each
cell, their own questionable claims and fragility), never other providers' names. The
public sees none of it unless an administrator publishes a summary of a saved snapshot
(headline figures and gaps only), which anyone may then read.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import Policy, has_role


def can_view_mapping(user: Any) -> bool:
    """Commissioners, analysts and administrators: any area, every output, snapshots."""
    return has_role(user, Role.COMMISSIONER, Role.ANALYST, Role.ADMIN)


def can_view_own_services_mapping(user: Any) -> bool:
    """Provider managers: where their own organisation's services sit in the mapping."""
    return has_role(user, Role.PROVIDER_MANAGER)


def can_publish_mapping(user: Any) -> bool:
    """Administrators only: publish or unpublish a public summary of a saved snapshot."""
    return has_role(user, Role.ADMIN)


MAPPING = Policy(
    "mapping",
    can_view_mapping,
    "Commissioners, analysts and administrators see mapping for any area.",
)
MAPPING_OWN_SERVICES = Policy(
    "mapping_own_services",
    can_view_own_services_mapping,
    "Provider managers see where their own services sit in the mapping.",
)
MAPPING_PUBLISH = Policy(
    "mapping_publish",
    can_publish_mapping,
    "Administrators publish and unpublish public summaries of saved mapping snapshots.",
)
