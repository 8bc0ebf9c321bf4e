"""XLSX, PDF and SVG outputs: the rule and data date on each, escaping, and the same numbers."""

from __future__ import annotations

import io
import json

from defusedxml import ElementTree
from openpyxl import load_workbook

from pathways.mapping import engine, exports
from pathways.mapping.engine import CountingRule

from .builders import AREA, compute, service


def _result(rule=None):
    return compute(
        [
            service('=HYPERLINK("http://x")', claims={"risk_high": "yes"}, areas=(10,)),
            service("<b>Bold</b> & co", claims={"risk_medium": "unknown"}, areas=(AREA,)),
            service(
                "Same type",
                areas=(11,),
                intervention_type="behaviour_change",
                suite_tier="medium_risk",
            ),
            service(
                "Same type too",
                areas=(11,),
                intervention_type="behaviour_change",
                suite_tier="medium_risk",
            ),
        ],
        rule or CountingRule(count_unknown=True),
    )


def test_workbook_has_one_sheet_per_view_each_with_the_rule_and_data_date():
    result = _result()
    book = load_workbook(io.BytesIO(exports.to_xlsx(result)))
    assert book.sheetnames == [
        "Summary",
        "Coverage",
        "Matrix",
        "Gaps",
        "Unmet need",
        "Suite check",
        "Duplication",
        "Questionable claims",
        "Fragility",
        "Services",
    ]
    for sheet in book.worksheets:
        assert sheet["A2"].value == f"Counting rule: {result.rule.describe()}"
        assert sheet["A3"].value.startswith("Directory data last changed")


def test_workbook_coverage_sheet_carries_the_matrix_totals():
    result = _result()
    sheet = load_workbook(io.BytesIO(exports.to_xlsx(result)))["Coverage"]
    rows = list(sheet.iter_rows(min_row=7, values_only=True))
    for (district, cells), row in zip(result.rows(), rows, strict=False):
        assert row[0] == district.name
        assert list(row[1 : 1 + len(cells)]) == [cell.total for cell in cells]


def test_a_service_name_that_looks_like_a_formula_stays_text():
    book = load_workbook(io.BytesIO(exports.to_xlsx(_result())))
    sheet = book["Services"]
    names = [row[0] for row in sheet.iter_rows(min_row=7, values_only=True)]
    assert '=HYPERLINK("http://x")' in names
    cell = next(
        c for row in sheet.iter_rows(min_row=7) for c in row[:1] if str(c.value).startswith("=")
    )
    assert cell.data_type == "s"


def test_pdf_is_a_pdf_with_the_rule_and_survives_markup_in_names():
    result = _result()
    compressed = exports.to_pdf(result)
    assert compressed.startswith(b"%PDF")
    plain = exports.to_pdf(result, compress=False).decode("latin-1")
    assert "Counting rule" in plain
    assert "Unknown or not-stated claims are counted" in plain
    # Drawn as literal text (split into runs), not parsed as markup.
    assert "<b>Bold</b> & co" in plain.replace(") Tj (", "")


def test_svg_is_well_formed_escaped_and_numbered_like_the_matrix():
    result = _result()
    svg = exports.svg_heatmap(result)
    root = ElementTree.fromstring(svg)  # well-formed even with <b> & in names
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    numbers = [
        t.text for g in root.iter(f"{ns}g") for t in g.iter(f"{ns}text") if t.text is not None
    ]
    assert numbers == [str(c.total) for _d, cells in result.rows() for c in cells]
    assert "style=" not in svg  # strict CSP: presentation attributes only


def test_svg_escapes_a_hostile_district_name():
    result = _result()
    hostile = engine.District(10, "alpha", '<script>alert("x")</script>', frozenset({10}))
    result.districts = (hostile, *result.districts[1:])
    svg = exports.svg_heatmap(result)
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_json_export_is_the_result_json():
    result = _result()
    assert json.loads(exports.to_json_bytes(result)) == json.loads(json.dumps(result.to_json()))


def test_unknown_format_is_refused():
    import pytest

    with pytest.raises(ValueError):
        exports.render(_result(), "docx")
