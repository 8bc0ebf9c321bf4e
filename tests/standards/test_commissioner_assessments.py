"""Commissioner-led assessments (draft -> finalised by the commissioner) and sending a
submitted self-assessment back to the provider. Each rule is tried from the wrong side."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.standards import policies, selectors, services
from pathways.standards.models import Assessment, AssessmentKind, Rating

from .conftest import FUTURE, agree_all, rate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def led(other_service, commissioning, commissioner):
    """A commissioner assessment of another organisation's service (any service will do)."""
    return services.assessment_start(
        actor=commissioner, service=other_service, checklist=commissioning
    )


# --- Commissioner assessments ------------------------------------------------------------


def test_commissioner_starts_an_assessment_of_any_service_and_it_records_who_led_it(
    led, other_service, commissioner
):
    assert led.kind == AssessmentKind.COMMISSIONER
    assert led.status == "draft" and led.started_by == commissioner
    assert led.lead == "A commissioner (independent assessment)"
    assert led.ratings.count() == 13
    event = AuditEvent.objects.get(
        object_type="standards_assessment", object_id=str(led.pk), action="create"
    )
    assert event.detail["kind"] == "commissioner"


def test_provider_self_assessment_records_the_provider_as_lead(service, commissioning, manager):
    assessment = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    assert assessment.kind == AssessmentKind.SELF
    assert assessment.lead.startswith("The provider")


def test_commissioner_rates_and_finalises_without_a_review_step(led, commissioner):
    rate_all(led, commissioner, overrides={"need": Rating.RED, "value-for-money": Rating.AMBER})
    done = services.assessment_finalise(actor=commissioner, assessment=led)
    assert done.status == "finalised" and done.outcome == "does_not_meet"
    assert done.finalised_by == commissioner and done.submitted_at is None
    # The commissioner's ratings are the agreed ratings; nobody "reviewed" them.
    assert set(done.ratings.values_list("decision", flat=True)) == {""}
    counts = selectors.assessment_counts(Assessment.objects.get(pk=done.pk))
    assert counts == {"green": 11, "amber": 1, "red": 1, "not_applicable": 0, "not_rated": 0}
    assert list(selectors.assessments_needing_reassessment_for_user(user=commissioner)) == [done]
    # Its amber is tracked like a reviewed one.
    later = FUTURE.replace(year=FUTURE.year + 1)
    overdue = selectors.overdue_ambers_for_user(user=commissioner, today=later)
    assert [r.question.key for r in overdue] == ["value-for-money"]


def test_commissioner_assessment_must_be_complete_to_finalise(led, commissioner):
    with pytest.raises(ValidationError) as exc:
        services.assessment_finalise(actor=commissioner, assessment=led)
    assert len(exc.value.messages) == 13
    led.refresh_from_db()
    assert led.status == "draft"


def test_commissioner_assessment_is_never_submitted_or_reviewed(led, commissioner):
    rate_all(led, commissioner)
    with pytest.raises(PermissionDenied):
        services.assessment_submit(actor=commissioner, assessment=led)
    with pytest.raises(PermissionDenied):
        services.rating_review(actor=commissioner, rating=led.ratings.first(), decision="agreed")


def test_provider_cannot_edit_or_finalise_a_commissioner_assessment_of_their_service(
    service, commissioning, commissioner, manager
):
    led = services.assessment_start(actor=commissioner, service=service, checklist=commissioning)
    rating = led.ratings.first()
    with pytest.raises(PermissionDenied):
        services.rating_update(
            actor=manager, rating=rating, status="green", finding="", evidence_sources=[]
        )
    with pytest.raises(PermissionDenied):
        services.attachment_add(actor=manager, rating=rating, filename="a.txt", content=b"hi")
    rate_all(led, commissioner)
    with pytest.raises(PermissionDenied):
        services.assessment_submit(actor=manager, assessment=led)
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=manager, assessment=led)
    with pytest.raises(PermissionDenied):
        services.assessment_return(actor=manager, assessment=led, reason="no")


def test_analyst_cannot_rate_or_finalise_a_commissioner_assessment(led, role_users):
    analyst = role_users[Role.ANALYST]
    with pytest.raises(PermissionDenied):
        services.rating_update(
            actor=analyst,
            rating=led.ratings.first(),
            status="green",
            finding="",
            evidence_sources=[],
        )
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=analyst, assessment=led)


def test_commissioner_draft_is_hidden_from_provider_and_analyst_until_finalised(
    service, commissioning, commissioner, manager, role_users
):
    led = services.assessment_start(actor=commissioner, service=service, checklist=commissioning)
    analyst = role_users[Role.ANALYST]
    assert list(selectors.assessment_list_for_user(user=commissioner)) == [led]
    for user in (manager, analyst):
        assert list(selectors.assessment_list_for_user(user=user)) == []
        assert not policies.can_read_assessment(user, led)
    rate_all(led, commissioner)
    services.assessment_finalise(actor=commissioner, assessment=led)
    led.refresh_from_db()
    for user in (manager, analyst, commissioner):
        assert list(selectors.assessment_list_for_user(user=user)) == [led]
        assert policies.can_read_assessment(user, led)


def test_self_assessment_drafts_stay_hidden_from_commissioners(
    service, commissioning, manager, commissioner
):
    draft = services.assessment_start(actor=manager, service=service, checklist=commissioning)
    assert list(selectors.assessment_list_for_user(user=commissioner)) == []
    assert not policies.can_read_assessment(commissioner, draft)
    assert not policies.can_edit_assessment(commissioner, draft)


def test_one_assessment_per_checklist_in_progress_whoever_leads_it(
    service, commissioning, manager, commissioner
):
    services.assessment_start(actor=manager, service=service, checklist=commissioning)
    with pytest.raises(ValidationError, match="already has an assessment"):
        services.assessment_start(actor=commissioner, service=service, checklist=commissioning)


def test_a_removed_service_cannot_be_assessed(other_service, commissioning, commissioner):
    other_service.deleted_at = other_service.updated_at
    other_service.save(update_fields=["deleted_at"])
    with pytest.raises(ValidationError, match="removed"):
        services.assessment_start(
            actor=commissioner, service=other_service, checklist=commissioning
        )


def test_administrator_may_lead_either_kind(service, commissioning, role_users):
    admin = role_users[Role.ADMIN]
    own = services.assessment_start(actor=admin, service=service, checklist=commissioning)
    assert own.kind == "self"
    other = services.assessment_start(
        actor=admin,
        service=service,
        checklist=commissioning.framework.checklists.get(key="full"),
        kind="commissioner",
    )
    assert other.kind == "commissioner"


# --- Sending a self-assessment back ------------------------------------------------------


def test_commissioner_sends_back_with_a_reason_and_the_provider_resubmits(
    submitted, commissioner, manager
):
    with pytest.raises(ValidationError) as exc:
        services.assessment_return(actor=commissioner, assessment=submitted, reason="   ")
    assert exc.value.message_dict == {"reason": ["Enter the reason for sending it back"]}
    submitted.refresh_from_db()
    assert submitted.status == "submitted"

    agree_all(submitted, commissioner)
    back = services.assessment_return(
        actor=commissioner, assessment=submitted, reason="Attach the evaluation report"
    )
    assert back.status == "draft" and back.return_reason == "Attach the evaluation report"
    assert back.returned_by == commissioner and back.returned_at is not None
    event = AuditEvent.objects.get(
        object_type="standards_assessment", object_id=str(back.pk), action="reject"
    )
    assert event.detail["reason"] == "Attach the evaluation report"
    # The provider sees it (and the reason) and may change it again.
    assert policies.can_read_assessment(manager, back) and policies.can_edit_assessment(
        manager, back
    )
    # The commissioner can no longer review, finalise or send back a draft.
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=commissioner, assessment=back)
    with pytest.raises(PermissionDenied):
        services.assessment_return(actor=commissioner, assessment=back, reason="again")

    changed = back.ratings.get(question__key="value-for-money")
    services.rating_update(
        actor=manager,
        rating=changed,
        status="green",
        finding="Evaluation attached",
        evidence_sources=["service_evaluation"],
    )
    changed.refresh_from_db()
    assert changed.decision == "" and changed.agreed_status == ""  # needs reviewing again
    kept = back.ratings.get(question__key="need")
    assert kept.decision == "agreed"  # unchanged questions keep their review

    again = services.assessment_submit(actor=manager, assessment=back)
    assert again.status == "submitted"
    with pytest.raises(ValidationError) as exc:
        services.assessment_finalise(actor=commissioner, assessment=again)
    assert exc.value.messages == [f"Review “{changed.question.question}”"]
    services.rating_review(actor=commissioner, rating=changed, decision="agreed")
    done = services.assessment_finalise(actor=commissioner, assessment=again)
    assert done.outcome == "meets" and done.return_reason == "Attach the evaluation report"


def test_only_commissioners_send_back_and_only_a_submitted_self_assessment(
    submitted, manager, role_users, led, commissioner
):
    for role in (Role.PROVIDER_MANAGER, Role.ANALYST, Role.REFERRER):
        with pytest.raises(PermissionDenied):
            services.assessment_return(
                actor=role_users[role], assessment=submitted, reason="Not good enough"
            )
    with pytest.raises(PermissionDenied):
        services.assessment_return(actor=commissioner, assessment=led, reason="x")
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and submitted.return_reason == ""
    assert not AuditEvent.objects.filter(action="reject").exists()


def test_provider_cannot_finalise_their_own_submitted_self_assessment(submitted, manager):
    with pytest.raises(PermissionDenied):
        services.assessment_finalise(actor=manager, assessment=submitted)
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
