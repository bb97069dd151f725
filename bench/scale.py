"""Scale benchmark: every catalog query at scales 1, 10 and 100 on both engines, and how each grows.

``python -m bench.scale [--scales 1,10,100] [--engines embedded,neo4j] [--repeat 7] [--plot docs/scale.png]
[--served-only] [--queries coverage_,neighbors_] [--neo4j-load transactions|admin]``, or
``python -m bench.scale --from-results RESULTS.json … [--plot docs/scale.png]`` to report and chart saved runs.

For each engine and scale, the reference bundle is loaded into a database cached under
``data/bench/api-{engine}-s{scale}`` (shared with ``bench.api``; loaded once, in a child process, which records load
time and peak memory; with ``--neo4j-load admin`` a Neo4j store is built by ``orggraph export --neo4j-admin`` and
neo4j-admin's import instead, then given its indexes and roll-up), then every catalog query runs with each of its
example parameter sets (``queries.examples``) ``--repeat`` times after one warm-up run; the median is reported. On
Neo4j the cheap examples first run untimed for ``--warm-seconds`` (60): a server that has just started is several
times slower while its JIT compiles (docs/benchmarks.md, "Neo4j round trip").

Prints, per engine, the load figures per scale (rows, load time, rows/s, loader peak RSS, store size)
and a table of every query's median at each scale with its growth exponent: the slope of
log(time) against log(scale) from the smallest to the largest scale (1 = linear, 0 = flat). Targets
(issue #8, at scale 100): coverage summaries < 300 ms; lookups and neighbor steps < 20 ms.
The lookups as the API answers them (``served``) run on the engine as ``serve`` opens it, with every relationship
in memory (LadybugDB read-only, graph/topology.py; Neo4j's copy, graph/neo4j_copy.py), and the same lookups are
timed again on an engine without it (``served_by_queries``, walks and paths in queries), with the ratio.
With ``--plot`` a log-log chart is saved as PNG: per engine, every catalog query, and below the summaries and
lookups as served.
Raw figures go to ``data/bench/results/scale-*.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.api import _database, _open
from bench.common import (
    BENCH_DIR,
    cpu_pressure,
    describe_machine,
    embedded_store_size,
    loadavg,
    machine,
    md_table,
    neo4j_store_size,
    parse_list,
    save_results,
    speed_probe,
)

COVERAGE_QUERIES = ("coverage_compounds", "coverage_buildings", "coverage_enterprises")
LOOKUP_QUERIES = ("entity_by_id", "org_chain", "neighbors_step", "neighbors_hood", "neighbors_least", "neighbors_degree",
                  "neighbors_links", "hometown_group_members", "projects_claimed_by", "project_claimants", "common_neighbors",
                  "path_edges", "community_coverage")
"""Queries that start from given ids: their time should not grow with the graph."""
COVERAGE_TARGET_MS = 300.0
LOOKUP_TARGET_MS = 20.0
TARGET_SCALE = 100
QUERY_TIMEOUT_S = 120.0
"""Long enough that a slow query at scale 100 is measured, not cut off."""


def time_query(engine: Any, name: str, params: dict[str, Any], repeat: int) -> dict[str, Any]:
    """Median and spread of ``repeat`` runs of one catalog query (after a warm-up run), with its row count."""
    from queries.catalog import run_catalog

    rows = len(run_catalog(engine, name, params))  # warm-up: query plans, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run_catalog(engine, name, params)
        times.append((time.perf_counter() - started) * 1000)
    return {"rows": rows, "p50_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


def warm_up(engine: Any, examples: dict[str, list[dict[str, Any]]], seconds: float) -> float:
    """Run the cheap examples (each under a second) and the lookups as served (:func:`served_cases`: their reads
    of kept nodes are queries of their own) in turn for ``seconds``, untimed, so that a freshly started Neo4j
    server has compiled its Bolt and Cypher code (its first minute is several times slower); return the seconds
    spent. An example that fails (a query beyond the server's memory at this scale, say) is left out here; the timed
    runs record its failure."""
    from graph.errors import GraphError
    from queries.catalog import run_catalog

    started = time.perf_counter()
    if seconds <= 0:
        return 0.0
    cheap: list[tuple[str, dict[str, Any]]] = []
    for name, cases in examples.items():
        for params in cases:
            t0 = time.perf_counter()
            try:
                run_catalog(engine, name, dict(params))
            except GraphError:
                continue
            if time.perf_counter() - t0 < 1.0:
                cheap.append((name, dict(params)))
    served = list(served_cases(engine).values())
    while time.perf_counter() - started < seconds:
        for name, params in cheap:
            run_catalog(engine, name, params)
        for case in served:
            case()
    return round(time.perf_counter() - started, 1)


def time_call(fn: Any, repeat: int) -> dict[str, Any]:
    """Median and spread of ``repeat`` calls of ``fn`` (after a warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": statistics.median(times), "min_ms": min(times), "max_ms": max(times)}


SUMMARY_CASES: list[tuple[str, Any, int]] = [
    ("compound", "compound", 20), ("building", "building", 20), ("building, min_floors 1", "building", 1),
    ("enterprise", "enterprise", 20)]
"""The coverage summaries the benchmarks time: (name, target, min_floors)."""


def time_summaries(engine: Any, repeat: int) -> dict[str, dict[str, Any]]:
    """The coverage summary per subdistrict for each target (buildings also with min_floors 1: every building), three
    ways: from the stored roll-up (the dataset's date), computed live, and from the coverage intervals the served
    engine keeps (queries/coverage_intervals.py; the API's way at any date, timed at the dataset's date to compare,
    and checked equal to the live answer there)."""
    from queries import answers, coverage_intervals

    figures: dict[str, dict[str, Any]] = {}
    for name, target, floors in SUMMARY_CASES:  # before the intervals are kept, which would answer instead of the roll-up
        for how, live in (("roll-up", False), ("live", True)):
            figures[f"{name} ({how})"] = time_call(lambda t=target, f=floors, x=live: answers.coverage_summary(
                engine, t, "subdistrict", min_floors=f, live=x), repeat)
    if not coverage_intervals.keep(engine, wait=True) or coverage_intervals.kept(engine) is None:
        _log("  the coverage intervals were not kept (see the log); their summaries are not timed")
        return figures
    _log(f"  coverage intervals: {engine.describe().get('kept')}")
    for name, target, floors in SUMMARY_CASES:
        live_rows = answers.coverage_summary(engine, target, "subdistrict", min_floors=floors, live=True)["rows"]
        if answers.coverage_summary(engine, target, "subdistrict", min_floors=floors)["rows"] != live_rows:
            raise SystemExit(f"{name}: the summary from the coverage intervals differs from the live one")
        figures[f"{name} (intervals)"] = time_call(lambda t=target, f=floors: answers.coverage_summary(
            engine, t, "subdistrict", min_floors=f), repeat)
    return figures


def time_served(engine: Any, repeat: int) -> dict[str, dict[str, Any]]:
    """The median of each of :func:`served_cases`."""
    return {name: time_call(fn, repeat) for name, fn in served_cases(engine).items()}


def served_cases(engine: Any) -> dict[str, Callable[[], Any]]:
    """Lookups as the API answers them (``queries.answers``, which walks chains, neighborhoods and paths a
    step at a time where the catalog's single query is slow on LadybugDB), for the example ids."""
    from queries import answers
    from queries.catalog import run_catalog

    def entity(node_id: str) -> dict[str, Any]:
        return dict(run_catalog(engine, "entity_by_id", {"id": node_id})[0]["n"])

    org, compound, community = entity("org-mb-01"), entity("cmp-000001"), entity("440303002003")
    return {
        "entity by id": lambda: run_catalog(engine, "entity_by_id", {"id": "org-mb-01"}),
        "org chain as served (a mobile branch)": lambda: answers.org_chain(engine, org),
        "neighbors depth 1 (a mobile branch)": lambda: answers.neighbors(engine, org, depth=1),
        "neighbors depth 1 (a compound)": lambda: answers.neighbors(engine, compound, depth=1),
        "neighbors depth 1 (a community: grows with it)": lambda: answers.neighbors(engine, community, depth=1),
        "neighbors depth 2 (a compound)": lambda: answers.neighbors(engine, compound, depth=2),
        "shortest path (hometown group → district committee)": lambda: answers.shortest_path(engine, "htg-01", "org-luohu"),
        "shortest path (community → community)": lambda: answers.shortest_path(engine, "440303001011", "440303009001"),
    }


def run_scale(engine_kind: str, scale: int, args: argparse.Namespace) -> dict[str, Any]:
    """Load (or reuse) the database at ``scale`` and time every example of every catalog query on it."""
    from graph.errors import GraphError
    from queries.examples import EXAMPLES
    from queries.specs import SPECS

    result: dict[str, Any] = {"engine": engine_kind, "scale": scale, "queries": {}}
    with _database(engine_kind, scale, args) as where:
        home = BENCH_DIR / f"api-{engine_kind}-s{scale}"
        stamp = home / ".loaded"
        result["load"] = json.loads(stamp.read_text()) if stamp.exists() else None
        engine = _open(engine_kind, where, timeout_s=QUERY_TIMEOUT_S)
        try:
            result["speed_probe_ns"], result["cpu_pressure"], result["loadavg_before"] = speed_probe(), cpu_pressure(), loadavg()
            _log(f"{engine_kind}, scale {scale} (speed probe {result['speed_probe_ns']} ns, CPU pressure {result['cpu_pressure']}%):")
            result["warm_seconds"] = warm_up(engine, EXAMPLES, args.warm_seconds if engine_kind == "neo4j" else 0.0)
            wanted = parse_list(args.queries) if args.queries else []
            for name, cases in ({} if args.served_only else EXAMPLES).items():
                if wanted and not any(part in name for part in wanted):
                    continue
                if engine.dialect not in SPECS[name].served_on:
                    _log(f"  {name:38s} not served on {engine.dialect} (queries/specs.py): skipped")
                    continue
                try:
                    timings = [time_query(engine, name, dict(params), args.repeat) for params in cases]
                except GraphError as exc:  # recorded and reported (a page cache too small at this scale, say)
                    result.setdefault("failed", {})[name] = str(exc)
                    _log(f"  {name:38s} FAILED: {str(exc)[:200]}")
                    continue
                result["queries"][name] = timings
                _log(f"  {name:38s} " + "  ".join(f"{t['p50_ms']:8.1f} ms ({t['rows']} rows)" for t in timings))
            result["summaries"] = {} if args.served_only else time_summaries(engine, args.repeat)
            for name, timing in result["summaries"].items():
                _log(f"  summary: {name:29s} {timing['p50_ms']:8.1f} ms")
            result["served"] = time_served(engine, args.repeat)
            for name, timing in result["served"].items():
                _log(f"  served: {name:50s} {timing['p50_ms']:8.1f} ms")
            result["topology"] = engine.describe().get("topology")
            _log(f"  in memory: {result['topology']}")
            result["served_by_queries"] = _served_by_queries(engine_kind, where, args.repeat)
            for name, timing in result["served_by_queries"].items():
                ratio = timing["p50_ms"] / result["served"][name]["p50_ms"]
                _log(f"  by queries: {name:46s} {timing['p50_ms']:8.1f} ms ({ratio:.1f}x the served time)")
            result["loadavg_after"] = loadavg()
        finally:
            engine.close()
        result["store_bytes"] = (embedded_store_size(Path(where["db_path"])) if engine_kind == "embedded"
                                 else neo4j_store_size(home))
    return result


def _served_by_queries(engine_kind: str, where: dict[str, Any], repeat: int) -> dict[str, dict[str, Any]]:
    """The baseline of the same run: the served lookups on an engine without the relationships in memory, whose
    walks and paths take every step in queries (as before graph/topology.py and graph/neo4j_copy.py, or while
    they are read)."""
    engine = _open(engine_kind, where, timeout_s=QUERY_TIMEOUT_S, topology=False)
    try:
        return time_served(engine, repeat)
    finally:
        engine.close()


def _log(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def slowest_case(timings: list[dict[str, Any]]) -> float:
    """A query's figure at one scale: the median of its slowest example parameter set."""
    return max(t["p50_ms"] for t in timings)


def growth(points: dict[int, float]) -> float | None:
    """Slope of log(ms) over log(scale) between the smallest and the largest scale (None with one scale)."""
    scales = sorted(points)
    if len(scales) < 2 or points[scales[0]] <= 0:
        return None
    return math.log(points[scales[-1]] / points[scales[0]]) / math.log(scales[-1] / scales[0])


def _verdict(name: str, ms: float) -> str:
    if name in COVERAGE_QUERIES:
        return f"< {COVERAGE_TARGET_MS:.0f} ms: {'yes' if ms < COVERAGE_TARGET_MS else 'no'}"
    if name in LOOKUP_QUERIES:
        return f"< {LOOKUP_TARGET_MS:.0f} ms: {'yes' if ms < LOOKUP_TARGET_MS else 'no'}"
    return ""


def print_report(info: dict[str, Any], runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nMachine: {describe_machine(info)}")
    if args.from_results:
        print(f"Runs saved in: {', '.join(path.name for path in args.from_results)}\n")
    else:
        print(f"Command: python -m bench.scale --scales {','.join(map(str, args.scales))} --engines "
              f"{','.join(args.engines)} --repeat {args.repeat}\n")
    for engine in args.engines:
        mine = sorted((r for r in runs if r["engine"] == engine), key=lambda r: r["scale"])
        if not mine:
            continue
        print(f"### {engine}\n")
        load_rows = []
        for r in mine:
            load = r.get("load") or {}
            load_rows.append([r["scale"], load.get("rows"), round(load["seconds"], 1) if "seconds" in load else None,
                              round(load["rows"] / load["seconds"]) if load.get("seconds") else None, load.get("peak_rss_mb"),
                              round(r["store_bytes"] / 2**20, 1), r["speed_probe_ns"], r["cpu_pressure"]])
        print(md_table(["scale", "rows loaded", "load s", "rows/s", "loader peak RSS MB", "store MB", "speed probe ns",
                        "CPU pressure %"], load_rows))
        print()
        # The targets are set at scale 100 (issue #8): judged there when it ran, else at the largest scale.
        largest = TARGET_SCALE if any(r["scale"] == TARGET_SCALE for r in mine) else mine[-1]["scale"]
        rows = []
        for name in mine[0]["queries"]:
            points = {r["scale"]: slowest_case(r["queries"][name]) for r in mine if name in r["queries"]}
            slope = growth(points)
            rows.append([name, *(round(points[r["scale"]], 1) if r["scale"] in points else None for r in mine),
                         None if slope is None else round(slope, 2),
                         _verdict(name, points[largest]) if largest >= 100 and largest in points else ""])
        print(md_table(["query", *(f"scale {r['scale']} ms" for r in mine), "growth exponent", f"target at scale {largest}"], rows))
        print()
        for r in mine:
            for name, reason in sorted(r.get("failed", {}).items()):
                print(f"- scale {r['scale']}: `{name}` failed: {reason[:300]}")
        served_tables = (("summaries", "summary", "Coverage summary per subdistrict, as `GET /api/v1/coverage/summary` "
                                                  "computes it (without HTTP):", COVERAGE_TARGET_MS),
                         ("served", "lookup", "Lookups as the API answers them (`queries.answers`, without HTTP):",
                          LOOKUP_TARGET_MS))
        for key, header, title, target_ms in served_tables:
            measured = [r for r in mine if key in r]
            if not measured:
                continue
            print(title + "\n")
            table_rows = []
            for name in measured[0][key]:
                points = {r["scale"]: r[key][name]["p50_ms"] for r in measured if name in r[key]}
                slope = growth(points)
                verdict = (f"< {target_ms:.0f} ms: {'yes' if points[largest] < target_ms else 'no'}"
                           if largest >= 100 and largest in points else "")
                table_rows.append([name, *(round(points[r["scale"]], 1) if r["scale"] in points else None for r in mine),
                                   None if slope is None else round(slope, 2), verdict])
            print(md_table([header, *(f"scale {r['scale']} ms" for r in mine),
                            "growth exponent", f"target at scale {largest}"], table_rows))
            print()


def plot(runs: list[dict[str, Any]], engines: list[str], path: Path) -> None:
    """A log-log chart, one column per engine: above, each catalog query's median against scale (its slowest
    example); below, the coverage summaries and lookups as the API computes them (``summaries``, ``served``),
    with the targets at scale 100 as horizontal lines and a line of slope 1 (linear growth) for reference."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(engines), figsize=(7 * len(engines), 11), sharey="row", squeeze=False)
    for column, engine in enumerate(engines):
        mine = sorted((r for r in runs if r["engine"] == engine), key=lambda r: r["scale"])
        top, bottom = axes[0][column], axes[1][column]
        for name in mine[0]["queries"] if mine else []:
            scales = [r["scale"] for r in mine if name in r["queries"]]
            values = [max(slowest_case(r["queries"][name]), 0.01) for r in mine if name in r["queries"]]
            style = "-" if name in COVERAGE_QUERIES else "--" if name in LOOKUP_QUERIES else ":"
            top.plot(scales, values, style, marker="o", linewidth=1.5 if style == "-" else 1, label=name)
        for key, style in (("summaries", "-"), ("served", "--")):
            measured = [r for r in mine if key in r]
            for name in measured[0][key] if measured else []:
                points = [(r["scale"], max(r[key][name]["p50_ms"], 0.01)) for r in measured if name in r[key]]
                bottom.plot(*zip(*points, strict=True), style, marker="o", linewidth=1.2, label=name)
        for ax, title, what in ((top, f"{engine}: every catalog query", "median ms (its slowest example)"),
                                (bottom, f"{engine}: summaries and lookups as the API answers", "median ms")):
            if mine:
                first, last = mine[0]["scale"], mine[-1]["scale"]
                ax.plot([first, last], [1, last / first], color="grey", alpha=0.4, linewidth=6, label="linear (slope 1)")
            ax.axhline(COVERAGE_TARGET_MS, color="red", alpha=0.5, linewidth=0.8)
            ax.axhline(LOOKUP_TARGET_MS, color="orange", alpha=0.5, linewidth=0.8)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title(title)
            ax.set_xlabel("scale of the reference dataset")
            ax.set_ylabel(what)
            ax.grid(True, which="both", alpha=0.2)
    for row in axes:
        row[-1].legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")  # the legends sit outside the axes
    plt.close(fig)


def merged_runs(paths: list[Path]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The runs of saved results (``data/bench/results/scale-*.json``), one per engine and scale: where files
    measured the same one, the later file's; and the machine of the last file."""
    by_key: dict[tuple[str, int], dict[str, Any]] = {}
    info: dict[str, Any] = {}
    for path in paths:
        saved = json.loads(path.read_text(encoding="utf-8"))
        info = saved["machine"]
        for run in saved["runs"]:
            by_key[(run["engine"], run["scale"])] = {**run, "from": path.name}
    return info, [by_key[key] for key in sorted(by_key)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--engines", default="embedded,neo4j")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs of each example (after one warm-up run)")
    parser.add_argument("--plot", type=Path, help="save a log-log chart here (PNG)")
    parser.add_argument("--warm-seconds", type=float, default=60.0,
                        help="Neo4j: untimed rounds of the cheap examples first (its JIT warms up for about a minute)")
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    parser.add_argument("--served-only", action="store_true",
                        help="only the lookups as the API answers them: no catalog query, no coverage summary")
    parser.add_argument("--queries", default="", help="only the catalog queries whose names contain one of these "
                        "(comma-separated); the summaries and served lookups still run")
    parser.add_argument("--neo4j-load", choices=("transactions", "admin"), default="transactions",
                        help="how a Neo4j database not cached yet is loaded: the transactional loader, or "
                             "`orggraph export --neo4j-admin` and neo4j-admin's import (for scales like 300)")
    parser.add_argument("--from-results", type=Path, nargs="+", metavar="JSON",
                        help="measure nothing: report (and --plot) the runs saved in these files "
                             "(data/bench/results/scale-*.json; of one engine and scale, the later file's run)")
    args = parser.parse_args(argv)
    args.scales = [int(s) for s in parse_list(args.scales)]
    args.engines = parse_list(args.engines)
    args.keep_data = True  # the loaded databases are the expensive part: reuse them (bench.api shares them)
    if args.from_results:
        missing = [str(path) for path in args.from_results if not path.is_file()]
        if missing:
            parser.error(f"no such results file: {', '.join(missing)}")
        info, runs = merged_runs(args.from_results)
        args.engines = [engine for engine in args.engines if any(r["engine"] == engine for r in runs)]
        args.scales = sorted({r["scale"] for r in runs})
        path = None
    else:
        info = machine()
        saved_args = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        runs, path = [], None
        for engine in args.engines:
            for scale in args.scales:
                runs.append(run_scale(engine, scale, args))
                # Saved after each run (the same file again): a later run that fails loses only itself.
                path = save_results("scale", {"machine": info, "args": saved_args, "runs": runs}, path=path)
    print_report(info, runs, args)
    if args.plot:
        plot(runs, args.engines, args.plot)
        print(f"chart: {args.plot}")
    if path is not None:
        print(f"raw figures: {path}")
    else:
        print("from: " + ", ".join(sorted({f"{r['from']} ({r['engine']} s{r['scale']})" for r in runs})))


if __name__ == "__main__":
    main()
