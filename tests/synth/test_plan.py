"""The synthetic data plan: pure, deterministic for a seed, sized per scale."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import pytest

from pathways.synth.geography import SYN
from pathways.synth.plan import SCALES, build_plan

AS_OF = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def digest(plan, referrals: int | None = None) -> str:
    """A hash of every row the plan makes (the first `referrals` referrals, or all)."""
    h = hashlib.sha256()
    for part in (plan.geography.areas, plan.organisations, plan.services, plan.users):
        for row in part:
            h.update(json.dumps(dataclasses.asdict(row), sort_keys=True, default=str).encode())
    for n, row in enumerate(plan.referrals()):
        if referrals is not None and n >= referrals:
            break
        h.update(json.dumps(dataclasses.asdict(row), sort_keys=True, default=str).encode())
    return h.hexdigest()


def test_same_seed_and_date_make_the_same_data():
    first = build_plan(scale="small", seed=7, as_of=AS_OF)
    second = build_plan(scale="small", seed=7, as_of=AS_OF)
    assert digest(first) == digest(second)


def test_another_seed_makes_other_data():
    assert digest(build_plan(scale="small", seed=7, as_of=AS_OF)) != digest(
        build_plan(scale="small", seed=8, as_of=AS_OF)
    )


def test_national_plan_is_deterministic_too():
    first = build_plan(scale="national", seed=3, as_of=AS_OF)
    second = build_plan(scale="national", seed=3, as_of=AS_OF)
    assert digest(first, referrals=2_000) == digest(second, referrals=2_000)


@pytest.mark.parametrize(("scale", "districts"), [("small", 10), ("region", 21), ("national", 331)])
def test_each_scale_has_its_size(scale, districts):
    plan = build_plan(scale=scale, seed=1, as_of=AS_OF)
    size = SCALES[scale]
    assert len(plan.geography.districts) == districts
    assert len(plan.services) == size.services
    assert sum(1 for o in plan.organisations if o.kind == "provider") == size.organisations
    assert len(plan.users) == size.referrers


def test_national_scale_is_england_and_wales_under_force_areas_and_regions():
    geo = build_plan(scale="national", seed=1, as_of=AS_OF).geography
    kinds: dict[str, int] = {}
    for area in geo.areas:
        kinds[area.kind] = kinds.get(area.kind, 0) + 1
    # 43 police force areas, three of them shipped as reference data.
    assert kinds["police_force_area"] == 40
    # Seven regions are made; Yorkshire and The Humber and the East Midlands are reference.
    assert kinds["region"] == 7
    for district in geo.districts:
        above = geo.ancestors[district]
        assert "england-and-wales" in above
        assert any(a.endswith("-police") or a == "llr" for a in above), district
    assert len(geo.welsh_districts) == 22


def test_small_scale_makes_the_advertised_number_of_referrals():
    plan = build_plan(scale="small", seed=1, as_of=AS_OF)
    referrals = list(plan.referrals())
    assert len(referrals) == SCALES["small"].referrals
    assert len({r.fields["reference"] for r in referrals}) == len(referrals)


def test_factor_multiplies_rows_but_not_areas():
    one = build_plan(scale="small", seed=1, as_of=AS_OF)
    ten = build_plan(scale="small", seed=1, as_of=AS_OF, factor=10)
    assert len(ten.services) == 10 * len(one.services)
    assert ten.geography.districts == one.geography.districts


def test_referrals_look_like_a_front_door_year():
    plan = build_plan(scale="small", seed=1, as_of=AS_OF)
    referrals = list(plan.referrals())
    statuses = {r.fields["status"] for r in referrals}
    assert {"received", "triaged", "accepted", "signposted", "withdrawn"} <= statuses
    for r in referrals:
        created = r.fields["created_at"]
        assert AS_OF - dt.timedelta(days=366) <= created <= AS_OF
        times = [at for _from, _to, at in r.history]
        assert times == sorted(times) and times[-1] <= AS_OF
        assert r.history[-1][1] == r.fields["status"]
        if r.fields["status"] in ("sent", "accepted", "declined"):
            assert r.sent_service is not None
        if r.fields["status"] == "no_suitable_service":
            assert r.unmet is not None


def test_nothing_names_a_real_person_or_contact():
    plan = build_plan(scale="small", seed=1, as_of=AS_OF)
    for r in plan.referrals():
        assert r.fields["person_name"].endswith("(synthetic)")
        # Ofcom's range for drama: never a real number.
        assert r.fields["contact_phone"].startswith("07700 900")
        assert all(v["name"].endswith("(synthetic)") for v in r.victims)
    for service in plan.services:
        assert service.fields["email"].endswith("@example.invalid")
    for area in plan.geography.areas:
        assert area.slug.startswith(SYN) and area.name.endswith("(synthetic)")
