"""`pathways apply-retention`: what is past its period loses what identifies anyone (or is
deleted), what is not is untouched, a dry run changes nothing, a second run finds nothing,
and each rule that changed something is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.cases.models import Alert, CaseNote, PerpetratorCase, SupportCase, SupportNote
from pathways.cases.services.perpetrator import (
    CaseInput,
    case_transition,
    perpetrator_case_assign,
    perpetrator_case_open,
)
from pathways.cases.services.records import case_note_add
from pathways.cases.services.risk import alert_acknowledge, risk_event_raise
from pathways.cases.services.support import (
    support_case_assign,
    support_case_request,
    support_case_transition,
)
from pathways.core.retention import DEFAULT_RETENTION_DAYS, apply_retention, retention_days
from pathways.referrals.models import Referral, VictimSurvivor
from pathways.referrals.services.status import referral_transition

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)


def _ended_referral(make_referral, *, years_ago: float, person: str):
    referral = make_referral(person_name=person, account=f"What {person} wrote")
    referral_transition(
        actor=None, referral=referral, to_status="signposted", reason="Signposted elsewhere"
    )
    Referral.objects.filter(pk=referral.pk).update(
        status_changed_at=NOW - dt.timedelta(days=365 * years_ago)
    )
    return referral


def _closed_case(make_service, role_users, *, years_ago: float, person: str):
    worker = role_users[Role.PERPETRATOR_WORKER]
    supporter = role_users[Role.SUPPORT_WORKER]
    case = perpetrator_case_open(
        actor=worker,
        service=make_service(f"Service for {person}"),
        data=CaseInput(person_name=person, intervention="Programme"),
    )
    perpetrator_case_assign(actor=worker, case=case, worker=worker)
    support = support_case_request(
        actor=worker,
        case=case,
        victim_name=f"Partner of {person}",
        contact={"contact_phone": "07700 900555"},
    )
    support_case_assign(actor=supporter, support_case=support, worker=supporter)
    case_note_add(actor=worker, case=case, text=f"Note about {person}")
    case_note_add(actor=supporter, support_case=support, text=f"Confidential note for {person}")
    risk_event_raise(actor=worker, case=case, kind="new_incident", summary=f"Incident by {person}")
    for alert in Alert.objects.filter(case=case):
        alert_acknowledge(actor=alert.recipient, alert=alert)
    case_transition(actor=worker, case=case, to_status="closed", reason=f"Closed for {person}")
    support_case_transition(
        actor=supporter, support_case=support, to_status="closed", reason="Done"
    )
    then = NOW - dt.timedelta(days=365 * years_ago)
    PerpetratorCase.objects.filter(pk=case.pk).update(closed_at=then)
    SupportCase.objects.filter(pk=support.pk).update(closed_at=then)
    Alert.objects.filter(case=case).update(acknowledged_at=then)
    return case, support


def test_records_past_retention_lose_what_identifies_people(
    make_referral, make_service, role_users
):
    old_referral = _ended_referral(make_referral, years_ago=3, person="Old Referral Person")
    new_referral = _ended_referral(make_referral, years_ago=1, person="New Referral Person")
    old_case, old_support = _closed_case(make_service, role_users, years_ago=7, person="Old Case")
    new_case, new_support = _closed_case(make_service, role_users, years_ago=2, person="New Case")

    outcomes = {o.rule: o.count for o in apply_retention(now=NOW)}

    assert outcomes["referrals_without_case"] == 1
    assert outcomes["perpetrator_cases"] == 1
    assert outcomes["support_cases"] == 1
    old_referral.refresh_from_db()
    assert old_referral.anonymised_at is not None
    assert (old_referral.person_name, old_referral.account) == ("", "")
    assert old_referral.status == "signposted"  # still counted in monitoring
    assert not VictimSurvivor.objects.filter(referral=old_referral).exists()
    assert old_referral.status_changes.exclude(reason="").count() == 0
    new_referral.refresh_from_db()
    assert new_referral.person_name == "New Referral Person"

    old_case.refresh_from_db()
    assert old_case.person_name == "" and old_case.anonymised_at is not None
    assert old_case.status == "closed"
    assert not CaseNote.objects.filter(case=old_case).exists()
    assert old_case.risk_events.exclude(summary="").count() == 0
    old_support.refresh_from_db()
    assert (old_support.victim_name, old_support.contact_phone) == ("", "")
    assert not SupportNote.objects.filter(support_case=old_support).exists()

    new_case.refresh_from_db()
    new_support.refresh_from_db()
    assert new_case.person_name == "New Case"
    assert CaseNote.objects.filter(case=new_case).exists()
    assert new_support.victim_name == "Partner of New Case"


def test_retention_is_audited_without_details_and_a_second_run_finds_nothing(
    make_referral, make_service, role_users
):
    _ended_referral(make_referral, years_ago=3, person="Audited Person")
    _closed_case(make_service, role_users, years_ago=7, person="Audited Case")
    apply_retention(now=NOW)
    events = AuditEvent.objects.filter(object_type="retention")
    assert set(events.values_list("object_id", flat=True)) >= {
        "referrals_without_case",
        "perpetrator_cases",
        "support_cases",
    }
    assert all("Audited" not in str(e.detail) for e in events)
    before = events.count()
    assert all(o.count == 0 for o in apply_retention(now=NOW))
    assert AuditEvent.objects.filter(object_type="retention").count() == before


def test_a_dry_run_counts_and_changes_nothing(make_referral, make_service, role_users):
    referral = _ended_referral(make_referral, years_ago=3, person="Dry Person")
    case, _ = _closed_case(make_service, role_users, years_ago=7, person="Dry Case")
    outcomes = {o.rule: o.count for o in apply_retention(now=NOW, dry_run=True)}
    assert outcomes["referrals_without_case"] == 1 and outcomes["perpetrator_cases"] == 1
    referral.refresh_from_db()
    case.refresh_from_db()
    assert referral.person_name == "Dry Person" and case.person_name == "Dry Case"
    assert not AuditEvent.objects.filter(object_type="retention").exists()


def test_an_accepted_referral_is_anonymised_only_after_its_case(
    make_referral, make_service, role_users
):
    from pathways.referrals.services.routing import referral_accept

    service = make_service("Accepting service")
    referral = make_referral(person_name="Accepted Person")
    for status, changes in (
        ("triaged", {"tier": "medium_risk", "computed_tier": "medium_risk"}),
        ("matched", {}),
        ("sent", {"sent_service": service, "sent_at": timezone.now()}),
    ):
        referral_transition(actor=None, referral=referral, to_status=status, changes=changes)
    referral_accept(actor=role_users[Role.PROVIDER_MANAGER], referral=referral)
    case = PerpetratorCase.objects.get(referral=referral)
    PerpetratorCase.objects.filter(pk=case.pk).update(
        status="closed", closed_at=NOW - dt.timedelta(days=100)
    )
    apply_retention(now=NOW)
    referral.refresh_from_db()
    assert referral.person_name == "Accepted Person"  # its case is still within its period
    PerpetratorCase.objects.filter(pk=case.pk).update(closed_at=NOW - dt.timedelta(days=7 * 365))
    apply_retention(now=NOW)
    referral.refresh_from_db()
    assert referral.person_name == "" and referral.anonymised_at is not None


def test_periods_come_from_settings_over_the_defaults(settings, make_referral):
    referral = _ended_referral(make_referral, years_ago=1, person="Short Period")
    settings.PATHWAYS_RETENTION = {"referrals_without_case": 180}
    assert retention_days()["referrals_without_case"] == 180
    assert retention_days()["perpetrator_cases"] == DEFAULT_RETENTION_DAYS["perpetrator_cases"]
    apply_retention(now=NOW)
    referral.refresh_from_db()
    assert referral.person_name == ""


@pytest.mark.parametrize("configured", [{"no_such_rule": 10}, {"alerts": 0}, {"alerts": "a year"}])
def test_bad_retention_settings_are_refused_with_a_message(settings, configured):
    settings.PATHWAYS_RETENTION = configured
    with pytest.raises(CommandError):
        call_command("apply-retention", "--dry-run")


def test_the_command_reports_each_rule(capsys, make_referral):
    _ended_referral(make_referral, years_ago=30, person="Command Person")
    call_command("apply-retention", "--dry-run")
    out = capsys.readouterr().out
    assert "referrals_without_case: anonymise 1" in out
    assert "would" in out
    with pytest.raises(CommandError, match="--today"):
        call_command("apply-retention", "--today", "yesterday")
