"""Who may read and write standards data. Plain predicates; deny by default.

* Provider managers start, edit and submit self-assessments of their own organisation's
  services, and read their organisation's assessments (not a commissioner's draft).
* Commissioners start, rate and finalise their own (commissioner-led) assessments of any
  service; review, send back and finalise submitted self-assessments; read every
  assessment that is not a draft, and every commissioner-led draft; edit risk-tier
  definitions.
* Analysts read every assessment that is not a draft.
* Administrators may do everything.
* The public sees only per-status counts of finalised assessments on service pages.
"""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Role
from pathways.accounts.policies import Policy, has_role, user_organisation_ids

from .models import Assessment, AssessmentKind, AssessmentStatus


def can_read_standards(user: Any) -> bool:
    """Frameworks, assessments and tier definitions are for the roles that plan or provide."""
    return has_role(user, Role.PROVIDER_MANAGER, Role.COMMISSIONER, Role.ANALYST, Role.ADMIN)


def can_self_assess(user: Any) -> bool:
    """Provider managers (for their own organisation) and administrators start self-assessments."""
    return has_role(user, Role.PROVIDER_MANAGER, Role.ADMIN)


def can_start_assessments(user: Any) -> bool:
    """Provider managers (self-assessments), commissioners (their own assessments) and admins."""
    return has_role(user, Role.PROVIDER_MANAGER, Role.COMMISSIONER, Role.ADMIN)


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


def assessment_kind_for(user: Any, organisation_id: Any) -> str | None:
    """The kind of assessment this user would start of a service of that organisation.

    A provider manager of the organisation starts a self-assessment; a commissioner (of any
    service) a commissioner assessment; an administrator a self-assessment on behalf of
    the provider. None: the user may not start one.
    """
    if organisation_id in user_organisation_ids(user, Role.PROVIDER_MANAGER):
        return AssessmentKind.SELF
    if has_role(user, Role.COMMISSIONER):
        return AssessmentKind.COMMISSIONER
    if has_role(user, Role.ADMIN):
        return AssessmentKind.SELF
    return None


def can_start_assessment(user: Any, organisation_id: Any, kind: str) -> bool:
    """Self-assessments: the organisation's provider managers and admins. Commissioner
    assessments: commissioners and admins, of any service. Published reviews are loaded."""
    if kind == AssessmentKind.SELF:
        return can_self_assess_organisation(user, organisation_id)
    if kind == AssessmentKind.COMMISSIONER:
        return can_review_assessments(user)
    return False


def can_read_assessment(user: Any, assessment: Assessment) -> bool:
    """Admins all; the provider's managers their own (except a commissioner's draft);
    commissioners non-drafts and commissioner-led drafts; analysts non-drafts."""
    if has_role(user, Role.ADMIN):
        return True
    draft = assessment.status == AssessmentStatus.DRAFT
    commissioner_led = assessment.kind == AssessmentKind.COMMISSIONER
    if has_role(user, Role.COMMISSIONER) and (not draft or commissioner_led):
        return True
    if assessment.service.organisation_id in user_organisation_ids(user, Role.PROVIDER_MANAGER):
        return not (draft and commissioner_led)
    return not draft and has_role(user, Role.ANALYST)


def can_edit_assessment(user: Any, assessment: Assessment) -> bool:
    """Drafts only: a self-assessment by the organisation's provider managers (or admins);
    a commissioner assessment by commissioners (or admins)."""
    if assessment.status != AssessmentStatus.DRAFT:
        return False
    if assessment.kind == AssessmentKind.SELF:
        return can_self_assess_organisation(user, assessment.service.organisation_id)
    if assessment.kind == AssessmentKind.COMMISSIONER:
        return can_review_assessments(user)
    return False


def can_submit_assessment(user: Any, assessment: Assessment) -> bool:
    """A draft self-assessment, by the organisation's provider managers (or admins).

    A commissioner assessment is never submitted: the commissioner finalises it.
    """
    return assessment.kind == AssessmentKind.SELF and can_edit_assessment(user, assessment)


def can_review_assessment(user: Any, assessment: Assessment) -> bool:
    """Submitted self-assessments, by commissioners or admins (review and send back)."""
    return assessment.status == AssessmentStatus.SUBMITTED and can_review_assessments(user)


def can_finalise_assessment(user: Any, assessment: Assessment) -> bool:
    """Commissioners and admins: a submitted self-assessment, or a commissioner-led draft."""
    if not can_review_assessments(user):
        return False
    if assessment.status == AssessmentStatus.SUBMITTED:
        return True
    return (
        assessment.status == AssessmentStatus.DRAFT
        and assessment.kind == AssessmentKind.COMMISSIONER
    )


READ = Policy(
    "standards_read",
    can_read_standards,
    "Provider managers, commissioners, analysts and administrators.",
)
ASSESS = Policy(
    "standards_assess",
    can_start_assessments,
    "Provider managers (self-assessments of their own organisation's services), "
    "commissioners (their own assessments of any service) and administrators.",
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
