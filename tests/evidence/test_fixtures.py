"""The library fixture: consistent, reviewed mapping, and exactly the published values."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from pathways.evidence.models import AbuseFocus, PreventionLevel
from pathways.evidence.reference import FIXTURE
from pathways.evidence.scales import allowed_labels

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
DIRECTORY_FIXTURES = Path(__file__).resolve().parents[2] / "src/pathways/directory/fixtures"
WY_SOURCE_SLUGS = {
    "College of Policing": "college-of-policing",
    "What Works for Children's Social Care and Early Intervention Foundation": "wwcsc-eif",
    "Welsh Government analysis (2018)": "welsh-government-2018",
    "Scottish VRU analysis (2022)": "scottish-vru-2022",
    "Evaluation of CARA": "cara-evaluation",
    "Evaluation of Drive": "drive-evaluation",
}
needs_shared = pytest.mark.skipif(
    not SHARED.exists(), reason="the published data folder is not beside this clone"
)


@pytest.fixture(scope="module")
def payload():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _by_key(payload, table):
    return {(r["source"], r["name_as_published"]): r for r in payload[table]}


def test_every_rating_has_exactly_one_reviewed_mapping_row(payload):
    ratings, mapping = _by_key(payload, "ratings"), _by_key(payload, "mapping")
    assert len(ratings) == len(payload["ratings"])
    assert set(ratings) == set(mapping)
    approaches = {a["slug"] for a in payload["approaches"]}
    assert {m["approach"] for m in payload["mapping"]} == approaches
    assert all(m["basis"].strip() for m in payload["mapping"])


def test_one_rating_per_source_per_approach(payload):
    pairs = Counter((m["approach"], m["source"]) for m in payload["mapping"])
    assert [p for p, n in pairs.items() if n > 1] == []


def test_labels_fit_each_sources_scale_and_choices_are_valid(payload):
    scales = {s["slug"]: s["scale"] for s in payload["sources"]}
    for row in payload["ratings"]:
        labels = allowed_labels(scales[row["source"]])
        for key in ("rating", "evidence_rating", "impact_rating"):
            assert row.get(key, "") in labels | {""}, row
        assert row["abuse_focus"] in AbuseFocus.values
    for approach in payload["approaches"]:
        assert approach["prevention_level"] in PreventionLevel.values
        assert approach["abuse_focus"] in AbuseFocus.values
        assert approach["description"].strip()


def test_demo_links_name_published_services_and_known_approaches(payload):
    refs = set()
    for name in ("west_yorkshire_2023.json", "cardiff_and_vale_2020.json"):
        services = json.loads((DIRECTORY_FIXTURES / name).read_text(encoding="utf-8"))["services"]
        refs |= {s["ref"] for s in services}
    approaches = {a["slug"] for a in payload["approaches"]}
    links = {link["service_ref"]: link["approach"] for link in payload["service_links"]}
    assert set(links) <= refs
    assert set(links.values()) <= approaches
    assert links["cv-drive"] == "drive"
    assert links["wy-2023-24"] == "cara"
    assert links["cv-circles-cymru"] == "circles-of-support-and-accountability"
    assert "wy-2023-23" not in links  # Freedom Programme: no source rates it


@needs_shared
def test_west_yorkshire_ratings_are_exactly_as_published(payload):
    ratings = _by_key(payload, "ratings")
    rows = list(csv.DictReader((SHARED / "evidence_west_yorkshire.csv").open(encoding="utf-8")))
    for row in rows:
        stored = ratings[(WY_SOURCE_SLUGS[row["source"]], row["intervention"])]
        assert stored["rating"] == row["rating"], row["intervention"]
        studies = [int(n) for n in row["studies"].split(";")] if row["studies"] else []
        assert stored["studies"] == studies, row["intervention"]
        focus = {"DA": "DA", "SV": "SV", "both": "both"}[row["abuse_focus"]]
        assert stored["abuse_focus"] == focus
        assert stored["note"] != row["notes"]  # our own words, not a copy
    assert sum(1 for r in payload["ratings"] if r["source"] in WY_SOURCE_SLUGS.values()) == len(
        rows
    )


@needs_shared
def test_llr_ratings_and_levels_are_exactly_as_published(payload):
    ratings = _by_key(payload, "ratings")
    approach_of = {k: m["approach"] for k, m in _by_key(payload, "mapping").items()}
    approaches = {a["slug"]: a for a in payload["approaches"]}
    rows = list(csv.DictReader((SHARED / "llr_interventions.csv").open(encoding="utf-8")))
    for row in rows:
        key = ("crest-llr-2023", row["name"])
        stored = ratings[key]
        assert stored["evidence_rating"] == row["evidence_rating"], row["name"]
        assert stored["impact_rating"] == row["impact_rating"], row["name"]
        assert stored["abuse_focus"] == (row["abuse_focus"] or "not_stated")
        assert stored["note"] != row["notes"]
        approach = approaches[approach_of[key]]
        assert approach["prevention_level"] == row["prevention_level"], row["name"]
        assert approach["audience"] == row["audience"].split(";")
    assert sum(1 for r in payload["ratings"] if r["source"] == "crest-llr-2023") == len(rows)


@needs_shared
def test_sources_keep_their_published_names_and_years(payload):
    sources = {s["slug"]: s for s in payload["sources"]}
    for name, slug in WY_SOURCE_SLUGS.items():
        assert sources[slug]["name"] == name
        assert sources[slug]["reported_in_year"] == 2023
        assert "West Yorkshire" in sources[slug]["reported_in"]
    assert sources["welsh-government-2018"]["year"] == 2018
    assert sources["scottish-vru-2022"]["year"] == 2022
    assert sources["college-of-policing"]["year"] is None  # not stated
    crest = sources["crest-llr-2023"]
    assert (crest["publisher"], crest["year"]) == ("Crest Advisory", 2023)
