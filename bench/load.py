"""Load benchmark: the reference bundle at several scales into a fresh database of each engine.

``python -m bench.load [--scales 1,10,100] [--engines embedded,neo4j] [--batch-size 5000] [--sample 2000]``

For each scale and engine, in a child process of its own (so runs do not pollute each other's memory
high-water mark): ``load_bundle`` into a fresh database (a new LadybugDB directory; a new Neo4j server
with an empty store), reporting total time, rows/s, when validation ended (into an empty database the files
are written while the next ones are validated, so writing overlaps it) and what came after, the loader's
peak RSS and the store size on disk. Then, on a sample (the first ``--sample`` Member rows and
as many of their MEMBER_OF rows), the naive loader (one transaction per row) against the batched
``UNWIND … MERGE`` loader and against the fresh-database path ``load_bundle`` takes, with the ratios.

Prints markdown tables and saves the raw figures to ``data/bench/results/load-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH_DIR,
    bundle,
    bundle_info,
    children_cpu_seconds,
    cpu_pressure,
    describe_machine,
    embedded_store_size,
    loadavg,
    machine,
    md_table,
    neo4j_server,
    neo4j_store_size,
    own_cpu_seconds,
    parse_list,
    peak_rss_mb,
    process_cpu_seconds,
    process_peak_rss_mb,
    report_to_parent,
    run_worker,
    save_results,
    speed_probe,
)

TARGET_ROWS_PER_S = {"embedded": 100_000, "neo4j": 50_000, "neo4j-admin": 50_000}
"""Rows/s targets of issue #3; ``neo4j-admin`` is the bulk load into a new local store (``orggraph neo4j import``)."""
TARGET_NAIVE_RATIO = 50.0
WORKER_TIMEOUT_S = 4 * 3600


# ------------------------------------------------------------------------------------------------ workers


def _open_engine(payload: dict[str, Any]) -> Any:
    if payload["engine"] == "embedded":
        from graph.ladybug_engine import LadybugEngine

        return LadybugEngine(Path(payload["db_path"]), buffer_pool_mb=payload["buffer_mb"], timeout_s=0)
    from graph.neo4j_engine import Neo4jEngine

    return Neo4jEngine(payload["uri"], timeout_s=3600)


def _load_worker(payload: dict[str, Any]) -> dict[str, Any]:
    from loaders.load import load_bundle

    if payload["engine"] == "neo4j-admin":
        return _bulk_load_worker(payload)
    engine = _open_engine(payload)
    load_before = loadavg()
    cpu_before = own_cpu_seconds()
    try:
        result = load_bundle(engine, payload["bundle"], batch_size=payload["batch_size"])
        cpu = own_cpu_seconds() - cpu_before
        load_after = loadavg()
        stored = sum(engine.node_counts().values()) + sum(engine.rel_counts().values()) - 1  # minus the Dataset node
    finally:
        engine.close()
    return {
        "rows": result.total_rows, "stored": stored, "seconds": result.seconds, "validate_seconds": result.validate_seconds,
        "write_seconds": result.write_seconds, "written": result.written, "peak_rss_mb": peak_rss_mb(), "cpu_seconds": cpu,
        "loadavg_before": load_before, "loadavg_after": load_after,
    }


def _bulk_load_worker(payload: dict[str, Any]) -> dict[str, Any]:
    """``loaders.neo4j_bulk.bulk_load`` into a new home: validation, CSV, neo4j-admin, server start, schema, roll-up."""
    from graph.neo4j_engine import Neo4jEngine
    from loaders.neo4j_bulk import bulk_load

    load_before, cpu_before, children_before = loadavg(), own_cpu_seconds(), children_cpu_seconds()
    result = bulk_load(payload["bundle"], payload["home"], heap=payload["neo4j_heap"], server_heap=payload["neo4j_heap"],
                       pagecache=payload["neo4j_pagecache"])
    cpu, load_after = own_cpu_seconds() - cpu_before, loadavg()
    assert result.server is not None
    try:
        with Neo4jEngine(result.server.uri) as engine:
            stored = sum(engine.node_counts().values()) + sum(engine.rel_counts().values()) - 1  # minus the Dataset node
    finally:
        result.server.stop()  # waited for, so its CPU time joins the children's
    phases = result.seconds_by_phase
    return {
        "rows": result.rows - 1, "stored": stored, "seconds": result.seconds, "validate_seconds": phases["validate"],
        "write_seconds": result.seconds - phases["validate"], "phases": phases, "peak_rss_mb": peak_rss_mb(),
        "cpu_seconds": cpu, "server_cpu_seconds": children_cpu_seconds() - children_before,
        "loadavg_before": load_before, "loadavg_after": load_after,
    }


Sample = tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]


def _samples(root: Path, size: int, warmup: int) -> tuple[Sample, Sample]:
    """The first ``size`` Member rows with up to ``size`` of their MEMBER_OF rows and the PartyOrg rows these
    point at; and, for warming up, the next ``warmup`` members likewise."""
    from loaders.validate import iter_valid_records, validate_bundle
    from loaders.writes import node_row, rel_row

    report = validate_bundle(root)
    assert report.ok and report.manifest is not None, report.problems[:5]
    scope = report.manifest.scope
    files = {f.name: f for f in report.manifest.files}
    members = [r for _, r in islice(iter_valid_records(root, files["Member"], report), size + warmup)]
    rels = [r for _, r in iter_valid_records(root, files["MEMBER_OF"], report)]
    orgs = {r["id"]: r for _, r in iter_valid_records(root, files["PartyOrg"], report)}

    def sample(chosen: list[dict[str, Any]], limit: int) -> Sample:
        ids = {r["id"] for r in chosen}
        member_of = [r for r in rels if r["source"] in ids][:limit]
        targets = sorted({r["target"] for r in member_of})
        return ([node_row("PartyOrg", orgs[t], scope) for t in targets], [node_row("Member", r, scope) for r in chosen],
                [rel_row("MEMBER_OF", r, scope) for r in member_of])

    return sample(members[:size], size), sample(members[size:], warmup)


def _write_sample(engine: Any, how: str, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], batch_size: int) -> None:
    from loaders.writes import merge_nodes_query, merge_rels_query

    node_query = merge_nodes_query(engine.dialect, "Member")
    rel_query = merge_rels_query(engine.dialect, "MEMBER_OF", "Member", "PartyOrg")
    if how == "naive":  # one transaction per row
        for row in nodes:
            engine.write(node_query, {"rows": [row]})
        for row in edges:
            engine.write(rel_query, {"rows": [row]})
    elif how == "batched":  # UNWIND … MERGE, batch_size rows per transaction
        engine.write_batches(node_query, nodes, batch_size=batch_size)
        engine.write_batches(rel_query, edges, batch_size=batch_size)
    else:  # what load_bundle does into a fresh database
        engine.bulk_insert_nodes(node_query, "Member", nodes, batch_size=batch_size)
        engine.bulk_insert_rels(rel_query, "MEMBER_OF", "Member", "PartyOrg", edges, batch_size=batch_size)


def _naive_worker(payload: dict[str, Any]) -> dict[str, Any]:
    from loaders.writes import merge_nodes_query

    (orgs, members, member_of), (warm_orgs, warm_members, warm_member_of) = _samples(Path(payload["bundle"]), payload["sample"],
                                                                                        payload["sample"])
    results: dict[str, Any] = {"members": len(members), "member_of": len(member_of), "orgs": len(orgs)}
    for variant in ("naive", "batched", "bulk"):
        if payload["engine"] == "embedded":
            payload = {**payload, "db_path": str(Path(payload["db_dir"]) / f"{variant}.lbug")}
        engine = _open_engine(payload)
        try:
            engine.create_schema()
            for label in ("Member", "PartyOrg"):
                engine.write(f"MATCH (n:{label}) DETACH DELETE n")
            engine.write_batches(merge_nodes_query(engine.dialect, "PartyOrg"), orgs + [o for o in warm_orgs if o not in orgs])

            # Warm up (query plans, a cold JVM) with as many other members, then remove them: the timed run starts warm and
            # empty, with the same statistics (Neo4j replans a query when the counts it was planned with change a lot).
            _write_sample(engine, variant, warm_members, warm_member_of, payload["batch_size"])
            engine.write("MATCH (m:Member) DETACH DELETE m")
            started = time.perf_counter()
            _write_sample(engine, variant, members, member_of, payload["batch_size"])
            seconds = time.perf_counter() - started
            counts = engine.read("MATCH (m:Member)-[x:MEMBER_OF]->(:PartyOrg) RETURN count(DISTINCT m) AS m, count(x) AS x")[0]
            assert (counts["x"], counts["m"]) == (len(member_of), len({r["source"] for r in member_of})), counts
            results[variant] = {"seconds": seconds, "rows_per_s": (len(members) + len(member_of)) / seconds, "loadavg": loadavg()}
        finally:
            engine.close()
    return results


def worker_main(payload: dict[str, Any]) -> None:
    report_to_parent(_load_worker(payload) if payload["mode"] == "load" else _naive_worker(payload))


# ------------------------------------------------------------------------------------------------ parent


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_load(scale: int, engine: str, args: argparse.Namespace) -> dict[str, Any]:
    root = bundle(scale)
    payload: dict[str, Any] = {"mode": "load", "engine": engine, "bundle": str(root), "batch_size": args.batch_size,
                               "buffer_mb": args.buffer_mb}
    probe, pressure = speed_probe(), cpu_pressure()
    _log(f"loading scale {scale} into {engine} (speed probe {probe} ns, CPU pressure {pressure}%) ...")
    if engine == "embedded":
        tmp = Path(tempfile.mkdtemp(prefix="embedded-", dir=BENCH_DIR))
        try:
            payload["db_path"] = str(tmp / "graph.lbug")
            result = run_worker("bench.load", payload, timeout=WORKER_TIMEOUT_S)
            result["store_bytes"] = embedded_store_size(tmp / "graph.lbug")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    elif engine == "neo4j-admin":
        tmp = Path(tempfile.mkdtemp(prefix="neo4j-admin-", dir=BENCH_DIR))
        try:
            payload.update(home=str(tmp / "home"), neo4j_heap=args.neo4j_heap, neo4j_pagecache=args.neo4j_pagecache)
            result = run_worker("bench.load", payload, timeout=WORKER_TIMEOUT_S)
            result["store_bytes"] = neo4j_store_size(tmp / "home")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        with neo4j_server(heap=args.neo4j_heap, pagecache=args.neo4j_pagecache, keep=True) as server:
            payload["uri"] = server.uri
            try:
                server_cpu = process_cpu_seconds(server.pid) or 0.0
                result = run_worker("bench.load", payload, timeout=WORKER_TIMEOUT_S)
                result["server_cpu_seconds"] = (process_cpu_seconds(server.pid) or 0.0) - server_cpu
                result["server_peak_rss_mb"] = process_peak_rss_mb(server.pid)
            finally:
                server.stop()
                result_store = neo4j_store_size(server.home)
                shutil.rmtree(server.home, ignore_errors=True)
        result["store_bytes"] = result_store
    result.update(scale=scale, engine=engine, bundle_bytes=bundle_info(root)["bytes"], bundle_rows=bundle_info(root)["rows"],
                  speed_probe_ns=probe, cpu_pressure=pressure, code=_code_version())
    result["rows_per_s"] = result["rows"] / result["seconds"]
    result["write_rows_per_s"] = result["rows"] / result["write_seconds"]
    _log(f"  {result['rows']:,} rows in {result['seconds']:.1f} s = {result['rows_per_s']:,.0f} rows/s "
         f"(validated after {result['validate_seconds']:.1f} s, then {result['write_seconds']:.1f} s), "
         f"peak RSS {result['peak_rss_mb']:.0f} MB")
    if "phases" in result:
        _log("  phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result["phases"].items()))
    return result


def run_naive(engine: str, args: argparse.Namespace) -> dict[str, Any]:
    root = bundle(min(args.scales))
    payload: dict[str, Any] = {"mode": "naive", "engine": engine, "bundle": str(root), "sample": args.sample,
                               "batch_size": args.batch_size, "buffer_mb": 256}
    probe = speed_probe()
    _log(f"naive vs batched loader on {engine} ({args.sample} Member + MEMBER_OF rows; speed probe {probe} ns) ...")
    if engine == "embedded":
        tmp = Path(tempfile.mkdtemp(prefix="naive-", dir=BENCH_DIR))
        try:
            result = run_worker("bench.load", {**payload, "db_dir": str(tmp)}, timeout=WORKER_TIMEOUT_S)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    else:
        with neo4j_server(heap=args.neo4j_heap, pagecache=args.neo4j_pagecache) as server:
            result = run_worker("bench.load", {**payload, "uri": server.uri}, timeout=WORKER_TIMEOUT_S)
    result["engine"] = engine
    result["speed_probe_ns"] = probe
    naive = result["naive"]["seconds"]
    result["ratio_batched"] = naive / result["batched"]["seconds"]
    result["ratio_bulk"] = naive / result["bulk"]["seconds"]
    _log(f"  naive {result['naive']['rows_per_s']:,.0f} rows/s, batched {result['batched']['rows_per_s']:,.0f} rows/s "
         f"({result['ratio_batched']:.0f}x), fresh-database path {result['bulk']['rows_per_s']:,.0f} rows/s ({result['ratio_bulk']:.0f}x)")
    return result


def _code_version() -> str:
    """A short hash of the loader and engine sources, so figures from before and after a change can be told apart."""
    import hashlib

    digest = hashlib.sha1()
    for name in ("loaders/load.py", "loaders/validate.py", "loaders/columnar.py", "loaders/columnar_state.py",
                 "loaders/place_links.py", "loaders/readers.py", "loaders/writes.py", "loaders/spool.py",
                 "graph/ladybug_engine.py", "graph/neo4j_engine.py", "graph/engine.py",
                 "loaders/neo4j_admin.py", "loaders/neo4j_bulk.py", "graph/neo4j_local.py"):
        path = BENCH_DIR.parent.parent / name
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def _mb(n: int | None) -> float | None:
    return None if n is None else n / 1024 / 1024


def print_report(info: dict[str, Any], loads: list[dict[str, Any]], naive: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nMachine: {describe_machine(info)}")
    print(f"Command: python -m bench.load --scales {','.join(map(str, args.scales))} --engines {','.join(args.engines)} "
          f"--batch-size {args.batch_size}; embedded buffer pool {args.buffer_mb} MB; "
          f"Neo4j heap {args.neo4j_heap}, page cache {args.neo4j_pagecache}\n")
    rows, res = [], []
    for r in loads:
        target = TARGET_ROWS_PER_S[r["engine"]]
        rows.append([r["scale"], r["engine"], r["rows"], round(r["seconds"], 1), round(r["validate_seconds"], 1),
                     round(r["write_seconds"], 1), round(r["rows_per_s"]),
                     f"{target // 1000}k: {'yes' if r['rows_per_s'] >= target else 'no'}"])
        cpu = r.get("cpu_seconds", 0.0) + r.get("server_cpu_seconds", 0.0)
        res.append([r["scale"], r["engine"], r["peak_rss_mb"], r.get("server_peak_rss_mb"), round(r.get("cpu_seconds", 0.0), 1),
                    round(r["server_cpu_seconds"], 1) if "server_cpu_seconds" in r else None, round(r["rows"] / cpu) if cpu else None,
                    round(_mb(r["bundle_bytes"]) or 0, 1), round(_mb(r["store_bytes"]) or 0, 1), r.get("speed_probe_ns"),
                    r.get("cpu_pressure"), "/".join(f"{x:.1f}" for x in r["loadavg_before"][:1] + r["loadavg_after"][:1])])
    print(md_table(["scale", "engine", "rows", "total s", "validated after s", "then s", "rows/s", "target met"], rows))
    print("\n(Into an empty database files are written while the next ones are validated: 'validated after' is when the\n"
          "last check ended, writes included; 'then' the files still to write, the dataset node and the roll-up.\n"
          "neo4j-admin: `orggraph neo4j import BUNDLE` into a new local store, from the bundle to a started server with\n"
          "its indexes and roll-up; 'then' is everything after validation.)")
    for r in loads:
        if "phases" in r:
            print(f"neo4j-admin, scale {r['scale']}: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items()))
    print()
    print("(neo4j-admin: 'server CPU s' is the importer's and the server's, until the server stopped after the roll-up.)")
    print(md_table(["scale", "engine", "loader peak RSS MB", "server peak RSS MB", "loader CPU s", "server CPU s", "rows per CPU s",
                    "bundle MB", "store MB", "speed probe ns", "CPU pressure %", "load avg before/after"], res))
    if naive:
        print()
        nrows = []
        for n in naive:
            sample = n["members"] + n["member_of"]
            full = max((r for r in loads if r["engine"] == n["engine"]), key=lambda r: r["scale"], default=None)
            steady = full["rows_per_s"] / n["naive"]["rows_per_s"] if full else None
            nrows.append([n["engine"], sample, round(n["naive"]["seconds"], 2), round(n["naive"]["rows_per_s"]),
                          round(n["batched"]["seconds"], 3), round(n["batched"]["rows_per_s"]), round(n["ratio_batched"], 1),
                          round(n["bulk"]["seconds"], 3), round(n["bulk"]["rows_per_s"]), round(n["ratio_bulk"], 1),
                          None if steady is None else round(steady, 1), f"scale {full['scale']}" if full else "–",
                          "yes" if max(n["ratio_batched"], n["ratio_bulk"]) >= TARGET_NAIVE_RATIO else "no",
                          n.get("speed_probe_ns")])
        print(md_table(["engine", "sample rows", "naive s", "naive rows/s", "batched s", "batched rows/s", "batched ratio",
                        "fresh-db path s", "fresh-db rows/s", "fresh-db ratio", "full load rows/s / naive", "full load",
                        "sample ratio >= 50x", "speed probe ns"], nrows))
        neo4j_naive = next((n["naive"]["rows_per_s"] for n in naive if n["engine"] == "neo4j"), None)
        for r in loads:
            if r["engine"] == "neo4j-admin" and neo4j_naive:
                print(f"neo4j-admin bulk load, scale {r['scale']}: {r['rows_per_s']:,.0f} rows/s = "
                      f"{r['rows_per_s'] / neo4j_naive:,.0f}x Neo4j's naive loader")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated scales of the reference bundle")
    parser.add_argument("--engines", default="embedded,neo4j,neo4j-admin",
                        help="any of embedded, neo4j (transactional load into a running server), neo4j-admin (bulk load "
                             "into a new local store: `orggraph neo4j import BUNDLE`)")
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=2000, help="rows of Member (and of MEMBER_OF) for the naive loader")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive-loader comparison")
    parser.add_argument("--buffer-mb", type=int, default=1024, help="embedded engine: buffer pool")
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="1g")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker_main(json.loads(args.worker))
        return
    args.scales = [int(s) for s in parse_list(args.scales)]
    args.engines = parse_list(args.engines)
    unknown = set(args.engines) - set(TARGET_ROWS_PER_S)
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    info = machine()
    loads = [run_load(scale, engine, args) for scale in args.scales for engine in args.engines]
    naive = [] if args.no_naive else [run_naive(engine, args) for engine in args.engines if engine != "neo4j-admin"]
    info["loadavg_end"] = os.getloadavg()
    path = save_results("load", {"machine": info, "args": {k: v for k, v in vars(args).items() if k != "worker"},
                                 "loads": loads, "naive": naive})
    print_report(info, loads, naive, args)
    print(f"\nraw figures: {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
