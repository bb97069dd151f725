"""API benchmark: latency of each endpoint family, API overhead against direct calls, requests/s under load.

``python -m bench.api [--scales 1,100] [--engines embedded,neo4j] [--load-seconds 20] [--clients 20]``

For each scale and engine, the reference bundle is loaded into a fresh database (cached under
``data/bench/api-*`` with ``--keep-data``), then:

1. **Latency**, in this process: each endpoint family through the ASGI app with httpx (in-process
   transport, the app's lifespan run as ``serve`` runs it) and, interleaved request by request, the
   same request straight into the ASGI app (``bench.overhead.asgi_get``: no client, no transport) and the
   same answer computed by calling the catalog / ``queries.answers`` functions on the raw engine, as
   the route does. p50/p99 of each, the API overhead (API p50 / direct p50, what a caller through httpx
   sees) and the app's own (app p50 / direct p50).
2. **Throughput**: uvicorn serving the same database on a free 127.0.0.1 port in a child process,
   ``--clients`` concurrent httpx clients for ``--load-seconds`` (at most ``--max-requests``), a mix of
   the lookup families (and, separately, coverage summaries). Loopback only.

Prints markdown tables and saves the raw figures to ``data/bench/results/api-*.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.common import (
    BENCH_DIR,
    REPO_ROOT,
    bundle,
    cpu_pressure,
    describe_machine,
    generator_version,
    loadavg,
    machine,
    md_table,
    parse_list,
    run_worker,
    save_results,
    speed_probe,
    store_version,
)

LOOKUP_P99_TARGET_MS = 20.0
COVERAGE_TARGET_MS = 300.0
OVERHEAD_TARGET = 1.5
QUERY_TIMEOUT_S = 30.0
"""The app's default time limit of one query: a query slower than that is an error, as in ``serve``."""
PATH_MAX_LENGTH = 10
"""The longest path the API looks for: the sampled member → compound pairs are 7 steps apart at scale 1."""
SEARCH_TERMS = ("花园", "大厦", "社区", "党支部", "罗湖", "商圈", "小区", "联合")
INITIALS_TERMS = ("hy", "ds", "sqdw", "lh", "lhq", "dmjd", "kk", "jj100")
"""Pinyin initials (graph/initials.py): 花园, 大厦, 社区党委, 罗湖, 罗湖区, 东门街道, KK100, 京基100."""


# ------------------------------------------------------------------------------------------------ requests


@dataclass
class Family:
    """One endpoint family: how to ask the API, and the same answer computed directly."""

    name: str
    path: Callable[[int], str]
    direct: Callable[[Any, int], Any]
    kind: str = "other"  # "lookup" and "coverage" have targets
    max_requests: int = 200
    max_seconds: float = 20.0


def _samples(engine: Any) -> dict[str, list[str]]:
    """Ids spread over the graph (every k-th by id), the same on both engines."""
    def spread(query: str, count: int) -> list[str]:
        ids = [r["id"] for r in engine.read(query)]
        if not ids:
            return []
        step = max(1, len(ids) // count)
        return ids[::step][:count]

    return {
        "compound": spread("MATCH (x:Compound) RETURN x.id AS id ORDER BY id", 20),
        "member": spread("MATCH (x:Member) RETURN x.id AS id ORDER BY id", 20),
        "community": spread("MATCH (x:Community) RETURN x.id AS id ORDER BY id", 20),
        "branch": spread("MATCH (x:PartyOrg) WHERE x.level = '党支部' RETURN x.id AS id ORDER BY id", 20),
        "committee": spread("MATCH (x:PartyOrg) WHERE x.level = '社区党委' RETURN x.id AS id ORDER BY id", 20),
        "enterprise": spread("MATCH (x:Enterprise) RETURN x.id AS id ORDER BY id", 20),
    }


def families(samples: dict[str, list[str]]) -> list[Family]:
    """The endpoint families, each with its direct equivalent (what the route runs, without HTTP and the guard)."""
    from api.routes.entities import get_entity, get_org
    from queries import answers
    from queries.catalog import dataset_as_of, run_catalog

    def pick(key: str, i: int) -> str:
        ids = samples[key]
        return ids[i % len(ids)]

    lookups = [x for pair in zip(samples["compound"], samples["member"], samples["community"], samples["branch"],
                                 samples["enterprise"], strict=False) for x in pair]
    hoods = [x for pair in zip(samples["compound"], samples["branch"], samples["enterprise"], strict=False) for x in pair]

    def lookup(i: int) -> str:
        return lookups[i % len(lookups)]

    def hood(i: int) -> str:
        return hoods[i % len(hoods)]

    def coverage(target: str) -> Family:
        return Family(f"coverage summary: {target}", lambda i: f"/api/v1/coverage/summary?target={target}&level=subdistrict",
                      lambda e, i: answers.coverage_summary(e, target, "subdistrict"),  # type: ignore[arg-type]
                      kind="coverage", max_requests=50)

    def gaps(e: Any, i: int) -> Any:
        as_of = dataset_as_of(e)
        params = {"as_of": as_of, "mode": "organizational", "subdistrict": "", "community": ""}
        return answers.page(answers.gaps(e, "compound", params), 100, 0, target="compound", mode="organizational",
                            as_of=as_of).as_dict()

    def neighbors(depth: int) -> Callable[[Any, int], Any]:
        def run(e: Any, i: int) -> Any:
            center = get_entity(e, hood(i))
            found = answers.neighbors(e, center, depth=depth)
            return {"center": found.center, "depth": depth, "nodes": found.nodes, "edges": found.edges,
                    "truncated": found.truncated, "omitted": found.omitted}
        return run

    def chain(e: Any, i: int) -> Any:
        org = get_org(e, pick("branch", i))
        return {"org": org, "chain": answers.org_chain(e, org)}  # as the route: step by step

    def subtree(e: Any, i: int) -> Any:
        org_id = pick("committee", i)
        org = get_org(e, org_id)
        rows = run_catalog(e, "org_subtree", {"id": org_id, "depth": 3})
        return {"org": org, "depth": 3, "total": len(rows), "rows": rows}

    def path_ends(i: int) -> tuple[str, str]:
        return pick("member", i), pick("compound", i + 7)

    def path(e: Any, i: int) -> Any:
        source, target = path_ends(i)
        get_entity(e, source)
        get_entity(e, target)
        found = answers.shortest_path(e, source, target, PATH_MAX_LENGTH)
        return {"source": source, "target": target, "found": found is not None, **(found or {})}

    def search(terms: tuple[str, ...]) -> Callable[[Any, int], Any]:
        def run(e: Any, i: int) -> Any:
            from api.routes.entities import SEARCHABLE
            from queries.search import search as search_names

            return search_names(e, terms[i % len(terms)], list(SEARCHABLE), 20, 0).as_dict()  # as the route
        return run

    return [
        coverage("compound"), coverage("building"), coverage("enterprise"),
        Family("gaps: compounds, first 100", lambda i: "/api/v1/coverage/gaps?target=compound&mode=organizational&limit=100",
               gaps, max_requests=50),
        Family("entity lookup", lambda i: f"/api/v1/entities/{lookup(i)}", lambda e, i: get_entity(e, lookup(i)), kind="lookup",
               max_requests=400),
        Family("neighbors depth 1", lambda i: f"/api/v1/entities/{hood(i)}/neighbors?depth=1", neighbors(1)),
        Family("neighbors depth 2", lambda i: f"/api/v1/entities/{hood(i)}/neighbors?depth=2", neighbors(2), max_requests=100),
        Family("org chain", lambda i: f"/api/v1/orgs/{pick('branch', i)}/chain", chain),
        Family("org subtree (depth 3)", lambda i: f"/api/v1/orgs/{pick('committee', i)}/subtree?depth=3", subtree),
        Family("path (member → compound)", lambda i: "/api/v1/paths?source={}&target={}&max_length={}".format(
            *path_ends(i), PATH_MAX_LENGTH), path, max_requests=60),
        Family("search by name", lambda i: f"/api/v1/search?q={quote(SEARCH_TERMS[i % len(SEARCH_TERMS)])}&limit=20",
               search(SEARCH_TERMS), kind="lookup"),
        Family("search by initials", lambda i: f"/api/v1/search?q={INITIALS_TERMS[i % len(INITIALS_TERMS)]}&limit=20",
               search(INITIALS_TERMS), kind="lookup"),
    ]


# ------------------------------------------------------------------------------------------------ latency


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class Timings:
    api_ms: list[float] = field(default_factory=list)
    app_ms: list[float] = field(default_factory=list)
    direct_ms: list[float] = field(default_factory=list)
    errors: int = 0
    same_answer: bool | None = None

    def summary(self) -> dict[str, Any]:
        api50, direct50 = _percentile(self.api_ms, 50), _percentile(self.direct_ms, 50)
        app50 = _percentile(self.app_ms, 50)
        return {"requests": len(self.api_ms), "api_p50_ms": api50, "api_p99_ms": _percentile(self.api_ms, 99),
                "app_p50_ms": app50, "app_p99_ms": _percentile(self.app_ms, 99),
                "direct_p50_ms": direct50, "direct_p99_ms": _percentile(self.direct_ms, 99),
                "overhead": api50 / direct50 if direct50 else None, "app_overhead": app50 / direct50 if direct50 else None,
                "errors": self.errors, "same_answer": self.same_answer}


def _comparable(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return json.loads(json.dumps(jsonable_encoder(value), ensure_ascii=False, sort_keys=True, default=str))


async def _latency(app: Any, engine: Any, fams: list[Family], *, warmup: int, warm_seconds: float = 0.0
                   ) -> dict[str, dict[str, Any]]:
    import httpx

    from bench.overhead import asgi_get

    results: dict[str, dict[str, Any]] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=120) as client:
            await _warm(client, engine, fams, warm_seconds)
            for fam in fams:
                timings = Timings()
                for i in range(warmup):  # plans compiled, caches warm, for both paths
                    await client.get(fam.path(i))
                    with contextlib.suppress(Exception):
                        fam.direct(engine, i)
                started = time.perf_counter()
                i = 0
                while i < fam.max_requests and (i < 5 or time.perf_counter() - started < fam.max_seconds):
                    t0 = time.perf_counter()
                    response = await client.get(fam.path(i))
                    t1 = time.perf_counter()
                    app_status, _ = await asgi_get(app, fam.path(i))
                    ta = time.perf_counter()
                    try:
                        answer, failed = fam.direct(engine, i), None
                    except Exception as exc:  # a query that fails or times out counts as an error, and the run goes on
                        answer, failed = None, exc
                    t2 = time.perf_counter()
                    if response.status_code != 200 or app_status != 200 or failed is not None:
                        timings.errors += 1
                        if timings.errors == 1:
                            print(f"  {fam.name}: HTTP {response.status_code}: {response.text[:200]}; direct: {failed!r:.200}",
                                  file=sys.stderr)
                    elif i == 0:
                        timings.same_answer = _comparable(response.json()) == _comparable(answer)
                    timings.api_ms.append((t1 - t0) * 1000)
                    timings.app_ms.append((ta - t1) * 1000)
                    timings.direct_ms.append((t2 - ta) * 1000)
                    i += 1
                results[fam.name] = {**timings.summary(), "kind": fam.kind}
                s = results[fam.name]
                print(f"  {fam.name:<28} API p50 {s['api_p50_ms']:8.1f} ms p99 {s['api_p99_ms']:8.1f} ms | app p50 "
                      f"{s['app_p50_ms']:8.1f} ms | direct p50 {s['direct_p50_ms']:8.1f} ms | overhead {s['overhead'] or 0:.2f}x, "
                      f"app {s['app_overhead'] or 0:.2f}x ({s['requests']} requests)",
                      file=sys.stderr, flush=True)
    return results


async def _warm(client: Any, engine: Any, fams: list[Family], seconds: float) -> None:
    """Every family in turn, through the API and directly, for ``seconds``, untimed.

    A Neo4j server that has just started runs Bolt and Cypher uncompiled while the JIT compiler takes a core:
    its first minute is several times slower than its steady state (bench/roundtrip.py, docs/benchmarks.md
    "Neo4j round trip"). The figures are of the steady state, as a server in service is.
    """
    if seconds <= 0:
        return
    _log(f"  warming up for {seconds:.0f} s ...")
    started, i = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        for fam in fams:
            await client.get(fam.path(i))
            with contextlib.suppress(Exception):
                fam.direct(engine, i)
        i += 1


# ------------------------------------------------------------------------------------------------ throughput


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(settings: dict[str, Any]) -> Iterator[str]:
    """uvicorn serving the app on a free loopback port, in a child process (stopped on exit)."""
    import httpx

    port = _free_port()
    cmd = [sys.executable, "-m", "bench.api", "--serve", json.dumps({**settings, "port": port})]
    log = tempfile.NamedTemporaryFile(prefix="bench-api-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the API server exited: {Path(log.name).read_text()[-2000:]}")
            try:
                health = httpx.get(f"{base}/api/v1/health", timeout=2)
                # Served as in production: once the relationships and names it keeps in memory are built (they are
                # built in the background at start-up; until then walks, paths and search take their queries). On
                # Neo4j: once the search names are read.
                body = health.json() if health.status_code < 500 else {}
                if body and not (body.get("topology") or {}).get("building") and (
                        body.get("engine") != "neo4j" or body.get("search_names") is not None):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not answer, with its topology built, in 120 s")
            time.sleep(0.3)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()
        os.unlink(log.name)


async def _load(base: str, paths: list[str], *, clients: int, seconds: float, max_requests: int) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    issued = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def worker() -> None:
            nonlocal errors, issued
            while time.perf_counter() < deadline and issued < max_requests:
                path = paths[issued % len(paths)]
                issued += 1
                t0 = time.perf_counter()
                try:
                    response = await client.get(path)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "rps": len(latencies) / elapsed,
            "p50_ms": _percentile(latencies, 50), "p99_ms": _percentile(latencies, 99), "clients": clients}


# ------------------------------------------------------------------------------------------------ databases


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _database(engine: str, scale: int, args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """A database holding the reference bundle at ``scale``: ``{"db_path"}`` or ``{"uri"}`` (a running server)."""
    root = bundle(scale)
    home = BENCH_DIR / f"api-{engine}-s{scale}"
    stamp = home / ".loaded"
    if stamp.exists() and (not args.keep_data or json.loads(stamp.read_text()).get("store") != store_version()):
        shutil.rmtree(home)  # not kept, or loaded by other generator or schema code: load afresh
    payload: dict[str, Any] = {"mode": "load", "engine": engine, "bundle": str(root), "batch_size": 5000, "buffer_mb": 2048}
    if engine == "embedded":
        db_path = home / "graph.lbug"
        if not stamp.exists():
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            _log(f"loading scale {scale} into a fresh embedded database ...")
            loaded = run_worker("bench.load", {**payload, "db_path": str(db_path)}, timeout=4 * 3600)
            stamp.write_text(json.dumps({**loaded, "generator": generator_version(), "store": store_version()}))
        try:
            yield {"db_path": str(db_path)}
        finally:
            if not args.keep_data:
                shutil.rmtree(home, ignore_errors=True)
        return
    from graph.neo4j_local import LocalNeo4j

    imported: dict[str, Any] | None = None
    if not stamp.exists():
        shutil.rmtree(home, ignore_errors=True)
        if getattr(args, "neo4j_load", "transactions") == "admin":
            imported = _admin_import(root, home, scale)
    server = LocalNeo4j.start(home, heap=args.neo4j_heap, pagecache=args.neo4j_pagecache, timeout=300)
    try:
        if imported is not None:
            started = time.perf_counter()
            _log("creating the constraints and indexes of the imported store, and its coverage roll-up ...")
            from graph.neo4j_engine import Neo4jEngine

            with Neo4jEngine(server.uri, timeout_s=3600) as neo:
                neo.create_schema()
                _ensure_rollup(neo)
            imported["schema_and_rollup_s"] = time.perf_counter() - started
            imported["seconds"] += imported["schema_and_rollup_s"]
            stamp.write_text(json.dumps({**imported, "generator": generator_version(), "store": store_version()}))
        elif not stamp.exists():
            _log(f"loading scale {scale} into a fresh Neo4j database ...")
            loaded = run_worker("bench.load", {**payload, "uri": server.uri}, timeout=4 * 3600)
            stamp.write_text(json.dumps({**loaded, "generator": generator_version(), "store": store_version()}))
        yield {"uri": server.uri, "server_pid": server.pid}
    finally:
        server.stop()
        if not args.keep_data:
            shutil.rmtree(home, ignore_errors=True)


def _admin_import(root: Path, home: Path, scale: int) -> dict[str, Any]:
    """Build the Neo4j store of ``root`` in ``home`` with neo4j-admin (``bench.admin_import.export_and_import``):
    for scales whose transactional load takes too long. Returns the load figures."""
    from bench.admin_import import export_and_import

    scratch = Path(tempfile.mkdtemp(prefix=f"export-s{scale}-", dir=BENCH_DIR))
    try:
        _log(f"exporting scale {scale} for neo4j-admin and importing it ...")
        figures = export_and_import(root, scratch / "export", home)
        return {"method": "neo4j-admin", **figures, "seconds": figures["total_s"]}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _settings(engine: str, where: dict[str, Any], tmp: Path) -> dict[str, Any]:
    """Settings of the served app: no API keys (open mode, loopback only), audit log in a temporary file."""
    base: dict[str, Any] = {"engine": engine, "api_keys_file": str(tmp / "no-keys.jsonl"), "audit_log": str(tmp / "audit.jsonl"),
                            "query_timeout_s": QUERY_TIMEOUT_S, "host": "127.0.0.1"}
    if engine == "embedded":
        base.update(db_path=where["db_path"], embedded_buffer_mb=2048)
    else:
        base.update(neo4j_uri=where["uri"])
    return base


def _open(engine: str, where: dict[str, Any], *, timeout_s: float = QUERY_TIMEOUT_S, topology: bool = True) -> Any:
    """The engine as ``serve`` opens it (the embedded one read-only, with its relationships in memory; Neo4j with its
    search names and its copy of the graph in memory; neither unless ``topology``), on a database that has every
    index and roll-up the current code expects."""
    if engine == "embedded":
        from graph.ladybug_engine import LadybugEngine

        rw = LadybugEngine(where["db_path"], buffer_pool_mb=2048)
        rw.create_schema()  # a schema that grew since the database was cached (no-op otherwise)
        _ensure_rollup(rw)
        rw.close()
        served = LadybugEngine(where["db_path"], read_only=True, buffer_pool_mb=2048, timeout_s=timeout_s, topology=topology)
        served.prepare_topology(wait=True)  # as serve has it once started (graph/topology.py)
        return served
    from graph.neo4j_engine import Neo4jEngine

    neo = Neo4jEngine(where["uri"], timeout_s=timeout_s, search_names=topology, topology=topology)
    neo.create_schema()  # indexes added since the database was loaded (and waits for them)
    _ensure_rollup(neo)
    neo.prepare_topology(wait=True)  # what it keeps in memory, as serve reads it once started (graph/committed.py)
    return neo


def _ensure_rollup(engine: Any) -> None:
    """A database cached before coverage roll-ups existed gets one, as a load would have stored it."""
    from queries import rollup

    if not rollup.complete(engine):
        _log("computing the coverage roll-up of a database cached before roll-ups existed ...")
        rollup.rebuild(engine)


def run_one(engine_kind: str, scale: int, args: argparse.Namespace) -> dict[str, Any]:
    from api.app import create_app
    from api.settings import Settings

    result: dict[str, Any] = {"engine": engine_kind, "scale": scale}
    with _database(engine_kind, scale, args) as where, tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        settings = _settings(engine_kind, where, Path(tmp))
        engine = _open(engine_kind, where)
        try:
            sampler = engine if engine_kind == "embedded" else _open(engine_kind, where, timeout_s=3600)  # setup, not measured
            try:
                samples = _samples(sampler)
            finally:
                if sampler is not engine:
                    sampler.close()
            fams = families(samples)
            if args.families:
                wanted = parse_list(args.families)
                fams = [f for f in fams if any(w in f.name for w in wanted)]
            result["speed_probe_ns"], result["cpu_pressure"], result["loadavg_before"] = speed_probe(), cpu_pressure(), loadavg()
            _log(f"latency, scale {scale}, {engine_kind} (speed probe {result['speed_probe_ns']} ns):")
            app = create_app(Settings(**settings), engine=engine)
            warm = args.warm_seconds if args.warm_seconds is not None else (60.0 if engine_kind == "neo4j" else 5.0)
            result["warm_seconds"] = warm
            result["latency"] = asyncio.run(_latency(app, engine, fams, warmup=args.warmup, warm_seconds=warm))
            result["loadavg_after"] = loadavg()
        finally:
            engine.close()  # the served process opens the database itself (read-only for the embedded one)
        if args.load_seconds > 0:
            paths = [f.path(i) for i in range(40) for f in fams if f.kind == "lookup" or f.name.startswith(("neighbors depth 1",
                                                                                                             "org chain", "search"))]
            cover = [f.path(0) for f in fams if f.kind == "coverage"]
            with _server(settings) as base:
                _log(f"throughput, scale {scale}, {engine_kind}: {args.clients} clients for {args.load_seconds:.0f} s ...")
                result["load_lookups"] = asyncio.run(_load(base, paths, clients=args.clients, seconds=args.load_seconds,
                                                           max_requests=args.max_requests))
                _log(f"  lookup mix: {result['load_lookups']['rps']:.0f} requests/s, p50 {result['load_lookups']['p50_ms']:.0f} ms, "
                     f"p99 {result['load_lookups']['p99_ms']:.0f} ms, {result['load_lookups']['errors']} errors")
                if cover:
                    result["load_coverage"] = asyncio.run(_load(base, cover, clients=args.clients, seconds=args.load_seconds,
                                                                max_requests=args.max_requests))
                    _log(f"  coverage summaries: {result['load_coverage']['rps']:.1f} requests/s, "
                         f"p50 {result['load_coverage']['p50_ms']:.0f} ms, {result['load_coverage']['errors']} errors")
    return result


# ------------------------------------------------------------------------------------------------ report


def _target(kind: str, scale: int, s: dict[str, Any]) -> str:
    if kind == "lookup" and scale == 1:
        return f"p99 < {LOOKUP_P99_TARGET_MS:.0f} ms: {'yes' if s['api_p99_ms'] < LOOKUP_P99_TARGET_MS else 'no'}"
    if kind == "coverage" and scale >= 100:
        met = "yes" if s["api_p99_ms"] < COVERAGE_TARGET_MS else "p50 only" if s["api_p50_ms"] < COVERAGE_TARGET_MS else "no"
        return f"< {COVERAGE_TARGET_MS:.0f} ms: {met}"
    return ""


def print_report(info: dict[str, Any], runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"\nMachine: {describe_machine(info)}")
    print(f"Command: python -m bench.api --scales {','.join(map(str, args.scales))} --engines {','.join(args.engines)} "
          f"--clients {args.clients} --load-seconds {args.load_seconds:.0f}")
    for run in runs:
        print(f"\n#### scale {run['scale']}, {run['engine']} (speed probe {run['speed_probe_ns']} ns, CPU pressure "
              f"{run['cpu_pressure']}%, load avg {run['loadavg_before'][0]:.1f} → {run['loadavg_after'][0]:.1f})\n")
        rows = []
        for name, s in run["latency"].items():
            overhead, app_overhead = s["overhead"], s.get("app_overhead")
            rows.append([name, s["requests"], round(s["api_p50_ms"], 1), round(s["api_p99_ms"], 1), round(s["direct_p50_ms"], 1),
                         round(s["direct_p99_ms"], 1), None if overhead is None else round(overhead, 2),
                         "yes" if overhead is not None and overhead <= OVERHEAD_TARGET else "no",
                         None if s.get("app_p50_ms") is None else round(s["app_p50_ms"], 1),
                         None if app_overhead is None else round(app_overhead, 2), _target(s["kind"], run["scale"], s)])
        print(md_table(["endpoint family", "requests", "API p50 ms", "API p99 ms", "direct p50 ms", "direct p99 ms", "overhead",
                        f"<= {OVERHEAD_TARGET}x", "app p50 ms", "app overhead", "target"], rows))
        print("\n(API: through httpx's in-process transport, what a caller sees; app: the same request straight into the "
              "ASGI app, no client or transport; overhead: p50 / direct p50.)")
    loads = [r for r in runs if "load_lookups" in r]
    if loads:
        print()
        rows = []
        for r in loads:
            for key, label in (("load_lookups", "lookup mix"), ("load_coverage", "coverage summaries")):
                if key in r:
                    x = r[key]
                    rows.append([r["scale"], r["engine"], label, x["clients"], x["requests"], round(x["seconds"], 1), round(x["rps"], 1),
                                 round(x["p50_ms"], 1), round(x["p99_ms"], 1), x["errors"]])
        print(md_table(["scale", "engine", "workload", "clients", "requests", "seconds", "requests/s", "p50 ms", "p99 ms", "errors"], rows))


def serve_main(settings: dict[str, Any]) -> None:
    import uvicorn

    from api.app import create_app
    from api.settings import Settings

    port = settings.pop("port")
    uvicorn.run(create_app(Settings(**settings)), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,100")
    parser.add_argument("--engines", default="embedded,neo4j")
    parser.add_argument("--families", default="", help="only the endpoint families whose names contain one of these (comma-separated)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests of each family before timing it")
    parser.add_argument("--warm-seconds", type=float, default=None,
                        help="untimed rounds of every family first (default: 60 s on Neo4j, whose JIT warms up for about "
                             "a minute after a start; 5 s embedded)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--load-seconds", type=float, default=20.0, help="0 skips the throughput runs")
    parser.add_argument("--max-requests", type=int, default=20_000, help="most requests of one throughput run")
    parser.add_argument("--keep-data", action="store_true", help="keep (and reuse) the loaded databases under data/bench/api-*")
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve_main(json.loads(args.serve))
        return
    args.scales = [int(s) for s in parse_list(args.scales)]
    args.engines = parse_list(args.engines)
    from bench.overhead import skip_httpx_trio_probe

    if skip_httpx_trio_probe():
        _log("httpx: sniffio is not installed; marked absent so ASGITransport does not search for it on every request "
             "(bench.overhead.skip_httpx_trio_probe)")
    info = machine()
    runs = [run_one(engine, scale, args) for scale in args.scales for engine in args.engines]
    path = save_results("api", {"machine": info, "args": {k: v for k, v in vars(args).items() if k != "serve"}, "runs": runs})
    print_report(info, runs, args)
    print(f"\nraw figures: {path}")


if __name__ == "__main__":
    main()
