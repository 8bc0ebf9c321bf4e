"""Directory curation at the service layer: each rule, and attempts to break it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.directory import curation, selectors
from pathways.directory.models import (
    ChangeStatus,
    EvidenceLevel,
    ProvenanceSource,
    Service,
    ServiceChange,
    ServiceVersion,
)
from pathways.directory.services import service_snapshot, service_update


def _audits(action: str, object_id) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(object_id)).count()


@pytest.fixture
def manager(role_users):
    return role_users[Role.PROVIDER_MANAGER]


@pytest.fixture
def editor(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def service(make_service):
    return make_service(
        "Respect Group",
        claims={
            "risk_high": {
                "value": "yes",
                "evidence_level": "verified",
                "evidence_note": "Checked 2025",
            },
            "adults": {"value": "yes"},
        },
    )


@pytest.fixture
def other_service(make_service, other_provider_org):
    return make_service("Someone Else's Service", organisation=other_provider_org)


def _propose(manager, service, **kwargs):
    return curation.service_change_propose(actor=manager, service=service, **kwargs)


# -- proposing -------------------------------------------------------------------------


@pytest.mark.django_db
def test_proposal_is_pending_and_does_not_change_the_live_service(manager, service):
    change = _propose(manager, service, data={"name": "Respect Group (Leeds)", "waiting_weeks": 4})
    service.refresh_from_db()
    assert change.status == ChangeStatus.PENDING
    assert service.name == "Respect Group"
    assert service.waiting_weeks is None
    assert change.data == {"name": "Respect Group (Leeds)", "waiting_weeks": 4}
    assert change.base_version == 1
    assert change.source == ProvenanceSource.PROVIDER_CONFIRMED
    assert _audits(AuditAction.CREATE, change.pk) == 1


@pytest.mark.django_db
def test_proposal_keeps_only_what_differs_from_the_live_record(manager, service):
    snapshot = service_snapshot(service)
    data = {name: snapshot[name] for name in ("name", "description", "status", "visible_from")}
    data["description"] = "Now with evening groups"
    change = _propose(
        manager,
        service,
        data=data,
        claims={
            **snapshot["claims"],
            "lgbtqia": {"value": "yes", "evidence_level": "self_reported"},
        },
        area_slugs=["leeds", "bradford"],
        term_codes=["abuse-types:DA"],
    )
    assert change.data == {
        "description": "Now with evening groups",
        "claims": {
            "lgbtqia": {"value": "yes", "evidence_level": "self_reported", "evidence_note": ""}
        },
        "areas": ["bradford", "leeds"],
    }


@pytest.mark.django_db
def test_proposal_with_nothing_changed_is_refused(manager, service):
    with pytest.raises(ValidationError, match="You have not changed anything"):
        _propose(manager, service, data={"name": "Respect Group"}, area_slugs=["leeds"])
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_provider_cannot_propose_for_another_organisation(
    manager, other_service, other_provider_org
):
    with pytest.raises(PermissionDenied):
        _propose(manager, other_service, data={"name": "Taken over"})
    with pytest.raises(PermissionDenied):
        curation.service_change_propose(
            actor=manager, organisation=other_provider_org, data={"name": "New"}
        )
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.COMMISSIONER, Role.REFERRER, Role.PERPETRATOR_WORKER, Role.ANALYST]
)
def test_roles_other_than_provider_manager_cannot_propose(role_users, service, role):
    with pytest.raises(PermissionDenied):
        _propose(role_users[role], service, data={"name": "Changed"})


@pytest.mark.django_db
def test_provider_cannot_mark_a_claim_verified(manager, service):
    with pytest.raises(PermissionDenied):
        _propose(
            manager,
            service,
            claims={"adults": {"value": "yes", "evidence_level": "verified", "evidence_note": "x"}},
        )
    with pytest.raises(PermissionDenied):
        # Changing a verified claim's value while keeping "verified" is verifying it anew.
        _propose(
            manager,
            service,
            claims={
                "risk_high": {
                    "value": "no",
                    "evidence_level": "verified",
                    "evidence_note": "Checked 2025",
                }
            },
        )
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_provider_may_leave_a_verified_claim_untouched(manager, service):
    unchanged = {"value": "yes", "evidence_level": "verified", "evidence_note": "Checked 2025"}
    change = _propose(
        manager, service, data={"phone": "0113 000 0000"}, claims={"risk_high": unchanged}
    )
    assert "claims" not in change.data


@pytest.mark.django_db
def test_provider_may_downgrade_a_changed_claim_to_evidenced_with_a_note(manager, service):
    with pytest.raises(ValidationError, match="enter a note describing the evidence"):
        _propose(
            manager, service, claims={"risk_high": {"value": "no", "evidence_level": "evidenced"}}
        )
    change = _propose(
        manager,
        service,
        claims={
            "risk_high": {
                "value": "no",
                "evidence_level": "evidenced",
                "evidence_note": "Referral policy v3",
            }
        },
    )
    assert change.data["claims"]["risk_high"]["evidence_level"] == "evidenced"


@pytest.mark.django_db
def test_proposal_cannot_set_provenance_or_lifecycle_fields(manager, service):
    for field in ("provenance_source", "deleted_at", "confirmed_at", "organisation"):
        with pytest.raises(ValidationError, match="cannot be set"):
            _propose(manager, service, data={field: "x"})


@pytest.mark.django_db
def test_visible_to_before_visible_from_is_a_clear_error_not_a_database_error(manager, service):
    with pytest.raises(ValidationError) as caught:
        _propose(manager, service, data={"visible_from": "2026-05-01", "visible_to": "2026-04-01"})
    assert caught.value.message_dict["visible_to"] == [curation.VISIBLE_TO_ERROR]


@pytest.mark.django_db
def test_visible_to_before_an_existing_visible_from_is_caught_too(manager, make_service):
    service = make_service("Windowed", visible_from=dt.date(2026, 5, 1))
    with pytest.raises(ValidationError) as caught:
        _propose(manager, service, data={"visible_to": "2026-04-01"})
    assert curation.VISIBLE_TO_ERROR in caught.value.message_dict["visible_to"]


@pytest.mark.django_db
def test_unknown_area_or_term_is_a_clear_error(manager, service):
    with pytest.raises(ValidationError, match="Unknown area: atlantis"):
        _propose(manager, service, area_slugs=["atlantis"])
    with pytest.raises(ValidationError, match="Unknown term"):
        _propose(manager, service, term_codes=["abuse-types:nonsense"])


@pytest.mark.django_db
def test_deleted_service_cannot_be_changed(manager, editor, service):
    curation.service_soft_delete(service=service, actor=editor)
    with pytest.raises(ValidationError, match="deleted"):
        _propose(manager, service, data={"name": "Back again"})


@pytest.mark.django_db
def test_new_service_proposal_needs_a_name_and_creates_nothing_live(
    manager, provider_org, reference
):
    with pytest.raises(ValidationError, match="Enter the service name"):
        curation.service_change_propose(
            actor=manager, organisation=provider_org, data={"name": "  "}
        )
    change = curation.service_change_propose(
        actor=manager,
        organisation=provider_org,
        data={"name": "Young People's Programme", "min_age": 13, "max_age": 17},
        area_slugs=["leeds"],
        term_codes=["abuse-types:CAPVA"],
    )
    assert change.service is None and change.base_version is None
    assert not Service.objects.filter(name="Young People's Programme").exists()


# -- approving and rejecting -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PROVIDER_MANAGER, Role.ANALYST, Role.TRIAGE])
def test_only_directory_editors_can_approve_or_reject(role_users, manager, service, role):
    change = _propose(manager, service, data={"name": "Changed"})
    with pytest.raises(PermissionDenied):
        curation.service_change_approve(change=change, actor=role_users[role])
    with pytest.raises(PermissionDenied):
        curation.service_change_reject(change=change, actor=role_users[role], reason="No")
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING


@pytest.mark.django_db
def test_approval_applies_the_change_with_its_source_a_version_and_an_audit(
    manager, editor, service
):
    change = _propose(
        manager,
        service,
        data={"name": "Respect Group (Leeds)", "cost_per_user": "1250.5"},
        claims={"adults": {"value": "no", "evidence_level": "self_reported"}},
        area_slugs=["leeds", "kirklees"],
        term_codes=["abuse-types:DA", "referral-routes:self"],
    )
    curation.service_change_approve(change=change, actor=editor)
    service.refresh_from_db()
    change.refresh_from_db()
    assert service.name == "Respect Group (Leeds)"
    assert str(service.cost_per_user) == "1250.50"
    assert service.provenance_source == ProvenanceSource.PROVIDER_CONFIRMED
    assert service.provenance_recorded_by == editor
    assert service.confirmed_at is not None
    assert "Proposed by user-provider_manager" in service.provenance_detail
    snapshot = service_snapshot(service)
    assert snapshot["areas"] == ["kirklees", "leeds"]
    assert snapshot["taxonomy_terms"] == ["abuse-types:DA", "referral-routes:self"]
    assert snapshot["claims"]["adults"]["value"] == "no"
    assert snapshot["claims"]["risk_high"]["evidence_level"] == "verified"  # untouched claims stay
    assert change.status == ChangeStatus.APPROVED and change.decided_by == editor
    latest = service.versions.order_by("-number").first()
    assert latest.number == 2 and latest.source == ProvenanceSource.PROVIDER_CONFIRMED
    assert _audits(AuditAction.APPROVE, change.pk) == 1


@pytest.mark.django_db
def test_approving_a_new_service_adds_it_for_the_proposing_organisation(
    manager, editor, provider_org, reference
):
    change = curation.service_change_propose(
        actor=manager,
        organisation=provider_org,
        data={"name": "Young People's Programme", "min_age": 13, "max_age": 17},
        claims={"children_young_people": {"value": "yes", "evidence_level": "self_reported"}},
        area_slugs=["leeds"],
        term_codes=["abuse-types:CAPVA"],
    )
    service = curation.service_change_approve(change=change, actor=editor)
    change.refresh_from_db()
    assert change.service == service
    assert service.organisation == provider_org
    assert (service.min_age, service.max_age) == (13, 17)
    assert service.provenance_source == ProvenanceSource.PROVIDER_CONFIRMED
    assert service_snapshot(service)["taxonomy_terms"] == ["abuse-types:CAPVA"]
    assert service.versions.count() == 1


@pytest.mark.django_db
def test_approval_needs_confirmation_when_the_service_changed_since_the_proposal(
    manager, editor, service
):
    change = _propose(manager, service, data={"phone": "0113 111 1111"})
    service_update(
        service=service,
        data={"description": "Edited meanwhile"},
        actor=editor,
        source="desk_review",
    )
    with pytest.raises(curation.ChangeConflictError, match="changed since this was proposed"):
        curation.service_change_approve(change=change, actor=editor)
    service.refresh_from_db()
    change.refresh_from_db()
    assert service.phone == "" and change.status == ChangeStatus.PENDING
    curation.service_change_approve(change=change, actor=editor, confirm_stale=True)
    service.refresh_from_db()
    assert service.phone == "0113 111 1111"
    assert service.description == "Edited meanwhile"  # only proposed fields are applied
    event = AuditEvent.objects.get(action=AuditAction.APPROVE, object_id=str(change.pk))
    assert event.detail["confirmed_stale"] is True


@pytest.mark.django_db
def test_a_change_is_decided_once(manager, editor, service):
    change = _propose(manager, service, data={"name": "Once"})
    curation.service_change_approve(change=change, actor=editor)
    with pytest.raises(ValidationError, match="already been approved"):
        curation.service_change_approve(change=change, actor=editor)
    with pytest.raises(ValidationError, match="already been approved"):
        curation.service_change_reject(change=change, actor=editor, reason="Too late")
    with pytest.raises(ValidationError, match="already been approved"):
        curation.service_change_withdraw(change=change, actor=manager)


@pytest.mark.django_db
def test_approval_of_a_change_to_a_deleted_service_is_refused(manager, editor, service):
    change = _propose(manager, service, data={"name": "Changed"})
    curation.service_soft_delete(service=service, actor=editor)
    with pytest.raises(ValidationError, match="Restore it before approving"):
        curation.service_change_approve(change=change, actor=editor)


@pytest.mark.django_db
def test_approval_that_would_break_the_visibility_window_is_a_clear_error(manager, editor, service):
    change = _propose(manager, service, data={"visible_to": "2026-04-01"})
    service_update(
        service=service,
        data={"visible_from": dt.date(2026, 5, 1)},
        actor=editor,
        source="desk_review",
    )
    with pytest.raises(ValidationError) as caught:
        curation.service_change_approve(change=change, actor=editor, confirm_stale=True)
    assert caught.value.message_dict["visible_to"] == [curation.VISIBLE_TO_ERROR]


@pytest.mark.django_db
def test_rejection_needs_a_reason_is_audited_and_leaves_the_service_alone(manager, editor, service):
    change = _propose(manager, service, data={"name": "Rejected name"})
    with pytest.raises(ValidationError, match="Enter a reason for rejecting the change"):
        curation.service_change_reject(change=change, actor=editor, reason="   ")
    curation.service_change_reject(change=change, actor=editor, reason="Name is not the one funded")
    change.refresh_from_db()
    service.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED
    assert change.decision_reason == "Name is not the one funded"
    assert service.name == "Respect Group"
    assert _audits(AuditAction.REJECT, change.pk) == 1


@pytest.mark.django_db
def test_manager_can_withdraw_their_pending_change_but_others_cannot(
    manager, editor, make_user, other_provider_org, service
):
    change = _propose(manager, service, data={"name": "Withdrawn"})
    outsider = make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)
    for actor in (outsider, editor):
        with pytest.raises(PermissionDenied):
            curation.service_change_withdraw(change=change, actor=actor)
    curation.service_change_withdraw(change=change, actor=manager)
    change.refresh_from_db()
    assert change.status == ChangeStatus.WITHDRAWN
    with pytest.raises(ValidationError):
        curation.service_change_approve(change=change, actor=editor)


# -- direct edits, confirmation and claims ------------------------------------------------


@pytest.mark.django_db
def test_editor_edits_directly_with_a_chosen_source(editor, service):
    curation.service_edit(
        service=service,
        actor=editor,
        source=ProvenanceSource.QUESTIONNAIRE,
        provenance_detail="2026 provider questionnaire",
        data={"waiting_weeks": 6},
    )
    service.refresh_from_db()
    assert service.waiting_weeks == 6
    assert service.provenance_source == ProvenanceSource.QUESTIONNAIRE
    assert service.provenance_detail == "2026 provider questionnaire"
    assert service.provenance_recorded_by == editor
    assert service.versions.count() == 2


@pytest.mark.django_db
def test_direct_edit_refuses_providers_and_made_up_sources(manager, editor, service):
    with pytest.raises(PermissionDenied):
        curation.service_edit(
            service=service, actor=manager, source="desk_review", data={"name": "x"}
        )
    with pytest.raises(ValidationError, match="Select where this information comes from"):
        curation.service_edit(
            service=service, actor=editor, source=ProvenanceSource.SYNTHETIC, data={}
        )
    with pytest.raises(ValidationError) as caught:
        curation.service_edit(
            service=service, actor=editor, source="desk_review", data={"min_age": 30, "max_age": 18}
        )
    assert caught.value.message_dict["max_age"] == [curation.MAX_AGE_ERROR]


@pytest.mark.django_db
def test_provider_confirms_the_record_unchanged(manager, service):
    assert selectors.service_is_unconfirmed(service)
    curation.service_confirm(service=service, actor=manager)
    service.refresh_from_db()
    assert service.provenance_source == ProvenanceSource.PROVIDER_CONFIRMED
    assert service.confirmed_at is not None
    assert not selectors.service_is_stale(service)
    assert (
        service.versions.order_by("-number").first().summary
        == "Confirmed by the provider with no changes"
    )


@pytest.mark.django_db
def test_provider_cannot_confirm_another_organisations_service(manager, editor, other_service):
    for actor in (manager, editor):
        with pytest.raises(PermissionDenied):
            curation.service_confirm(service=other_service, actor=actor)


@pytest.mark.django_db
def test_editor_verifies_claims_with_a_note_writing_a_version_and_audit(editor, service):
    curation.service_claim_verify(
        service=service,
        actor=editor,
        claims={
            "adults": {"evidence_level": "verified", "evidence_note": "Saw the referral criteria"}
        },
    )
    claim = service.claims.get(dimension="adults")
    assert claim.evidence_level == EvidenceLevel.VERIFIED
    assert claim.value == "yes"  # verifying does not change the answer
    assert claim.verified_by == editor and claim.verified_at is not None
    assert service.versions.count() == 2
    assert _audits(AuditAction.VERIFY, service.pk) == 1


@pytest.mark.django_db
def test_claim_verification_rules(manager, editor, service):
    with pytest.raises(PermissionDenied):
        curation.service_claim_verify(
            service=service,
            actor=manager,
            claims={"adults": {"evidence_level": "verified", "evidence_note": "x"}},
        )
    with pytest.raises(ValidationError, match="enter a note"):
        curation.service_claim_verify(
            service=service, actor=editor, claims={"adults": {"evidence_level": "verified"}}
        )
    with pytest.raises(ValidationError, match="makes no claim"):
        curation.service_claim_verify(
            service=service,
            actor=editor,
            claims={"lgbtqia": {"evidence_level": "verified", "evidence_note": "x"}},
        )
    with pytest.raises(ValidationError, match="not changed any claim"):
        curation.service_claim_verify(
            service=service,
            actor=editor,
            claims={"risk_high": {"evidence_level": "verified", "evidence_note": "Checked 2025"}},
        )
    # Downgrading needs no note.
    curation.service_claim_verify(
        service=service, actor=editor, claims={"risk_high": {"evidence_level": "self_reported"}}
    )
    claim = service.claims.get(dimension="risk_high")
    assert claim.evidence_level == EvidenceLevel.SELF_REPORTED and claim.verified_by is None


# -- soft delete and restore ---------------------------------------------------------------


@pytest.mark.django_db
def test_soft_delete_hides_the_service_from_the_public_and_is_audited(editor, manager, service):
    with pytest.raises(PermissionDenied):
        curation.service_soft_delete(service=service, actor=manager)
    curation.service_soft_delete(service=service, actor=editor)
    service.refresh_from_db()
    assert service.deleted_by == editor
    assert not selectors.service_public_queryset().filter(pk=service.pk).exists()
    with pytest.raises(Http404):
        selectors.service_get_for_user(user=manager, service_id=service.pk)
    assert _audits(AuditAction.DELETE, service.pk) == 1
    with pytest.raises(ValidationError, match="already been deleted"):
        curation.service_soft_delete(service=service, actor=editor)


@pytest.mark.django_db
def test_restore_within_the_window_brings_the_service_back(editor, manager, service):
    curation.service_soft_delete(service=service, actor=editor)
    Service.objects.filter(pk=service.pk).update(deleted_at=timezone.now() - dt.timedelta(days=29))
    with pytest.raises(PermissionDenied):
        curation.service_restore(service=service, actor=manager)
    curation.service_restore(service=service, actor=editor)
    service.refresh_from_db()
    assert service.deleted_at is None and service.deleted_by is None
    assert selectors.service_public_queryset().filter(pk=service.pk).exists()
    assert _audits(AuditAction.RESTORE, service.pk) == 1


@pytest.mark.django_db
def test_restore_after_the_window_is_refused_with_a_clear_message(editor, service, settings):
    curation.service_soft_delete(service=service, actor=editor)
    days = settings.DIRECTORY_RESTORE_WINDOW_DAYS
    Service.objects.filter(pk=service.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=days, minutes=1)
    )
    with pytest.raises(
        ValidationError, match=f"deleted more than {days} days ago and can no longer be restored"
    ):
        curation.service_restore(service=service, actor=editor)
    service.refresh_from_db()
    assert service.deleted_at is not None
    assert _audits(AuditAction.RESTORE, service.pk) == 0


@pytest.mark.django_db
def test_restoring_a_live_service_is_refused(editor, service):
    with pytest.raises(ValidationError, match="has not been deleted"):
        curation.service_restore(service=service, actor=editor)


@pytest.mark.django_db
def test_recently_deleted_lists_only_the_restore_window(editor, make_service, settings):
    recent, old = make_service("Recent"), make_service("Old")
    for service in (recent, old):
        curation.service_soft_delete(service=service, actor=editor)
    Service.objects.filter(pk=old.pk).update(
        deleted_at=timezone.now() - dt.timedelta(days=settings.DIRECTORY_RESTORE_WINDOW_DAYS + 1)
    )
    assert [s.name for s in curation.service_list_recently_deleted(user=editor)] == ["Recent"]


# -- reads -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_managers_only_reach_their_own_organisations_services_and_changes(
    manager, make_user, other_provider_org, other_service, service
):
    outsider = make_user("other-manager", Role.PROVIDER_MANAGER, other_provider_org)
    change = _propose(manager, service, data={"name": "Mine"})
    with pytest.raises(Http404):
        curation.service_get_for_manager(user=manager, service_id=other_service.pk)
    with pytest.raises(Http404):
        curation.change_get_for_user(user=outsider, change_id=change.pk)
    assert list(curation.change_list_for_user(user=outsider)) == []
    assert list(curation.change_list_for_user(user=manager)) == [change]


@pytest.mark.django_db
def test_change_queue_is_oldest_first(manager, editor, make_service):
    first = _propose(manager, make_service("A"), data={"name": "A2"})
    second = _propose(manager, make_service("B"), data={"name": "B2"})
    ServiceChange.objects.filter(pk=second.pk).update(
        created_at=first.created_at - dt.timedelta(hours=1)
    )
    assert list(curation.change_list_for_user(user=editor)) == [second, first]


@pytest.mark.django_db
def test_review_lists_unconfirmed_stale_and_unverified_records_consistently_with_selectors(
    editor, manager, make_service, settings
):
    unconfirmed = make_service("Never confirmed")
    stale = make_service("Confirmed long ago")
    curation.service_confirm(service=stale, actor=manager)
    Service.objects.filter(pk=stale.pk).update(
        confirmed_at=timezone.now() - dt.timedelta(days=settings.DIRECTORY_STALE_AFTER_DAYS + 1)
    )
    fresh_unverified = make_service(
        "Fresh with self-reported claim", claims={"adults": {"value": "yes"}}
    )
    curation.service_confirm(service=fresh_unverified, actor=manager)
    fresh_verified = make_service(
        "Fresh and verified",
        claims={"adults": {"value": "yes", "evidence_level": "verified"}},
    )
    curation.service_confirm(service=fresh_verified, actor=manager)

    listed = {s.name: s for s in curation.service_list_for_review(user=editor)}
    assert set(listed) == {
        "Never confirmed",
        "Confirmed long ago",
        "Fresh with self-reported claim",
    }
    for service in listed.values():
        fresh = Service.objects.get(pk=service.pk)
        assert service.is_stale == selectors.service_is_stale(fresh)
        assert service.is_unconfirmed == selectors.service_is_unconfirmed(fresh)
    assert listed["Fresh with self-reported claim"].unverified_count == 1

    def names(**filters):
        return [
            s.name for s in curation.service_list_for_review(user=editor, sort="name", **filters)
        ]

    assert names(reason="unconfirmed") == [unconfirmed.name]
    assert names(reason="stale") == [stale.name]
    assert names(reason="unverified") == [fresh_unverified.name]
    assert names(provenance="desk_review") == [unconfirmed.name]
    assert list(curation.service_list_for_review(user=manager)) == []


@pytest.mark.django_db
def test_review_filters_by_area_including_wider_areas(editor, make_service, reference):
    from pathways.areas.models import Area

    make_service("Leeds", areas=("leeds",))
    make_service("West Yorkshire", areas=("west-yorkshire",))
    make_service("Cardiff", areas=("cardiff",))
    leeds = Area.objects.get(slug="leeds")
    found = [
        s.name for s in curation.service_list_for_review(user=editor, area_id=leeds.pk, sort="name")
    ]
    assert found == ["Leeds", "West Yorkshire"]


# -- comparing snapshots -------------------------------------------------------------------


def test_compare_reports_only_changed_fields_in_order():
    old = {
        "name": "A",
        "description": "",
        "waiting_weeks": None,
        "status": "active",
        "languages": ["en"],
    }
    new = {
        "name": "B",
        "description": None,
        "waiting_weeks": 3,
        "status": "inactive",
        "languages": ["en"],
    }
    changes = curation.service_version_compare(old, new)
    assert [(c.key, c.old_display, c.new_display) for c in changes] == [
        ("name", "A", "B"),
        ("status", "Active", "Inactive"),
        ("waiting_weeks", "Not set", "3"),
    ]


def test_compare_claims_by_dimension_and_areas_and_terms_as_sets():
    old = {
        "claims": {
            "risk_high": {"value": "yes", "evidence_level": "verified", "evidence_note": "ok"},
            "adults": {"value": "yes", "evidence_level": "self_reported", "evidence_note": ""},
        },
        "areas": ["leeds", "bradford"],
        "taxonomy_terms": ["abuse-types:DA"],
    }
    new = {
        "claims": {
            "risk_high": {"value": "yes", "evidence_level": "verified", "evidence_note": "ok"},
            "adults": {"value": "no", "evidence_level": "evidenced", "evidence_note": "policy"},
            "lgbtqia": {"value": "yes", "evidence_level": "self_reported", "evidence_note": ""},
        },
        "areas": ["bradford", "kirklees"],
        "taxonomy_terms": ["abuse-types:DA"],
    }
    changes = {
        c.key: c for c in curation.service_version_compare(old, new, names={"kirklees": "Kirklees"})
    }
    assert set(changes) == {"claims.adults", "claims.lgbtqia", "areas"}
    assert changes["claims.adults"].old_display == "Yes – Self-reported"
    assert changes["claims.adults"].new_display == "No – Evidenced: policy"
    assert changes["claims.lgbtqia"].old_display == "No claim"
    assert changes["areas"].added == ("kirklees",) and changes["areas"].removed == ("leeds",)
    assert "Kirklees" in changes["areas"].new_display


def test_compare_of_identical_snapshots_is_empty_and_absent_claim_equals_not_stated():
    snapshot = {"name": "A", "claims": {}, "areas": [], "taxonomy_terms": []}
    assert curation.service_version_compare(snapshot, dict(snapshot)) == []
    not_stated = {
        "claims": {
            "adults": {
                "value": "not_stated",
                "evidence_level": "self_reported",
                "evidence_note": "",
            }
        }
    }
    assert curation.service_version_compare({"claims": {}}, not_stated) == []


@pytest.mark.django_db
def test_compare_real_versions_shows_what_an_approved_change_did(manager, editor, service):
    change = _propose(manager, service, data={"waiting_weeks": 8})
    curation.service_change_approve(change=change, actor=editor)
    v1, v2 = (ServiceVersion.objects.get(service=service, number=n).snapshot for n in (1, 2))
    keys = [c.key for c in curation.service_version_compare(v1, v2)]
    assert keys == ["waiting_weeks", "provenance_source", "provenance_detail"]


# -- the self-referral quota and exclusion criteria ------------------------------------------


def _facts_for(service):
    from pathways.referrals.selectors.matching import service_facts_in_scope

    return next(f for f in service_facts_in_scope() if f.id == service.pk)


@pytest.mark.django_db
def test_provider_proposes_quota_and_exclusion_criteria_and_matching_sees_them_once_approved(
    manager, editor, service
):
    change = _propose(
        manager,
        service,
        data={"self_referral_max_percent": 40},
        term_codes=[
            "abuse-types:DA",
            "exclusion-criteria:acute-mental-health-crisis",
            "exclusion-criteria:denies-all-abuse",
        ],
    )
    assert change.data == {
        "self_referral_max_percent": 40,
        "taxonomy_terms": [
            "abuse-types:DA",
            "exclusion-criteria:acute-mental-health-crisis",
            "exclusion-criteria:denies-all-abuse",
        ],
    }
    before = _facts_for(service)
    assert before.self_referral_max_percent is None
    assert before.exclusion_criteria == frozenset()

    curation.service_change_approve(change=change, actor=editor)

    facts = _facts_for(service)
    assert facts.self_referral_max_percent == 40
    assert facts.exclusion_criteria == {"acute-mental-health-crisis", "denies-all-abuse"}
    assert facts.abuse_types == {"DA"}
    latest = service.versions.order_by("-number").first()
    assert latest.snapshot["self_referral_max_percent"] == 40
    assert "maximum share of self-referrals (%)" in latest.summary


@pytest.mark.django_db
def test_a_proposal_without_term_codes_keeps_the_exclusion_criteria(manager, editor, make_service):
    service = make_service(
        "Criteria Kept",
        terms=("abuse-types:DA", "exclusion-criteria:sexual-offence-conviction"),
        self_referral_max_percent=30,
    )
    change = _propose(manager, service, data={"waiting_weeks": 6})
    curation.service_change_approve(change=change, actor=editor)
    facts = _facts_for(service)
    assert facts.exclusion_criteria == {"sexual-offence-conviction"}
    assert facts.self_referral_max_percent == 30


@pytest.mark.django_db
@pytest.mark.parametrize("percent", [0, 101, -5])
def test_a_quota_outside_1_to_100_is_refused_with_words_for_people(manager, service, percent):
    with pytest.raises(ValidationError) as caught:
        _propose(manager, service, data={"self_referral_max_percent": percent})
    assert caught.value.message_dict["self_referral_max_percent"] == [
        curation.SELF_REFERRAL_PERCENT_ERROR
    ]
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_a_quota_that_is_not_a_number_names_the_field(manager, service):
    with pytest.raises(ValidationError) as caught:
        _propose(manager, service, data={"self_referral_max_percent": "forty"})
    [message] = caught.value.message_dict["self_referral_max_percent"]
    assert message.startswith("Maximum share of self-referrals (%): ")


@pytest.mark.django_db
def test_an_unknown_exclusion_criterion_is_refused(manager, service):
    with pytest.raises(ValidationError, match="Unknown term: exclusion-criteria:smoking"):
        _propose(manager, service, term_codes=["abuse-types:DA", "exclusion-criteria:smoking"])
    assert not ServiceChange.objects.exists()


@pytest.mark.django_db
def test_editor_sets_and_clears_quota_and_criteria_directly(editor, service):
    curation.service_edit(
        service=service,
        actor=editor,
        source=ProvenanceSource.QUESTIONNAIRE,
        data={"self_referral_max_percent": 50},
        term_codes=["abuse-types:DA", "exclusion-criteria:current-da-proceedings"],
    )
    facts = _facts_for(service)
    assert (facts.self_referral_max_percent, facts.exclusion_criteria) == (
        50,
        {"current-da-proceedings"},
    )
    curation.service_edit(
        service=service,
        actor=editor,
        source=ProvenanceSource.QUESTIONNAIRE,
        data={"self_referral_max_percent": None},
        term_codes=["abuse-types:DA"],
    )
    facts = _facts_for(service)
    assert (facts.self_referral_max_percent, facts.exclusion_criteria) == (None, frozenset())


def test_compare_shows_exclusion_criteria_and_the_quota_as_rows_of_their_own():
    old = {
        "self_referral_max_percent": None,
        "taxonomy_terms": ["abuse-types:DA", "referral-routes:self"],
    }
    new = {
        "self_referral_max_percent": 40,
        "taxonomy_terms": [
            "abuse-types:DA",
            "abuse-types:SV",
            "exclusion-criteria:denies-all-abuse",
            "referral-routes:self",
        ],
    }
    names = {
        "abuse-types:SV": "Sexual violence",
        "exclusion-criteria:denies-all-abuse": "Denies all abusive behaviour",
    }
    changes = {c.key: c for c in curation.service_version_compare(old, new, names=names)}
    assert list(changes) == [
        "self_referral_max_percent",
        "taxonomy_terms.abuse-types",
        "taxonomy_terms.exclusion-criteria",
    ]
    quota = changes["self_referral_max_percent"]
    assert (quota.label, quota.old_display, quota.new_display) == (
        "Maximum share of self-referrals (%)",
        "Not set",
        "40",
    )
    criteria = changes["taxonomy_terms.exclusion-criteria"]
    assert criteria.label == "Exclusion criteria"
    assert (criteria.old_display, criteria.added_display) == (
        "Not set",
        "Denies all abusive behaviour",
    )
    assert changes["taxonomy_terms.abuse-types"].added == ("abuse-types:SV",)
