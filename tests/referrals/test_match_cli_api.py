"""What-if matching from the command line and the API: the same answer, nothing stored."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from pathways.accounts.models import Role
from pathways.referrals.models import MatchRun, UnmetNeed

URL = "/api/v1/match/"
HIGH_RISK = {"risk_high": {"value": "yes", "evidence_level": "evidenced"}}


@pytest.fixture
def directory(make_service):
    """One service that fits a high-risk police referral in Leeds, and three that do not."""
    make_service(
        "Leeds High-Risk Programme",
        claims=HIGH_RISK,
        terms=("abuse-types:DA", "referral-routes:police"),
        integrated_victim_support="own",
        capacity_status="open",
        waiting_weeks=2,
    )
    make_service(
        "Probation-Only Programme",
        claims=HIGH_RISK,
        terms=("abuse-types:DA", "referral-routes:probation"),
        integrated_victim_support="own",
    )
    make_service("Standard Risk Group", claims={"risk_standard": {"value": "yes"}})
    make_service("Bradford Programme", areas=("bradford",), claims=HIGH_RISK)


def run(*args: str) -> str:
    out = StringIO()
    call_command("match", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_json_lists_eligible_services_in_rank_order_and_every_exclusion(directory):
    data = json.loads(
        run("--area", "leeds", "--tier", "high_risk", "--route", "police", "--format", "json")
    )
    assert data["need"]["area"] == "leeds"
    assert (data["need"]["tier"], data["need"]["source"]) == ("high_risk", "police")
    assert [(s["rank"], s["name"]) for s in data["eligible"]] == [(1, "Leeds High-Risk Programme")]
    assert "Takes referrals from police" in data["eligible"][0]["reasons"]
    assert [(s["name"], s["rule"]) for s in data["excluded"]] == [
        ("Bradford Programme", "area_not_served"),
        ("Standard Risk Group", "tier_not_accepted"),
        ("Probation-Only Programme", "referral_route"),
    ]
    assert data["unmet"] is False
    assert not MatchRun.objects.exists() and not UnmetNeed.objects.exists()


@pytest.mark.django_db
def test_text_explains_each_service_and_says_when_need_would_go_unmet(directory):
    text = run("--area", "leeds", "--tier", "medium_risk", "--format", "text")
    assert "Eligible (0):" in text
    assert "None: this would be recorded as unmet need." in text
    assert "tier_not_accepted:" in text
    assert "Leeds High-Risk Programme (Provider One): Not known whether it works with" in text
    assert text.rstrip().endswith("Unmet need: yes")
    assert not UnmetNeed.objects.exists()


@pytest.mark.django_db
def test_a_wider_area_finds_services_in_its_districts(directory):
    data = json.loads(run("--area", "west-yorkshire", "--tier", "high_risk", "--format", "json"))
    names = [s["name"] for s in data["eligible"]]
    assert "Leeds High-Risk Programme" in names
    assert data["need"]["wider_area"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--area", "atlantis", "--tier", "high_risk"), "Unknown area 'atlantis'"),
        (("--area", "leeds", "--tier", "extreme"), "Choose a risk tier"),
        (("--area", "leeds", "--tier", "high_risk", "--route", "owl"), "not a referral route"),
        (("--area", "leeds", "--tier", "high_risk", "--cohort", "pirates"), "not a cohort"),
        (("--area", "leeds", "--tier", "high_risk", "--abuse-type", "XX"), "not an abuse type"),
    ],
)
def test_bad_input_is_a_clear_command_error(reference, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args, "--format", "json")


def api_as(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.COMMISSIONER, Role.TRIAGE, Role.ADMIN])
def test_the_api_answers_what_the_command_prints(directory, role_users, role):
    params = {"area": "leeds", "tier": "high_risk", "route": "police"}
    response = api_as(role_users[role]).get(URL, params)
    assert response.status_code == 200
    printed = json.loads(
        run("--area", "leeds", "--tier", "high_risk", "--route", "police", "--format", "json")
    )
    assert response.json() == printed
    assert not MatchRun.objects.exists() and not UnmetNeed.objects.exists()


@pytest.mark.django_db
def test_a_self_referral_what_if_excludes_services_that_do_not_take_them(directory, role_users):
    response = api_as(role_users[Role.TRIAGE]).get(
        URL, {"area": "leeds", "tier": "high_risk", "route": "self"}
    )
    rules = {s["name"]: s["rule"] for s in response.json()["excluded"]}
    assert rules["Leeds High-Risk Programme"] == "self_referral_not_accepted"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"area", "tier"}),
        ({"area": "atlantis", "tier": "high_risk"}, {"area"}),
        ({"area": "leeds", "tier": "extreme"}, {"tier"}),
        ({"area": "leeds", "tier": "high_risk", "cohort": "pirates"}, {"cohort"}),
        ({"area": "leeds", "tier": "high_risk", "route": "owl"}, {"route"}),
        ({"area": "leeds", "tier": "high_risk", "abuse_type": "XX"}, {"abuse_type"}),
    ],
)
def test_bad_parameters_are_a_400_with_the_standard_error_body(
    role_users, reference, params, fields
):
    response = api_as(role_users[Role.TRIAGE]).get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert {f["field"] for f in error["fields"]} == fields


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.REFERRER, Role.ANALYST, Role.PROVIDER_MANAGER, Role.PERPETRATOR_WORKER]
)
def test_other_roles_are_refused(role_users, reference, role):
    response = api_as(role_users[role]).get(URL, {"area": "leeds", "tier": "high_risk"})
    assert response.status_code == 403
    assert response.json()["error"]["status"] == 403


@pytest.mark.django_db
def test_anonymous_callers_are_asked_to_sign_in(reference):
    response = api_as(None).get(URL, {"area": "leeds", "tier": "high_risk"})
    assert response.status_code == 401
