"""Who may read and write standards data. Plain predicates; deny by default.

* Provider managers start, edit and submit self-assessments of their own organisation's
  services, and read their organisation's assessments.
* Commissioners review and finalise submitted assessments and read every assessment that
  is not a draft; they edit risk-tier definitions.
* Analysts read every assessment that is not a draft.
* Administrators may do everything.
* The public sees only per-status counts of finalised assessments on service pages.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import Policy, has_role, user_organisation_ids

from .models import Assessment, AssessmentStatus


def can_read_standards(user: Any) -> bool:
    """Frameworks, assessments and tier definitions are for the roles that plan or provide."""
    return has_role(user, Role.PROVIDER_MANAGER, Role.COMMISSIONER, Role.ANALYST, Role.ADMIN)


def can_self_assess(user: Any) -> bool:
    """Provider managers (for their own organisation) and administrators start self-assessments."""
    return has_role(user, Role.PROVIDER_MANAGER, Role.ADMIN)


def can_review_assessments(user: Any) -> bool:
    """Commissioners and administrators review and finalise assessments."""
    return has_role(user, Role.COMMISSIONER, Role.ADMIN)


def can_edit_tier_definitions(user: Any) -> bool:
    """Commissioners and administrators record the partnership's risk-tier definitions."""
    return has_role(user, Role.COMMISSIONER, Role.ADMIN)


def can_self_assess_organisation(user: Any, organisation_id: Any) -> bool:
    """Administrators, or a provider manager of that organisation."""
    if has_role(user, Role.ADMIN):
        return True
    return organisation_id in user_organisation_ids(user, Role.PROVIDER_MANAGER)


def can_read_assessment(user: Any, assessment: Assessment) -> bool:
    """Admins all; the provider's managers their own; commissioners and analysts non-drafts."""
    if has_role(user, Role.ADMIN):
        return True
    if assessment.service.organisation_id in user_organisation_ids(user, Role.PROVIDER_MANAGER):
        return True
    return assessment.status != AssessmentStatus.DRAFT and has_role(
        user, Role.COMMISSIONER, Role.ANALYST
    )


def can_edit_assessment(user: Any, assessment: Assessment) -> bool:
    """Only drafts of self-assessments, by the organisation's provider managers or admins."""
    return assessment.status == AssessmentStatus.DRAFT and can_self_assess_organisation(
        user, assessment.service.organisation_id
    )


def can_review_assessment(user: Any, assessment: Assessment) -> bool:
    """Submitted assessments, by commissioners or admins."""
    return assessment.status == AssessmentStatus.SUBMITTED and can_review_assessments(user)


READ = Policy(
    "standards_read",
    can_read_standards,
    "Provider managers, commissioners, analysts and administrators.",
)
SELF_ASSESS = Policy(
    "standards_self_assess",
    can_self_assess,
    "Provider managers (for their own organisation's services) and administrators.",
)
REVIEW = Policy(
    "standards_review",
    can_review_assessments,
    "Commissioners and administrators.",
)
TIERS_EDIT = Policy(
    "standards_tiers_edit",
    can_edit_tier_definitions,
    "Commissioners and administrators.",
)
