"""`pathways rfg-score` (no database), `rfg-import` and `rfg-run`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from pathways.panels.models import Incident, RFGScoreRun

from .files import csv_bytes, xlsx_bytes

EXTRACT = csv_bytes(
    "P1,V1,2025-03-09,abh,x",
    "P1,V2,2025-03-03,Stalking,y",
    "P1,V3,2023-04-22,homicide_or_attempt,",
    "P2,V9,2025-06-01,abh,",
    "P3,V4,2025-06-02,abh,",
    header="perpetrator_id,victim_id,date,category,station",
)


@pytest.fixture
def extract(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_bytes(EXTRACT)
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("rfg-score", *args, stdout=out)
    return out.getvalue()


def test_scores_a_file_as_csv_in_rank_order(extract):
    out = run("--incidents", str(extract), "--as-of", "2025-06-01")
    assert out.splitlines() == [
        "perpetrator_id,rfg,recency,frequency,gravity,victims,incidents",
        "P1,47,26.55,6.00,11.00,3.33,2",
        "P2,38,30.00,3.00,5.00,0.00,1",
    ]


def test_scores_a_file_as_json_with_the_documented_keys(extract):
    out = json.loads(run("--incidents", str(extract), "--as-of", "2025-06-01", "--format", "json"))
    assert out == [
        {
            "perpetrator_id": "P1",
            "rfg": 47,
            "recency": 26.55,
            "frequency": 6.0,
            "gravity": 11.0,
            "victims": 3.33,
            "incidents": 2,
        },
        {
            "perpetrator_id": "P2",
            "rfg": 38,
            "recency": 30.0,
            "frequency": 3.0,
            "gravity": 5.0,
            "victims": 0.0,
            "incidents": 1,
        },
    ]


def test_top_keeps_the_first_n(extract):
    out = json.loads(
        run("--incidents", str(extract), "--as-of", "2025-06-01", "--format", "json", "--top", "1")
    )
    assert [r["perpetrator_id"] for r in out] == ["P1"]


def test_a_gravity_file_replaces_the_default_table(extract, tmp_path):
    gravity = tmp_path / "gravity.csv"
    gravity.write_text(
        "category,weight,note\nABH,50,ours\nstalking,1.5,\nHomicide or attempt,30,\n"
    )
    out = list(
        csv.DictReader(
            io.StringIO(
                run("--incidents", str(extract), "--as-of", "2025-06-01", "--gravity", str(gravity))
            )
        )
    )
    # P2: one ABH weighing 50 on T: 30 + 3 + 25 + 0 = 58. P1: weights 51.5: gravity 25.75;
    # 26.5479 + 6 + 25.75 + 3.3333 = 61.63 -> 62.
    assert [(r["perpetrator_id"], r["rfg"], r["gravity"]) for r in out] == [
        ("P1", "62", "25.75"),
        ("P2", "58", "25.00"),
    ]


def test_a_gravity_file_without_a_category_in_the_incidents_is_refused(extract, tmp_path):
    gravity = tmp_path / "gravity.csv"
    gravity.write_text("category,weight\nabh,1\n")
    with pytest.raises(CommandError, match="row 3, category: 'Stalking' is not a category"):
        run("--incidents", str(extract), "--as-of", "2025-06-01", "--gravity", str(gravity))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("category,weight\nabh,heavy\n", "row 2, weight: enter a weight from 0"),
        ("category,weight\nabh,1\nABH,2\n", "row 3, category: 'ABH' is already listed on row 2"),
        ("name,weight\nabh,1\n", "needs one 'category' column"),
        ("category,weight\n", "lists no categories"),
    ],
)
def test_a_bad_gravity_file_says_what_is_wrong(extract, tmp_path, text, message):
    gravity = tmp_path / "gravity.csv"
    gravity.write_text(text)
    with pytest.raises(CommandError, match=message):
        run("--incidents", str(extract), "--as-of", "2025-06-01", "--gravity", str(gravity))


def test_an_xlsx_file_scores_the_same_as_csv(tmp_path):
    path = tmp_path / "incidents.xlsx"
    path.write_bytes(
        xlsx_bytes([["P1", "V1", "2025-03-09", "abh"], ["P1", "V2", "2025-03-03", "stalking"]])
    )
    assert run("--incidents", str(path), "--as-of", "2025-06-01").splitlines()[1] == (
        "P1,47,26.55,6.00,11.00,3.33,2"
    )


def test_a_configuration_file_sets_the_window(extract, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"window_days": 30}))
    out = run("--incidents", str(extract), "--as-of", "2025-06-01", "--config", str(config))
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == ["P2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "01/06/2025"], "--as-of must be a date written YYYY-MM-DD"),
        (["--as-of", "2025-06-01", "--top", "0"], "--top must be 1 or more"),
        (["--as-of", "2025-06-01", "--gravity", "/nonexistent.csv"], "Cannot read the gravity"),
        (["--as-of", "2025-06-01", "--config", "/nonexistent.json"], "Cannot read the config"),
    ],
)
def test_bad_options_are_refused_plainly(extract, args, message):
    with pytest.raises(CommandError, match=message):
        run("--incidents", str(extract), *args)


def test_a_bad_incident_file_is_refused_with_its_row_errors(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("P1,V1,2025-13-01,abh", ",V1,2025-01-01,abh"))
    with pytest.raises(CommandError) as caught:
        run("--incidents", str(path), "--as-of", "2025-06-01")
    assert str(caught.value).splitlines() == [
        f"The incidents file {path} cannot be used; nothing was scored:",
        "  row 2, date: enter the date as YYYY-MM-DD or DD/MM/YYYY",
        "  row 3, perpetrator_id: enter the perpetrator's pseudonymised id",
    ]


def test_from_the_shell_a_bad_file_exits_non_zero_without_a_traceback(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\x00\x01 not incidents")
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "pathways",
            "rfg-score",
            "--incidents",
            str(path),
            "--as-of",
            "2025-06-01",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "this is not a CSV or XLSX file" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_file_command_touches_no_database(extract, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        run("--incidents", str(extract), "--as-of", "2025-06-01")


# --------------------------------------------------------------------------------------
# rfg-import and rfg-run
# --------------------------------------------------------------------------------------


def test_import_then_run_from_the_command_line(leeds, extract):
    out = io.StringIO()
    call_command("rfg-import", str(extract), "--area", "leeds", stdout=out)
    assert "5 rows, 5 new, 0 already present" in out.getvalue()
    out = io.StringIO()
    call_command("rfg-import", str(extract), "--area", "leeds", stdout=out)
    assert "5 rows, 0 new, 5 already present" in out.getvalue()
    assert Incident.objects.count() == 5
    out = io.StringIO()
    call_command("rfg-run", "--area", "leeds", "--as-of", "2025-06-01", stdout=out)
    text = out.getvalue()
    assert "Scored 2 people from 3 incidents in Leeds at 2025-06-01" in text
    assert "   1  P1                   RFG  47" in text
    assert RFGScoreRun.objects.count() == 1


def test_import_command_reports_row_errors(leeds, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("P1,V1,2025-01-01,burglary"))
    with pytest.raises(CommandError, match="row 2, category: 'burglary' is not a category"):
        call_command("rfg-import", str(path), "--area", "leeds")
    with pytest.raises(CommandError, match="No area 'atlantis'"):
        call_command("rfg-import", str(path), "--area", "atlantis")
