"""`pathways synth` writes the plan, labelled synthetic, and refuses to write twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from pathways.accounts.models import User
from pathways.areas.models import Area
from pathways.audit.models import AuditEvent
from pathways.directory.models import Organisation, ProvenanceSource, Service
from pathways.referrals.models import Referral, StatusChange, UnmetNeed
from pathways.synth.plan import build_plan
from pathways.synth.write import SynthRefusedError, synth_write

AS_OF = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def written(db):
    plan = build_plan(scale="small", seed=5, as_of=AS_OF)
    report = synth_write(plan)
    return plan, report


def test_writes_exactly_the_rows_the_plan_makes(written):
    plan, report = written
    assert Service.objects.filter(external_ref__startswith="synth-").count() == 200
    assert report.counts["services"] == 200
    assert Referral.objects.count() == report.counts["referrals"] == 1_000
    assert set(Referral.objects.values_list("reference", flat=True)) == {
        r.fields["reference"] for r in plan.referrals()
    }
    assert StatusChange.objects.count() == sum(len(r.history) for r in plan.referrals())


def test_keeps_the_planned_times(written):
    plan, _report = written
    first = next(plan.referrals())
    stored = Referral.objects.get(reference=first.fields["reference"])
    assert stored.created_at == first.fields["created_at"]
    assert stored.status_changed_at == first.history[-1][2]


def test_everything_it_makes_is_labelled_synthetic(written):
    assert not Organisation.objects.filter(slug__startswith="syn-", is_synthetic=False).exists()
    services = Service.objects.filter(external_ref__startswith="synth-")
    assert set(services.values_list("provenance_source", flat=True)) == {ProvenanceSource.SYNTHETIC}
    assert set(services.values_list("organisation__is_synthetic", flat=True)) == {True}
    assert not Referral.objects.filter(is_synthetic=False).exists()
    assert not UnmetNeed.objects.filter(is_synthetic=False).exists()
    assert all(
        name.endswith("(synthetic)")
        for name in Referral.objects.values_list("person_name", flat=True)
    )
    for user in User.objects.filter(username__startswith="syn-"):
        assert not user.has_usable_password()
        assert user.email.endswith("@example.invalid")


def test_records_one_audit_event_for_the_generation(written):
    event = AuditEvent.objects.get(object_type="synthetic_data")
    assert event.detail["referrals"] == 1_000


def test_refuses_a_database_that_already_has_synthetic_data(written):
    before = Referral.objects.count()
    with pytest.raises(SynthRefusedError, match="already holds data from pathways synth"):
        synth_write(build_plan(scale="small", seed=6, as_of=AS_OF))
    assert Referral.objects.count() == before


def test_refuses_production(db, settings):
    settings.DEMO_MODE = False
    with pytest.raises(SynthRefusedError, match="never in production"):
        synth_write(build_plan(scale="small", seed=1, as_of=AS_OF))
    assert not Referral.objects.exists()


def test_command_generates_and_then_refuses_with_a_clear_message(db, capsys):
    call_command("synth", "--scale", "small", "--seed", "2", "--as-of", "2026-06-01")
    assert "Synthetic small data, seed 2" in capsys.readouterr().out
    assert Area.objects.filter(slug="leeds").exists()
    with pytest.raises(CommandError, match="Generate into a fresh database"):
        call_command("synth", "--scale", "small")
