"""Triage services: loading the partnership's risk policy, assessing a referral's tier, and
routing it on from the front door. Every test tries to get round the rule it names."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.audit.models import AuditEvent
from pathways.referrals.models import (
    Child,
    MatchRun,
    Notification,
    Referral,
    ReferralStatus,
    RiskPolicy,
    StatusChange,
    UnmetNeed,
)
from pathways.referrals.reference import RiskTier
from pathways.referrals.services.intake import VictimInput
from pathways.referrals.services.matching import referral_match
from pathways.referrals.services.routing import referral_accept, referral_decline
from pathways.referrals.services.status import referral_transition
from pathways.referrals.services.triage import (
    DEMO_FIXTURE,
    referral_close_no_suitable_service,
    referral_send,
    referral_signpost,
    referral_triage,
    referral_withdraw_by_front_door,
    risk_policy_demo_fixture,
    risk_policy_load,
    risk_policy_load_demo,
)

NOT_FRONT_DOOR = [Role.REFERRER, Role.COMMISSIONER, Role.PROVIDER_MANAGER, Role.ANALYST]


def small_definition(**changes):
    definition = {
        "questions": [
            {"code": "threats", "text": "Threats to kill", "weight": 5},
            {"code": "choking", "text": "Strangulation or choking", "weight": 5},
            {"code": "escalation", "text": "Abuse is escalating", "weight": 3},
        ],
        "thresholds": {"medium": 4, "high": 10},
        "rules": [
            {
                "fact": "marac_heard",
                "op": "==",
                "value": True,
                "tier": "high_risk",
                "reason": "Heard at MARAC",
            },
            {
                "fact": "rfg_score",
                "op": ">=",
                "value": 60,
                "tier": "high_risk",
                "reason": "RFG 60 or more",
            },
            {
                "fact": "victim_count",
                "op": ">=",
                "value": 2,
                "tier": "medium_risk",
                "reason": "Two or more victim-survivors",
            },
        ],
    }
    definition.update(changes)
    return definition


def area(slug: str) -> Area:
    return Area.objects.get(slug=slug)


@pytest.fixture
def policy(reference):
    """The small policy in force across West Yorkshire Police's area (Leeds inherits it)."""
    return risk_policy_load(
        actor=None,
        area=area("west-yorkshire-police"),
        name="Test policy",
        definition=small_definition(),
    )


@pytest.fixture
def triage_user(role_users):
    return role_users[Role.TRIAGE]


@pytest.fixture
def eligible_service(make_service):
    """A service matching will offer for a Leeds referral at any tier."""

    def make(name: str = "Change Project", **data):
        claims = {dim: {"value": "yes"} for dim in ("risk_standard", "risk_medium", "risk_high")}
        data.setdefault("integrated_victim_support", "own")
        return make_service(name, claims=claims, **data)

    return make


@pytest.fixture
def matched(make_referral, policy, triage_user, eligible_service):
    """A triaged Leeds referral matched against one eligible service."""
    service = eligible_service()
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={"threats": True})
    run = referral_match(actor=triage_user, referral=referral)
    referral.refresh_from_db()
    return referral, service, run


def _audit_text() -> str:
    return " ".join(f"{e.action} {e.detail}" for e in AuditEvent.objects.all())


# --- Loading the risk policy -----------------------------------------------------------------


@pytest.mark.django_db
def test_commissioner_loads_a_policy_that_replaces_the_one_in_force(reference, role_users):
    commissioner = role_users[Role.COMMISSIONER]
    first = risk_policy_load(
        actor=commissioner, area=area("leeds"), name="First", definition=small_definition()
    )
    second = risk_policy_load(
        actor=commissioner,
        area=area("leeds"),
        name="Second",
        definition=small_definition(thresholds={"medium": 3, "high": 8}),
        source_note="Agreed by the partnership board",
    )
    first.refresh_from_db()
    assert (first.version, first.is_active) == (1, False)
    assert (second.version, second.is_active) == (2, True)
    assert second.created_by == commissioner
    event = AuditEvent.objects.filter(action="risk_policy.loaded").order_by("-sequence").first()
    assert event.detail["version"] == 2
    assert event.detail["replaced_versions"] == [1]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.TRIAGE, Role.REFERRER, Role.PROVIDER_MANAGER])
def test_only_commissioners_and_administrators_load_a_risk_policy(reference, role_users, role):
    with pytest.raises(PermissionDenied):
        risk_policy_load(
            actor=role_users[role], area=area("leeds"), name="X", definition=small_definition()
        )
    assert not RiskPolicy.objects.exists()


@pytest.mark.django_db
def test_an_invalid_definition_changes_nothing_and_says_why(reference, role_users, policy):
    bad = small_definition(thresholds={"medium": 10, "high": 4})
    with pytest.raises(ValidationError) as exc:
        risk_policy_load(
            actor=role_users[Role.ADMIN], area=policy.area, name="Broken", definition=bad
        )
    assert exc.value.message_dict["definition"] == [
        "The medium threshold (10) must be lower than the high threshold (4)"
    ]
    assert list(RiskPolicy.objects.values_list("name", "is_active")) == [("Test policy", True)]


@pytest.mark.django_db
def test_a_policy_needs_a_name(reference):
    with pytest.raises(ValidationError) as exc:
        risk_policy_load(actor=None, area=area("leeds"), name=" ", definition=small_definition())
    assert exc.value.message_dict["name"] == ["Enter a name for the risk policy"]


@pytest.mark.django_db
def test_demo_policy_loads_once_and_never_over_an_areas_own_policy(reference, policy):
    areas = [area("leeds"), area("west-yorkshire-police")]
    loaded = risk_policy_load_demo(areas=areas)
    assert [p.area.slug for p in loaded] == ["leeds"]
    assert loaded[0].name == risk_policy_demo_fixture()["name"]
    assert not loaded[0].is_licensed_tool
    assert risk_policy_load_demo(areas=areas) == []
    assert RiskPolicy.objects.count() == 2
    policy.refresh_from_db()
    assert policy.is_active


# --- Triage ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_triage_computes_and_stores_the_tier_under_the_policy_inherited_from_a_wider_area(
    make_referral, policy, triage_user
):
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={"threats": True})
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == ReferralStatus.TRIAGED
    assert stored.risk_policy == policy
    assert stored.risk_answers == {"threats": True, "choking": False, "escalation": False}
    assert (stored.computed_tier, stored.tier) == (RiskTier.MEDIUM, RiskTier.MEDIUM)
    assert stored.computed_explanation[0] == "Yes: Threats to kill (+5)"
    assert stored.computed_explanation[-1] == "Computed tier: medium risk"
    assert stored.triaged_by == triage_user and stored.triaged_at is not None
    assert not stored.tier_overridden
    assert StatusChange.objects.filter(referral=stored, to_status="triaged").count() == 1


@pytest.mark.django_db
def test_the_nearest_policy_wins_over_one_further_up(make_referral, policy, triage_user):
    local = risk_policy_load(
        actor=None,
        area=area("leeds"),
        name="Leeds policy",
        definition=small_definition(thresholds={"medium": 1, "high": 2}),
    )
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={"escalation": True})
    assert referral.risk_policy == local
    assert referral.tier == RiskTier.HIGH


@pytest.mark.django_db
def test_triage_is_refused_when_no_policy_is_in_force(make_referral, triage_user):
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        referral_triage(actor=triage_user, referral=referral, answers={})
    assert exc.value.message_dict["risk_policy"][0].startswith(
        "No risk policy is in force for Leeds"
    )
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_an_answer_to_a_question_the_policy_does_not_ask_is_refused(
    make_referral, policy, triage_user
):
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        referral_triage(
            actor=triage_user, referral=referral, answers={"threats": True, "made_up": True}
        )
    assert exc.value.message_dict["answers"] == [
        "The risk policy in force has no question with the code 'made_up'"
    ]
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.tier, stored.risk_answers) == ("received", "", {})


@pytest.mark.django_db
def test_answers_must_be_true_or_false(make_referral, policy, triage_user):
    with pytest.raises(ValidationError):
        referral_triage(actor=triage_user, referral=make_referral(), answers={"threats": "yes"})


@pytest.mark.django_db
@pytest.mark.parametrize("rfg", [-1, 101, "60", 12.5, True])
def test_an_rfg_score_outside_0_to_100_is_refused(make_referral, policy, triage_user, rfg):
    with pytest.raises(ValidationError) as exc:
        referral_triage(actor=triage_user, referral=make_referral(), answers={}, rfg_score=rfg)
    assert exc.value.message_dict["rfg_score"] == ["RFG score must be a whole number from 0 to 100"]


@pytest.mark.django_db
def test_facts_from_the_referral_and_the_rfg_score_lift_the_tier(
    make_referral, policy, triage_user
):
    marac = make_referral(marac_heard=True)
    two_victims = make_referral(
        victims=[VictimInput(name="Alex Example"), VictimInput(name="Jo Example")]
    )
    plain = make_referral()
    referral_triage(actor=triage_user, referral=marac, answers={})
    referral_triage(actor=triage_user, referral=two_victims, answers={})
    referral_triage(actor=triage_user, referral=plain, answers={}, rfg_score=75)
    assert marac.tier == RiskTier.HIGH
    assert two_victims.tier == RiskTier.MEDIUM
    assert plain.tier == RiskTier.HIGH
    assert plain.rfg_score == 75
    assert any("RFG 60 or more" in line for line in plain.computed_explanation)


@pytest.mark.django_db
def test_children_named_on_the_referral_reach_a_partnerships_child_rule(
    make_referral, reference, triage_user
):
    rules = [
        {"fact": "child_count", "op": ">=", "value": 2, "tier": "high_risk", "reason": "Children"}
    ]
    risk_policy_load(
        actor=None, area=area("leeds"), name="P", definition=small_definition(rules=rules)
    )
    referral = make_referral()
    for age in (3, 7):
        Child.objects.create(referral=referral, age=age)
    referral_triage(actor=triage_user, referral=referral, answers={})
    assert referral.tier == RiskTier.HIGH


@pytest.mark.django_db
def test_overriding_the_computed_tier_needs_a_reason(make_referral, policy, triage_user):
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        referral_triage(
            actor=triage_user,
            referral=referral,
            answers={"threats": True},
            tier_override=RiskTier.HIGH,
            override_reason="   ",
        )
    assert exc.value.message_dict["override_reason"] == [
        "Enter why you are changing the tier from medium risk to high risk"
    ]
    assert Referral.objects.get(pk=referral.pk).tier == ""


@pytest.mark.django_db
def test_an_override_with_a_reason_is_kept_alongside_the_computed_tier(
    make_referral, policy, triage_user
):
    referral = make_referral()
    referral_triage(
        actor=triage_user,
        referral=referral,
        answers={"threats": True},
        tier_override=RiskTier.HIGH,
        override_reason="Police intelligence shared this morning about a recent threat",
    )
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.computed_tier, stored.tier) == (RiskTier.MEDIUM, RiskTier.HIGH)
    assert stored.tier_overridden
    assert stored.tier_override_reason.startswith("Police intelligence")


@pytest.mark.django_db
def test_choosing_the_computed_tier_is_not_an_override_and_needs_no_reason(
    make_referral, policy, triage_user
):
    referral = make_referral()
    referral_triage(
        actor=triage_user,
        referral=referral,
        answers={"threats": True},
        tier_override=RiskTier.MEDIUM,
        override_reason="left over from an earlier choice",
    )
    assert referral.tier == RiskTier.MEDIUM
    assert referral.tier_override_reason == ""


@pytest.mark.django_db
def test_an_unknown_override_tier_is_refused(make_referral, policy, triage_user):
    with pytest.raises(ValidationError) as exc:
        referral_triage(
            actor=triage_user,
            referral=make_referral(),
            answers={},
            tier_override="very_high",
            override_reason="x",
        )
    assert "tier_override" in exc.value.message_dict


@pytest.mark.django_db
def test_triage_audit_records_both_tiers_and_no_personal_details(
    make_referral, policy, triage_user
):
    referral = make_referral(person_name="Robin Synthetic")
    referral_triage(
        actor=triage_user,
        referral=referral,
        answers={"threats": True},
        tier_override=RiskTier.HIGH,
        override_reason="Robin Synthetic was seen near the address",
    )
    event = AuditEvent.objects.get(action="referral.triaged")
    assert event.object_id == referral.reference
    assert event.detail["computed_tier"] == RiskTier.MEDIUM
    assert event.detail["tier"] == RiskTier.HIGH
    assert event.detail["overridden"] is True
    assert event.detail["override_direction"] == "raised"
    assert "Robin" not in _audit_text()
    assert "Alex" not in _audit_text()


@pytest.mark.django_db
def test_re_triaging_a_triaged_referral_updates_it_without_a_status_change(
    make_referral, policy, triage_user
):
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={})
    referral_triage(
        actor=triage_user, referral=referral, answers={"threats": True, "choking": True}
    )
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.tier) == (ReferralStatus.TRIAGED, RiskTier.HIGH)
    assert StatusChange.objects.filter(referral=stored, to_status="triaged").count() == 1
    assert AuditEvent.objects.filter(action="referral.triaged").count() == 2


@pytest.mark.django_db
def test_a_matched_or_declined_referral_goes_back_to_triaged(matched, triage_user, role_users):
    referral, service, _run = matched
    referral_triage(actor=triage_user, referral=referral, answers={"escalation": True})
    assert referral.status == ReferralStatus.TRIAGED
    referral_match(actor=triage_user, referral=referral)
    referral.refresh_from_db()
    referral_send(actor=triage_user, referral=referral, service=service)
    referral_decline(
        actor=role_users[Role.PROVIDER_MANAGER], referral=referral, reason="No places this term"
    )
    referral_triage(actor=triage_user, referral=referral, answers={})
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.TRIAGED


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ReferralStatus.SENT, ReferralStatus.ACCEPTED])
def test_a_referral_with_a_service_cannot_be_triaged_again(
    matched, triage_user, role_users, status
):
    referral, service, _run = matched
    referral_send(actor=triage_user, referral=referral, service=service)
    if status == ReferralStatus.ACCEPTED:
        referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    with pytest.raises(ValidationError) as exc:
        referral_triage(actor=triage_user, referral=referral, answers={"threats": True})
    assert exc.value.message_dict["status"][0].endswith("so you cannot triage it")
    assert Referral.objects.get(pk=referral.pk).tier == RiskTier.MEDIUM


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_FRONT_DOOR)
def test_only_the_front_door_triages(make_referral, policy, role_users, role):
    referral = make_referral()
    with pytest.raises(PermissionDenied):
        referral_triage(actor=role_users[role], referral=referral, answers={"threats": True})
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_an_administrator_may_triage(make_referral, policy, role_users):
    referral = referral_triage(actor=role_users[Role.ADMIN], referral=make_referral(), answers={})
    assert referral.status == ReferralStatus.TRIAGED


# --- Send ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_send_to_an_eligible_service_tells_the_provider_on_commit(
    matched, triage_user, django_capture_on_commit_callbacks
):
    referral, service, _run = matched
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        referral_send(actor=triage_user, referral=referral, service=service)
        assert not Notification.objects.filter(kind="referral_sent").exists()
    assert callbacks
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == ReferralStatus.SENT
    assert stored.sent_service == service and stored.sent_at is not None
    sent = Notification.objects.filter(kind="referral_sent")
    assert {n.recipient_address for n in sent} >= {"user-provider_manager@example.test"}
    assert "Sam Example" not in " ".join(n.body for n in sent)
    assert AuditEvent.objects.filter(action="referral.sent").exists()


@pytest.mark.django_db
def test_send_refuses_a_service_the_latest_match_excluded(
    matched, triage_user, make_service, eligible_service
):
    referral, _service, _run = matched
    excluded = make_service("No claims made")  # matching excludes it on the tier rule
    referral_match(actor=triage_user, referral=referral)
    with pytest.raises(ValidationError) as exc:
        referral_send(actor=triage_user, referral=referral, service=excluded)
    assert exc.value.message_dict["service"] == [
        "Select a service that was eligible in the latest match for this referral"
    ]
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.MATCHED


@pytest.mark.django_db
def test_send_refuses_a_service_eligible_only_in_an_earlier_match(matched, triage_user):
    referral, service, _run = matched
    # The service closes to referrals and matching runs again: it is no longer eligible.
    from pathways.directory.models import Service

    Service.objects.filter(pk=service.pk).update(capacity_status="closed")
    latest = referral_match(actor=triage_user, referral=referral)
    assert latest.eligible_count == 0
    with pytest.raises(ValidationError):
        referral_send(actor=triage_user, referral=referral, service=service)
    assert Referral.objects.get(pk=referral.pk).sent_service is None


@pytest.mark.django_db
def test_send_refuses_a_service_that_is_not_in_any_run(matched, triage_user, eligible_service):
    referral, _service, _run = matched
    newcomer = eligible_service("Added after matching")
    with pytest.raises(ValidationError):
        referral_send(actor=triage_user, referral=referral, service=newcomer)


@pytest.mark.django_db
def test_send_needs_a_matched_referral(make_referral, policy, triage_user, eligible_service):
    service = eligible_service()
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={})
    with pytest.raises(ValidationError) as exc:
        referral_send(actor=triage_user, referral=referral, service=service)
    assert exc.value.message_dict["status"] == ["This referral is triaged, so you cannot send it"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_FRONT_DOOR)
def test_only_the_front_door_sends(matched, role_users, role):
    referral, service, _run = matched
    with pytest.raises(PermissionDenied):
        referral_send(actor=role_users[role], referral=referral, service=service)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.MATCHED


@pytest.mark.django_db
def test_sending_after_a_decline_clears_the_previous_services_decision(
    matched, triage_user, role_users, eligible_service
):
    referral, service, _run = matched
    referral_send(actor=triage_user, referral=referral, service=service)
    referral_decline(
        actor=role_users[Role.PROVIDER_MANAGER], referral=referral, reason="Full this term"
    )
    referral_triage(actor=triage_user, referral=referral, answers={})
    referral_match(actor=triage_user, referral=referral)
    referral_send(actor=triage_user, referral=referral, service=service)
    stored = Referral.objects.get(pk=referral.pk)
    assert (stored.status, stored.decline_reason, stored.decided_at) == ("sent", "", None)


# --- Signpost, no suitable service, withdraw ---------------------------------------------------


@pytest.mark.django_db
def test_signposting_keeps_the_note_on_the_referral_and_history_not_the_audit(
    make_referral, triage_user, django_capture_on_commit_callbacks
):
    referral = make_referral()
    with django_capture_on_commit_callbacks(execute=True):
        referral_signpost(
            actor=triage_user, referral=referral, note="Given the national helpline number"
        )
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == ReferralStatus.SIGNPOSTED
    assert stored.signpost_note == "Given the national helpline number"
    change = StatusChange.objects.get(referral=stored, to_status="signposted")
    assert change.reason == "Given the national helpline number"
    assert "helpline" not in _audit_text()
    assert Notification.objects.filter(kind="referral_closed").exists()


@pytest.mark.django_db
def test_signposting_needs_a_note(make_referral, triage_user):
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        referral_signpost(actor=triage_user, referral=referral, note=" ")
    assert exc.value.message_dict["note"] == ["Enter where you signposted the person"]
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_a_sent_referral_cannot_be_signposted(matched, triage_user):
    referral, service, _run = matched
    referral_send(actor=triage_user, referral=referral, service=service)
    with pytest.raises(ValidationError):
        referral_signpost(actor=triage_user, referral=referral, note="Elsewhere")


@pytest.mark.django_db
def test_no_suitable_service_records_the_unmet_need(matched, triage_user):
    referral, _service, _run = matched
    referral_close_no_suitable_service(
        actor=triage_user, referral=referral, reason="The only service cannot meet language needs"
    )
    stored = Referral.objects.get(pk=referral.pk)
    assert stored.status == ReferralStatus.NO_SUITABLE_SERVICE
    need = UnmetNeed.objects.get(referral=stored)
    assert (need.area.slug, need.tier, need.abuse_type) == ("leeds", RiskTier.MEDIUM, "DA")
    assert "language" not in _audit_text()


@pytest.mark.django_db
def test_no_suitable_service_does_not_count_a_need_matching_already_recorded(
    make_referral, policy, triage_user
):
    referral = make_referral()
    referral_triage(actor=triage_user, referral=referral, answers={})
    run = referral_match(actor=triage_user, referral=referral)  # nothing in the directory fits
    assert run.eligible_count == 0
    assert UnmetNeed.objects.filter(referral=referral).count() == 1
    referral_close_no_suitable_service(actor=triage_user, referral=referral, reason="Nothing fits")
    assert UnmetNeed.objects.filter(referral=referral).count() == 1


@pytest.mark.django_db
def test_no_suitable_service_needs_a_reason_and_a_tier(make_referral, triage_user):
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        referral_close_no_suitable_service(actor=triage_user, referral=referral, reason="")
    assert exc.value.message_dict["reason"] == ["Enter why no service is suitable"]
    with pytest.raises(ValidationError) as exc:
        referral_close_no_suitable_service(actor=triage_user, referral=referral, reason="None")
    assert exc.value.message_dict["status"] == [
        "Triage this referral before recording that no service is suitable"
    ]
    assert not UnmetNeed.objects.exists()
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_withdrawing_a_sent_referral_tells_the_referrer_and_the_provider(
    matched, triage_user, django_capture_on_commit_callbacks
):
    referral, service, _run = matched
    referral_send(actor=triage_user, referral=referral, service=service)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        referral_withdraw_by_front_door(
            actor=triage_user, referral=referral, reason="The person moved out of the area"
        )
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.WITHDRAWN
    told = {n.recipient_address for n in Notification.objects.filter(kind="referral_closed")}
    assert "user-referrer@example.test" in told
    assert "user-provider_manager@example.test" in told
    assert "moved out" not in _audit_text()


@pytest.mark.django_db
def test_withdrawing_needs_a_reason_and_an_open_referral(matched, triage_user, role_users):
    referral, service, _run = matched
    with pytest.raises(ValidationError) as exc:
        referral_withdraw_by_front_door(actor=triage_user, referral=referral, reason="")
    assert exc.value.message_dict["reason"] == ["Enter why you are withdrawing this referral"]
    referral_send(actor=triage_user, referral=referral, service=service)
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    with pytest.raises(ValidationError) as exc:
        referral_withdraw_by_front_door(actor=triage_user, referral=referral, reason="Changed")
    assert exc.value.message_dict["status"] == [
        "This referral is accepted, so you cannot withdraw it"
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("role", NOT_FRONT_DOOR)
def test_only_the_front_door_signposts_closes_or_withdraws(make_referral, policy, role_users, role):
    referral = make_referral()
    referral_triage(actor=role_users[Role.TRIAGE], referral=referral, answers={})
    actor = role_users[role]
    with pytest.raises(PermissionDenied):
        referral_signpost(actor=actor, referral=referral, note="Elsewhere")
    with pytest.raises(PermissionDenied):
        referral_close_no_suitable_service(actor=actor, referral=referral, reason="None")
    with pytest.raises(PermissionDenied):
        referral_withdraw_by_front_door(actor=actor, referral=referral, reason="Changed")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.TRIAGED
    assert not UnmetNeed.objects.exists()


@pytest.mark.django_db
def test_status_moves_go_through_the_status_machine(make_referral, triage_user):
    """A withdrawn referral cannot be signposted: the machine refuses, nothing changes."""
    referral = make_referral()
    referral_transition(actor=triage_user, referral=referral, to_status=ReferralStatus.WITHDRAWN)
    with pytest.raises(ValidationError):
        referral_signpost(actor=triage_user, referral=referral, note="Elsewhere")
    assert MatchRun.objects.count() == 0


# --- The command -----------------------------------------------------------------------------


def _run(*args):
    out = io.StringIO()
    call_command("risk_policy_load", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_command_loads_the_demo_file_with_its_name_and_note(reference):
    output = _run("--area", "leeds", str(DEMO_FIXTURE))
    policy = RiskPolicy.objects.get(area__slug="leeds")
    assert policy.name == risk_policy_demo_fixture()["name"]
    assert policy.source_note.startswith("A generic checklist written by the Pathways project")
    assert not policy.is_licensed_tool
    assert "as version 1 for Leeds: 12 questions, 3 rule(s)" in output


@pytest.mark.django_db
def test_command_loads_a_bare_definition_as_a_licensed_tool(reference, tmp_path):
    path = tmp_path / "our-tool.json"
    path.write_text(json.dumps(small_definition()))
    _run("--area", "leeds", str(path))
    output = _run("--area", "leeds", str(path), "--name", "Our licensed tool", "--licensed")
    assert "as version 2" in output and "(licensed tool)" in output
    active = RiskPolicy.objects.get(area__slug="leeds", is_active=True)
    assert (active.name, active.is_licensed_tool) == ("Our licensed tool", True)
    assert RiskPolicy.objects.get(version=1).name == "our-tool"


@pytest.mark.django_db
def test_command_refuses_an_invalid_definition_with_every_message(reference, tmp_path):
    path = tmp_path / "broken.json"
    bad = small_definition(thresholds={"medium": 9, "high": 2})
    bad["questions"][1]["code"] = "threats"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError) as exc:
        _run("--area", "leeds", str(path))
    message = str(exc.value)
    assert "Question 2 repeats the code 'threats' already used by question 1" in message
    assert "The medium threshold (9) must be lower than the high threshold (2)" in message
    assert not RiskPolicy.objects.exists()


@pytest.mark.django_db
def test_command_refuses_an_unknown_area_a_missing_file_and_bad_json(reference, tmp_path):
    with pytest.raises(CommandError, match="No area with the slug 'atlantis'"):
        _run("--area", "atlantis", str(DEMO_FIXTURE))
    with pytest.raises(CommandError, match="No such file"):
        _run("--area", "leeds", str(tmp_path / "missing.json"))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="is not valid JSON"):
        _run("--area", "leeds", str(broken))
    assert not RiskPolicy.objects.exists()


@pytest.mark.django_db
def test_lowering_a_rule_lifted_tier_is_allowed_only_with_a_reason_and_audited_as_lowered(
    make_referral, policy, triage_user
):
    referral = make_referral(marac_heard=True)
    with pytest.raises(ValidationError):
        referral_triage(
            actor=triage_user, referral=referral, answers={}, tier_override=RiskTier.STANDARD
        )
    referral_triage(
        actor=triage_user,
        referral=referral,
        answers={},
        tier_override=RiskTier.STANDARD,
        override_reason="MARAC closed the case last year and nothing has happened since",
    )
    assert (referral.computed_tier, referral.tier) == (RiskTier.HIGH, RiskTier.STANDARD)
    event = AuditEvent.objects.get(action="referral.triaged")
    assert event.detail["override_direction"] == "lowered"
