"""Information sharing: a category of a case's information goes to another organisation only
under an agreement in force (active, started, not past its review date) that names both
organisations and covers the category. Every share is logged; every refusal is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditAction, AuditEvent
from pathways.cases.models import AgreementStatus, Share, SharingAgreement, SupportCase
from pathways.cases.selectors.sharing import (
    agreement_covering,
    agreement_list_for_user,
    agreements_in_force,
    share_list_for_agreement,
)
from pathways.cases.services.sharing import share_record, sharing_agreement_save
from pathways.cases.services.support import (
    support_case_assign,
    support_case_link,
    support_case_open,
    support_case_request,
)

TODAY = timezone.localdate


@pytest.fixture
def commissioner(role_users):
    return role_users[Role.COMMISSIONER]


@pytest.fixture
def agree(commissioner, provider_org, other_provider_org):
    """Save an agreement between provider_org and other_provider_org (by default active,
    in force from yesterday for a year, covering risk)."""

    def make(**changes):
        data = {
            "name": "Risk sharing",
            "parties": [provider_org, other_provider_org],
            "purpose": "Keep victim-survivors safe",
            "lawful_basis": "public_task",
            "categories": ["risk"],
            "starts_on": TODAY() - dt.timedelta(days=1),
            "review_on": TODAY() + dt.timedelta(days=365),
            "status": AgreementStatus.ACTIVE,
            **changes,
        }
        return sharing_agreement_save(actor=commissioner, **data)

    return make


def share(case, actor, to, category="risk"):
    return share_record(
        actor=actor,
        case=case,
        to_organisation=to,
        category=category,
        purpose="MARAC referral of a synthetic person",
    )


REFUSALS = {
    "no agreement": None,
    "draft": {"status": AgreementStatus.DRAFT},
    "ended": {"status": AgreementStatus.ENDED},
    "past its review date": {
        "starts_on": TODAY() - dt.timedelta(days=400),
        "review_on": TODAY() - dt.timedelta(days=1),
    },
    "not started yet": {
        "starts_on": TODAY() + dt.timedelta(days=1),
        "review_on": TODAY() + dt.timedelta(days=365),
    },
    "category not covered": {"categories": ["case_progress", "outcomes"]},
}


@pytest.mark.parametrize("why", REFUSALS)
@pytest.mark.django_db
def test_sharing_is_refused_without_an_agreement_in_force_covering_it(
    agree, ready_case, perp_worker, other_provider_org, why
):
    if REFUSALS[why] is not None:
        agree(**REFUSALS[why])
    case, _ = ready_case()
    with pytest.raises(ValidationError) as refused:
        share(case, perp_worker, other_provider_org)
    assert "No sharing agreement in force" in str(refused.value)
    assert not Share.objects.exists()
    refusal = AuditEvent.objects.get(action=AuditAction.SHARE_REFUSED)
    assert refusal.object_id == case.reference and refusal.actor == perp_worker
    assert refusal.detail == {"to_organisation": str(other_provider_org.pk), "category": "risk"}


@pytest.mark.django_db
def test_sharing_with_an_organisation_not_party_to_the_agreement_is_refused(
    agree, ready_case, perp_worker, make_organisation
):
    agree()
    stranger = make_organisation("Not a party")
    case, _ = ready_case()
    with pytest.raises(ValidationError):
        share(case, perp_worker, stranger)
    assert not Share.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.SHARE_REFUSED).count() == 1


@pytest.mark.django_db
def test_an_agreement_between_two_other_organisations_does_not_cover_this_one(
    commissioner, ready_case, perp_worker, other_provider_org, make_organisation
):
    third = make_organisation("Third")
    sharing_agreement_save(
        actor=commissioner,
        name="Others",
        parties=[other_provider_org, third],
        purpose="Theirs",
        lawful_basis="public_task",
        categories=["risk"],
        starts_on=TODAY(),
        review_on=TODAY() + dt.timedelta(days=30),
        status=AgreementStatus.ACTIVE,
    )
    case, _ = ready_case()
    with pytest.raises(ValidationError):
        share(case, perp_worker, other_provider_org)
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_a_share_under_an_agreement_in_force_is_logged_and_audited(
    agree, ready_case, perp_worker, other_provider_org, provider_org
):
    agreement = agree(review_on=TODAY())  # the review date itself is still covered
    case, _ = ready_case()
    made = share(case, perp_worker, other_provider_org)
    assert made.agreement == agreement and made.case == case
    assert (made.from_organisation, made.to_organisation) == (provider_org, other_provider_org)
    assert made.shared_by == perp_worker and made.category == "risk"
    assert list(share_list_for_agreement(agreement=agreement)) == [made]
    event = AuditEvent.objects.get(action=AuditAction.SHARE_RECORDED)
    assert event.object_id == case.reference
    assert event.detail == {
        "agreement": agreement.pk,
        "to_organisation": str(other_provider_org.pk),
        "category": "risk",
    }
    assert "MARAC" not in str(event.detail)


@pytest.mark.django_db
def test_sharing_with_your_own_organisation_or_an_unknown_category_is_refused(
    agree, ready_case, perp_worker, provider_org, other_provider_org
):
    agree()
    case, _ = ready_case()
    with pytest.raises(ValidationError) as refused:
        share(case, perp_worker, provider_org)
    assert "to_organisation" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        share(case, perp_worker, other_provider_org, category="gossip")
    assert "category" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        share_record(
            actor=perp_worker,
            case=case,
            to_organisation=other_provider_org,
            category="risk",
            purpose=" ",
        )
    assert "purpose" in refused.value.message_dict
    assert not Share.objects.exists()


@pytest.mark.parametrize("role", [Role.SUPPORT_WORKER, Role.COMMISSIONER, Role.ADMIN, Role.ANALYST])
@pytest.mark.django_db
def test_only_the_cases_perpetrator_side_shares_from_it(
    agree, ready_case, role_users, other_provider_org, role
):
    agree()
    case, _ = ready_case()
    with pytest.raises(PermissionDenied):
        share(case, role_users[role], other_provider_org)
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_the_support_side_shares_from_its_own_record_and_the_perpetrator_side_cannot(
    agree, ready_case, perp_worker, support_worker, other_provider_org
):
    agree()
    _, support = ready_case()
    with pytest.raises(PermissionDenied):
        share_record(
            actor=perp_worker,
            support_case=support,
            to_organisation=other_provider_org,
            category="risk",
            purpose="Safeguarding",
        )
    made = share_record(
        actor=support_worker,
        support_case=support,
        to_organisation=other_provider_org,
        category="risk",
        purpose="Safeguarding",
    )
    assert made.support_case == support and made.case is None


# --- The register -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROVIDER_MANAGER, Role.PERPETRATOR_WORKER, Role.ANALYST])
@pytest.mark.django_db
def test_only_commissioners_and_administrators_keep_the_register(
    role_users, provider_org, other_provider_org, role
):
    with pytest.raises(PermissionDenied):
        sharing_agreement_save(
            actor=role_users[role],
            name="Mine",
            parties=[provider_org, other_provider_org],
            purpose="P",
            lawful_basis="consent",
            categories=["risk"],
            starts_on=TODAY(),
            review_on=TODAY(),
            status=AgreementStatus.ACTIVE,
        )
    assert not SharingAgreement.objects.exists()


@pytest.mark.django_db
def test_an_agreement_with_bad_details_is_refused(commissioner, provider_org):
    with pytest.raises(ValidationError) as refused:
        sharing_agreement_save(
            actor=commissioner,
            name=" ",
            parties=[provider_org, provider_org],
            purpose="",
            lawful_basis="because",
            categories=["risk", "horoscopes"],
            starts_on=TODAY(),
            review_on=TODAY() - dt.timedelta(days=1),
            status="pending",
        )
    assert set(refused.value.message_dict) == {
        "name",
        "parties",
        "purpose",
        "lawful_basis",
        "categories",
        "status",
        "review_on",
    }
    assert not SharingAgreement.objects.exists()


@pytest.mark.django_db
def test_ending_an_agreement_stops_it_covering_sharing(
    agree, commissioner, ready_case, perp_worker, provider_org, other_provider_org
):
    agreement = agree()
    assert agreement in agreements_in_force()
    sharing_agreement_save(
        actor=commissioner,
        agreement=agreement,
        name=agreement.name,
        parties=[provider_org, other_provider_org],
        purpose=agreement.purpose,
        lawful_basis=agreement.lawful_basis,
        categories=agreement.categories,
        starts_on=agreement.starts_on,
        review_on=agreement.review_on,
        status=AgreementStatus.ENDED,
    )
    assert (
        agreement_covering(from_org=provider_org.pk, to_org=other_provider_org.pk, category="risk")
        is None
    )
    case, _ = ready_case()
    with pytest.raises(ValidationError):
        share(case, perp_worker, other_provider_org)


@pytest.mark.django_db
def test_provider_managers_read_only_the_agreements_their_organisation_is_party_to(
    agree, commissioner, role_users, other_provider_org, make_organisation
):
    ours = agree()
    a, b = make_organisation("A"), make_organisation("B")
    theirs = sharing_agreement_save(
        actor=commissioner,
        name="Theirs",
        parties=[a, b],
        purpose="P",
        lawful_basis="consent",
        categories=["risk"],
        starts_on=TODAY(),
        review_on=TODAY(),
    )
    assert list(agreement_list_for_user(user=role_users[Role.PROVIDER_MANAGER])) == [ours]
    assert set(agreement_list_for_user(user=commissioner)) == {ours, theirs}
    assert not agreement_list_for_user(user=role_users[Role.PERPETRATOR_WORKER]).exists()


# --- Support from a partner organisation needs an agreement --------------------------------


@pytest.mark.django_db
def test_support_from_a_partner_needs_an_agreement_covering_contact_details_and_risk(
    agree, open_case, perp_worker, other_provider_org
):
    case = open_case()
    agree(categories=["risk"])
    with pytest.raises(ValidationError) as refused:
        support_case_request(
            actor=perp_worker, case=case, victim_name="Partner", organisation=other_provider_org
        )
    assert "contact details" in str(refused.value)
    agree(name="Contact too", categories=["risk", "contact_details"])
    support = support_case_request(
        actor=perp_worker, case=case, victim_name="Partner", organisation=other_provider_org
    )
    assert support.organisation == other_provider_org and support.perpetrator_case == case


@pytest.mark.django_db
def test_a_partner_links_its_support_case_only_under_an_agreement_covering_risk(
    agree, open_case, make_user, other_provider_org
):
    partner_worker = make_user("partner-worker", Role.SUPPORT_WORKER, other_provider_org)
    case = open_case()
    support = support_case_open(
        actor=partner_worker, organisation=other_provider_org, victim_name="Came to them"
    )
    support_case_assign(actor=partner_worker, support_case=support, worker=partner_worker)
    with pytest.raises(ValidationError) as refused:
        support_case_link(actor=partner_worker, support_case=support, case_reference=case.reference)
    # The same answer as an unknown reference: nothing is revealed about the case.
    assert "No open perpetrator case with that reference" in str(refused.value)
    assert SupportCase.objects.get(pk=support.pk).perpetrator_case_id is None
    agree(categories=["risk"])
    support_case_link(
        actor=partner_worker, support_case=support, case_reference=case.reference.lower()
    )
    assert SupportCase.objects.get(pk=support.pk).perpetrator_case_id == case.pk
