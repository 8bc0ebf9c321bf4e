"""`pathways assessment-summary` and `pathways standards-import`."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pathways.standards import services
from pathways.standards.models import Framework

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    from pathways.core.demo import load_demo

    settings.DEMO_PASSWORD = "demo-password-for-tests"
    load_demo(synthetic_services=2, users=False)


def _summary(name, capsys):
    call_command("assessment-summary", "--service", name, "--format", "json")
    return json.loads(capsys.readouterr().out)


def test_summary_prints_the_cardiff_worked_assessments(demo, capsys):
    clear = _summary("CLEAR (Change that Lasts Early Awareness Raising)", capsys)
    assert clear["framework"] == "vawdasv 2018" and clear["checklist"] == "commissioning"
    assert clear["status"] == "finalised"
    assert clear["counts"] == {
        "green": 12,
        "amber": 1,
        "red": 0,
        "not_applicable": 0,
        "not_rated": 0,
    }
    drive = _summary("drive (cardiff)", capsys)
    assert drive["checklist"] == "full"
    assert drive["counts"] == {
        "green": 37,
        "amber": 4,
        "red": 0,
        "not_applicable": 2,
        "not_rated": 1,
    }


def test_unknown_ambiguous_and_unassessed_names_are_clear_errors(demo, make_service):
    with pytest.raises(CommandError, match="No service is called “Nowhere”"):
        call_command("assessment-summary", "--service", "Nowhere")
    make_service("Drive (Elsewhere)")
    with pytest.raises(CommandError, match="matches 2 services"):
        call_command("assessment-summary", "--service", "Drive")
    with pytest.raises(CommandError, match="has not been assessed"):
        call_command("assessment-summary", "--service", "Drive (Elsewhere)")


def test_import_is_all_or_nothing_with_clear_errors(reference, tmp_path, capsys):
    payload = json.loads((services.FIXTURES / "csaap_2021.json").read_text())
    payload["framework"].update(version="2030", year=2030)
    good = tmp_path / "csaap_2030.json"
    good.write_text(json.dumps(payload))
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    with pytest.raises(CommandError) as exc:
        call_command("standards-import", str(good), str(bad))
    assert "Nothing was imported" in str(exc.value) and "not valid JSON (line 1" in str(exc.value)
    assert not Framework.objects.filter(version="2030").exists()
    call_command("standards-import", str(good))
    assert "csaap 2030 created" in capsys.readouterr().out
    call_command("standards-import", str(good))
    assert "csaap 2030 unchanged" in capsys.readouterr().out
