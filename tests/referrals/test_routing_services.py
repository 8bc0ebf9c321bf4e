"""Routing services: only the receiving provider answers a referral, a decline needs a reason
and goes back to triage, first contact is recorded once and sensibly, and only the referrer
withdraws. Every test tries to get round the rule it names."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.referrals.models import (
    OPEN_FOR_TRIAGE,
    Notification,
    Referral,
    ReferralStatus,
    StatusChange,
)
from pathways.referrals.reference import RiskTier
from pathways.referrals.selectors.referrals import referral_list_for_triage
from pathways.referrals.services.routing import (
    referral_accept,
    referral_decline,
    referral_record_first_contact,
    referral_withdraw_by_referrer,
)
from pathways.referrals.services.status import referral_transition


def send_referral(referral, *, service, actor, tier=RiskTier.MEDIUM):
    """Put a referral in the 'sent' state the way triage would, one status at a time."""
    now = timezone.now()
    referral_transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.TRIAGED,
        changes={"tier": tier, "computed_tier": tier, "triaged_at": now},
    )
    referral_transition(actor=actor, referral=referral, to_status=ReferralStatus.MATCHED)
    referral_transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.SENT,
        changes={"sent_service": service, "sent_at": now},
    )
    return referral


@pytest.fixture
def service(make_service):
    return make_service("Change Project")


@pytest.fixture
def sent(make_referral, service, role_users):
    """A referral received yesterday that the front door has sent to provider_org's service."""
    referral = make_referral()
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    referral.refresh_from_db()
    return send_referral(referral, service=service, actor=role_users[Role.TRIAGE])


def _status(referral) -> str:
    return Referral.objects.get(pk=referral.pk).status


def _audit_text() -> str:
    return " ".join(str(e.detail) for e in AuditEvent.objects.all())


# --- Accept ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_provider_staff_accept_a_referral_sent_to_their_service(
    sent, role_users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral_accept(actor=role_users[Role.PERPETRATOR_WORKER], referral=sent)
    sent.refresh_from_db()
    assert sent.status == ReferralStatus.ACCEPTED
    assert sent.decided_at is not None
    told = {n.recipient_user for n in Notification.objects.filter(kind="referral_accepted")}
    assert told == {role_users[Role.REFERRER], role_users[Role.TRIAGE]}


@pytest.mark.django_db
def test_staff_of_another_provider_cannot_accept(sent, make_user, other_provider_org):
    outsider = make_user("elsewhere", Role.PROVIDER_MANAGER, other_provider_org)
    with pytest.raises(PermissionDenied):
        referral_accept(actor=outsider, referral=sent)
    assert _status(sent) == ReferralStatus.SENT


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SUPPORT_WORKER, Role.TRIAGE, Role.REFERRER])
def test_people_who_are_not_provider_responders_cannot_accept(sent, role_users, role):
    """The victim-survivor support worker shares the organisation but does not answer
    referrals; triage and the referrer do not answer for a provider."""
    with pytest.raises(PermissionDenied):
        referral_accept(actor=role_users[role], referral=sent)
    assert _status(sent) == ReferralStatus.SENT


@pytest.mark.django_db
def test_a_referral_cannot_be_accepted_twice(sent, role_users):
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=sent)
    with pytest.raises(ValidationError) as exc:
        referral_accept(actor=role_users[Role.PERPETRATOR_WORKER], referral=sent)
    assert "accepted" in exc.value.message_dict["status"][0]
    assert StatusChange.objects.filter(referral=sent, to_status="accepted").count() == 1


@pytest.mark.django_db
def test_a_referral_not_yet_sent_cannot_be_accepted(make_referral, role_users):
    referral = make_referral()
    with pytest.raises(PermissionDenied):
        referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)


@pytest.mark.django_db
def test_acceptance_note_stays_on_the_history_and_out_of_the_audit_trail(sent, role_users):
    referral_accept(
        actor=role_users[Role.PROVIDER_MANAGER], referral=sent, note="Ring Sam Example Tuesday"
    )
    change = StatusChange.objects.get(referral=sent, to_status="accepted")
    assert change.reason == "Ring Sam Example Tuesday"
    assert "Sam Example" not in _audit_text()
    assert AuditEvent.objects.filter(object_id=sent.reference, detail__to="accepted").exists()


# --- Decline -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_decline_needs_a_reason(sent, role_users, reason):
    with pytest.raises(ValidationError) as exc:
        referral_decline(actor=role_users[Role.PROVIDER_MANAGER], referral=sent, reason=reason)
    assert exc.value.message_dict["reason"] == ["Enter why your service cannot take this referral"]
    assert _status(sent) == ReferralStatus.SENT


@pytest.mark.django_db
def test_declined_referral_returns_to_the_triage_queue_and_everyone_is_told(
    sent, role_users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral_decline(
            actor=role_users[Role.PROVIDER_MANAGER],
            referral=sent,
            reason="Group is full until June; Alex Example's area not covered",
        )
    sent.refresh_from_db()
    assert sent.status == ReferralStatus.DECLINED
    assert sent.decided_at is not None
    assert sent.decline_reason.startswith("Group is full")
    queue = referral_list_for_triage(user=role_users[Role.TRIAGE]).filter(
        status__in=OPEN_FOR_TRIAGE
    )
    assert sent in queue
    notes = Notification.objects.filter(kind="referral_declined")
    assert {n.recipient_user for n in notes} == {
        role_users[Role.REFERRER],
        role_users[Role.TRIAGE],
    }
    assert all("Alex Example" not in n.body for n in notes)
    assert "Alex Example" not in _audit_text()


@pytest.mark.django_db
def test_staff_of_another_provider_cannot_decline(sent, make_user, other_provider_org):
    outsider = make_user("elsewhere", Role.PERPETRATOR_WORKER, other_provider_org)
    with pytest.raises(PermissionDenied):
        referral_decline(actor=outsider, referral=sent, reason="Not ours")
    assert _status(sent) == ReferralStatus.SENT


@pytest.mark.django_db
def test_an_accepted_referral_cannot_then_be_declined(sent, role_users):
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=sent)
    with pytest.raises(ValidationError):
        referral_decline(actor=role_users[Role.PROVIDER_MANAGER], referral=sent, reason="Changed")
    assert _status(sent) == ReferralStatus.ACCEPTED


# --- First contact -----------------------------------------------------------------------


@pytest.fixture
def accepted(sent, role_users):
    return referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=sent)


@pytest.mark.django_db
def test_provider_records_first_contact_once_accepted(accepted, role_users):
    at = timezone.now() - dt.timedelta(minutes=5)
    referral_record_first_contact(
        actor=role_users[Role.PERPETRATOR_WORKER], referral=accepted, at=at
    )
    accepted.refresh_from_db()
    assert accepted.first_contact_at == at
    event = AuditEvent.objects.get(detail__change="first_contact_recorded")
    assert event.object_id == accepted.reference


@pytest.mark.django_db
def test_provider_cannot_record_first_contact_before_accepting(sent, role_users):
    with pytest.raises(ValidationError):
        referral_record_first_contact(actor=role_users[Role.PROVIDER_MANAGER], referral=sent)
    assert Referral.objects.get(pk=sent.pk).first_contact_at is None


@pytest.mark.django_db
def test_another_provider_cannot_record_first_contact(accepted, make_user, other_provider_org):
    outsider = make_user("elsewhere", Role.PROVIDER_MANAGER, other_provider_org)
    with pytest.raises(PermissionDenied):
        referral_record_first_contact(actor=outsider, referral=accepted)


@pytest.mark.django_db
def test_referrer_cannot_record_first_contact(accepted, role_users):
    with pytest.raises(PermissionDenied):
        referral_record_first_contact(actor=role_users[Role.REFERRER], referral=accepted)


@pytest.mark.django_db
def test_first_contact_cannot_be_in_the_future(accepted, role_users):
    with pytest.raises(ValidationError) as exc:
        referral_record_first_contact(
            actor=role_users[Role.PROVIDER_MANAGER],
            referral=accepted,
            at=timezone.now() + dt.timedelta(hours=1),
        )
    assert exc.value.message_dict["at"] == ["The time of first contact must be in the past"]


@pytest.mark.django_db
def test_first_contact_cannot_be_before_the_referral_was_received(accepted, role_users):
    with pytest.raises(ValidationError) as exc:
        referral_record_first_contact(
            actor=role_users[Role.PROVIDER_MANAGER],
            referral=accepted,
            at=accepted.created_at - dt.timedelta(minutes=1),
        )
    assert "after the referral was received" in exc.value.message_dict["at"][0]


@pytest.mark.django_db
def test_first_contact_is_recorded_once_unless_corrected_with_a_reason(accepted, role_users):
    worker = role_users[Role.PERPETRATOR_WORKER]
    first = timezone.now() - dt.timedelta(minutes=30)
    referral_record_first_contact(actor=worker, referral=accepted, at=first)
    with pytest.raises(ValidationError) as exc:
        referral_record_first_contact(actor=worker, referral=accepted)
    assert "correction_reason" in exc.value.message_dict
    assert Referral.objects.get(pk=accepted.pk).first_contact_at == first

    corrected = first - dt.timedelta(minutes=10)
    referral_record_first_contact(
        actor=worker, referral=accepted, at=corrected, correction_reason="Typed the wrong time"
    )
    assert Referral.objects.get(pk=accepted.pk).first_contact_at == corrected
    event = AuditEvent.objects.get(detail__change="first_contact_corrected")
    assert event.detail["previous"] == first.isoformat()
    assert event.detail["reason"] == "Typed the wrong time"


@pytest.mark.django_db
def test_front_door_records_first_contact_on_any_live_referral(make_referral, role_users):
    referral = make_referral()
    referral_record_first_contact(actor=role_users[Role.TRIAGE], referral=referral)
    assert Referral.objects.get(pk=referral.pk).first_contact_at is not None


@pytest.mark.django_db
def test_front_door_cannot_record_first_contact_on_a_withdrawn_referral(make_referral, role_users):
    referral = make_referral()
    referral_withdraw_by_referrer(
        actor=role_users[Role.REFERRER], referral=referral, reason="Made in error"
    )
    with pytest.raises(ValidationError):
        referral_record_first_contact(actor=role_users[Role.TRIAGE], referral=referral)


# --- Withdraw ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_referrer_withdraws_their_own_referral(
    make_referral, role_users, django_capture_on_commit_callbacks
):
    referral = make_referral()
    with django_capture_on_commit_callbacks(execute=True):
        referral_withdraw_by_referrer(
            actor=role_users[Role.REFERRER], referral=referral, reason="Sam Example moved away"
        )
    assert _status(referral) == ReferralStatus.WITHDRAWN
    change = StatusChange.objects.get(referral=referral, to_status="withdrawn")
    assert change.reason == "Sam Example moved away"
    assert change.by == role_users[Role.REFERRER]
    assert "Sam Example" not in _audit_text()
    assert Notification.objects.filter(
        kind="referral_closed", recipient_user=role_users[Role.TRIAGE]
    ).exists()


@pytest.mark.django_db
def test_another_referrer_cannot_withdraw_someone_elses_referral(
    make_referral, make_user, partnership_org
):
    referral = make_referral()
    other = make_user("other-referrer", Role.REFERRER, partnership_org)
    with pytest.raises(PermissionDenied):
        referral_withdraw_by_referrer(actor=other, referral=referral, reason="Not mine")
    assert _status(referral) == ReferralStatus.RECEIVED


@pytest.mark.django_db
def test_front_door_cannot_withdraw_through_the_referrer_route(make_referral, role_users):
    referral = make_referral()
    with pytest.raises(PermissionDenied):
        referral_withdraw_by_referrer(
            actor=role_users[Role.TRIAGE], referral=referral, reason="Tidying up"
        )


@pytest.mark.django_db
def test_withdrawal_needs_a_reason(make_referral, role_users):
    referral = make_referral()
    with pytest.raises(ValidationError) as exc:
        referral_withdraw_by_referrer(
            actor=role_users[Role.REFERRER], referral=referral, reason=" "
        )
    assert exc.value.message_dict["reason"] == ["Enter why you are withdrawing this referral"]


@pytest.mark.django_db
def test_an_accepted_referral_cannot_be_withdrawn_by_the_referrer(accepted, role_users):
    with pytest.raises(ValidationError) as exc:
        referral_withdraw_by_referrer(
            actor=role_users[Role.REFERRER], referral=accepted, reason="Changed my mind"
        )
    assert "accepted" in exc.value.message_dict["status"][0]
    assert _status(accepted) == ReferralStatus.ACCEPTED


@pytest.mark.django_db
def test_withdrawing_a_sent_referral_tells_the_provider(
    sent, role_users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral_withdraw_by_referrer(
            actor=role_users[Role.REFERRER], referral=sent, reason="Person in custody"
        )
    told = {
        n.recipient_user for n in Notification.objects.filter(kind="referral_closed", referral=sent)
    }
    assert role_users[Role.PROVIDER_MANAGER] in told
    assert role_users[Role.PERPETRATOR_WORKER] in told
    assert role_users[Role.TRIAGE] in told
