"""API overhead: the fixed cost the app adds to one request, against the same work called directly.

``python -m bench.overhead [--requests 2000] [--db PATH] [--profile FILE]``

In this process, on the embedded engine at scale 1: ``GET /api/v1/entities/{id}`` and
``GET /api/v1/orgs/{id}/chain`` through the whole app (httpx's in-process ASGI transport, the app's
lifespan run as ``serve`` runs it), interleaved request by request with the same answer computed on the
raw engine, as ``bench.api`` does; and, as the floors, a bare FastAPI route (no middleware, no
dependencies; a sync ``def``, so one thread-pool hop, and an ``async def``, none) through the same
transport. Each request is also sent, interleaved, straight to the ASGI app (:func:`asgi_get`: a minimal
HTTP scope, no client, no transport), so the figures separate what the app adds (*app* columns) from what
httpx's client and in-process transport add on top (*API* columns, what a caller in this process sees;
``bench.api`` reports the same pair). Twice: in open mode (loopback, no keys: what ``bench.api``
measures) and with an analyst key in ``X-API-Key`` (key check, redaction and an audit line per member
read). Prints p50/p99 in ms, the overhead ratios (API p50 / direct p50 and app p50 / direct p50) and the
CPU time of this process (all its threads) per request, through the API and direct: on a shared machine
the wall-clock figures swing with the load, the CPU time much less.

The store: by default the reference bundle at scale 1 is generated and loaded into a temporary LadybugDB
database; ``--db`` copies an existing database file (e.g. ``data/bench/api-embedded-s1/graph.lbug``) into
the temporary directory instead, so the original is never opened, let alone written.
``--profile FILE`` writes a cProfile of the API requests of the keyed run (``python -m pstats FILE``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SEED = 2018
BARE = "bare FastAPI route (sync def)"
BARE_ASYNC = "bare FastAPI route (async def)"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_store(tmp: Path, source: Path | None) -> Path:
    """A database of the reference bundle at scale 1 in ``tmp`` (a copy of ``source`` if given)."""
    db_path = tmp / "graph.lbug"
    if source is not None:
        shutil.copyfile(source, db_path)
        return db_path
    from graph.ladybug_engine import LadybugEngine
    from loaders.load import load_bundle
    from loaders.reference import generate

    _log("generating the reference bundle (scale 1) and loading it into a temporary database ...")
    started = time.perf_counter()
    generate(tmp / "bundle", scale=1, seed=SEED)
    engine = LadybugEngine(db_path)
    try:
        load_bundle(engine, tmp / "bundle")
    finally:
        engine.close()
    _log(f"  done in {time.perf_counter() - started:.0f} s")
    return db_path


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def lookup_samples(engine: Any) -> dict[str, list[str]]:
    def spread(query: str, count: int = 20) -> list[str]:
        ids = [r["id"] for r in engine.read(query)]
        return ids[:: max(1, len(ids) // count)][:count]

    lookups = [x for group in zip(spread("MATCH (x:Compound) RETURN x.id AS id ORDER BY id"),
                                  spread("MATCH (x:Member) RETURN x.id AS id ORDER BY id"),
                                  spread("MATCH (x:Community) RETURN x.id AS id ORDER BY id"),
                                  spread("MATCH (x:PartyOrg) WHERE x.level = '党支部' RETURN x.id AS id ORDER BY id"),
                                  spread("MATCH (x:Enterprise) RETURN x.id AS id ORDER BY id"), strict=False) for x in group]
    branches = spread("MATCH (x:PartyOrg) WHERE x.level = '党支部' RETURN x.id AS id ORDER BY id")
    return {"lookup": lookups, "branch": branches}


def skip_httpx_trio_probe() -> bool:
    """Make httpx's in-process transport stop looking for ``sniffio`` on every request; True if it did.

    ``httpx.ASGITransport`` creates an event per request and first asks ``sniffio`` whether trio is
    running, with an ``import sniffio`` each time. sniffio is no longer installed (anyio 4.16 does not need
    it), so each of those imports searched ``sys.path`` and failed: ~0.1 ms per request on an idle machine,
    several times that under load, all of it in the client, none in the app or in HTTP. Marking the module
    absent once (``sys.modules["sniffio"] = None``) makes the import fail at once, as it would after a first
    failed search in any real client; with sniffio installed nothing changes. The benchmarks say so when
    they do it."""
    import importlib.util

    if "sniffio" in sys.modules or importlib.util.find_spec("sniffio") is not None:
        return False
    sys.modules["sniffio"] = None  # type: ignore[assignment]
    return True


async def asgi_get(app: Any, target: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """``GET target`` straight into the ASGI ``app``: (status, body). No client and no transport: what the
    app itself costs, as a server such as uvicorn calls it once it has parsed the request."""
    path, _, query = target.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query.encode(),
             "headers": [(b"host", b"127.0.0.1"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80)}
    status, chunks = 0, []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _bare_app() -> Any:
    from fastapi import FastAPI

    bare = FastAPI()

    @bare.get("/bare/{id}")
    def bare_route(id: str) -> dict[str, str]:
        return {"id": id}

    @bare.get("/bare-async/{id}")
    async def bare_async_route(id: str) -> dict[str, str]:
        return {"id": id}

    return bare


async def _measure(app: Any, routes: list[tuple[str, Callable[[int], str], Callable[[int], Any] | None]], *, requests: int,
                   warmup: int, headers: dict[str, str], profile: cProfile.Profile | None = None) -> dict[str, dict[str, float]]:
    """Per request ``i``, interleaved: through httpx (API), straight into the ASGI app (app), and the direct call."""
    import httpx

    results: dict[str, dict[str, float]] = {}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers) as client:
        for name, path, direct in routes:
            api_ms: list[float] = []
            app_ms: list[float] = []
            direct_ms: list[float] = []
            api_cpu = app_cpu = direct_cpu = 0.0
            for i in range(warmup):
                (await client.get(path(i))).raise_for_status()
                await asgi_get(app, path(i), headers)
                if direct is not None:
                    direct(i)
            for i in range(requests):
                c0, t0 = time.process_time(), time.perf_counter()
                if profile is not None:
                    profile.enable()
                response = await client.get(path(i))
                if profile is not None:
                    profile.disable()
                c1, t1 = time.process_time(), time.perf_counter()
                status, body = await asgi_get(app, path(i), headers)
                c2, t2 = time.process_time(), time.perf_counter()
                if direct is not None:
                    direct(i)
                c3, t3 = time.process_time(), time.perf_counter()
                api_cpu += c1 - c0
                app_cpu += c2 - c1
                direct_cpu += c3 - c2
                if response.status_code != 200 or status != 200:
                    raise RuntimeError(f"{name}: HTTP {response.status_code} / {status}: {response.text[:200]}")
                if body != response.content:
                    raise RuntimeError(f"{name}: the ASGI call and httpx got different bodies")
                api_ms.append((t1 - t0) * 1000)
                app_ms.append((t2 - t1) * 1000)
                direct_ms.append((t3 - t2) * 1000)
            row = {"api_p50": _percentile(api_ms, 50), "api_p99": _percentile(api_ms, 99), "api_mean": statistics.fmean(api_ms),
                   "api_cpu": api_cpu / requests * 1000, "app_p50": _percentile(app_ms, 50), "app_p99": _percentile(app_ms, 99),
                   "app_cpu": app_cpu / requests * 1000}
            if direct is not None:
                row.update(direct_p50=_percentile(direct_ms, 50), direct_p99=_percentile(direct_ms, 99),
                           direct_cpu=direct_cpu / requests * 1000)
                row["overhead"] = row["api_p50"] / row["direct_p50"]
                row["added_p50"] = row["api_p50"] - row["direct_p50"]
                row["app_overhead"] = row["app_p50"] / row["direct_p50"]
                row["app_added_p50"] = row["app_p50"] - row["direct_p50"]
            results[name] = row
    return results


async def _run_app(app: Any, measure: Callable[[], Awaitable[dict[str, dict[str, float]]]]) -> dict[str, dict[str, float]]:
    async with app.router.lifespan_context(app):
        return await measure()


def run(db_path: Path, tmp: Path, *, requests: int, warmup: int, profile_to: Path | None) -> dict[str, dict[str, dict[str, float]]]:
    from api.app import create_app
    from api.keys import Role, add_key
    from api.routes.entities import get_entity, get_org
    from api.settings import Settings
    from graph.ladybug_engine import LadybugEngine
    from queries import answers

    engine = LadybugEngine(db_path, read_only=True, buffer_pool_mb=1024, timeout_s=30.0)
    try:
        samples = lookup_samples(engine)
        lookups, branches = samples["lookup"], samples["branch"]

        def lookup(i: int) -> str:
            return lookups[i % len(lookups)]

        def branch(i: int) -> str:
            return branches[i % len(branches)]

        def chain(i: int) -> Any:
            org = get_org(engine, branch(i))
            return {"org": org, "chain": answers.org_chain(engine, org)}

        routes: list[tuple[str, Callable[[int], str], Callable[[int], Any] | None]] = [
            ("GET /api/v1/entities/{id}", lambda i: f"/api/v1/entities/{lookup(i)}", lambda i: get_entity(engine, lookup(i))),
            ("GET /api/v1/orgs/{id}/chain", lambda i: f"/api/v1/orgs/{branch(i)}/chain", chain),
        ]
        out: dict[str, dict[str, dict[str, float]]] = {}
        bare = _bare_app()
        out["bare"] = asyncio.run(_measure(bare, [(BARE, lambda i: f"/bare/{lookup(i)}", None),
                                                  (BARE_ASYNC, lambda i: f"/bare-async/{lookup(i)}", None)],
                                           requests=requests, warmup=warmup, headers={}))
        base: dict[str, Any] = {"engine": "embedded", "db_path": str(db_path), "host": "127.0.0.1", "query_timeout_s": 30.0}
        open_settings = Settings(**base, api_keys_file=tmp / "no-keys.jsonl", audit_log=tmp / "audit-open.jsonl")
        app = create_app(open_settings, engine=engine)
        out["open"] = asyncio.run(_run_app(app, lambda: _measure(app, routes, requests=requests, warmup=warmup, headers={})))
        keys_file = tmp / "keys.jsonl"
        _, key = add_key(keys_file, Role.analyst, "bench.overhead")
        keyed_settings = Settings(**base, api_keys_file=keys_file, audit_log=tmp / "audit-keyed.jsonl")
        app = create_app(keyed_settings, engine=engine)
        profile = cProfile.Profile() if profile_to else None
        out["keyed"] = asyncio.run(_run_app(app, lambda: _measure(app, routes, requests=requests, warmup=warmup,
                                                                  headers={"X-API-Key": key}, profile=profile)))
        if profile is not None and profile_to is not None:
            profile.dump_stats(profile_to)
            _log(f"profile of the keyed API requests: {profile_to}")
        return out
    finally:
        engine.close()


def report(results: dict[str, dict[str, dict[str, float]]]) -> str:
    """Two tables: through httpx (API, what a caller in this process sees) and straight into the app."""
    from bench.common import md_table

    def fmt(r: dict[str, float], key: str, form: str = "{:.2f}") -> str:
        return form.format(r[key]) if key in r else "—"

    api_rows: list[list[Any]] = []
    app_rows: list[list[Any]] = []
    for mode, label in (("bare", "—"), ("open", "open (no keys)"), ("keyed", "analyst key")):
        for name, r in results[mode].items():
            api_rows.append([name, label, fmt(r, "api_p50"), fmt(r, "api_p99"), fmt(r, "direct_p50"), fmt(r, "added_p50"),
                             fmt(r, "overhead", "{:.2f}x"), fmt(r, "api_cpu"), fmt(r, "direct_cpu")])
            app_rows.append([name, label, fmt(r, "app_p50"), fmt(r, "app_p99"), fmt(r, "direct_p50"), fmt(r, "app_added_p50"),
                             fmt(r, "app_overhead", "{:.2f}x"), fmt(r, "app_cpu"), fmt(r, "api_p50")])
    api = md_table(["route", "mode", "API p50 ms", "API p99 ms", "direct p50 ms", "added p50 ms", "overhead",
                    "API CPU ms", "direct CPU ms"], api_rows)
    app = md_table(["route", "mode", "app p50 ms", "app p99 ms", "direct p50 ms", "added p50 ms", "overhead",
                    "app CPU ms", "(API p50 ms)"], app_rows)
    return ("Through httpx's ASGI transport (client + transport + app):\n\n" + api +
            "\n\nStraight into the ASGI app (a minimal HTTP scope; the app's own cost):\n\n" + app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per route (default 2000)")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--db", type=Path, help="copy this LadybugDB database file instead of loading the reference bundle")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the keyed API requests here")
    args = parser.parse_args(argv)
    if skip_httpx_trio_probe():
        _log("httpx: sniffio is not installed; marked absent so ASGITransport does not search for it on every request "
             "(see skip_httpx_trio_probe)")
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        db_path = build_store(Path(tmp), args.db)
        results = run(db_path, Path(tmp), requests=args.requests, warmup=args.warmup, profile_to=args.profile)
    print(report(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
