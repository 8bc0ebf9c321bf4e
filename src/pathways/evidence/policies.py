"""Who may read and change the evidence library and the links from services to approaches.

The library itself is published research with no personal data, so anyone may read it.
Its content (approaches, sources, ratings) is reference data that only administrators
change; it normally arrives through the fixture loader. Commissioners may say which
approach any service follows; provider managers only for their own organisation's services.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import (
    PUBLIC,
    Policy,
    can_curate_directory,
    has_role,
    user_organisation_ids,
)


def can_edit_evidence_library(user: Any) -> bool:
    """Administrators change approaches, sources and ratings (reference data)."""
    return has_role(user, Role.ADMIN)


def can_link_service_approaches(user: Any) -> bool:
    """Commissioners, provider managers and administrators may use the linking pages."""
    return has_role(user, Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.ADMIN)


def can_link_approach_for_service(user: Any, service: Any) -> bool:
    """Editors for any service; provider managers only for their own organisation's services."""
    if can_curate_directory(user):
        return True
    if has_role(user, Role.PROVIDER_MANAGER):
        return service.organisation_id in user_organisation_ids(user, Role.PROVIDER_MANAGER)
    return False


EVIDENCE_LIBRARY = PUBLIC
LINK_SERVICES = Policy(
    "evidence_link_services",
    can_link_service_approaches,
    "Commissioners and administrators for any service; provider managers for their own "
    "organisation's services.",
)
