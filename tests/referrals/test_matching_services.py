"""Matching against the database: the facts read for the engine, the needs of referrals and
what-if questions, and `referral_match` storing runs, moving status and recording unmet
need once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pathways.accounts.models import Role
from pathways.areas.models import Area
from pathways.audit.models import AuditEvent
from pathways.evidence.models import Approach
from pathways.evidence.services import service_approach_set
from pathways.referrals.models import Match, MatchRun, ReferralStatus, StatusChange, UnmetNeed
from pathways.referrals.selectors.matching import (
    match_run_latest,
    need_for_referral,
    need_for_what_if,
    service_facts_in_scope,
)
from pathways.referrals.services.matching import (
    primary_abuse_type,
    primary_cohort,
    referral_match,
    unmet_need_record,
)
from pathways.referrals.services.status import referral_transition

HIGH_RISK = {"risk_high": {"value": "yes", "evidence_level": "verified"}}
FITS_TERMS = ("abuse-types:DA", "referral-routes:police", "referral-routes:self")


@pytest.fixture
def fitting_service(make_service):
    """A service that takes a high-risk police referral or self-referral in Leeds."""

    def make(name: str = "Fitting Service", **fields):
        fields.setdefault("claims", HIGH_RISK)
        fields.setdefault("terms", FITS_TERMS)
        fields.setdefault("integrated_victim_support", "own")
        fields.setdefault("capacity_status", "open")
        return make_service(name, **fields)

    return make


def triage(referral, tier: str = "high_risk"):
    return referral_transition(
        actor=None,
        referral=referral,
        to_status=ReferralStatus.TRIAGED,
        changes={"tier": tier, "computed_tier": tier},
    )


def send(referral, service, *, days_ago: int = 0):
    triage(referral)
    referral_transition(actor=None, referral=referral, to_status=ReferralStatus.MATCHED)
    sent_at = timezone.now() - dt.timedelta(days=days_ago)
    return referral_transition(
        actor=None,
        referral=referral,
        to_status=ReferralStatus.SENT,
        changes={"sent_service": service, "sent_at": sent_at},
    )


@pytest.fixture
def triage_worker(role_users):
    return role_users[Role.TRIAGE]


# --- service_facts_in_scope ------------------------------------------------------------------


def _directory(make_service, count: int, start: int) -> None:
    approach = Approach.objects.order_by("slug").first()
    for n in range(start, start + count):
        service = make_service(
            f"Scaled Service {n}",
            areas=("leeds", "bradford"),
            claims={**HIGH_RISK, "lgbtqia": {"value": "unknown"}},
            terms=(*FITS_TERMS, "exclusion-criteria:denies-all-abuse"),
            integrated_victim_support="own",
        )
        service_approach_set(actor=None, service=service, approach=approach)


@pytest.mark.django_db
def test_facts_are_read_in_the_same_number_of_queries_however_many_services(
    make_service, make_referral
):
    _directory(make_service, 2, 0)
    send(make_referral(), make_service("Receiving Service", claims=HIGH_RISK))
    with CaptureQueriesContext(connection) as few:
        small = service_facts_in_scope()
    _directory(make_service, 4, 2)
    with CaptureQueriesContext(connection) as many:
        large = service_facts_in_scope()
    assert (len(small), len(large)) == (3, 7)
    assert len(many.captured_queries) == len(few.captured_queries) <= 7


@pytest.mark.django_db
def test_facts_carry_what_the_rules_read(make_service):
    approach = Approach.objects.order_by("slug").first()
    service = make_service(
        "Facts Service",
        areas=("leeds", "west-yorkshire"),
        claims={**HIGH_RISK, "self_referral": {"value": "no"}},
        terms=(
            "abuse-types:DA",
            "abuse-types:SV",
            "referral-routes:police",
            "exclusion-criteria:denies-all-abuse",
        ),
        genders_served=["Men"],
        languages=["en", "UR"],
        min_age=18,
        waiting_weeks=6,
        accreditation=" Respect accredited ",
        integrated_victim_support="partner",
        victim_support_partner="Synthetic Women's Aid",
        self_referral_max_percent=40,
    )
    service_approach_set(actor=None, service=service, approach=approach)
    (facts,) = service_facts_in_scope()
    leeds, west_yorkshire = (Area.objects.get(slug=s).id for s in ("leeds", "west-yorkshire"))
    assert facts.id == service.id
    assert facts.organisation == service.organisation.name
    assert facts.area_ids == {leeds, west_yorkshire}
    assert facts.claims == {"risk_high": "yes", "self_referral": "no"}
    assert facts.claim_levels["risk_high"] == "verified"
    assert facts.abuse_types == {"DA", "SV"}
    assert facts.referral_routes == {"police"}
    assert facts.exclusion_criteria == {"denies-all-abuse"}
    assert facts.genders == {"man"}
    assert facts.languages == {"en", "ur"}
    assert (facts.min_age, facts.max_age, facts.waiting_weeks) == (18, None, 6)
    assert facts.accreditation == "Respect accredited"
    assert facts.victim_support_partner == "Synthetic Women's Aid"
    assert facts.self_referral_max_percent == 40
    assert facts.evidence_approach == approach.name


@pytest.mark.django_db
def test_only_live_visible_services_are_in_scope(make_service):
    today = timezone.localdate()
    make_service("Active")
    make_service("Temporarily Closed", status="temporarily closed")
    make_service("Inactive", status="inactive")
    make_service("Defunct", status="defunct")
    make_service("Not Yet Visible", visible_from=today + dt.timedelta(days=1))
    make_service("No Longer Visible", visible_to=today - dt.timedelta(days=1))
    deleted = make_service("Deleted")
    deleted.deleted_at = timezone.now()
    deleted.save(update_fields=["deleted_at"])
    names = sorted(f.name for f in service_facts_in_scope(today=today))
    assert names == ["Active", "Temporarily Closed"]


@pytest.mark.django_db
def test_self_referral_share_counts_referrals_sent_or_accepted_in_the_last_90_days(
    make_service, make_referral
):
    service = make_service("Quota Service", claims=HIGH_RISK)
    send(make_referral(route="self"), service)
    send(make_referral(route="self"), service, days_ago=89)
    send(make_referral(), service)
    accepted = send(make_referral(), service)
    referral_transition(actor=None, referral=accepted, to_status=ReferralStatus.ACCEPTED)
    send(make_referral(route="self"), service, days_ago=91)  # too long ago
    declined = send(make_referral(route="self"), service)
    referral_transition(actor=None, referral=declined, to_status=ReferralStatus.DECLINED)
    (facts,) = service_facts_in_scope()
    assert (facts.recent_self_referrals, facts.recent_referrals) == (2, 4)
    assert facts.self_referral_share == 50.0


# --- Needs ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_referrals_need_is_its_area_with_everything_above_it_and_its_facts(make_referral):
    referral = triage(
        make_referral(
            person_date_of_birth=dt.date(2000, 6, 15),
            person_gender="woman",
            cohorts=["women_using_force", "not-a-cohort"],
            abuse_types=["DA", "stalking"],
            language="UR",
            circumstances=["denies-all-abuse"],
        )
    )
    need = need_for_referral(referral=referral, today=dt.date(2026, 6, 14))
    slugs = set(Area.objects.filter(id__in=need.area_ids).values_list("slug", flat=True))
    assert {"leeds", "west-yorkshire", "england"} <= slugs
    assert "bradford" not in slugs
    assert (need.tier, need.route, need.source) == ("high_risk", "agency", "police")
    assert (need.age, need.gender, need.language) == (25, "woman", "ur")
    assert need.cohorts == {"women_using_force"}
    assert need.abuse_types == {"DA", "stalking"}
    assert need.circumstances == {"denies-all-abuse"}
    assert need.label("abuse-types:DA") == "Domestic abuse"
    assert need.label(f"area:{need.area_id}") == "Leeds"


@pytest.mark.django_db
def test_a_self_referrals_need_has_the_self_route_and_the_age_given(make_referral):
    need = need_for_referral(referral=triage(make_referral(route="self", person_age=34)))
    assert (need.route, need.source, need.age) == ("self", "self", 34)


@pytest.mark.django_db
def test_a_referral_without_a_tier_has_no_need_yet(make_referral):
    with pytest.raises(ValidationError, match="Set the risk tier"):
        need_for_referral(referral=make_referral())


@pytest.mark.django_db
def test_a_what_if_on_a_wider_area_looks_below_it(reference):
    west_yorkshire = Area.objects.get(slug="west-yorkshire")
    need = need_for_what_if(area=west_yorkshire, tier="medium_risk", route="self", cohort="lgbtqia")
    below = set(Area.objects.filter(id__in=need.area_descendant_ids).values_list("slug", flat=True))
    assert {"leeds", "bradford"} <= below and "west-yorkshire" not in below
    assert (need.route, need.source, need.cohorts) == ("self", "self", {"lgbtqia"})
    agency = need_for_what_if(area=Area.objects.get(slug="leeds"), tier="high_risk", route="police")
    assert (agency.route, agency.source, agency.area_descendant_ids) == ("agency", "police", set())


@pytest.mark.django_db
def test_a_what_if_names_every_unknown_value(reference):
    with pytest.raises(ValidationError) as caught:
        need_for_what_if(
            area=Area.objects.get(slug="leeds"),
            tier="very_high",
            route="carrier-pigeon",
            cohort="pirates",
            abuse_type="XX",
        )
    assert set(caught.value.message_dict) == {"tier", "route", "cohort", "abuse_type"}
    assert "'carrier-pigeon' is not a referral route" in caught.value.message_dict["route"][0]


# --- referral_match ------------------------------------------------------------------------


@pytest.mark.django_db
def test_matching_a_triaged_referral_stores_the_run_and_moves_it_to_matched(
    make_referral, fitting_service, make_service, triage_worker
):
    fitting_service("Good Fit")
    make_service("Medium Only", claims={"risk_medium": {"value": "yes"}})
    make_service("In Bradford", areas=("bradford",), claims=HIGH_RISK)
    referral = triage(make_referral(person_name="Robin Unique-Name"))

    run = referral_match(actor=triage_worker, referral=referral)

    assert referral.status == ReferralStatus.MATCHED
    assert (run.eligible_count, run.excluded_count, run.out_of_area_count) == (1, 1, 1)
    rows = {m.service.name: m for m in Match.objects.filter(run=run).select_related("service")}
    assert set(rows) == {"Good Fit", "Medium Only"}  # out-of-area services are only counted
    assert (rows["Good Fit"].eligible, rows["Good Fit"].rank) == (True, 1)
    assert "Serves Leeds" in rows["Good Fit"].reasons
    assert rows["Medium Only"].excluded_rule == "tier_not_accepted"
    assert run.need["tier"] == "high_risk" and run.need["area"] == "leeds"
    assert run.ran_by == triage_worker
    event = AuditEvent.objects.get(action="referral.matched")
    assert event.object_id == referral.reference
    assert event.detail["eligible"] == 1
    assert "Robin Unique-Name" not in str(event.detail)
    assert not UnmetNeed.objects.exists()


@pytest.mark.django_db
def test_matching_again_while_matched_keeps_history_without_a_status_change(
    make_referral, fitting_service, triage_worker
):
    fitting_service()
    referral = triage(make_referral())
    first = referral_match(actor=triage_worker, referral=referral)
    changes = StatusChange.objects.filter(referral=referral).count()
    second = referral_match(actor=triage_worker, referral=referral)
    assert MatchRun.objects.filter(referral=referral).count() == 2
    assert StatusChange.objects.filter(referral=referral).count() == changes
    assert referral.status == ReferralStatus.MATCHED
    assert match_run_latest(referral=referral) == second != first


@pytest.mark.django_db
def test_a_declined_referral_must_be_triaged_again_before_matching(
    make_referral, fitting_service, triage_worker
):
    referral = send(make_referral(), fitting_service())
    referral_transition(actor=None, referral=referral, to_status=ReferralStatus.DECLINED)
    with pytest.raises(ValidationError, match="triage it again"):
        referral_match(actor=triage_worker, referral=referral)
    assert not MatchRun.objects.exists()


@pytest.mark.django_db
def test_an_untriaged_referral_cannot_be_matched(make_referral, triage_worker):
    with pytest.raises(ValidationError, match="received cannot be matched"):
        referral_match(actor=triage_worker, referral=make_referral())


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.REFERRER, Role.COMMISSIONER, Role.PROVIDER_MANAGER, None])
def test_only_the_front_door_matches_a_referral(make_referral, role_users, role):
    referral = triage(make_referral())
    with pytest.raises(PermissionDenied):
        referral_match(actor=role_users[role] if role else None, referral=referral)
    assert referral.status == ReferralStatus.TRIAGED
    assert not MatchRun.objects.exists()


@pytest.mark.django_db
def test_nothing_suitable_records_unmet_need_once_however_often_it_is_matched(
    make_referral, make_service, triage_worker
):
    make_service("Wrong Tier", claims={"risk_standard": {"value": "yes"}})
    referral = triage(make_referral(cohorts=["adults", "lgbtqia"], abuse_types=["DA", "stalking"]))
    referral_match(actor=triage_worker, referral=referral)
    run = referral_match(actor=triage_worker, referral=referral)
    assert run.eligible_count == 0
    need = UnmetNeed.objects.get()
    assert (need.referral, need.area.slug, need.tier) == (referral, "leeds", "high_risk")
    assert (need.cohort, need.abuse_type, need.route) == ("lgbtqia", "stalking", "police")
    assert need.recorded_by == triage_worker
    assert referral.status == ReferralStatus.MATCHED


@pytest.mark.django_db
def test_unmet_need_is_recorded_only_by_the_front_door(role_users, reference):
    leeds = Area.objects.get(slug="leeds")
    with pytest.raises(PermissionDenied):
        unmet_need_record(actor=role_users[Role.COMMISSIONER], area=leeds, tier="high_risk")
    with pytest.raises(ValidationError):
        unmet_need_record(actor=role_users[Role.TRIAGE], area=leeds, tier="extreme")
    row = unmet_need_record(actor=role_users[Role.TRIAGE], area=leeds, tier="high_risk")
    assert row.referral is None
    assert AuditEvent.objects.get(action="unmet_need.recorded").detail == {
        "area": "leeds",
        "tier": "high_risk",
    }


def test_unmet_need_is_counted_under_the_most_specific_cohort_and_abuse_type():
    assert primary_cohort(["adults", "young_adults", "lgbtqia"]) == "young_adults"
    assert primary_cohort(["adults"]) == "adults"
    assert primary_cohort([]) == ""
    assert primary_abuse_type(["DA", "SV"]) == "SV"
    assert primary_abuse_type(["DA"]) == "DA"
    assert primary_abuse_type(["zz", "yy"]) == "yy"
    assert primary_abuse_type([]) == ""


@pytest.mark.django_db
def test_the_latest_run_is_read_with_its_services_in_a_fixed_number_of_queries(
    make_referral, fitting_service, make_service, triage_worker, django_assert_num_queries
):
    fitting_service("Fit A")
    fitting_service("Fit B", waiting_weeks=20)
    make_service("Closed", claims=HIGH_RISK, capacity_status="closed")
    referral = triage(make_referral())
    referral_match(actor=triage_worker, referral=referral)
    with django_assert_num_queries(2):
        run = match_run_latest(referral=referral)
        shown = [(m.service.name, m.service.organisation.name, m.rank) for m in run.matches.all()]
    assert [name for name, _org, _rank in shown] == ["Fit A", "Fit B", "Closed"]
    assert [rank for _name, _org, rank in shown] == [1, 2, None]


@pytest.mark.django_db
def test_a_referral_never_matched_has_no_latest_run(make_referral):
    assert match_run_latest(referral=make_referral()) is None
