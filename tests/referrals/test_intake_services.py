"""Intake: a referral is recorded once, validated, audited, and the front door is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.audit.models import AuditEvent
from pathways.referrals.models import (
    Notification,
    Referral,
    ReferralChannel,
    ReferralRoute,
    ReferralStatus,
    StatusChange,
)
from pathways.referrals.services.intake import (
    IdempotencyConflictError,
    ReferralInput,
    new_reference,
    referral_submit,
)
from pathways.referrals.services.status import referral_transition


def test_reference_is_short_and_unambiguous():
    ref = new_reference()
    assert ref.startswith("PW-") and len(ref) == 12
    assert not set(ref[3:].replace("-", "")) & set("01ILOU")


@pytest.mark.django_db
def test_agency_referral_is_recorded_with_its_victim_survivor(make_referral, role_users):
    referral = make_referral()
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.referrer == role_users[Role.REFERRER]
    assert referral.victims.count() == 1
    assert StatusChange.objects.filter(referral=referral, to_status="received").count() == 1
    event = AuditEvent.objects.filter(action="referral.submitted").get()
    assert event.object_id == referral.reference
    assert "Sam Example" not in str(event.detail)


@pytest.mark.django_db
def test_triage_workers_are_notified_without_personal_details(
    make_referral, role_users, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(person_name="Jo Unique-Name")
    notes = Notification.objects.filter(referral=referral, kind="referral_received")
    assert [n.recipient_user for n in notes] == [role_users[Role.TRIAGE]]
    assert referral.reference in notes[0].body
    assert "Jo Unique-Name" not in notes[0].body


@pytest.mark.django_db
def test_same_idempotency_key_returns_the_first_referral(make_referral):
    first = make_referral(key="abc-123")
    again = make_referral(key="abc-123")
    assert again.pk == first.pk
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_different_content_is_refused(make_referral):
    make_referral(key="abc-123")
    with pytest.raises(IdempotencyConflictError):
        make_referral(key="abc-123", person_name="Someone Else")
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_scoped_to_the_submitter(make_referral, role_users):
    make_referral(key="k1")
    make_referral(key="k1", actor=role_users[Role.TRIAGE])
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_agency_referral_without_consent_needs_a_safeguarding_reason(make_referral):
    with pytest.raises(ValidationError) as err:
        make_referral(consent_status="not_given")
    assert "consent_reason" in err.value.message_dict
    assert Referral.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_visitor_cannot_make_an_agency_referral(reference):
    from django.contrib.auth.models import AnonymousUser

    data = ReferralInput(
        route=ReferralRoute.AGENCY,
        channel=ReferralChannel.API,
        source="police",
        area_id=Area.objects.get(slug="leeds").id,
        fields={"person_name": "X", "lawful_basis": "consent", "consent_status": "given"},
    )
    with pytest.raises(ValidationError) as err:
        referral_submit(actor=AnonymousUser(), data=data)
    assert "referrer" in err.value.message_dict


@pytest.mark.django_db
def test_self_referral_needs_a_way_to_make_contact(reference):
    data = ReferralInput(
        route=ReferralRoute.SELF,
        channel=ReferralChannel.WEB,
        source="self",
        area_id=Area.objects.get(slug="leeds").id,
        fields={"account": "I shout at my partner"},
    )
    with pytest.raises(ValidationError) as err:
        referral_submit(actor=None, data=data)
    assert "contact_phone" in err.value.message_dict


@pytest.mark.django_db
def test_intake_cannot_set_triage_fields(reference, role_users):
    data = ReferralInput(
        route=ReferralRoute.AGENCY,
        channel=ReferralChannel.API,
        source="police",
        area_id=Area.objects.get(slug="leeds").id,
        fields={
            "person_name": "X",
            "lawful_basis": "consent",
            "consent_status": "given",
            "tier": "high_risk",
        },
    )
    with pytest.raises(ValidationError):
        referral_submit(actor=role_users[Role.REFERRER], data=data)


@pytest.mark.django_db
def test_status_machine_refuses_illegal_moves(make_referral, role_users):
    referral = make_referral()
    with pytest.raises(ValidationError):
        referral_transition(
            actor=role_users[Role.TRIAGE], referral=referral, to_status=ReferralStatus.ACCEPTED
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    referral_transition(
        actor=role_users[Role.TRIAGE], referral=referral, to_status=ReferralStatus.WITHDRAWN
    )
    with pytest.raises(ValidationError):
        referral_transition(
            actor=role_users[Role.TRIAGE], referral=referral, to_status=ReferralStatus.TRIAGED
        )
    assert list(referral.status_changes.values_list("to_status", flat=True)) == [
        "received",
        "withdrawn",
    ]
