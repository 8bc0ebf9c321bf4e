"""Unmet need recorded by the One Front Door appears in the mapping as demand."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from pathways.areas.models import Area
from pathways.mapping import exports
from pathways.mapping.engine import CountingRule
from pathways.mapping.selectors import mapping_for_area, unmet_need_for_districts
from pathways.referrals.models import UnmetNeed


def _need(area="leeds", tier="high_risk", cohort="", abuse_type="DA", days_ago=1, n=1):
    for _ in range(n):
        UnmetNeed.objects.create(
            area=Area.objects.get(slug=area),
            tier=tier,
            cohort=cohort,
            abuse_type=abuse_type,
            route="police",
            recorded_at=timezone.now() - dt.timedelta(days=days_ago),
        )


@pytest.mark.django_db
def test_no_unmet_need_is_zero_not_unrecorded(reference):
    assert unmet_need_for_districts(district_slugs=["leeds"], as_of=timezone.localdate()) == ()


@pytest.mark.django_db
def test_unmet_need_counts_in_its_tier_cohort_and_sexual_violence_columns(reference):
    _need(tier="medium_risk", cohort="lgbtqia", abuse_type="SV")
    _need(area="bradford", tier="high_risk")
    found = {
        (n.district, n.column): n.count
        for n in unmet_need_for_districts(
            district_slugs=["leeds", "bradford"], as_of=timezone.localdate()
        )
    }
    assert found == {
        ("leeds", "medium_risk"): 1,
        ("leeds", "lgbtqia"): 1,
        ("leeds", "sexual_violence"): 1,
        ("bradford", "high_risk"): 1,
    }


@pytest.mark.django_db
def test_unmet_need_older_than_a_year_or_elsewhere_is_not_counted(reference):
    _need(days_ago=400)
    _need(area="cardiff")
    assert unmet_need_for_districts(district_slugs=["leeds"], as_of=timezone.localdate()) == ()


def test_small_counts_are_suppressed():
    assert exports.unmet_need_words(None) == "not recorded"
    assert exports.unmet_need_words(0) == 0
    assert [exports.unmet_need_words(n) for n in (1, 4)] == ["fewer than 5"] * 2
    assert exports.unmet_need_words(5) == 5


@pytest.mark.django_db
def test_mapping_page_shows_unmet_need_with_small_counts_suppressed(
    reference, role_users, client_for
):
    from pathways.accounts.models import Role

    _need(n=2)
    _need(area="bradford", tier="standard_risk", n=6)
    result = mapping_for_area(
        user=role_users[Role.COMMISSIONER], area_slug="west-yorkshire", rule=CountingRule()
    )
    assert result.cell("leeds", "high_risk").unmet_need == 2
    page = client_for(role_users[Role.COMMISSIONER]).get("/mapping/west-yorkshire/")
    body = page.content.decode()
    table = body[body.index('id="coverage-table"') : body.index('id="gaps"')]
    assert "Unmet need: 6" in table and "Unmet need: fewer than 5" in table
    section = body[body.index('id="unmet-need"') :]
    assert "Leeds" in section and "fewer than 5" in section
    assert "Bradford" in section and ">6<" in section.replace(" ", "")


@pytest.mark.django_db
def test_json_never_carries_a_count_under_five(reference, role_users):
    from pathways.accounts.models import Role

    _need(n=3)
    result = mapping_for_area(
        user=role_users[Role.COMMISSIONER], area_slug="leeds", rule=CountingRule()
    )
    cell = next(c for c in result.to_json()["matrix"] if c["column"] == "high_risk")
    assert cell["unmet_need"] is None and cell["unmet_need_suppressed"] is True
    assert result.to_json()["unmet_need_recorded"] is True


@pytest.mark.django_db
def test_the_year_of_unmet_need_is_whole_local_days_in_summer_time(reference):
    # British Summer Time: local midnight is 23:00 UTC the day before.
    as_of = dt.date(2026, 7, 15)
    since = as_of - dt.timedelta(days=364)
    london = zoneinfo.ZoneInfo("Europe/London")
    leeds = Area.objects.get(slug="leeds")
    for tier, day, hour, minute in [
        ("standard_risk", since - dt.timedelta(days=1), 23, 59),  # the day before: left out
        ("medium_risk", since, 0, 30),  # first local day, still the day before in UTC
        ("high_risk", as_of, 23, 30),  # last local day, late in the evening
        ("standard_risk", as_of + dt.timedelta(days=1), 0, 15),  # next day, still as_of in UTC
    ]:
        UnmetNeed.objects.create(
            area=leeds,
            tier=tier,
            abuse_type="DA",
            route="police",
            recorded_at=dt.datetime.combine(day, dt.time(hour, minute), tzinfo=london),
        )
    with timezone.override(london):
        found = unmet_need_for_districts(district_slugs=["leeds"], as_of=as_of)
    assert [(n.district, n.column, n.count) for n in found] == [
        ("leeds", "high_risk", 1),
        ("leeds", "medium_risk", 1),
    ]
