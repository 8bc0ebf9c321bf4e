"""Recency-frequency-gravity scoring against a hand-written DuckDB query, same data, same run.

    python -m bench.rfg rfg --out F [--rounds N]   (run by bench.run in its own process)
    python -m bench.rfg memory --engine polars|duckdb --parquet P --as-of D --out F

Both sides start from the same frame: every synthetic incident in the bench database,
loaded by the project's selector (`panels.selectors.incident_frame`, one `.values_list`
query into Polars). DuckDB gets that frame through a Parquet file before any timing. Then,
in interleaved rounds, the project's `panels.rfg.score` and the DuckDB SQL below each
compute the documented default formula (docs/panels-rfg.md); the figure is the ratio of
their median times (goal <= 1.5). Every person's rank, RFG and four components must be
identical. Peak memory is measured for each engine alone, in a fresh process that loads the
same incidents from Parquet and scores them once (VmHWM of the process, and how much of it
came above the loaded data). Loading from the database and a full stored run
(`panels.services.rfg_score_run`) for the largest force area are reported beside, without
goals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VAR = Path(__file__).resolve().parent.parent / "var"
ENGINES = ("polars", "duckdb")


# --------------------------------------------------------------------------------------
# Runner side (bench.run): start the task, turn its result into figures
# --------------------------------------------------------------------------------------


def figures(
    task: Callable[..., dict[str, Any]], database_url: str, *, smoke: bool, goal: float
) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """Figure dicts for bench.run, the raw result, and a problem ("" when scores agree)."""
    result = task("rfg", database_url, "--rounds", "1" if smoke else "3", module="bench.rfg")
    name = f"recency-frequency-gravity scoring of {result.get('incidents', 0):,} incidents"
    if "not_measured" in result:
        return (
            [
                {
                    "name": f"{name}: ratio to DuckDB",
                    "value": None,
                    "unit": "ratio",
                    "goal": f"<= {goal:g}",
                    "met": None,
                    "note": f"not measured: {result['not_measured']}",
                }
            ],
            result,
            "",
        )
    identical = result["differing"] == 0
    ratio = result["ratio"]
    out = [
        {
            "name": f"{name}: ratio to DuckDB",
            "value": round(ratio, 3),
            "unit": "ratio",
            "goal": f"<= {goal:g}",
            "met": identical and ratio <= goal,
            "note": (
                f"Polars {result['polars_s']:.3f} s vs DuckDB {result['duckdb_s']:.3f} s, "
                f"median of {result['rounds']}; {result['perpetrators']:,} people scored"
            ),
        },
        {
            "name": "recency-frequency-gravity: people scored differently from DuckDB",
            "value": result["differing"],
            "unit": "people",
            "goal": "= 0",
            "met": identical,
            "note": "rank, RFG and the four components, person by person",
        },
        *(
            {
                "name": f"recency-frequency-gravity scoring ({label}): peak memory of the process",
                "value": round(result["memory"][engine]["process_peak_mb"], 1),
                "unit": "MB",
                "goal": None,
                "met": None,
                "note": "a fresh process that loads the incidents from Parquet and scores "
                f"once; {result['memory'][engine]['above_loaded_mb']:.0f} MB of it above the "
                "loaded data",
            }
            for engine, label in (("polars", "Polars"), ("duckdb", "DuckDB"))
        ),
        {
            "name": "recency-frequency-gravity: loading the incidents from the database",
            "value": round(result["load_s"], 2),
            "unit": "s",
            "goal": None,
            "met": None,
            "note": f"one .values_list query into Polars; peak {result['load_peak_mb']:.0f} MB",
        },
        {
            "name": f"recency-frequency-gravity: stored run for {result['run_area']}",
            "value": round(result["run_s"], 2),
            "unit": "s",
            "goal": None,
            "met": None,
            "note": f"rfg_score_run: {result['run_incidents']:,} incidents, "
            f"{result['run_people']:,} scores stored",
        },
    ]
    problem = (
        ""
        if identical
        else f"{result['differing']} people scored differently by Polars and DuckDB, "
        f"for example {result['examples']}"
    )
    return out, result, problem


# --------------------------------------------------------------------------------------
# Task side: inside Django
# --------------------------------------------------------------------------------------


def duckdb_sql(config: Any, as_of: dt.date) -> str:
    """The documented default formula, written by hand for DuckDB, in exact integers."""
    w, fc, gc, vc = (
        config.window_days,
        config.frequency_cap,
        config.gravity_cap_hundredths,
        config.victims_cap,
    )
    big = config.denominator
    start = config.window_start(as_of)
    # Every value below comes from the configuration (integers and dates), never from input.
    return f"""
    WITH people AS (
        SELECT i.perpetrator_id,
               count(*) AS incidents,
               max(i.date) AS latest,
               sum(w.weight) AS weight,
               count(DISTINCT CASE WHEN trim(i.victim_id) <> '' THEN i.victim_id END) AS victims
        FROM incidents i JOIN weights w ON w.category = i.category
        WHERE i.date BETWEEN DATE '{start.isoformat()}' AND DATE '{as_of.isoformat()}'
        GROUP BY i.perpetrator_id
    ), parts AS (
        SELECT perpetrator_id, latest,
               greatest({w} - (DATE '{as_of.isoformat()}' - latest), 0) AS r,
               least(incidents, {fc}) AS f,
               least(weight, {gc}) AS g,
               least(greatest(victims - 1, 0), {vc}) AS v
        FROM people
    ), scored AS (
        SELECT perpetrator_id, latest, g,
               (2 * ({config.recency_max} * {big // w} * r
                     + {config.frequency_max} * {big // fc} * f
                     + {config.gravity_max} * {big // gc} * g
                     + {config.victims_max} * {big // vc} * v) + {big}) // {2 * big} AS rfg,
               (200 * {config.recency_max} * r + {w}) // {2 * w} AS recency,
               (200 * {config.frequency_max} * f + {fc}) // {2 * fc} AS frequency,
               (200 * {config.gravity_max} * g + {gc}) // {2 * gc} AS gravity,
               (200 * {config.victims_max} * v + {vc}) // {2 * vc} AS victims
        FROM parts
    )
    SELECT row_number() OVER (
               ORDER BY rfg DESC, {config.gravity_max} * g DESC, latest DESC, perpetrator_id
           ) AS rank,
           perpetrator_id, rfg, recency, frequency, gravity, victims
    FROM scored
    """  # noqa: S608


def _peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run fn once: its result, seconds, and the peak resident memory (MB) above what the
    process held when it started. (tracemalloc would not do: Polars and DuckDB allocate
    natively, out of its sight.)"""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        base = _rss_kb()
    except OSError:
        base = -1
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    peak = (_peak_rss_kb() - base) / 1024 if base >= 0 else float("nan")
    return result, seconds, peak


def memory_task(engine: str, parquet: str, as_of: dt.date) -> dict[str, Any]:
    """In a fresh process: load the incidents from Parquet into one engine, then score them
    once. Peak resident memory of the whole process, and above the data once loaded."""
    import polars as pl

    from pathways.panels import rfg

    config = rfg.DEFAULT_CONFIG
    if engine == "polars":
        frame = pl.read_parquet(parquet)

        def compute() -> Any:
            return rfg.score(frame, as_of=as_of, config=config).height

    else:
        import duckdb

        con = duckdb.connect()
        con.execute(f"CREATE TABLE incidents AS SELECT * FROM read_parquet('{parquet}')")  # noqa: S608
        con.execute("CREATE TABLE weights (category VARCHAR, weight BIGINT)")
        con.executemany(
            "INSERT INTO weights VALUES (?, ?)", list(config.weights_in_hundredths.items())
        )
        sql = duckdb_sql(config, as_of)

        def compute() -> Any:
            con.execute(f"CREATE OR REPLACE TEMP TABLE scores AS {sql}")  # noqa: S608
            return con.execute("SELECT count(*) FROM scores").fetchone()

    loaded_kb = _rss_kb()
    _result, seconds, above = measured(compute)
    return {
        "process_peak_mb": _peak_rss_kb() / 1024,
        "above_loaded_mb": above,
        "loaded_mb": loaded_kb / 1024,
        "seconds": seconds,
    }


def _memory_in_fresh_process(engine: str, parquet: Path, as_of: dt.date) -> dict[str, Any]:
    import subprocess
    import sys

    out = VAR / f"bench-rfg-memory-{engine}.json"
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "bench.rfg",
            "memory",
            "--engine",
            engine,
            "--parquet",
            str(parquet),
            "--as-of",
            as_of.isoformat(),
            "--out",
            str(out),
        ],
        check=True,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink(missing_ok=True)
    return result


def run_task(rounds: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    import duckdb
    import polars as pl
    from django.db.models import Count

    from pathways.areas.models import Area
    from pathways.panels import rfg
    from pathways.panels.models import Incident
    from pathways.panels.selectors import incident_frame
    from pathways.panels.services import rfg_score_run

    config = rfg.DEFAULT_CONFIG
    latest = Incident.objects.order_by("-occurred_on").values_list("occurred_on", flat=True).first()
    if latest is None:
        return {"not_measured": "no incidents in the bench database (pathways synth makes them)"}
    as_of = latest  # the synthetic data's own "today"

    frame, load_s, load_peak = measured(lambda: incident_frame(area_ids=None))
    parquet = VAR / "bench-rfg-incidents.parquet"
    frame.write_parquet(parquet)
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE TABLE incidents AS SELECT * FROM read_parquet('{parquet}')")  # noqa: S608
    con.execute("CREATE TABLE weights (category VARCHAR, weight BIGINT)")
    con.executemany("INSERT INTO weights VALUES (?, ?)", list(config.weights_in_hundredths.items()))
    sql = duckdb_sql(config, as_of)

    def polars_side() -> Any:
        return rfg.score(frame, as_of=as_of, config=config)

    def duckdb_side() -> Any:
        # Materialised in DuckDB (no conversion to Python objects), as Polars leaves a frame.
        con.execute(f"CREATE OR REPLACE TEMP TABLE scores AS {sql}")  # noqa: S608
        return con.execute("SELECT count(*) FROM scores").fetchone()

    # Memory: each engine on its own in a fresh process, from the same Parquet file.
    memory = {engine: _memory_in_fresh_process(engine, parquet, as_of) for engine in ENGINES}
    parquet.unlink(missing_ok=True)
    polars_side()  # warm both
    duckdb_side()
    polars_times, duck_times = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        scored = polars_side()
        polars_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        duckdb_side()
        duck_times.append(time.perf_counter() - started)

    ours = scored.select(
        "rank",
        "perpetrator_id",
        "rfg",
        *[(pl.col(c) * 100).cast(pl.Int64).alias(c) for c in ("recency", "frequency", "gravity")],
        (pl.col("victims") * 100).cast(pl.Int64).alias("victims"),
    ).rows()
    theirs = con.execute(
        "SELECT rank, perpetrator_id, rfg, recency, frequency, gravity, victims "
        "FROM scores ORDER BY rank"
    ).fetchall()
    differing = [a for a, b in zip(ours, theirs, strict=False) if tuple(a) != tuple(b)]
    differing_count = len(differing) + abs(len(ours) - len(theirs))

    # The stored path end to end, for the force area with most incidents.
    top = (
        Incident.objects.values("area_id").annotate(n=Count("id")).order_by("-n", "area_id").first()
    )
    area = Area.objects.get(pk=top["area_id"]) if top else None
    run_s = 0.0
    run_incidents = run_people = 0
    if area is not None:
        started = time.perf_counter()
        run = rfg_score_run(actor=None, area=area, as_of=as_of)
        run_s = time.perf_counter() - started
        run_incidents, run_people = run.incidents_considered, run.perpetrators_scored

    polars_s = statistics.median(polars_times)
    duckdb_s = statistics.median(duck_times)
    return {
        "incidents": frame.height,
        "perpetrators": len(ours),
        "as_of": as_of.isoformat(),
        "rounds": rounds,
        "polars_s": polars_s,
        "duckdb_s": duckdb_s,
        "polars_times": polars_times,
        "duckdb_times": duck_times,
        "ratio": polars_s / duckdb_s if duckdb_s else float("inf"),
        "differing": differing_count,
        "examples": [list(map(str, row)) for row in differing[:3]],
        "memory": memory,
        "load_s": load_s,
        "load_peak_mb": load_peak,
        "run_area": area.slug if area else "",
        "run_s": run_s,
        "run_incidents": run_incidents,
        "run_people": run_people,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["rfg", "memory"])
    parser.add_argument("--out", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engine", choices=ENGINES, default="polars")
    parser.add_argument("--parquet", default="")
    parser.add_argument("--as-of", default="")
    args = parser.parse_args()
    if args.task == "memory":
        result = memory_task(args.engine, args.parquet, dt.date.fromisoformat(args.as_of))
    else:
        result = run_task(max(1, args.rounds))
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
