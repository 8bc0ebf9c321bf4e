"""The bundled frameworks and worked assessments: complete, cited, and true to the sources."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pathways.core.demo import load_demo
from pathways.standards import selectors, services
from pathways.standards.models import Assessment, Checklist, Framework, Item

FIXTURES = Path(services.__file__).resolve().parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
YAML_IDS = {
    "home-office": "home-office-2023",
    "vawdasv": "vawdasv-2018",
    "csaap": "csaap",
    "respect": "respect-principles",
}
SERVICE_REFS = {"CLEAR": "cv-clear", "Drive": "cv-drive"}
YAML_STATUS = {"na": "not_applicable", "blank": "not_rated"}


def _fixture(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_every_framework_fixture_is_valid_and_cites_its_source():
    for name in services.FRAMEWORK_FIXTURES:
        payload = _fixture(name)
        assert services.framework_validate(payload) == [], name
        fw = payload["framework"]
        assert str(fw["year"]) in fw["source"] or fw["slug"] == "csaap", name
        assert fw["publisher"] and fw["title"]


def test_all_four_frameworks_load_with_their_structure(reference):
    assert set(Framework.objects.values_list("slug", flat=True)) == set(YAML_IDS)
    home_office = Framework.objects.get(slug="home-office")
    standards = Item.objects.filter(framework=home_office, parent__isnull=True)
    assert [i.code for i in standards] == ["1", "2", "3", "4", "5", "6", "7"]
    assert Item.objects.filter(framework=home_office).count() == 44
    vawdasv = Framework.objects.get(slug="vawdasv")
    assert Item.objects.filter(framework=vawdasv, parent__isnull=True).count() == 23
    checklists = {c.key: c.questions.count() for c in Checklist.objects.filter(framework=vawdasv)}
    assert checklists == {"full": 44, "commissioning": 13}
    # Frameworks without a published checklist rate their leaf items.
    derived = Checklist.objects.get(framework=home_office, key=Checklist.DERIVED_KEY)
    assert derived.questions.count() == 37


def test_grouped_codes_keep_their_membership_of_the_full_checklist(reference):
    item = Item.objects.get(framework__slug="vawdasv", code="4.iv")
    assert sorted(q.key for q in item.questions.all()) == [
        "4.iv-need",
        "4.iv-responsibility",
        "4.iv-risk",
    ]


def test_loading_reference_twice_changes_nothing(reference):
    counts = (Framework.objects.count(), Item.objects.count())
    assert services.frameworks_load_reference() == 0
    assert (Framework.objects.count(), Item.objects.count()) == counts


@pytest.fixture
def demo(db, settings):
    settings.DEMO_PASSWORD = "demo-password-for-tests"
    return load_demo(synthetic_services=3)


def _expected_counts_from_fixture():
    out = {}
    for spec in _fixture("cardiff_assessments_2020.json")["assessments"]:
        counts = dict.fromkeys(["green", "amber", "red", "not_applicable", "not_rated"], 0)
        counts.update(Counter(r["status"] for r in spec["ratings"]))
        out[spec["service_ref"]] = counts
    return out


def test_cardiff_worked_assessments_reproduce_their_published_counts(demo):
    expected = _expected_counts_from_fixture()
    assert expected["cv-clear"] == {
        "green": 12,
        "amber": 1,
        "red": 0,
        "not_applicable": 0,
        "not_rated": 0,
    }
    assert expected["cv-drive"] == {
        "green": 37,
        "amber": 4,
        "red": 0,
        "not_applicable": 2,
        "not_rated": 1,
    }
    for ref, counts in expected.items():
        assessment = Assessment.objects.get(service__external_ref=ref)
        assert (
            selectors.assessment_counts(
                selectors.with_counts(Assessment.objects.filter(pk=assessment.pk)).get()
            )
            == counts
        )
        assert assessment.status == "finalised" and assessment.outcome == "meets"
    assert Assessment.objects.get(service__external_ref="cv-clear").checklist.key == "commissioning"
    assert Assessment.objects.get(service__external_ref="cv-drive").checklist.key == "full"


def test_demo_assessments_load_once(demo):
    assert services.standards_load_demo() == {"assessments": 0, "tier_definitions": 0}
    assert Assessment.objects.count() == 2


@pytest.mark.skipif(
    not SHARED.exists(), reason="the published data folder is not beside this clone"
)
def test_fixture_codes_match_the_published_frameworks():
    yaml = pytest.importorskip("yaml")
    source = {
        f["id"]: f for f in yaml.safe_load((SHARED / "standards_frameworks.yaml").read_text())
    }
    for name in services.FRAMEWORK_FIXTURES:
        payload = _fixture(name)
        published = source[YAML_IDS[payload["framework"]["slug"]]]
        assert payload["framework"]["year"] == published["year"]
        ours = [(i["code"], i["parent"]) for i in payload["items"]]
        assert ours == [(i["code"], i["parent"]) for i in published["items"]], name
        if "commissioning_checklist" in published:
            commissioning = next(c for c in payload["checklists"] if c["key"] == "commissioning")
            assert [q["key"] for q in commissioning["questions"]] == [
                q["key"] for q in published["commissioning_checklist"]
            ]


@pytest.mark.skipif(
    not SHARED.exists(), reason="the published data folder is not beside this clone"
)
def test_cardiff_fixture_statuses_match_the_published_tables():
    yaml = pytest.importorskip("yaml")
    published = yaml.safe_load((SHARED / "assessments_cardiff.yaml").read_text())
    ours = {a["service_ref"]: a for a in _fixture("cardiff_assessments_2020.json")["assessments"]}
    expected = _expected_counts_from_fixture()
    for spec in published["assessments"]:
        mine = ours[SERVICE_REFS[spec["service"]]]
        assert [r["status"] for r in mine["ratings"]] == [
            YAML_STATUS.get(i["status"], i["status"]) for i in spec["items"]
        ]
        summary = published["summary"][spec["service"]]
        assert summary["checklist"] == mine["checklist"]
        counts = expected[mine["service_ref"]]
        assert summary["items"] == sum(counts.values())
        for key in ("green", "amber", "red"):
            assert summary[key] == counts[key]
        assert summary["na"] == counts["not_applicable"]
        assert summary["blank"] == counts["not_rated"]
    full = next(c for c in _fixture("vawdasv_2018.json")["checklists"] if c["key"] == "full")
    drive = next(a for a in published["assessments"] if a["service"] == "Drive")
    assert [q["codes"] for q in full["questions"]] == [i["codes"] for i in drive["items"]]
