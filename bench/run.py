"""`make bench`: generate a dataset, serve it, measure, write bench/results.json.

    python -m bench.run                      national scale, SQLite in var/bench*.sqlite3
    python -m bench.run --smoke              tiny scale, short runs; asserts it ran and agrees
    DATABASE_URL=postgres://… python -m bench.run
                                             PostgreSQL: databases <name>_bench… beside <name>

The developer's database is never touched: SQLite runs use var/bench*.sqlite3, PostgreSQL
runs make and drop their own databases named after DATABASE_URL's with a `_bench` suffix.
Throughput is a ratio to a bare Django JSON view served by the same gunicorn in the same
run, measured in interleaved rounds, because this machine is shared and absolute numbers
drift. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from . import rfg as rfg_bench
from .load import LoadResult, percentile, run_load

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

# Goals from issue #9.
API_RATIO_GOAL = 0.3
HTML_RATIO_GOAL = 0.2
MATCH_P95_GOAL_MS = 50.0
MATRIX_GOAL_S = 1.0
RFG_RATIO_GOAL = 1.5
DASHBOARD_P95_GOAL_MS = 500.0


@dataclass
class Figure:
    name: str
    value: Any
    unit: str
    goal: str | None
    met: bool | None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "goal": self.goal,
            "met": self.met,
        }
        if self.note:
            out["note"] = self.note
        return out


def not_measured(name: str, unit: str, goal: str | None, why: str) -> Figure:
    return Figure(name, None, unit, goal, None, f"not measured: {why}")


def say(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------


class Databases:
    """The bench's own databases: `main` (the scale measured), `q1` and `q10` (1x and 10x
    of the small scale, for query counts). SQLite files, or PostgreSQL databases."""

    def __init__(self, base_url: str, prefix: str):
        self.base_url = base_url
        self.prefix = prefix
        self.postgres = base_url.startswith(("postgres://", "postgresql://", "pgsql://"))

    def url(self, name: str) -> str:
        if self.postgres:
            parts = urlsplit(self.base_url)
            db = parts.path.lstrip("/") or "pathways"
            return urlunsplit(parts._replace(path=f"/{db}_{self.prefix}_{name}"))
        return f"sqlite:///{VAR / f'{self.prefix}-{name}.sqlite3'}"

    def fresh(self, names: list[str]) -> None:
        """Migrate an empty database once, then copy it for each name."""
        if self.postgres:
            self._pg(f'DROP DATABASE IF EXISTS "{self._db("empty")}"')
            self._pg(f'CREATE DATABASE "{self._db("empty")}"')
        else:
            VAR.mkdir(exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(str(VAR / f"{self.prefix}-empty.sqlite3") + suffix).unlink(missing_ok=True)
        django(["migrate", "--noinput", "-v0"], self.url("empty"))
        django(["createcachetable"], self.url("empty"))
        for name in names:
            if self.postgres:
                self._pg(f'DROP DATABASE IF EXISTS "{self._db(name)}"')
                self._pg(f'CREATE DATABASE "{self._db(name)}" TEMPLATE "{self._db("empty")}"')
            else:
                target = VAR / f"{self.prefix}-{name}.sqlite3"
                for suffix in ("-wal", "-shm"):
                    Path(str(target) + suffix).unlink(missing_ok=True)
                shutil.copyfile(VAR / f"{self.prefix}-empty.sqlite3", target)

    def _db(self, name: str) -> str:
        return urlsplit(self.url(name)).path.lstrip("/")

    def _pg(self, sql: str) -> None:
        import psycopg

        parts = urlsplit(self.base_url)
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


def bench_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        PATHWAYS_ENV="development",
        PATHWAYS_DEBUG="0",
        PATHWAYS_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src"), env.get("PYTHONPATH", "")]),
    )
    return env


def django(argv: list[str], database_url: str) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [PYTHON, "-m", "pathways", *argv], cwd=ROOT, env=bench_env(database_url), check=True
    )
    return time.perf_counter() - started


def task(name: str, database_url: str, *extra: str, module: str = "bench.tasks") -> dict[str, Any]:
    out = VAR / f"bench-task-{name}.json"
    out.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [PYTHON, "-m", module, name, "--out", str(out), *extra],
        cwd=ROOT,
        env=bench_env(database_url),
        check=True,
    )
    return json.loads(out.read_text())


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn, as production would run it: one worker per core, a few threads each."""

    def __init__(self, database_url: str, workers: int, threads: int):
        self.port = free_port()
        (VAR / "static").mkdir(parents=True, exist_ok=True)  # STATIC_ROOT; whitenoise warns
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
            [
                GUNICORN,
                "bench.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--worker-class",
                "gthread",
                "--threads",
                str(threads),
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=bench_env(database_url),
            start_new_session=True,
        )
        self._wait()

    def _wait(self) -> None:
        import http.client

        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited on start")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/bench/floor/")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def worker_peak_rss_mb(self) -> float:
        """The largest peak resident memory (VmHWM) of any worker, in MB."""
        peaks = []
        for child in (
            Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        ):
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks) if peaks else float("nan")

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGINT is gunicorn's quick shutdown: no waiting on idle keep-alive connections.
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --------------------------------------------------------------------------------------
# Throughput
# --------------------------------------------------------------------------------------


ENDPOINTS = [
    # key, label, ratio goal
    ("search", "directory search page (HTML)", HTML_RATIO_GOAL),
    ("oruk_services", "ORUK services list (API)", API_RATIO_GOAL),
    ("api_services", "internal services list (API)", API_RATIO_GOAL),
    ("front_door", "internal referrals list, front-door triage (HTML)", HTML_RATIO_GOAL),
]


def headers_for(spec: dict[str, Any], sessions: dict[str, Any]) -> dict[str, str] | None:
    user = spec.get("user")
    if user is None:
        return {"Accept": "*/*"}
    if user not in sessions:
        return None
    if spec.get("token"):
        return {"Authorization": f"Token {sessions[user]['token']}"}
    return {"Cookie": f"sessionid={sessions[user]['session']}"}


def measure_throughput(
    server: Server, setup: dict[str, Any], *, rounds: int, seconds: float, connections: int
) -> tuple[list[Figure], dict[str, Any]]:
    sessions = setup["sessions"]
    plans: dict[str, tuple[list[str], dict[str, str]]] = {
        "floor": (["/bench/floor/"], {"Accept": "*/*"})
    }
    skipped: dict[str, str] = {}
    for key, _label, _goal in ENDPOINTS:
        spec = setup["load"][key]
        headers = headers_for(spec, sessions)
        if headers is None:
            skipped[key] = f"no {spec['user']} user in the data"
            continue
        probe = run_load(
            host="127.0.0.1",
            port=server.port,
            urls=spec["urls"][:1],
            headers=headers,
            connections=1,
            seconds=0.05,
        )
        if probe.requests == 0:
            statuses = ", ".join(str(s) for s in sorted(probe.statuses)) or "no answer"
            skipped[key] = (
                "page not built yet (404)" if 404 in probe.statuses else f"answered {statuses}"
            )
            continue
        plans[key] = (spec["urls"], headers)
    totals = {key: LoadResult() for key in plans}
    # Warm every endpoint, then interleave: floor, a, b, c, floor, a, b, c, ...
    for urls, headers in plans.values():
        run_load(
            host="127.0.0.1",
            port=server.port,
            urls=urls,
            headers=headers,
            connections=connections,
            seconds=min(1.0, seconds),
        )
    for r in range(rounds):
        for key, (urls, headers) in plans.items():
            result = run_load(
                host="127.0.0.1",
                port=server.port,
                urls=urls,
                headers=headers,
                connections=connections,
                seconds=seconds,
            )
            totals[key].merge(result)
        say(
            f"  round {r + 1}/{rounds}: "
            + ", ".join(f"{k} {t.throughput:.0f}/s" for k, t in totals.items())
        )
    floor = totals["floor"].throughput
    figures = [
        Figure(
            "framework floor: bare Django JSON view, throughput",
            round(floor, 1),
            "req/s",
            None,
            None,
            f"gunicorn gthread, {connections} keep-alive connections; the reference for ratios",
        ),
        Figure(
            "framework floor: p50 latency",
            round(1000 * percentile(totals["floor"].latencies, 50), 2),
            "ms",
            None,
            None,
        ),
    ]
    raw: dict[str, Any] = {"floor_rps": floor}
    for key, label, goal in ENDPOINTS:
        if key in skipped:
            figures.append(
                not_measured(
                    f"{label}: throughput ratio to floor", "ratio", f">= {goal}", skipped[key]
                )
            )
            continue
        t = totals[key]
        ratio = t.throughput / floor if floor else 0.0
        raw[key] = {
            "rps": t.throughput,
            "requests": t.requests,
            "errors": t.errors,
            "statuses": t.statuses,
        }
        figures += [
            Figure(
                f"{label}: throughput ratio to floor",
                round(ratio, 3),
                "ratio",
                f">= {goal}",
                ratio >= goal,
                f"{t.throughput:.1f} req/s, {t.errors} errors",
            ),
            Figure(
                f"{label}: p50 latency",
                round(1000 * percentile(t.latencies, 50), 1),
                "ms",
                None,
                None,
            ),
            Figure(
                f"{label}: p95 latency",
                round(1000 * percentile(t.latencies, 95), 1),
                "ms",
                None,
                None,
            ),
        ]
    return figures, raw


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    VAR.mkdir(exist_ok=True)
    base = args.database_url or ""
    if args.smoke:
        base = ""  # the smoke run is SQLite always: it is part of make test
    dbs = Databases(base, "bench-smoke" if args.smoke else "bench")
    scale = "small" if args.smoke else args.scale
    figures: list[Figure] = []
    raw: dict[str, Any] = {
        "scale": scale,
        "seed": args.seed,
        "backend": "postgresql" if dbs.postgres else "sqlite",
    }

    say(f"Databases ({raw['backend']}): migrating")
    dbs.fresh(["main", "q1", "q10"])
    say(f"Generating {scale} data (seed {args.seed})")
    seconds = django(["synth", "--scale", scale, "--seed", str(args.seed)], dbs.url("main"))
    figures.append(
        Figure(
            f"synthetic data generation ({scale})",
            round(seconds, 1),
            "s",
            None,
            None,
            "pathways synth, bulk inserts",
        )
    )
    say("Generating 1x and 10x data for query counts (small scale)")
    django(["synth", "--scale", "small", "--seed", str(args.seed)], dbs.url("q1"))
    django(
        ["synth", "--scale", "small", "--seed", str(args.seed), "--factor", "10"], dbs.url("q10")
    )

    say("Query counts at 1x and 10x")
    q1 = task("queries", dbs.url("q1"))["pages"]
    q10 = task("queries", dbs.url("q10"))["pages"]
    disagree = []
    for name, one in q1.items():
        ten = q10.get(name, {})
        label = f"queries at 1x and 10x data: {name} ({one.get('kind')})"
        why = one.get("not_measured") or ten.get("not_measured")
        if why:
            figures.append(not_measured(label, "queries", "equal", why))
            continue
        equal = one["queries"] == ten["queries"]
        if not equal:
            disagree.append(name)
        figures.append(
            Figure(
                label,
                ten["queries"],
                "queries",
                f"= {one['queries']} (1x)",
                equal,
                f"1x: {one['queries']}, 10x: {ten['queries']}",
            )
        )
    raw["query_counts"] = {"1x": q1, "10x": q10}

    say(f"Queries per request and allocation peaks at {scale} scale")
    main_pages = task("queries", dbs.url("main"), "--memory")
    raw["pages"] = main_pages

    say("Bench users and sessions")
    setup = task("setup", dbs.url("main"))
    say("Throughput through gunicorn")
    server = Server(dbs.url("main"), workers=args.workers, threads=args.threads)
    try:
        throughput, raw["throughput"] = measure_throughput(
            server,
            setup,
            rounds=args.rounds,
            seconds=args.seconds,
            connections=args.connections,
        )
        peak_server = server.worker_peak_rss_mb()
    finally:
        server.stop()
    figures += throughput
    page_for = {
        "search": "public search by area",
        "oruk_services": "ORUK services",
        "api_services": "API services",
        "front_door": "referrals: front-door triage",
    }
    for key, label, _goal in ENDPOINTS:
        page = main_pages["pages"].get(page_for[key], {})
        if page.get("not_measured"):
            continue
        figures.append(
            Figure(
                f"{label}: queries per request",
                page["queries"],
                "queries",
                None,
                None,
                f"{scale} scale",
            )
        )
        figures.append(
            Figure(
                f"{label}: peak allocation per request",
                round(page["peak_alloc_mb"], 1),
                "MB",
                None,
                None,
                "tracemalloc, one request",
            )
        )
    figures.append(
        Figure(
            "server: peak resident memory of a worker",
            round(peak_server, 1),
            "MB",
            None,
            None,
            f"gunicorn, {args.workers} workers x {args.threads} threads",
        )
    )

    say("Matching one referral against every service")
    matching = task("matching", dbs.url("main"), "--rounds", "1" if args.smoke else "3")
    raw["matching"] = matching
    if "not_measured" in matching:
        figures.append(
            not_measured(
                "matching one referral against every service: p95",
                "ms",
                f"< {MATCH_P95_GOAL_MS:g}",
                matching["not_measured"],
            )
        )
    else:
        figures += [
            Figure(
                f"matching one referral against {matching['services']} services: p95",
                round(matching["p95_ms"], 2),
                "ms",
                f"< {MATCH_P95_GOAL_MS:g}",
                matching["p95_ms"] < MATCH_P95_GOAL_MS,
                f"{matching['samples']} matches, p50 {matching['p50_ms']:.2f} ms",
            ),
            Figure(
                "matching: peak allocation", round(matching["peak_alloc_mb"], 1), "MB", None, None
            ),
        ]

    say("National coverage matrix")
    matrix = task(
        "matrix",
        dbs.url("main"),
        "--rounds",
        "1" if args.smoke else "3",
        "--profile-out",
        str(VAR / "bench-matrix-profile.txt"),
    )
    raw["matrix"] = matrix
    figures += [
        Figure(
            f"coverage matrix of {matrix['area']} ({matrix['districts']} districts, {matrix['services']} services)",
            round(matrix["median_s"], 3),
            "s",
            f"< {MATRIX_GOAL_S:g}",
            matrix["median_s"] < MATRIX_GOAL_S,
            f"median of {1 if args.smoke else 3}, worst {matrix['max_s']:.3f} s, {matrix['queries']} queries taking {matrix['sql_s']:.3f} s"
            + (f"; {matrix['note']}" if matrix["note"] else ""),
        ),
        Figure(
            "coverage matrix: peak allocation", round(matrix["peak_alloc_mb"], 1), "MB", None, None
        ),
        Figure(
            "coverage matrix: peak resident memory of the process",
            round(matrix["peak_rss_mb"], 1),
            "MB",
            None,
            None,
        ),
    ]
    say("Recency-frequency-gravity scoring against DuckDB")
    rfg_figures, raw["rfg"], rfg_problem = rfg_bench.figures(
        task, dbs.url("main"), smoke=args.smoke, goal=RFG_RATIO_GOAL
    )
    figures += [Figure(**f) for f in rfg_figures]
    figures += [
        not_measured(
            "dashboards over 100,000 cases: p95",
            "ms",
            f"< {DASHBOARD_P95_GOAL_MS:g}",
            "cases and outcomes have not landed; synth does not yet make cases",
        ),
    ]
    raw["total_seconds"] = time.perf_counter() - started
    figures.append(
        Figure(
            "whole bench run",
            round(raw["total_seconds"], 1),
            "s",
            "< 900" if not args.smoke else None,
            raw["total_seconds"] < 900 if not args.smoke else None,
        )
    )

    out = Path(
        args.out
        or (VAR / "bench-smoke-results.json" if args.smoke else ROOT / "bench" / "results.json")
    )
    out.write_text(json.dumps([f.as_json() for f in figures], indent=2) + "\n")
    # Everything measured, for digging: request counts, statuses, profiles, per-page peaks.
    (VAR / f"{dbs.prefix}-raw.json").write_text(json.dumps(raw, indent=2, default=str) + "\n")
    print_summary(figures, scale)
    say(f"\nWrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    if args.smoke:
        return smoke_checks(figures, disagree, rfg_problem)
    return 0


def print_summary(figures: list[Figure], scale: str) -> None:
    say(f"\nPathways benchmarks ({scale} scale)\n")
    width = max(len(f.name) for f in figures)
    for f in figures:
        value = (
            "—"
            if f.value is None
            else f"{f.value:g}"
            if isinstance(f.value, float)
            else str(f.value)
        )
        mark = {True: "met", False: "MISSED", None: ""}[f.met]
        goal = f"goal {f.goal}" if f.goal else ""
        line = f"{f.name:<{width}}  {value:>9} {f.unit:<8} {goal:<18} {mark}"
        say(line.rstrip() + (f"  ({f.note})" if f.note and f.value is None else ""))


def smoke_checks(figures: list[Figure], disagree: list[str], rfg_problem: str = "") -> int:
    """The smoke run passes when every figure is there (measured, or saying why not) and
    the scores that must agree do: query counts at 1x and 10x, and RFG scores from Polars
    and DuckDB."""
    problems = [
        f.name for f in figures if f.value is None and not f.note.startswith("not measured")
    ]
    if problems:
        say(f"bench-smoke: figures with neither a value nor a reason: {problems}")
        return 1
    if disagree:
        say(f"bench-smoke: query counts grow with data on: {', '.join(disagree)}")
        return 1
    if rfg_problem:
        say(f"bench-smoke: {rfg_problem}")
        return 1
    say("bench-smoke: ran, query counts agree at 1x and 10x, and RFG scores agree with DuckDB")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="tiny scale, short runs, asserts")
    parser.add_argument("--scale", default="national", choices=["small", "region", "national"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="per endpoint per round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL") or _postgres_url()
    )
    args = parser.parse_args()
    if args.rounds is None:
        args.rounds = 1 if args.smoke else 5
    if args.seconds is None:
        args.seconds = 0.3 if args.smoke else 4.0
    sys.exit(run(args))


def _postgres_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://", "pgsql://")) else ""


if __name__ == "__main__":
    main()
