"""Mapping an area that holds every district: the services are read without asking the
database which serve it (nearly all do) and sorted out by the areas read with them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.areas.models import Area, AreaKind
from pathways.mapping import selectors
from pathways.mapping.engine import CountingRule

TOP = "england-and-wales"


def _compute(area: str, **rule):
    return selectors.mapping_compute_for_area(area_slug=area, rule=CountingRule(**rule))


def _names(result) -> set[str]:
    return {s.name for s in result.services}


@pytest.mark.parametrize("area", [TOP, "west-yorkshire"])
def test_services_serving_no_district_of_the_area_are_left_out(make_service, area):
    Area.objects.create(name="Nowhere in particular", slug="nowhere", kind=AreaKind.REGION)
    make_service("Leeds service", areas=("leeds",), claims={"risk_high": {"value": "yes"}})
    make_service("Cardiff service", areas=("cardiff",), claims={"lgbtqia": {"value": "yes"}})
    make_service("Serves an area with no districts", areas=("nowhere",))
    make_service("Serves nowhere at all", areas=())
    expected = {"Leeds service", "Cardiff service"} if area == TOP else {"Leeds service"}
    assert _names(_compute(area)) == expected
    assert _names(_compute(area, wider_areas=False)) == expected


def test_every_district_is_a_row_and_welsh_exclusions_still_apply(make_service):
    make_service("England and Wales", areas=(TOP,), claims={"risk_high": {"value": "yes"}})
    make_service(
        "Not in Wales",
        areas=(TOP,),
        claims={"risk_high": {"value": "yes"}},
        delivery_status="not_available_in_wales",
    )
    result = _compute(TOP)
    districts = set(
        Area.objects.filter(kind=AreaKind.LOCAL_AUTHORITY).values_list("slug", flat=True)
    )
    assert {d.slug for d in result.districts} == districts
    assert result.cell("leeds", "high_risk").total == 2
    assert result.cell("cardiff", "high_risk").total == 1


def _queries(area: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _compute(area)
    return len(ctx.captured_queries)


def test_national_query_count_does_not_grow_with_the_directory(make_service):
    def add(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_service(
                f"Service {i}",
                areas=(("leeds",), ("wales",), (TOP,), ())[i % 4],
                claims={"risk_high": {"value": "yes"}, "lgbtqia": {"value": "unknown"}},
                terms=("abuse-types:DA", "abuse-types:SV"),
            )

    add(4, 0)
    small = _queries(TOP)
    add(20, 4)
    large = _queries(TOP)
    assert _compute(TOP).summary["services"] == 18
    assert small == large


def test_rows_read_out_of_service_order_are_still_gathered_per_service():
    rows = [("a", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5), ("b", 6)]
    assert selectors._by_service(rows) == {"a": (1, 2, 4), "b": (3, 6), "c": (5,)}
