"""Shortest paths: the catalog's variable-length query against the step-wise search of ``queries.answers``.

``python -m bench.paths [--scale 100] [--engines embedded,neo4j] [--pairs 14] [--repeat 5] [--max-length 10]``

On the stores that ``bench.api --keep-data`` leaves (``data/bench/api-{engine}-s{scale}``; the Neo4j one is
served by a server started here and stopped at the end), for the catalog's example pairs and member →
compound pairs picked as ``bench.api`` picks them, in the same process:

* **old**: what ``answers.shortest_path`` ran before, the catalog query ``shortest_path`` (``* SHORTEST`` on
  LadybugDB, ``shortestPath()`` on Neo4j) and ``path_edges`` for the relationships along it;
* **new**: ``answers.shortest_path``: on LadybugDB the bidirectional breadth-first search over ``path_step``,
  on Neo4j ``least_shortest_path`` (``allShortestPaths``, least ids) and ``path_edges``;
* on Neo4j also **step-wise**: the same search as on LadybugDB (``answers._search_path``), which the answer does
  not use there: this shows why.

Each is timed per pair (median of ``--repeat`` runs after a warm-up; the old query on LadybugDB and the
step-wise search on Neo4j once, as they take seconds), and the old and new lengths must agree. Prints one
markdown table per engine (ms per pair, the nodes the step-wise search expanded) and the p50 over pairs;
saves the raw figures under ``data/bench/results/``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import BENCH_DIR, describe_machine, loadavg, machine, md_table, parse_list, save_results, speed_probe
from graph.engine import GraphEngine, Row
from queries import answers
from queries.catalog import run_catalog
from queries.examples import EXAMPLES


def old_shortest_path(engine: GraphEngine, source: str, target: str, max_length: int) -> dict[str, Any] | None:
    """The answer as it was computed before the step-wise search: one variable-length match, then its relationships."""
    rows = run_catalog(engine, "shortest_path", {"source": source, "target": target, "max_length": max_length})
    if not rows:
        return None
    nodes = rows[0]["nodes"]
    pairs = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    found = run_catalog(engine, "path_edges", {"pairs": pairs}) if pairs else []
    edges = [min((e for e in found if {e["source"], e["target"]} == {p["source"], p["target"]}),
                 key=lambda e: (e["type"], e["source"])) for p in pairs]
    return {"length": rows[0]["length"], "nodes": nodes, "edges": edges}


def pairs_of(engine: GraphEngine, count: int) -> list[tuple[str, str]]:
    """The catalog's example pairs, then member → compound pairs as ``bench.api``'s path family asks for them."""
    from bench.api import _samples

    samples = _samples(engine)
    members, compounds = samples["member"], samples["compound"]
    examples = [(p["source"], p["target"]) for p in EXAMPLES["shortest_path"]]
    spread = [(members[i % len(members)], compounds[(i + 7) % len(compounds)]) for i in range(count - len(examples))]
    return examples + spread


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median milliseconds of ``repeat`` runs (after a warm-up run when ``repeat`` > 1), and the last answer."""
    times, answer = [], None
    for _ in range(repeat + (repeat > 1)):
        began = time.perf_counter()
        answer = run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times[1:] if repeat > 1 else times), answer


def walked(engine: GraphEngine, source: str, target: str, max_length: int) -> int:
    """How many nodes the step-wise search expands (looks up the relationships of) for one pair."""
    count = 0
    original = answers.path_step

    def counting(engine: GraphEngine, ids: Iterable[str], *, chunk: int = answers.PATH_STEP_CHUNK) -> list[Row]:
        nonlocal count
        ids = list(ids)
        count += len(ids)
        return original(engine, ids, chunk=chunk)

    answers.path_step = counting
    try:
        answers._search_path(engine, source, target, max_length)
    finally:
        answers.path_step = original
    return count


@contextmanager
def opened(engine: str, scale: int) -> Iterator[GraphEngine]:
    home = BENCH_DIR / f"api-{engine}-s{scale}"
    if not (home / ".loaded").exists():
        sys.exit(f"no loaded {engine} store at {home}: run `python -m bench.api --scales {scale} --engines {engine} --keep-data`")
    if engine == "embedded":
        from graph.ladybug_engine import LadybugEngine

        lbug = LadybugEngine(home / "graph.lbug", read_only=True, buffer_pool_mb=2048, timeout_s=120)
        try:
            yield lbug
        finally:
            lbug.close()
        return
    from graph.neo4j_engine import Neo4jEngine
    from graph.neo4j_local import LocalNeo4j

    server = LocalNeo4j.start(home, heap="2g", pagecache="2g", timeout=300)
    try:
        neo = Neo4jEngine(server.uri, timeout_s=120)
        try:
            yield neo
        finally:
            neo.close()
    finally:
        server.stop()


def bench_engine(engine_name: str, args: argparse.Namespace) -> dict[str, Any]:
    results = []
    with opened(engine_name, args.scale) as engine:
        for source, target in pairs_of(engine, args.pairs):
            ends = (engine, source, target, args.max_length)
            slow = engine_name == "embedded"  # the old query takes seconds there, the step-wise walk on Neo4j
            old_ms, old = timed(functools.partial(old_shortest_path, *ends), 1 if slow else args.repeat)
            new_ms, new = timed(functools.partial(answers.shortest_path, *ends), args.repeat)
            result = {"source": source, "target": target, "old_ms": round(old_ms, 1), "new_ms": round(new_ms, 1),
                      "old_length": old and old["length"], "new_length": new and new["length"]}
            if not slow:  # what the step-wise search alone takes on Neo4j (answers.shortest_path does not use it there)
                result["walk_ms"] = round(timed(functools.partial(answers._search_path, *ends), 1)[0], 1)
            result["expanded"] = walked(*ends)
            results.append(result)
            print(json.dumps(result), file=sys.stderr, flush=True)
    summary = {"engine": engine_name, "pairs": results,
               "old_p50_ms": round(statistics.median(r["old_ms"] for r in results), 1),
               "new_p50_ms": round(statistics.median(r["new_ms"] for r in results), 1),
               "lengths_agree": all(r["old_length"] == r["new_length"] for r in results)}
    if engine_name != "embedded":
        summary["walk_p50_ms"] = round(statistics.median(r["walk_ms"] for r in results), 1)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--engines", type=parse_list, default=["embedded", "neo4j"])
    parser.add_argument("--pairs", type=int, default=14, help="pairs in all, the catalog's examples first")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=10)
    args = parser.parse_args()
    info = machine()
    print(describe_machine(info))
    print(f"load average before: {loadavg()[0]:.1f}; speed probe {speed_probe()} ns (40-60 on an idle core)")
    runs = []
    for engine_name in args.engines:
        run = bench_engine(engine_name, args)
        runs.append(run)
        print(f"\n### {engine_name}, scale {args.scale}, max_length {args.max_length}\n")
        walk = engine_name != "embedded"
        print(md_table(["source", "target", "length", "old ms", "new ms", *(["step-wise ms"] if walk else []), "nodes expanded"],
                       [[r["source"], r["target"], r["new_length"] if r["old_length"] == r["new_length"]
                         else f"{r['old_length']} ≠ {r['new_length']}", r["old_ms"], r["new_ms"],
                         *([r["walk_ms"]] if walk else []), r["expanded"]] for r in run["pairs"]]))
        print(f"\np50 per pair: old {run['old_p50_ms']} ms, new {run['new_p50_ms']} ms"
              + (f", step-wise search {run['walk_p50_ms']} ms" if walk else "") + f"; lengths agree: {run['lengths_agree']}")
    print(f"\nload average after: {loadavg()[0]:.1f}")
    saved = save_results(f"paths-s{args.scale}", {"args": vars(args), "machine": info, "runs": runs})
    print(f"saved {saved}")
    if not all(run["lengths_agree"] for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
