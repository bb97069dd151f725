"""The floors of the API-overhead ratio: what any HTTP API in Python adds to a lookup answered in well under 1 ms.

``python -m bench.floors [--requests 3000] [--db PATH]``

For the two lookups whose direct call is the cheapest (``GET /api/v1/entities/{id}``, one indexed query of the
embedded engine, and ``GET /api/v1/search``, answered from the names in memory), four ways to answer the same
request, interleaved request by request in this process (each request straight into the ASGI callable, no
client and no transport, as ``bench.overhead``'s *app* columns):

- *direct*: the route's own work called as a function (``get_entity`` / ``search_names(...).as_dict()``);
- *raw ASGI*: a callable with no framework at all that parses the path and query, does the same work, validates
  it against the route's response model and encodes the JSON (the entity's engine call in a thread, as every
  engine call of the app runs; the search on the event loop);
- *bare FastAPI*: an ``async`` FastAPI route doing exactly that (no middleware, no keys, no audit);
- *orggraph*: the app as ``serve`` builds it, in open mode.

The ratios to *direct* show how far down the API's overhead can go: the raw callable is the floor of any HTTP
API written in Python, the bare route the floor of one written with FastAPI. The store: as ``bench.overhead``
(the reference bundle at scale 1, or a copy of ``--db``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from bench.overhead import asgi_get, build_store, lookup_samples

WAYS = ("direct", "raw ASGI", "bare FastAPI", "orggraph")
Asgi = Callable[..., Any]


def _raw_asgi(work: Callable[[dict[str, Any]], bytes], *, in_thread: bool, pool: ThreadPoolExecutor) -> Asgi:
    """A framework-less ASGI callable: ``work(request)`` → JSON bytes, where ``request`` holds the path and the query."""
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        request = {"path": scope["path"], "query": {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}}
        if in_thread:
            body = await asyncio.get_running_loop().run_in_executor(pool, work, request)
        else:
            body = work(request)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


def _bare_fastapi(entity_work: Callable[[str], bytes], search_work: Callable[[str, int], bytes], pool: ThreadPoolExecutor) -> Asgi:
    from fastapi import FastAPI
    from starlette.responses import Response

    bare = FastAPI()

    @bare.get("/api/v1/entities/{id}")
    async def entity(id: str) -> Response:
        body = await asyncio.get_running_loop().run_in_executor(pool, entity_work, id)
        return Response(body, media_type="application/json")

    @bare.get("/api/v1/search")
    async def search(q: str, limit: int = 20) -> Response:
        return Response(search_work(q, limit), media_type="application/json")

    return bare


def run(db_path: Path, tmp: Path, *, requests: int, warmup: int) -> dict[str, dict[str, float]]:
    """p50 ms of each way for each lookup, and each way's ratio to *direct*."""
    from api.app import create_app
    from api.routes.entities import SEARCHABLE, Entity, SearchPage, get_entity
    from api.settings import Settings
    from bench.api import SEARCH_TERMS
    from graph.ladybug_engine import LadybugEngine
    from queries.search import search as search_names

    engine = LadybugEngine(db_path, read_only=True, buffer_pool_mb=1024, timeout_s=30.0)
    pool = ThreadPoolExecutor(4, thread_name_prefix="floors")
    try:
        lookups, labels = lookup_samples(engine)["lookup"], list(SEARCHABLE)
        engine.prepare_topology(wait=True)  # relationships, node rows and names in memory, as `serve` has them once started

        def entity_json(node_id: str) -> bytes:
            return Entity.model_validate(get_entity(engine, node_id)).model_dump_json(by_alias=True).encode()

        def search_json(q: str, limit: int) -> bytes:
            page = search_names(engine, q, labels, limit, 0).as_dict()
            return SearchPage.model_validate(page).model_dump_json(by_alias=True).encode()

        raw_entity = _raw_asgi(lambda r: entity_json(r["path"].rsplit("/", 1)[1]), in_thread=True, pool=pool)
        raw_search = _raw_asgi(lambda r: search_json(r["query"]["q"], int(r["query"].get("limit", 20))), in_thread=False, pool=pool)
        bare = _bare_fastapi(entity_json, search_json, pool)
        settings = Settings(engine="embedded", db_path=str(db_path), host="127.0.0.1", query_timeout_s=30.0,
                            api_keys_file=tmp / "no-keys.jsonl", audit_log=tmp / "audit.jsonl")
        app = create_app(settings, engine=engine)
        cases: dict[str, tuple[Callable[[int], str], Callable[[int], Any], Asgi]] = {
            "entity lookup": (lambda i: f"/api/v1/entities/{lookups[i % len(lookups)]}",
                              lambda i: get_entity(engine, lookups[i % len(lookups)]), raw_entity),
            "search by name": (lambda i: f"/api/v1/search?q={quote(SEARCH_TERMS[i % len(SEARCH_TERMS)])}&limit=20",
                               lambda i: search_names(engine, SEARCH_TERMS[i % len(SEARCH_TERMS)], labels, 20, 0).as_dict(),
                               raw_search),
        }

        async def measure() -> dict[str, dict[str, float]]:
            out: dict[str, dict[str, float]] = {}
            async with app.router.lifespan_context(app):
                for name, (path, direct, raw) in cases.items():
                    times: dict[str, list[float]] = {way: [] for way in WAYS}
                    for i in range(warmup + requests):
                        started = time.perf_counter()
                        direct(i)
                        times["direct"].append(time.perf_counter() - started)
                        bodies = set()
                        for way, target in (("raw ASGI", raw), ("bare FastAPI", bare), ("orggraph", app)):
                            started = time.perf_counter()
                            status, body = await asgi_get(target, path(i))
                            times[way].append(time.perf_counter() - started)
                            if status != 200:
                                raise RuntimeError(f"{name}, {way}: HTTP {status}: {body[:200]!r}")
                            bodies.add(body)
                        if len(bodies) != 1:  # the same work, or the comparison says nothing
                            raise RuntimeError(f"{name}: the three ways answered {path(i)} differently")
                    p50 = {way: statistics.median(t[warmup:]) * 1000 for way, t in times.items()}
                    out[name] = {**p50, **{f"{way} ratio": p50[way] / p50["direct"] for way in WAYS[1:]}}
            return out

        return asyncio.run(measure())
    finally:
        pool.shutdown()
        engine.close()


def report(results: dict[str, dict[str, float]]) -> str:
    from bench.common import md_table

    rows = [[name, *(f"{r[way]:.3f}" for way in WAYS), *(f"{r[way + ' ratio']:.2f}x" for way in WAYS[1:])]
            for name, r in results.items()]
    return md_table(["lookup", *(f"{way} p50 ms" for way in WAYS), *(f"{way} / direct" for way in WAYS[1:])], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floors", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per lookup and way (default 3000)")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--db", type=Path, help="copy this LadybugDB database file instead of loading the reference bundle")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-floors-") as tmp:
        db_path = build_store(Path(tmp), args.db)
        results = run(db_path, Path(tmp), requests=args.requests, warmup=args.warmup)
    print(report(results))
    print("\n(Each request straight into the ASGI callable, interleaved; ratio = p50 / the direct call's p50.)", file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
