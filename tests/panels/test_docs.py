"""docs/panels-rfg.md and the code agree on the default gravity table and settings."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pathways.panels import rfg

DOC = Path(__file__).resolve().parents[2] / "docs" / "panels-rfg.md"


def test_the_documented_gravity_table_is_the_default_one():
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \| (\d+) \| ([^|]+) \|$", DOC.read_text(), re.M)
    assert [(code, label.strip(), int(weight)) for code, label, weight, _why in rows] == [
        (c.code, c.label, c.weight) for c in rfg.DEFAULT_GRAVITY
    ]


def test_the_documented_configuration_is_valid_and_the_default_settings():
    text = DOC.read_text()
    block = text.split("## The configuration a partnership owns", 1)[1]
    shown = json.loads(block.split("```json", 1)[1].split("```", 1)[0])
    config = rfg.ScoringConfig.from_json(shown)
    defaults = rfg.DEFAULT_CONFIG.to_json()
    assert {k: v for k, v in config.to_json().items() if k != "gravity_table"} == {
        k: v for k, v in defaults.items() if k != "gravity_table"
    }


def test_the_disclaimer_is_there():
    assert "not any police force's\nofficial matrix" in DOC.read_text()
