"""HTTP load test on loopback: N concurrent clients for T seconds against a real ``uvicorn`` server.

``python -m bench.load_test [--clients 50] [--seconds 60] [--engine embedded|neo4j] [--neo4j-uri URI] [--scale 1]``

The server runs in a child process exactly as ``orggraph serve`` runs it (API keys configured, the
embedded database opened read-only), over the reference dataset. Each client loops over a mix of
API requests (coverage, gaps, lookups, neighborhoods, paths, search, catalog queries, member records
as an analyst) with a viewer or analyst key. Every answer must be a 200: anything else, or a
transport error, counts as an error. Prints throughput and latency percentiles, overall and per request.

``tests/test_load_test.py`` runs the same clients in a reduced form in CI (10 clients for 5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx


@dataclass(frozen=True)
class Request:
    """One request of the mix: a name for the report, the path and query, and the key's role."""

    name: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    role: str = "viewer"


def default_mix(group: str = "htg-01", member: str = "mem-0011303") -> list[Request]:
    """The requests clients cycle through (ids of the reference dataset)."""
    return [
        Request("health", "/api/v1/health"),
        Request("coverage summary", "/api/v1/coverage/summary", {"level": "subdistrict"}),
        Request("coverage towers", "/api/v1/coverage/summary", {"target": "building", "level": "district"}),
        Request("gaps", "/api/v1/coverage/gaps", {"limit": 50}),
        Request("gap list", "/api/v1/coverage/gaps/enterprises-without-own-branch"),
        Request("entity", "/api/v1/entities/440303002003"),
        Request("neighbors", "/api/v1/entities/org-luohu/neighbors", {"depth": 1}),
        Request("org chain", "/api/v1/orgs/org-mb-01/chain"),
        Request("org subtree", "/api/v1/orgs/org-luohu/subtree", {"depth": 2}),
        Request("path", "/api/v1/paths", {"source": group, "target": "org-luohu"}),
        Request("search", "/api/v1/search", {"q": "花园", "limit": 20}),
        Request("catalog query", "/api/v1/queries/mobile_branches"),
        Request("members (analyst)", "/api/v1/queries/hometown_group_members", {"id": group}, role="analyst"),
        Request("member (analyst)", f"/api/v1/entities/{member}", role="analyst"),
    ]


@dataclass
class LoadReport:
    clients: int
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values()) + len(self.errors)

    def percentiles(self, name: str | None = None) -> dict[str, float]:
        values = sorted(self.latencies.get(name, []) if name else [x for v in self.latencies.values() for x in v])
        if not values:
            return {}
        cut = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
        return {"p50": cut[49] * 1000, "p90": cut[89] * 1000, "p99": cut[98] * 1000, "max": values[-1] * 1000,
                "mean": statistics.fmean(values) * 1000}

    def as_dict(self) -> dict[str, Any]:
        return {"clients": self.clients, "seconds": round(self.seconds, 1), "requests": self.requests,
                "requests_per_s": round(self.requests / self.seconds, 1), "errors": len(self.errors),
                "latency_ms": {k: round(v, 1) for k, v in self.percentiles().items()},
                "per_request_ms": {name: {k: round(v, 1) for k, v in self.percentiles(name).items()} for name in self.latencies},
                "first_errors": self.errors[:10]}

    def table(self) -> str:
        lines = [f"{self.clients} clients, {self.seconds:.0f} s: {self.requests:,} requests, "
                 f"{self.requests / self.seconds:,.1f} req/s, {len(self.errors)} errors",
                 "", "| request | n | p50 ms | p90 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
        for name in [*sorted(self.latencies), None]:
            p = self.percentiles(name)
            n = len(self.latencies[name]) if name else self.requests - len(self.errors)
            if p:
                lines.append(f"| {name or '**all**'} | {n:,} | {p['p50']:.0f} | {p['p90']:.0f} | {p['p99']:.0f} | {p['max']:.0f} |")
        return "\n".join(lines)


async def _client(http: httpx.AsyncClient, mix: Sequence[Request], keys: dict[str, str], offset: int, deadline: float,
                  report: LoadReport) -> None:
    i = offset
    while time.monotonic() < deadline:
        request = mix[i % len(mix)]
        i += 1
        started = time.perf_counter()
        try:
            response = await http.get(request.path, params=request.params, headers={"X-API-Key": keys[request.role]})
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                report.errors.append(f"{request.name}: {response.status_code} {response.text[:200]}")
                continue
        except httpx.HTTPError as exc:
            report.errors.append(f"{request.name}: {type(exc).__name__} {exc}")
            continue
        report.latencies.setdefault(request.name, []).append(elapsed)


async def _run(base_url: str, keys: dict[str, str], clients: int, seconds: float, mix: Sequence[Request]) -> LoadReport:
    report = LoadReport(clients=clients, seconds=seconds)
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, or a reused one may be closed
    # under the request (a ReadError that is the client's race, not the server's failure).
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=2.0)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(_client(http, mix, keys, n, deadline, report) for n in range(clients)))
        report.seconds = time.monotonic() - started
    return report


def run_load(base_url: str, keys: dict[str, str], *, clients: int, seconds: float,
             mix: Sequence[Request] | None = None) -> LoadReport:
    """Run ``clients`` concurrent clients against ``base_url`` for ``seconds``; ``keys`` maps roles to keys."""
    return asyncio.run(_run(base_url, keys, clients, seconds, mix or default_mix()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_serving(base_url: str, key: str, timeout: float = 120, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base_url}/api/v1/health", headers={"X-API-Key": key}, timeout=5).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the server at {base_url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread of this process (the CI test: its engine is a fixture)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


@contextlib.contextmanager
def serve_in_process(env: dict[str, str], port: int, key: str) -> Iterator[str]:
    """Serve the app from the settings in ``env`` in a child process, as ``orggraph serve`` does."""
    command = [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env={**os.environ, **env})
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, key, process=process)
        yield base_url
    finally:
        process.terminate()
        process.wait(30)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--engine", choices=["embedded", "neo4j"], default="embedded")
    parser.add_argument("--neo4j-uri", help="a running Neo4j holding the reference dataset (default: load one into a "
                        "fresh embedded database)")
    parser.add_argument("--scale", type=int, default=1, help="reference dataset scale (embedded)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    args = parser.parse_args(argv)

    from api.keys import Role, add_key

    with tempfile.TemporaryDirectory(prefix="orggraph-loadtest-") as tmp:
        keys_file = Path(tmp) / "keys.jsonl"
        keys = {role.value: add_key(keys_file, role, f"load test {role.value}")[1] for role in (Role.viewer, Role.analyst)}
        env = {"ORGGRAPH_API_KEYS_FILE": str(keys_file), "ORGGRAPH_AUDIT_LOG": str(Path(tmp) / "audit.jsonl"),
               "ORGGRAPH_ENGINE": args.engine}
        if args.engine == "neo4j":
            if not args.neo4j_uri:
                parser.error("--engine neo4j needs --neo4j-uri of a server holding the reference dataset")
            env["ORGGRAPH_NEO4J_URI"] = args.neo4j_uri
        else:
            from bench.common import bundle
            from graph.ladybug_engine import LadybugEngine
            from loaders.load import load_bundle

            db = Path(tmp) / "graph.lbug"
            with LadybugEngine(db, buffer_pool_mb=1024) as engine:
                load_bundle(engine, bundle(args.scale))
            env["ORGGRAPH_DB_PATH"] = str(db)
        with serve_in_process(env, free_port(), keys["viewer"]) as base_url:
            load = os.getloadavg()
            report = run_load(base_url, keys, clients=args.clients, seconds=args.seconds)
    print(f"\n{report.table()}\n\nmachine: {os.cpu_count()} cores; load average before the run {load[0]:.1f} "
          f"(other processes share the cores); engine {args.engine}")
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    if report.errors:
        print("\n".join(report.errors[:20]), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
