"""The matrix is what adding each service to each cell it reaches, one by one, would give.

`engine.compute` works a reach out once for all the services serving the same areas and
adds them to their cells together (a national matrix has ~300,000 service-cell pairs). These
tests hold it to the plain way: every service, every district it reaches, every column.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given

from pathways.mapping import engine
from pathways.mapping.engine import CountingRule

from .builders import AREA, COUNTRY, WALES, compute, mapping_input, service
from .test_engine import PROPERTY, rules, services_strategy


def _cells_one_by_one(
    records: list[engine.ServiceRecord], rule: CountingRule
) -> dict[tuple[str, str], tuple]:
    """(counts, total, reach, assured, members) of every cell, one service at a time."""
    data = mapping_input(records)
    covers = engine._covers(data.districts)
    cells = {
        (d.slug, c.slug): (
            {c.value: 0 for c in engine.CERTAINTIES},
            [0],
            {engine.LOCAL: 0, engine.AREA_WIDE: 0, engine.WIDER_AREA: 0},
            [0],
            [],
        )
        for d in data.districts
        for c in engine.COLUMNS
    }
    index = 0
    for record in sorted(records, key=lambda s: (s.name.casefold(), s.id)):
        if record.is_synthetic and not rule.synthetic:
            continue
        reach = engine.reach_by_district(record, data, covers)
        if not rule.wider_areas:
            reach = {i: kind for i, kind in reach.items() if kind != engine.WIDER_AREA}
        if not reach:
            continue
        for d_index, kind in reach.items():
            for column in engine.COLUMNS:
                certainty = column.certainty(record)
                if certainty is None:
                    continue
                counts, total, by_reach, assured, members = cells[
                    (data.districts[d_index].slug, column.slug)
                ]
                counts[certainty.value] += 1
                if rule.counts(certainty):
                    total[0] += 1
                    by_reach[kind] += 1
                    members.append(index)
                    if rule.assures(certainty):
                        assured[0] += 1
        index += 1
    return {
        key: (counts, total[0], by_reach, assured[0], members)
        for key, (counts, total, by_reach, assured, members) in cells.items()
    }


def _cells(result: engine.MappingResult) -> dict[tuple[str, str], tuple]:
    return {
        key: (cell.counts, cell.total, cell.reach, cell.assured, cell.members)
        for key, cell in result.cells.items()
    }


@PROPERTY
@given(services_strategy(), rules)
def test_cells_are_what_adding_each_service_to_each_cell_one_by_one_gives(records, rule):
    assert _cells(compute(records, rule)) == _cells_one_by_one(records, rule)


def test_services_serving_the_same_areas_are_added_to_each_cell_in_the_results_order():
    # Two reaches interleaved by name: the cells list their members in the result's order.
    records = [
        service("A local", areas=(10,), claims={"risk_high": ("yes", "verified")}),
        service("B area-wide", areas=(AREA,), claims={"risk_high": "yes"}),
        service("C local", areas=(10,), claims={"risk_high": "unknown"}),
        service("D national", areas=(COUNTRY,), claims={"risk_high": ("yes", "evidenced")}),
        service("E local", areas=(10,), claims={"risk_high": "yes"}),
        service("F not in Wales", areas=(COUNTRY,), excluded_area_ids=frozenset({WALES})),
    ]
    for rule in (CountingRule(), CountingRule(count_unknown=True, wider_areas=False)):
        result = compute(records, rule)
        assert _cells(result) == _cells_one_by_one(records, rule)
    alpha = compute(records, CountingRule(count_unknown=True)).cell("alpha", "high_risk")
    assert [s.name for s in (compute(records).services[i] for i in alpha.members)] == [
        "A local",
        "B area-wide",
        "C local",
        "D national",
        "E local",
    ]
    assert alpha.members == sorted(alpha.members)


def test_the_first_claim_of_a_dimension_decides_its_column():
    record = dataclasses.replace(
        service(areas=(10,)),
        claims=(engine.Claim("risk_high", "no"), engine.Claim("risk_high", "yes", "verified")),
    )
    assert record.claim("risk_high") == engine.Claim("risk_high", "no")
    assert compute([record]).cell("alpha", "high_risk").counts == {
        c.value: 0 for c in engine.CERTAINTIES
    }
