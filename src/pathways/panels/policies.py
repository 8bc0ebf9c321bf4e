"""Who may import incidents, set the scoring configuration, run and read RFG scores.

Deny by default. Scores are about identifiable (if pseudonymised) people, so reading them is
for panel chairs and members; until panels and their membership land (issue #7's meetings
part), a panel member may read the scores of any area, and selectors will narrow that to
the panels they sit on.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import has_role


def can_import_incidents(user: Any) -> bool:
    """Police incident extracts are uploaded by panel chairs (and administrators)."""
    return has_role(user, Role.PANEL_CHAIR, Role.ADMIN)


def can_configure_rfg(user: Any) -> bool:
    """The scoring configuration is the partnership's: commissioners, panel chairs, admins."""
    return has_role(user, Role.COMMISSIONER, Role.PANEL_CHAIR, Role.ADMIN)


def can_run_rfg(user: Any) -> bool:
    """Panel chairs (and administrators) score an area's incidents."""
    return has_role(user, Role.PANEL_CHAIR, Role.ADMIN)


def can_view_rfg_scores(user: Any) -> bool:
    """Scores and their explanations are for panel chairs and members (and administrators)."""
    return has_role(user, Role.PANEL_CHAIR, Role.PANEL_MEMBER, Role.ADMIN)
