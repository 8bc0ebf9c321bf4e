"""Benchmark tasks that run inside Django, one fresh process each (so each peak is its own).

    python -m bench.tasks setup    --out F   bench users, sessions, tokens, URLs to load
    python -m bench.tasks queries  --out F   query count (and allocation peak) of each list
    python -m bench.tasks matching --out F   one referral against every service, p95
    python -m bench.tasks matrix   --out F   the national coverage matrix, with a profile

The runner (`bench.run`) sets DATABASE_URL and DJANGO_SETTINGS_MODULE=bench.settings.
Every result is JSON written to --out; a figure that cannot be measured yet says why.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from pathways.accounts.models import Role, User  # noqa: E402
from pathways.accounts.services import api_token_issue, membership_grant  # noqa: E402
from pathways.areas.models import Area, AreaKind  # noqa: E402
from pathways.directory.models import Organisation, Service  # noqa: E402

BENCH_USERS = "syn-bench-"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------------------
# setup
# --------------------------------------------------------------------------------------


def _bench_user(name: str, grants: list[tuple[Organisation, str]], **extra: Any) -> User:
    user = User.objects.filter(username=BENCH_USERS + name).first()
    if user is None:
        user = User.objects.create_user(
            username=BENCH_USERS + name,
            password=None,
            first_name="Bench",
            last_name="(synthetic)",
            email=f"{BENCH_USERS}{name}@example.invalid",
            **extra,
        )
    for organisation, role in grants:
        membership_grant(user=user, organisation=organisation, role=role)
    return user


def users_and_context() -> dict[str, Any]:
    """Bench users (made through accounts.services), and what the pages need to name."""
    council = Organisation.objects.filter(slug__startswith="syn-council-").order_by("slug").first()
    if council is None:
        raise SystemExit("No synthetic data: run `pathways synth` first")
    provider = (
        Organisation.objects.filter(kind="provider", is_synthetic=True)
        .annotate(n=Count("services__referrals_received"))
        .order_by("-n", "slug")
        .first()
    )
    users: dict[str, User] = {
        "triage": _bench_user("triage", [(council, Role.TRIAGE)]),
        "admin": _bench_user(
            "admin",
            [(council, Role.ADMIN), (council, Role.COMMISSIONER)],
            is_staff=True,
            is_superuser=True,
        ),
        "provider": _bench_user(
            "provider",
            [(provider, Role.PROVIDER_MANAGER), (provider, Role.PERPETRATOR_WORKER)],
        ),
    }
    referrer = (
        User.objects.filter(username__startswith="syn-referrer-")
        .annotate(n=Count("referrals_made"))
        .order_by("-n", "username")
        .first()
    )
    if referrer is not None:
        users["referrer"] = referrer
    # Districts with the most services serving them directly: what people search for.
    districts = list(
        Area.objects.filter(kind=AreaKind.LOCAL_AUTHORITY)
        .annotate(n=Count("service_areas"))
        .order_by("-n", "slug")
        .values_list("slug", flat=True)[:12]
    )
    return {"users": users, "districts": districts}


def task_setup(_args: argparse.Namespace) -> dict[str, Any]:
    found = users_and_context()
    sessions = {}
    for key, user in found["users"].items():
        client = Client()
        client.force_login(user)
        sessions[key] = {
            "session": client.cookies["sessionid"].value,
            "token": api_token_issue(user=user).key,
        }
    districts = found["districts"]
    # Ten pages of 50, or as many as there are (a page past the end is a 404).
    pages = max(1, min(10, Service.objects.filter(status="active").count() // 50))
    risks = ["", "risk_standard", "risk_medium", "risk_high"]
    search_urls = [
        f"/?q=&area={d}&risk={risks[i % len(risks)]}" for i, d in enumerate(districts)
    ] + ["/?q=programme", "/?q=&abuse=DA&self_referral=on"]
    return {
        "sessions": sessions,
        "districts": districts,
        "load": {
            "search": {"urls": search_urls, "user": None},
            "oruk_services": {
                "urls": [f"/api/oruk/services?page={p}&per_page=50" for p in range(1, pages + 1)],
                "user": None,
            },
            "api_services": {
                "urls": [f"/api/v1/services/?page={p}" for p in range(1, pages + 1)]
                + [f"/api/v1/services/?area={d}" for d in districts[:5]],
                "user": "admin",
                "token": True,
            },
            "front_door": {
                "urls": [f"/referrals/front-door/?page={p}" for p in range(1, 6)],
                "user": "triage",
            },
        },
    }


# --------------------------------------------------------------------------------------
# queries
# --------------------------------------------------------------------------------------

# (name, url, who, kind). `{district}` is the district with most services.
PAGES: list[tuple[str, str, str | None, str]] = [
    ("public search by area", "/?q=&area={district}", None, "html"),
    ("public search by text", "/?q=programme", None, "html"),
    ("directory: services to manage", "/directory/services/", "admin", "html"),
    ("directory: change queue", "/directory/changes/", "admin", "html"),
    ("directory: review", "/directory/review/", "admin", "html"),
    ("directory: deleted services", "/directory/deleted/", "admin", "html"),
    ("evidence library", "/evidence/", "admin", "html"),
    ("evidence: service links", "/evidence/services/", "admin", "html"),
    ("standards: assessments", "/standards/assessments/", "admin", "html"),
    ("standards: overdue", "/standards/assessments/overdue/", "admin", "html"),
    ("standards: risk-tier definitions", "/standards/risk-tiers/", "admin", "html"),
    ("mapping: published summaries", "/mapping/published/", None, "html"),
    ("mapping: snapshots of an area", "/mapping/{district}/snapshots/", "admin", "html"),
    ("referrals: referrer's own", "/referrals/mine/", "referrer", "html"),
    ("referrals: provider inbox", "/referrals/provider/", "provider", "html"),
    ("referrals: front-door triage", "/referrals/front-door/", "triage", "html"),
    ("ORUK services", "/api/oruk/services", None, "api"),
    ("ORUK organizations", "/api/oruk/organizations", None, "api"),
    ("ORUK taxonomies", "/api/oruk/taxonomies", None, "api"),
    ("ORUK taxonomy terms", "/api/oruk/taxonomy_terms", None, "api"),
    ("API services", "/api/v1/services/", "admin", "api"),
    ("API services in an area", "/api/v1/services/?area={district}", "admin", "api"),
    ("API organisations", "/api/v1/organisations/", "admin", "api"),
    ("API areas", "/api/v1/areas/", "admin", "api"),
    ("API evidence approaches", "/api/v1/evidence/approaches/", "admin", "api"),
    ("API standards frameworks", "/api/v1/standards/frameworks/", "admin", "api"),
    ("API standards assessments", "/api/v1/standards/assessments/", "admin", "api"),
]


def task_queries(args: argparse.Namespace) -> dict[str, Any]:
    found = users_and_context()
    district = found["districts"][0]
    clients: dict[str | None, Client] = {None: Client()}
    for key, user in found["users"].items():
        client = Client()
        client.force_login(user)
        clients[key] = client
    out: dict[str, Any] = {}
    for name, template, who, kind in PAGES:
        url = template.format(district=district)
        path = url.split("?")[0]
        try:
            resolve(path)
        except Resolver404:
            out[name] = {"url": url, "kind": kind, "not_measured": "page not built yet"}
            continue
        if who not in clients:
            out[name] = {"url": url, "kind": kind, "not_measured": f"no {who} user in the data"}
            continue
        client = clients[who]
        client.get(url)  # warm: first-request caches are not what a user pays for
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        timed = sorted(captured.captured_queries, key=lambda q: -float(q.get("time") or 0))
        entry: dict[str, Any] = {
            "url": url,
            "kind": kind,
            "status": response.status_code,
            "queries": len(captured),
            # In-process, one request: where a slow page spends its time.
            "ms": round(1000 * elapsed, 1),
            "sql_ms": round(1000 * sum(float(q.get("time") or 0) for q in timed), 1),
            "slowest_sql": [
                {"ms": round(1000 * float(q.get("time") or 0), 1), "sql": q["sql"][:300]}
                for q in timed[:2]
            ],
        }
        if args.memory:
            tracemalloc.start()
            client.get(url)
            entry["peak_alloc_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        if response.status_code != 200:
            entry["not_measured"] = f"answered {response.status_code}"
        out[name] = entry
    return {"pages": out, "peak_rss_mb": peak_rss_mb()}


# --------------------------------------------------------------------------------------
# matching
# --------------------------------------------------------------------------------------


def task_matching(args: argparse.Namespace) -> dict[str, Any]:
    """Match referrals, one at a time, against the facts of every service."""
    try:
        from pathways.referrals import matching
        from pathways.referrals.selectors import matching as matching_selectors
    except ImportError as exc:
        return {"not_measured": f"the matcher has not landed yet ({exc.name} is missing)"}
    facts_of = getattr(matching_selectors, "service_facts_in_scope", None)
    need_for = getattr(matching_selectors, "need_for_what_if", None)
    match = getattr(matching, "match", None)
    if not (callable(facts_of) and callable(need_for) and callable(match)):
        return {
            "not_measured": "matching API differs from match / service_facts_in_scope / need_for_what_if"
        }
    try:
        services = _call_flexibly(facts_of, {})
        services = list(services)
        districts = list(
            Area.objects.filter(kind=AreaKind.LOCAL_AUTHORITY).order_by("slug")[: args.needs]
        )
        needs = []
        tiers = ["standard_risk", "medium_risk", "high_risk"]
        for i, area in enumerate(districts):
            needs.append(_call_flexibly(need_for, {"area": area, "tier": tiers[i % 3]}))
    except Exception as exc:  # noqa: BLE001 - report, do not fail the whole bench
        return {"not_measured": f"could not call the matcher: {type(exc).__name__}: {exc}"}
    for need in needs[:3]:
        match(need, services)  # warm
    times = []
    for _round in range(args.rounds):
        for need in needs:
            started = time.perf_counter()
            match(need, services)
            times.append(time.perf_counter() - started)
    tracemalloc.start()
    match(needs[0], services)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    times.sort()
    return {
        "services": len(services),
        "needs": len(needs),
        "samples": len(times),
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[min(len(times) - 1, int(0.95 * len(times)))],
        "peak_alloc_mb": peak,
        "peak_rss_mb": peak_rss_mb(),
    }


def _call_flexibly(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Call with the keyword arguments the function accepts (its signature may grow)."""
    import inspect

    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return fn(**kwargs)
    return fn(**{k: v for k, v in kwargs.items() if k in params})


# --------------------------------------------------------------------------------------
# matrix
# --------------------------------------------------------------------------------------


def top_area() -> tuple[str, str]:
    """The single area nothing is above, or the one with most districts below it."""
    tops = list(Area.objects.filter(parents__isnull=True).values_list("slug", flat=True))
    if len(tops) == 1:
        return tops[0], ""
    from pathways.mapping.selectors import area_hierarchy

    hierarchy = area_hierarchy()

    def districts(slug: str) -> int:
        row = hierarchy.by_slug(slug)
        return len(hierarchy.districts(hierarchy.descendants(row.id))) if row else 0

    best = max(sorted(tops), key=districts)
    return best, f"{len(tops)} areas have no parent; the largest, {best}, was used"


def task_matrix(args: argparse.Namespace) -> dict[str, Any]:
    from pathways.mapping.engine import CountingRule
    from pathways.mapping.selectors import mapping_compute_for_area

    slug, note = top_area()

    def compute() -> Any:
        return mapping_compute_for_area(area_slug=slug, rule=CountingRule())

    result = compute()  # warm
    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        compute()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        compute()
        with_queries = time.perf_counter() - started
    sql_seconds = sum(float(q.get("time") or 0) for q in captured.captured_queries)
    profile = cProfile.Profile()
    profile.enable()
    compute()
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(30)
    if args.profile_out:
        Path(args.profile_out).write_text(text.getvalue())
    tracemalloc.start()
    compute()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "area": slug,
        "note": note,
        "districts": len(result.districts) if hasattr(result, "districts") else None,
        "services": Service.objects.count(),
        "median_s": statistics.median(times),
        "max_s": max(times),
        "queries": len(captured),
        "sql_s": sql_seconds,
        "seconds_with_query_log": with_queries,
        "peak_alloc_mb": peak,
        "peak_rss_mb": peak_rss_mb(),
        "profile_top": _profile_top(profile),
    }


def _profile_top(profile: cProfile.Profile, n: int = 8) -> list[dict[str, Any]]:
    """The project's own functions that take the most time, with where they are."""
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, _nc, tottime, cumtime, _callers) in stats.items():
        if "/pathways/" in filename:
            rows.append(
                {
                    "function": f"{filename.split('/src/')[-1]}:{line}({func})",
                    "cumulative_s": round(cumtime, 3),
                    "own_s": round(tottime, 3),
                }
            )
    rows.sort(key=lambda r: -r["cumulative_s"])
    sql = sum(v[2] for k, v in stats.items() if "execute" in k[2] and "Cursor" in str(k))
    return [
        *rows[:n],
        {"function": "database cursor execute (all queries)", "own_s": round(sql, 3)},
    ]


# --------------------------------------------------------------------------------------


TASKS = {
    "setup": task_setup,
    "queries": task_queries,
    "matching": task_matching,
    "matrix": task_matrix,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--out", required=True)
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--needs", type=int, default=40)
    parser.add_argument("--profile-out", default="")
    args = parser.parse_args()
    result = TASKS[args.task](args)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
