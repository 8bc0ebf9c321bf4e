"""Demo data: published services exactly as published, idempotent loading, demo users."""

import csv
import json
from pathlib import Path

import pytest
from django.contrib.auth import authenticate

from pathways.accounts.models import User
from pathways.core.demo import DEMO_USERS, FIXTURES, load_demo
from pathways.directory.models import ProvenanceSource, Service, ServiceVersion
from pathways.directory.selectors import claim_map

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
WY_CLAIMS = {
    "adults": "adults",
    "children": "children_young_people",
    "ethnic_minority": "ethnic_minority",
    "lgbtqia": "lgbtqia",
    "risk_high": "risk_high",
    "risk_medium": "risk_medium",
    "risk_low": "risk_standard",
}
CELL = {"yes": "yes", "no": "no", "unknown": "unknown", "blank": "not_stated"}


@pytest.fixture
def demo(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    return load_demo(synthetic_services=30)


def test_all_published_services_load_with_provenance(demo):
    published = Service.objects.filter(provenance_source=ProvenanceSource.PUBLISHED_MAPPING)
    assert published.filter(external_ref__startswith="wy-2023-").count() == 26
    assert published.filter(external_ref__startswith="cv-").count() == 31
    drive = Service.objects.get(external_ref="cv-drive")
    assert "University of Bristol" in drive.provenance_detail and "2020" in drive.provenance_detail
    assert drive.confirmed_at is None


def test_loading_twice_changes_nothing(demo):
    counts = (Service.objects.count(), ServiceVersion.objects.count(), User.objects.count())
    again = load_demo(synthetic_services=30)
    assert again.services_created == 0 and again.users_created == 0
    assert (Service.objects.count(), ServiceVersion.objects.count(), User.objects.count()) == counts


def test_west_yorkshire_claims_keep_unknown_and_not_stated_apart(demo):
    bridge = claim_map(Service.objects.get(external_ref="wy-2023-10"))
    assert {c.value for c in bridge.values()} == {"unknown"}
    hope = claim_map(Service.objects.get(external_ref="wy-2023-06"))
    assert {c.value for c in hope.values()} == {"not_stated"}


@pytest.mark.skipif(
    not SHARED.exists(), reason="the published data folder is not beside this clone"
)
def test_fixtures_match_the_published_tables_cell_for_cell(demo):
    for row in csv.DictReader((SHARED / "west_yorkshire_services.csv").open(encoding="utf-8")):
        service = Service.objects.get(external_ref=f"wy-2023-{int(row['id']):02d}")
        assert service.name == row["service"]
        assert service.organisation.name == row["provider"]
        claims = claim_map(service)
        for column, dimension in WY_CLAIMS.items():
            assert claims[dimension].value == CELL[row[column]], (row["id"], column)
        codes = {t.code for t in service.taxonomy_terms.all()}
        assert codes == set(row["abuse_types"].split(";"))
    for row in csv.DictReader((SHARED / "cardiff_services.csv").open(encoding="utf-8")):
        service = Service.objects.get(external_ref=row["id"])
        assert service.name == row["name"]
        assert service.referral_routes_text == row["referral_routes"]
        assert service.delivery_status == (row["status"] or "not_stated")
        self_referral = claim_map(service)["self_referral"].value
        assert self_referral == ({"yes": "yes", "no": "no", "": "not_stated"}[row["self_referral"]])


def test_fixture_files_cite_report_and_year():
    for name in ("west_yorkshire_2023.json", "cardiff_and_vale_2020.json"):
        source = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["source"]
        assert source["title"] and source["publisher"] and source["year"]


def test_every_role_has_a_demo_user_who_can_sign_in(demo):
    for username, (role, _org, _name) in DEMO_USERS.items():
        user = authenticate(username=username, password="demo-password-for-tests")
        assert user is not None, username
        assert user.memberships.filter(role=role).exists()


def test_synthetic_services_are_labelled_synthetic(demo):
    synthetic = Service.objects.filter(provenance_source=ProvenanceSource.SYNTHETIC)
    # 30 asked for, plus the front door's demonstration service.
    assert synthetic.count() == 31
    assert all(
        s.organisation.is_synthetic and "(synthetic)" in s.organisation.name for s in synthetic
    )


def test_demo_front_door_has_a_referral_in_every_status_and_only_synthetic_people(demo):
    from pathways.referrals.models import Referral, ReferralStatus, UnmetNeed

    statuses = set(Referral.objects.values_list("status", flat=True))
    expected = {
        ReferralStatus.RECEIVED,
        ReferralStatus.TRIAGED,
        ReferralStatus.MATCHED,
        ReferralStatus.SENT,
        ReferralStatus.ACCEPTED,
        ReferralStatus.DECLINED,
        ReferralStatus.NO_SUITABLE_SERVICE,
    }
    assert expected <= statuses
    assert not Referral.objects.filter(is_synthetic=False).exists()
    assert UnmetNeed.objects.filter(referral__isnull=False).exists()


def test_demo_users_refused_outside_demo_modes(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DEMO_MODE = False
    with pytest.raises(ImproperlyConfigured):
        load_demo(synthetic_services=0)
    assert not User.objects.exists()
