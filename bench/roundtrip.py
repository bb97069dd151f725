"""Neo4j round trip: what one small read costs over Bolt, and where the time goes.

``python -m bench.roundtrip [--uri bolt://…] [--scale 1] [--requests 400] [--warmup-seconds 60] [--cold-seconds 30]``

Without ``--uri`` a fresh local server is started (``graph.neo4j_local``) and the reference bundle at
``--scale`` is loaded into it; with ``--uri`` the server must already hold a reference dataset.

1. **Cold**: right after the server starts, ``RETURN 1`` through ``Neo4jEngine.read`` in 5 s windows
   for ``--cold-seconds``, with the server's CPU time and how much of it went to the JIT compiler threads:
   a fresh JVM runs Bolt and Cypher interpreted until HotSpot has compiled them.
2. **Warm**: after ``--warmup-seconds`` of the same reads, each variant below once per round, in
   rotation (so that other load on the machine hits all of them alike), ``--requests`` rounds:

   * ``session.run``: an auto-commit query, RUN and PULL in one write: one round trip, the floor.
   * ``execute_query READ``: the driver's managed transaction with a pipelined BEGIN: two round trips.
   * ``managed read tx``: ``session.execute_read`` (BEGIN, then RUN and PULL, then COMMIT: three round trips).
   * ``engine.read before``: ``Neo4jEngine.read`` as it was before this bench, a managed read transaction
     (:func:`read_before`), with the engine's parameter checks and value conversion.
   * ``engine.read``: ``Neo4jEngine.read`` as it is now.

   each for ``RETURN 1`` and for the ``entity_by_id`` catalog query (its Neo4j text with the label of the
   id filled in, ids spread over all labels; the same text and parameters for every way).

Prints markdown tables (p50/p99 ms) and saves the figures to ``data/bench/results/roundtrip-*.json``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import neo4j

from bench.common import (
    bundle,
    cpu_pressure,
    describe_machine,
    loadavg,
    machine,
    md_table,
    neo4j_server,
    process_cpu_seconds,
    save_results,
)
from graph.cypher import check_parameters
from graph.neo4j_engine import Neo4jEngine
from graph.values import from_neo4j, to_parameter
from queries.catalog import get_query, run_catalog

SAMPLE_LABELS = ("District", "Community", "Compound", "Building", "Enterprise", "PartyOrg", "Member", "Project")


def percentiles(ms: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds (nearest rank)."""
    xs = sorted(ms)
    return xs[len(xs) // 2], xs[min(len(xs) - 1, int(len(xs) * 0.99))]


def _jit_cpu_seconds(pid: int) -> float:
    """CPU time of the JVM's JIT compiler threads (``C1/C2 CompilerThre…``), from /proc."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if not (task / "comm").read_text().startswith(("C1 Compiler", "C2 Compiler")):
                continue
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def cold_series(engine: Neo4jEngine, pid: int | None, seconds: float) -> list[dict[str, Any]]:
    """``RETURN 1`` in 5 s windows from the server's first query on, with its CPU and JIT CPU per window."""
    windows = []
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        cpu0 = process_cpu_seconds(pid) if pid else None
        jit0 = _jit_cpu_seconds(pid) if pid else None
        times: list[float] = []
        w0 = time.monotonic()
        while time.monotonic() - w0 < 5:
            t0 = time.perf_counter()
            engine.read("RETURN 1")
            times.append((time.perf_counter() - t0) * 1000)
        p50, p99 = percentiles(times)
        row: dict[str, Any] = {"until_s": round(time.monotonic() - began), "queries": len(times), "p50_ms": p50, "p99_ms": p99}
        if pid:
            row["server_cpu_s"] = round((process_cpu_seconds(pid) or 0) - (cpu0 or 0), 2)
            row["jit_cpu_s"] = round(_jit_cpu_seconds(pid) - (jit0 or 0), 2)
        windows.append(row)
        print(f"  {row}", file=sys.stderr, flush=True)
    return windows


def _schedstat(pid: int) -> dict[str, tuple[float, float]]:
    """Per thread group of ``pid`` (names without their numbers): ms on a CPU and ms runnable but waiting for one."""
    out: dict[str, tuple[float, float]] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            on_cpu, waiting, _ = map(int, (task / "schedstat").read_text().split())
            name = (task / "comm").read_text().strip().rstrip("0123456789-#")
        except (OSError, ValueError):
            continue
        cpu, wait = out.get(name, (0.0, 0.0))
        out[name] = (cpu + on_cpu / 1e6, wait + waiting / 1e6)
    return out


def breakdown(engine: Neo4jEngine, pid: int, n: int) -> dict[str, Any]:
    """Where one auto-commit ``RETURN 1`` spends its time: per query, CPU and run-queue wait of this process
    and of the server's threads (Linux schedstat). Wall time not covered by them is time nobody was
    runnable, i.e. the network or a timer: the suspect if Nagle or delayed ACKs held replies back."""
    with engine._driver.session(database=engine.database, default_access_mode=neo4j.READ_ACCESS) as session:
        session.run("RETURN 1").consume()
        server0, client0 = _schedstat(pid), _schedstat(os.getpid())
        began = time.perf_counter()
        for _ in range(n):
            session.run("RETURN 1").consume()
        wall = (time.perf_counter() - began) * 1000 / n
        server1, client1 = _schedstat(pid), _schedstat(os.getpid())

    def per_query(before: dict[str, tuple[float, float]], after: dict[str, tuple[float, float]], i: int,
                  only: tuple[str, ...] = ()) -> float:
        keys = [k for k in after if not only or k.startswith(only)]
        return round(sum(after[k][i] - before.get(k, (0.0, 0.0))[i] for k in keys) / n, 3)

    bolt = ("neo4j.Bolt",)
    return {"queries": n, "wall_ms": round(wall, 3),
            "client_cpu_ms": per_query(client0, client1, 0), "client_wait_ms": per_query(client0, client1, 1),
            "server_bolt_cpu_ms": per_query(server0, server1, 0, bolt), "server_bolt_wait_ms": per_query(server0, server1, 1, bolt),
            "server_jit_cpu_ms": per_query(server0, server1, 0, ("C1 Compiler", "C2 Compiler")),
            "server_all_cpu_ms": per_query(server0, server1, 0)}


def read_before(engine: Neo4jEngine, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """``Neo4jEngine.read`` before the fix: a managed read transaction in a READ session, three round trips."""
    values = {k: to_parameter(v) for k, v in check_parameters(query, params).items()}

    @neo4j.unit_of_work(timeout=engine.timeout_s)
    def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
        result = tx.run(query, values)  # type: ignore[arg-type,unused-ignore]
        keys = result.keys()
        return [{k: from_neo4j(record[k]) for k in keys} for record in result]

    with engine._driver.session(database=engine.database, default_access_mode=neo4j.READ_ACCESS,
                                bookmark_manager=engine.bookmarks) as session:
        return session.execute_read(work)


def variants(engine: Neo4jEngine, ids: list[str]) -> dict[str, Callable[[int], Any]]:
    """The ways of asking one small read, by name; each takes the round number (to pick an id)."""
    driver = engine._driver  # the bench compares the engine with the driver's other ways of reading
    db = engine.database
    entity = get_query("entity_by_id")

    def entity_text(i: int) -> tuple[str, dict[str, Any]]:
        from graph.model import label_for_id

        ident = ids[i % len(ids)]
        return entity.text_for(engine.dialect, label_for_id(ident)), {"id": ident}

    def auto_commit(query: str, params: dict[str, Any]) -> list[Any]:
        with driver.session(database=db, default_access_mode=neo4j.READ_ACCESS, bookmark_manager=engine.bookmarks) as s:
            return list(s.run(query, params))  # type: ignore[arg-type,unused-ignore]

    def managed(query: str, params: dict[str, Any]) -> list[Any]:
        with driver.session(database=db, default_access_mode=neo4j.READ_ACCESS, bookmark_manager=engine.bookmarks) as s:
            return s.execute_read(lambda tx: list(tx.run(query, params)))  # type: ignore[arg-type,unused-ignore]

    def execute_query(query: str, params: dict[str, Any]) -> list[Any]:
        return driver.execute_query(query, params, routing_=neo4j.RoutingControl.READ, database_=db,  # type: ignore[arg-type,unused-ignore]
                                    bookmark_manager_=engine.bookmarks).records

    def returning_one(run: Callable[[str, dict[str, Any]], Any]) -> Callable[[int], Any]:
        return lambda i: run("RETURN 1", {})

    def looking_up(run: Callable[[str, dict[str, Any]], Any]) -> Callable[[int], Any]:
        return lambda i: run(*entity_text(i))

    out: dict[str, Callable[[int], Any]] = {}
    for name, run in (("session.run", auto_commit), ("execute_query READ", execute_query), ("managed read tx", managed)):
        out[f"RETURN 1 | {name}"] = returning_one(run)
        out[f"entity_by_id | {name}"] = looking_up(run)
    for name, run in (("engine.read before", lambda q, p: read_before(engine, q, p)), ("engine.read", engine.read)):
        out[f"RETURN 1 | {name}"] = returning_one(run)
        out[f"entity_by_id | {name}"] = looking_up(run)
    return out


def warm_rounds(engine: Neo4jEngine, ids: list[str], rounds: int) -> dict[str, list[float]]:
    """Each variant once per round, in rotation; milliseconds per variant."""
    todo = variants(engine, ids)
    for fn in todo.values():  # one call each first: no first-use cost (a new pooled connection) in the figures
        fn(0)
    times: dict[str, list[float]] = {name: [] for name in todo}
    for i in range(rounds):
        for name, fn in todo.items():
            t0 = time.perf_counter()
            fn(i)
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def sample_ids(engine: Neo4jEngine) -> list[str]:
    """Some ids of each label, interleaved, so the lookups visit every label's index."""
    per_label = [[r["id"] for r in engine.read(f"MATCH (x:{label}) RETURN x.id AS id ORDER BY id LIMIT 25")]
                 for label in SAMPLE_LABELS]
    return [i for group in zip(*[g for g in per_label if g], strict=False) for i in group]


def measure(engine: Neo4jEngine, pid: int | None, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if args.cold_seconds > 0:
        print(f"cold: RETURN 1 through engine.read for {args.cold_seconds:.0f} s", file=sys.stderr, flush=True)
        result["cold"] = cold_series(engine, pid, args.cold_seconds)
    if args.uri is None:
        from loaders.load import load_bundle

        print(f"loading the reference bundle at scale {args.scale}", file=sys.stderr, flush=True)
        load_bundle(engine, bundle(args.scale))
    ids = sample_ids(engine)
    if not ids:
        raise SystemExit("the server holds no reference dataset (load one, or run without --uri)")
    print(f"warm-up: {args.warmup_seconds:.0f} s of reads", file=sys.stderr, flush=True)
    deadline, i = time.monotonic() + args.warmup_seconds, 0
    while time.monotonic() < deadline:
        engine.read("RETURN 1")
        run_catalog(engine, "entity_by_id", {"id": ids[i % len(ids)]})
        i += 1
    if pid:
        result["breakdown"] = breakdown(engine, pid, 2000)
    cpu0 = process_cpu_seconds(pid) if pid else None
    began = time.monotonic()
    times = warm_rounds(engine, ids, args.requests)
    result["warm_seconds"] = round(time.monotonic() - began, 1)
    result["warm_server_cpu_s"] = round((process_cpu_seconds(pid) or 0) - cpu0, 2) if pid and cpu0 is not None else None
    result["warm"] = {name: {"p50_ms": percentiles(ms)[0], "p99_ms": percentiles(ms)[1], "mean_ms": statistics.fmean(ms)}
                      for name, ms in times.items()}
    return result


def report(result: dict[str, Any]) -> str:
    lines = []
    if result.get("cold"):
        lines += ["cold server, RETURN 1 through engine.read (5 s windows):", "",
                  md_table(["until s", "queries", "p50 ms", "p99 ms", "server CPU s", "of it JIT s"],
                           [[w["until_s"], w["queries"], f"{w['p50_ms']:.2f}", f"{w['p99_ms']:.2f}",
                             w.get("server_cpu_s", "-"), w.get("jit_cpu_s", "-")] for w in result["cold"]]), ""]
    if result.get("breakdown"):
        b = result["breakdown"]
        lines += [f"warm server, one auto-commit RETURN 1, per query over {b['queries']}: wall {b['wall_ms']} ms; client CPU "
                  f"{b['client_cpu_ms']} + waiting for a CPU {b['client_wait_ms']}; server Bolt threads CPU "
                  f"{b['server_bolt_cpu_ms']} + waiting {b['server_bolt_wait_ms']}; server JIT CPU {b['server_jit_cpu_ms']}, "
                  f"all server threads CPU {b['server_all_cpu_ms']}", ""]
    lines += [f"warm server, {result['rounds']} rounds of each variant in rotation:", "",
              md_table(["query", "way", "p50 ms", "p99 ms"],
                       [[*name.split(" | "), f"{v['p50_ms']:.2f}", f"{v['p99_ms']:.2f}"] for name, v in result["warm"].items()])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrip", description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", help="a running server holding a reference dataset (default: start and load one)")
    parser.add_argument("--pid", type=int, help="with --uri: the server's process id, for the CPU breakdown")
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--requests", type=int, default=400, help="rounds of the warm comparison")
    parser.add_argument("--warmup-seconds", type=float, default=60.0)
    parser.add_argument("--cold-seconds", type=float, default=30.0, help="0: skip the cold series")
    args = parser.parse_args(argv)
    info = machine()
    if args.uri:
        engine = Neo4jEngine(args.uri)
        try:
            result = measure(engine, args.pid, args)
        finally:
            engine.close()
    else:
        with neo4j_server(heap="1g", pagecache="256m") as server:
            engine = Neo4jEngine(server.uri)
            try:
                result = measure(engine, server.pid, args)
            finally:
                engine.close()
    result.update(rounds=args.requests, loadavg_end=loadavg(), cpu_pressure_end=cpu_pressure())
    print(f"\n{describe_machine(info)}; load avg {info['loadavg_start'][0]:.1f} -> {result['loadavg_end'][0]:.1f}, "
          f"CPU pressure {result['cpu_pressure_end']}%\n")
    print(report(result))
    save_results("roundtrip", {"machine": info, "args": vars(args), **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
