"""Synthetic police incidents: deterministic, labelled, scorable, written in bulk or as CSV."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter

import pytest
from django.core.management import call_command

from pathways.panels import rfg
from pathways.panels.incident_files import parse_incidents
from pathways.panels.models import Incident, IncidentImport
from pathways.synth.incidents import force_areas, write_incidents_csv
from pathways.synth.plan import SCALES, build_plan
from pathways.synth.write import synth_write

AS_OF = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def digest(plan, limit: int | None = None) -> str:
    h = hashlib.sha256()
    for n, row in enumerate(plan.incidents()):
        if limit is not None and n >= limit:
            break
        h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def test_same_seed_and_date_make_the_same_incidents():
    first = build_plan(scale="small", seed=4, as_of=AS_OF)
    second = build_plan(scale="small", seed=4, as_of=AS_OF)
    assert digest(first) == digest(second)
    assert digest(first) != digest(build_plan(scale="small", seed=5, as_of=AS_OF))


def test_national_scale_makes_a_million_incidents_deterministically():
    assert SCALES["national"].incidents == 1_000_000
    plan = build_plan(scale="national", seed=3, as_of=AS_OF)
    assert digest(plan, 20_000) == digest(build_plan(scale="national", seed=3, as_of=AS_OF), 20_000)
    assert len(force_areas(plan)) == 43


def test_small_scale_incidents_look_like_a_police_extract():
    plan = build_plan(scale="small", seed=1, as_of=AS_OF)
    rows = list(plan.incidents())
    assert len(rows) == SCALES["small"].incidents
    assert len({r.incident_ref for r in rows}) == len(rows)
    assert {r.area for r in rows} == {"west-yorkshire-police", "llr", "south-wales-police"}
    assert {r.category for r in rows} <= set(rfg.DEFAULT_CONFIG.gravity_table)
    assert all(r.perpetrator_ref.startswith("SYN-P") for r in rows)
    assert all(r.victim_ref == "" or r.victim_ref.startswith("SYN-V") for r in rows)
    today = AS_OF.date()
    assert all(today - dt.timedelta(days=1_100) <= r.occurred_on <= today for r in rows)
    per_person = Counter(r.perpetrator_ref for r in rows)
    # Most people have one or two incidents; a few are serial.
    assert sum(1 for n in per_person.values() if n <= 2) > 0.6 * len(per_person)
    assert max(per_person.values()) >= 15


def test_the_csv_is_a_file_rfg_score_reads(tmp_path):
    plan = build_plan(scale="small", seed=1, as_of=AS_OF)
    out = io.StringIO()
    assert write_incidents_csv(plan, out) == 5_000
    parsed = parse_incidents(out.getvalue().encode(), categories=rfg.DEFAULT_CONFIG.gravity_table)
    assert parsed.errors == []
    assert parsed.total_rows == 5_000
    assert rfg.score(parsed.frame(), as_of=AS_OF.date()).height > 500


def test_the_synth_command_writes_the_csv_and_touches_no_database(tmp_path, capsys):
    path = tmp_path / "incidents.csv"
    call_command(
        "synth", "--scale", "small", "--seed", "2", "--as-of", "2026-06-01",
        "--incidents-csv", str(path),
    )  # fmt: skip
    assert "Wrote 5000 synthetic incidents" in capsys.readouterr().out
    assert path.read_text().splitlines()[0] == (
        "perpetrator_id,victim_id,date,category,domestic_abuse,incident_ref,area"
    )


@pytest.mark.django_db
def test_written_incidents_are_stored_under_one_synthetic_import_per_force():
    plan = build_plan(scale="small", seed=5, as_of=AS_OF)
    report = synth_write(plan)
    assert report.counts["incidents"] == Incident.objects.count() == 5_000
    imports = IncidentImport.objects.all()
    assert imports.count() == 3
    assert all(i.is_synthetic and i.status == "succeeded" for i in imports)
    assert sum(i.created_count for i in imports) == 5_000
    first = next(plan.incidents())
    stored = Incident.objects.get(incident_ref=first.incident_ref)
    assert (stored.perpetrator_ref, stored.occurred_on, stored.category) == (
        first.perpetrator_ref,
        first.occurred_on,
        first.category,
    )
    assert stored.area.slug == first.area
