"""The suite check's evidence: approaches worth commissioning come from the evidence library
(every source's rating in its own words, with the agreement, never averaged), services that
cover a component show their approach's evidence, and reference data is only the fallback."""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from pathways.accounts.models import Role
from pathways.evidence import services as evidence_services
from pathways.evidence.models import Approach, ServiceApproach
from pathways.evidence.reference import FIXTURE as EVIDENCE_FIXTURE
from pathways.mapping import engine, exports, selectors
from pathways.mapping.engine import CountingRule
from tests.mapping.builders import compute, service

STANDARD = {"risk_standard": {"value": "yes"}}
HIGH = {"risk_high": {"value": "yes"}}
HIGH_CLAIM = {"risk_high": "yes"}


def _components(result: engine.MappingResult, district: str) -> dict[str, dict]:
    [entry] = [e for e in result.suite_check if e["district"] == district]
    return {c["component"]: c for c in entry["components"]}


def _leeds() -> engine.MappingResult:
    return selectors.mapping_compute_for_area(area_slug="leeds", rule=CountingRule())


def _link(service_obj, slug: str) -> None:
    evidence_services.service_approach_set(
        actor=None, service=service_obj, approach=Approach.objects.get(slug=slug)
    )


# --------------------------------------------------------------------------------------
# The table in mapping's reference data
# --------------------------------------------------------------------------------------


def test_every_suite_component_lists_library_approaches_that_exist():
    table = selectors.mapping_reference()["suite_approaches"]
    library = {a["slug"] for a in json.loads(EVIDENCE_FIXTURE.read_text("utf-8"))["approaches"]}
    assert set(table) == set(engine.COMPONENT_SLUGS)
    for component, items in table.items():
        assert items, component
        for item in items:
            assert item["approach"] in library, item
            assert item["basis"].strip(), item


# --------------------------------------------------------------------------------------
# Recommended approaches from the library
# --------------------------------------------------------------------------------------


def test_missing_components_recommend_library_approaches_with_every_rating(make_service):
    make_service("Leeds standard", claims=STANDARD)
    components = _components(_leeds(), "leeds")
    assert components["standard_risk"]["present"]
    assert components["standard_risk"]["recommended"] == []
    high = components["high_risk"]["recommended"]
    assert [a["approach"] for a in high] == ["drive"]
    [drive] = high
    # the original four fields stay strings; the library adds the rest
    for key in ("name", "basis", "evidence", "source"):
        assert isinstance(drive[key], str) and drive[key], key
    assert drive["origin"] == "evidence_library"
    ratings = {r["source"]: r for r in drive["ratings"]}
    assert ratings["drive-evaluation"]["rating"] == "good"
    assert ratings["crest-llr-2023"]["evidence_rating"] == "moderate"
    assert ratings["crest-llr-2023"]["impact_rating"] == "high"
    # never averaged: good (higher) and moderate evidence / high impact (middle) disagree
    assert drive["agreement"]["status"] == "disagree"
    assert drive["agreement"]["spread"] == 1
    assert {r["band"] for r in drive["ratings"]} == {"higher", "middle"}
    assert "Rated ‘good’ evidence" in drive["evidence"]
    medium = {a["approach"]: a for a in components["medium_risk"]["recommended"]}
    assert medium["perpetrator-programmes"]["agreement"]["sources"] == 3
    assert medium["risk-need-responsivity"]["agreement"]["status"] == "single_source"


def test_the_reference_data_is_the_fallback_only_when_the_library_is_empty(make_service):
    make_service("Leeds standard", claims=STANDARD)
    ServiceApproach.objects.all().delete()
    Approach.objects.all().delete()
    high = _components(_leeds(), "leeds")["high_risk"]["recommended"]
    reference = selectors.mapping_reference()["approaches"]["high_risk"]
    assert [a["name"] for a in high] == [a["name"] for a in reference]
    assert all(a["origin"] == "reference_data" and a["ratings"] == [] for a in high)
    assert all(a["agreement"] is None and a["approach"] is None for a in high)


# --------------------------------------------------------------------------------------
# Services that cover a component: their approach's evidence
# --------------------------------------------------------------------------------------


def test_present_components_show_the_evidence_for_approaches_services_follow(make_service):
    drive_like = make_service("Leeds Drive", claims=HIGH)
    make_service("Leeds unlinked", claims=HIGH)
    _link(drive_like, "drive")
    high = _components(_leeds(), "leeds")["high_risk"]
    assert high["present"] and high["recommended"] == []
    [in_use] = high["in_use"]
    assert in_use["approach"] == "drive"
    assert [s["name"] for s in in_use["services"]] == ["Leeds Drive"]
    assert in_use["agreement"]["status"] == "disagree"
    assert {r["source"] for r in in_use["ratings"]} == {"drive-evaluation", "crest-llr-2023"}
    assert high["services_without_approach"] == 1


def test_query_count_stays_constant_with_linked_services(make_service):
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _leeds()
        return len(ctx.captured_queries)

    for i in range(2):
        _link(make_service(f"Linked {i}", claims=HIGH), "drive")
    small = queries()
    for i in range(2, 20):
        _link(make_service(f"Linked {i}", claims=HIGH), "drive" if i % 2 else "cara")
    assert queries() == small


# --------------------------------------------------------------------------------------
# Pure engine
# --------------------------------------------------------------------------------------


def _strength(slug: str, *bands: str) -> engine.EvidenceStrength:
    ratings = tuple(
        engine.SourceRating(
            source=f"source-{i}",
            source_name=f"Source {i}",
            name_as_published=slug,
            statement=f"Rated by source {i}.",
            rating="good" if band == "higher" else "some or mixed",
            band=band,
        )
        for i, band in enumerate(bands)
    )
    status = "disagree" if len(set(bands)) > 1 else "agree"
    return engine.EvidenceStrength(
        approach=slug,
        name=slug.title(),
        ratings=ratings,
        agreement=status,
        agreement_label="Sources disagree" if status == "disagree" else "Sources agree",
        spread=1 if status == "disagree" else 0,
    )


def test_engine_carries_library_evidence_without_the_database():
    strength = _strength("drive", "higher", "middle")
    approach = engine.Approach("Drive", "WY", strength.statements(), "Source 0; Source 1", strength)
    linked = service("Linked", areas=(10,), claims=HIGH_CLAIM, evidence=strength)
    plain = service("Plain", areas=(10,), claims=HIGH_CLAIM)
    result = compute([linked, plain], approaches={"high_risk": (approach,)})
    alpha, beta = _components(result, "alpha"), _components(result, "beta")
    assert alpha["high_risk"]["in_use"][0]["services"] == [
        {"id": linked.id, "name": "Linked", "organisation": "ORG-A"}
    ]
    assert alpha["high_risk"]["services_without_approach"] == 1
    [recommended] = beta["high_risk"]["recommended"]
    assert recommended["agreement"] == {
        "status": "disagree",
        "label": "Sources disagree",
        "spread": 1,
        "sources": 2,
    }
    assert [r["rating"] for r in recommended["ratings"]] == ["good", "some or mixed"]


# --------------------------------------------------------------------------------------
# Page and downloads
# --------------------------------------------------------------------------------------


@pytest.fixture
def commissioner(client_for, role_users):
    return client_for(role_users[Role.COMMISSIONER])


def test_page_shows_each_rating_in_its_words_and_disagreement_plainly(commissioner, make_service):
    _link(make_service("Leeds Drive", claims=HIGH), "drive")
    html = commissioner.get(reverse("mapping:area", args=["leeds"])).content.decode()
    assert 'data-recommended="perpetrator-programmes"' in html
    assert "Sources disagree" in html
    assert "quality of evidence ‘high’" in html
    assert reverse("evidence:approach", args=["perpetrator-programmes"]) in html
    assert 'data-in-use="drive"' in html
    assert "Leeds Drive" in html
    assert "not an assessment of the service" in html


def test_workbook_and_pdf_carry_the_ratings(make_service):
    _link(make_service("Leeds Drive", claims=HIGH), "drive")
    result = _leeds()
    workbook = load_workbook(io.BytesIO(exports.to_xlsx(result)))
    text = "\n".join(
        str(cell.value) for row in workbook["Suite check"].iter_rows() for cell in row if cell.value
    )
    assert "Rating, in the source's words" in text
    assert "quality of evidence ‘high’, impact ‘high’" in text
    assert "Sources disagree (1 band apart)" in text
    assert "Leeds Drive" in text
    assert exports.to_pdf(result).startswith(b"%PDF")
