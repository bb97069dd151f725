"""The per-request fast path (docs/benchmarks.md, "API overhead") keeps every security property.

The app avoids per-request costs (a middleware task, a second thread-pool hop, a dependency level, the
read-only check of the same catalog text, reopening the audit log); these tests pin down that the
shortcuts are there and that roles, redaction, audit, revocation, no-store and problem+json still hold.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.middleware.base import BaseHTTPMiddleware

from api.app import create_app
from api.audit import AuditLog
from api.guard import RequestContextMiddleware, _check_read_remembered, check_read, guard
from api.keys import Role, add_key, key_id_of, revoke_key
from api.problems import NotFoundError
from api.redaction import MEMBER_FIELDS
from api.routes.common import answer
from api.security import RoleRequirement, effective_routes, original_route, requires
from graph.errors import QueryError
from graph.ladybug_engine import LadybugEngine
from graph.readonly import WriteRefusedError
from tests.secure import secure_app, secure_settings

HOT_ROUTES = ("/api/v1/entities/{id}", "/api/v1/entities/{id}/neighbors", "/api/v1/orgs/{id}/chain",
              "/api/v1/orgs/{id}/subtree", "/api/v1/paths", "/api/v1/search")


def _ids(engine: LadybugEngine) -> tuple[str, str]:
    member = engine.read("MATCH (m:Member) RETURN m.id AS id ORDER BY id LIMIT 1")[0]["id"]
    branch = engine.read("MATCH (o:PartyOrg) WHERE o.level = '党支部' RETURN o.id AS id ORDER BY id LIMIT 1")[0]["id"]
    return member, branch


def test_middleware_is_pure_asgi_and_dependencies_async(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    app = create_app(secure_settings(reference_embedded, tmp_path), engine=reference_embedded)
    assert [m.cls for m in app.user_middleware] == [RequestContextMiddleware]
    assert not issubclass(RequestContextMiddleware, BaseHTTPMiddleware), "no task and memory stream per request"

    def calls(dependant: Any) -> list[Any]:
        return [c for d in dependant.dependencies for c in (d.call, *calls(d))]

    routes = {r.path: r for r in effective_routes(app) if isinstance(original_route(r), APIRoute)}
    for path in HOT_ROUTES:
        route = routes[path]
        assert inspect.iscoroutinefunction(route.endpoint), f"{path}: one thread-pool hop, not two"
        deps = calls(route.dependant)
        assert all(inspect.iscoroutinefunction(c if inspect.isfunction(c) else type(c).__call__)
                   for c in deps), f"{path}: a sync dependency costs a thread-pool hop"
        assert any(isinstance(c, RoleRequirement) for c in deps), f"{path} still declares its role"


def test_fastapi_telemetry_is_off_unless_asked_for(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    """FastAPI's native OpenTelemetry looks for configured providers on every request when it is on."""
    settings = secure_settings(reference_embedded, tmp_path)
    app = create_app(settings, engine=reference_embedded)
    assert not any(app._telemetry[kind] for kind in ("tracing", "metrics", "logs"))
    traced = create_app(settings.model_copy(update={"opentelemetry": True}), engine=reference_embedded)
    assert all(traced._telemetry[kind] for kind in ("tracing", "metrics", "logs"))


def test_revocation_applies_at_once_on_the_hot_routes(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    member, branch = _ids(reference_embedded)
    app = secure_app(reference_embedded, tmp_path)
    with app.client:
        for _ in range(3):  # warm whatever is remembered between requests
            assert app.get(Role.analyst, f"/api/v1/entities/{member}").status_code == 200
            assert app.get(Role.analyst, f"/api/v1/orgs/{branch}/chain").status_code == 200
        key_id = key_id_of(app.keys[Role.analyst])
        assert key_id is not None
        revoke_key(app.keys_file, key_id)
        for path in (f"/api/v1/entities/{member}", f"/api/v1/orgs/{branch}/chain"):
            response = app.get(Role.analyst, path)
            assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
        assert app.get(Role.viewer, f"/api/v1/entities/{member}").status_code == 200, "other keys still work"


def test_hot_routes_redact_audit_and_do_not_cache(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    member, _ = _ids(reference_embedded)
    raw = reference_embedded.read("MATCH (m:Member {id: $id}) RETURN m.name AS name", {"id": member})[0]["name"]
    app = secure_app(reference_embedded, tmp_path)
    with app.client:
        seen = {role: app.get(role, f"/api/v1/entities/{member}") for role in Role}
        for response in seen.values():
            assert response.status_code == 200 and response.headers["content-type"] == "application/json"
            assert response.headers["cache-control"] == "no-store"
        assert not set(seen[Role.viewer].json()) & MEMBER_FIELDS - {"synthetic"}, "a viewer sees a member only as an id"
        analyst = seen[Role.analyst].json()
        assert analyst["name"] != raw and "birth_year" not in analyst
        assert seen[Role.admin].json()["name"] == raw
        missing = app.get(Role.viewer, "/api/v1/entities/no-such-entity")
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["cache-control"] == "no-store"
        not_org = app.get(Role.viewer, f"/api/v1/orgs/{member}/chain")
        assert not_org.status_code == 404 and not_org.json()["title"] == "Not found"
    events = app.audit.read()
    assert [(e["role"], e["view"]) for e in events if e["path"] == f"/api/v1/entities/{member}"] == [
        ("viewer", "ids"), ("analyst", "masked"), ("admin", "full")]


def test_answer_checks_the_shape_and_reports_a_bad_one_as_500(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    class Shape(BaseModel):
        count: int

    response = asyncio.run(answer(Shape, lambda: {"count": 3}))
    assert response.body == b'{"count":3}' and response.media_type == "application/json"

    keyed = secure_app(reference_embedded, tmp_path)
    app: FastAPI = keyed.client.app  # type: ignore[assignment]

    @app.get("/api/v1/broken", dependencies=[requires(Role.viewer)])
    async def broken() -> Response:
        return await answer(Shape, lambda: {"count": "not a number"})

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/broken", headers=keyed.headers(Role.viewer))
        assert response.status_code == 500, "a wrong answer is our bug, not an invalid parameter (422)"
        assert response.headers["content-type"] == "application/problem+json"
        assert "not a number" not in response.text, "no value is echoed"
        assert client.get("/api/v1/broken").status_code == 401, "the role is checked before any work"


def test_read_only_check_is_remembered_for_reads_only(embedded_engine: LadybugEngine) -> None:
    guarded = guard(embedded_engine)
    _check_read_remembered.cache_clear()
    for _ in range(3):
        assert guarded.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    assert _check_read_remembered.cache_info().hits >= 2
    for _ in range(3):  # a refusal is never remembered as a pass
        with pytest.raises(WriteRefusedError):
            guarded.read("MATCH (n) DETACH DELETE n")
        with pytest.raises(WriteRefusedError):
            check_read("CREATE (n:PartyOrg {id: 'x'})", "ladybug")
    long_write = "MATCH (n) WHERE n.id = '" + "x" * 10_000 + "' DETACH DELETE n"
    with pytest.raises(WriteRefusedError):
        guarded.read(long_write)
    with pytest.raises(QueryError):
        guarded.write("MATCH (n) RETURN n")


def test_audit_log_stays_open_but_follows_rotation_and_removal(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "audit.jsonl"
    log = AuditLog(path)
    log.write("member_data", key_id="a", members=1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.rename(path, tmp_path / "logs" / "audit.jsonl.1")  # logrotate: rename, then the app writes a new file
    log.write("member_data", key_id="b", members=2)
    assert [e["key_id"] for e in log.read()] == ["b"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.unlink()
    log.write("member_data", key_id="c", members=3)
    assert [e["key_id"] for e in log.read()] == ["c"]
    other = AuditLog(path)  # two writers (two workers) append whole lines to the same file
    for i in range(50):
        (log if i % 2 else other).write("member_data", key_id=str(i), members=i)
    assert len(log.read()) == 51
    log.close()
    log.write("member_data", key_id="after-close", members=0)
    assert log.read()[-1]["key_id"] == "after-close"


# ------------------------------------------------------------------ the app's worker pool (api/workers.py)


def test_worker_pool_runs_in_threads_with_the_callers_context() -> None:
    from api.guard import _CURRENT, RequestContext, current_context
    from api.workers import WorkerPool

    pool = WorkerPool(3)

    def who() -> tuple[str, str, int]:
        ctx = current_context()
        assert ctx is not None
        return ctx.key_id, threading.current_thread().name, threading.get_ident()

    async def request(key_id: str, delay: float) -> tuple[str, str, int]:
        _CURRENT.set(RequestContext(key_id=key_id))  # each task has its own context, as each request has

        def slow() -> tuple[str, str, int]:
            time.sleep(delay)  # overlapping: several threads busy at once
            return who()

        return await pool.run(slow)

    async def main() -> list[tuple[str, str, int]]:
        return await asyncio.gather(*(request(f"key-{i}", 0.02 * (i % 3)) for i in range(12)))

    results = asyncio.run(main())
    assert [key for key, _, _ in results] == [f"key-{i}" for i in range(12)], "each request's context follows its work"
    assert all(name.startswith("orggraph-worker-") for _, name, _ in results)
    assert threading.get_ident() not in {ident for _, _, ident in results}, "never on the event loop's thread"
    assert 1 <= pool.threads <= 3

    async def fails() -> None:
        def boom() -> None:
            raise NotFoundError("no entity with id 'x'")

        await pool.run(boom)

    with pytest.raises(NotFoundError):  # errors reach the route, and so the problem handlers
        asyncio.run(fails())
    pool.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        asyncio.run(pool.run(lambda: 1))


def test_a_cancelled_request_waits_for_its_work() -> None:
    """As with anyio's thread pool: the work is not abandoned, so what it read is in the request's audit line."""
    from api.workers import WorkerPool

    pool = WorkerPool(1)
    finished: list[float] = []

    def work() -> None:
        time.sleep(0.2)
        finished.append(time.perf_counter())

    async def main() -> float:
        task = asyncio.ensure_future(pool.run(work))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.perf_counter()

    cancelled_at = asyncio.run(main())
    assert finished and finished[0] <= cancelled_at, "the cancellation came through only after the work ended"
    pool.shutdown()


def test_the_app_owns_its_pool_sized_from_settings(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    member, _ = _ids(reference_embedded)
    app = create_app(secure_settings(reference_embedded, tmp_path, worker_threads=2), engine=reference_embedded)
    keys = {role: add_key(tmp_path / "keys.jsonl", role, role.value)[1] for role in Role}
    with TestClient(app) as client:
        pool = app.state.workers
        assert pool.max_threads == 2
        assert client.get(f"/api/v1/entities/{member}", headers={"X-API-Key": keys[Role.viewer]}).status_code == 200
        assert 1 <= pool.threads <= 2
    with pytest.raises(RuntimeError, match="shut down"):  # shut down with the app, before the engine is closed
        asyncio.run(pool.run(lambda: 1))


def test_concurrent_requests_keep_their_own_role(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    """Many requests in flight at once, with different keys: each answer is redacted for its own key's role
    and each audit line names its own role, although the work of all of them runs in the same few threads."""
    import httpx

    member, branch = _ids(reference_embedded)
    raw = reference_embedded.read("MATCH (m:Member {id: $id}) RETURN m.name AS name", {"id": member})[0]["name"]
    app = create_app(secure_settings(reference_embedded, tmp_path, worker_threads=3), engine=reference_embedded)
    keys = {role: add_key(tmp_path / "keys.jsonl", role, role.value)[1] for role in Role}
    roles = [list(Role)[i % 3] for i in range(30)]

    async def main() -> list[httpx.Response]:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                return await asyncio.gather(*(
                    client.get(f"/api/v1/entities/{member}" if i % 2 else f"/api/v1/orgs/{branch}/chain",
                               headers={"X-API-Key": keys[role]})
                    for i, role in enumerate(roles)))

    responses = asyncio.run(main())
    for i, (role, response) in enumerate(zip(roles, responses, strict=True)):
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
        if i % 2:
            body = response.json()
            expected = {Role.viewer: None, Role.analyst: "masked", Role.admin: raw}[role]
            if expected is None:
                assert not set(body) & MEMBER_FIELDS - {"synthetic"}, f"request {i}: a viewer sees an id only"
            elif expected == "masked":
                assert body["name"] != raw and "birth_year" not in body, f"request {i}: an analyst sees a masked name"
            else:
                assert body["name"] == raw, f"request {i}: an admin sees the name"
    events = [e for e in AuditLog(tmp_path / "audit.jsonl").read() if e["path"] == f"/api/v1/entities/{member}"]
    from api.redaction import VIEW_NAME

    expected_lines = sorted((role.value, VIEW_NAME[role]) for i, role in enumerate(roles) if i % 2)
    assert sorted((e["role"], e["view"]) for e in events) == expected_lines, "one audit line per member read, own role"


def test_role_requirement_is_one_dependency_and_the_documented_scheme(reference_embedded: LadybugEngine,
                                                                       tmp_path: Path) -> None:
    from fastapi.security import APIKeyHeader

    from api.security import api_key_header

    app = create_app(secure_settings(reference_embedded, tmp_path), engine=reference_embedded)
    routes = {r.path: r for r in effective_routes(app) if isinstance(original_route(r), APIRoute)}
    for path in HOT_ROUTES:
        roles = [d for d in routes[path].dependant.dependencies if isinstance(d.call, RoleRequirement)]
        assert len(roles) == 1 and isinstance(roles[0].call, APIKeyHeader), path
        assert not roles[0].dependencies, f"{path}: the role check reads the header itself, no dependency below it"
        assert [d.call for d in routes[path].dependant.dependencies] == [roles[0].call], f"{path}: one dependency"
    schema = app.openapi()
    assert schema["components"]["securitySchemes"] == {
        "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": api_key_header.model.description}}
    for path in ("/api/v1/entities/{id}", "/api/v1/orgs/{id}/chain", "/api/v1/orgs/{id}/subtree", "/api/v1/health"):
        assert schema["paths"][path]["get"]["security"] == [{"ApiKey": []}], path


def test_redaction_walks_nested_values_past_the_leaves() -> None:
    from api.redaction import redact

    node = {"id": "mem-1", "label": "Member", "name": "张三明", "birth_year": 1980}
    value = {"rows": [[node, "x", 1, None, 2.5, True], ("a", {"nested": (node,)})], "count": 3}
    viewer = redact(value, Role.viewer)
    assert viewer == {"rows": [[{"id": "mem-1", "label": "Member"}, "x", 1, None, 2.5, True],
                               ["a", {"nested": [{"id": "mem-1", "label": "Member"}]}]], "count": 3}
    analyst = redact(value, Role.analyst)
    assert analyst["rows"][0][0] == {"id": "mem-1", "label": "Member", "name": "张*明"}


def test_bench_asgi_get_answers_as_the_app_does(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    """bench.overhead's server-side mode: a request straight into the ASGI app gets what httpx gets."""
    import httpx

    from bench.overhead import asgi_get

    member, branch = _ids(reference_embedded)
    app = create_app(secure_settings(reference_embedded, tmp_path), engine=reference_embedded)
    key = add_key(tmp_path / "keys.jsonl", Role.analyst, "bench")[1]

    async def main() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
                for path in (f"/api/v1/entities/{member}", f"/api/v1/orgs/{branch}/subtree?depth=2", "/api/v1/entities/nope"):
                    via_httpx = await client.get(path, headers={"X-API-Key": key})
                    status, body = await asgi_get(app, path, {"X-API-Key": key})
                    assert (status, body) == (via_httpx.status_code, via_httpx.content), path
                assert (await asgi_get(app, f"/api/v1/entities/{member}"))[0] == 401, "no key, no answer"

    asyncio.run(main())


# ------------------------------------------------------------------ the lookup routes' fast path (api/fastroute.py)


def _bodies(client: TestClient, requests: list[tuple[str, dict[str, str]]]) -> list[tuple[int, str, bytes]]:
    out = []
    for path, headers in requests:
        response = client.get(path, headers=headers)
        out.append((response.status_code, response.headers["content-type"], response.content))
    return out


def _sync_lookup_app() -> tuple[APIRoute, FastAPI]:
    """An app serving a LookupRoute whose endpoint is a plain ``def``: FastAPI runs it in its thread pool, and the
    fast path never serves it."""
    from api.fastroute import LookupRoute

    router = APIRouter(route_class=LookupRoute, dependencies=[requires(Role.viewer)])

    @router.get("/sync")
    def sync(request: Request) -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    return router.routes[0], app  # type: ignore[return-value]


def test_fast_path_serves_the_lookups_as_fastapi_does(reference_embedded: LadybugEngine, tmp_path: Path) -> None:
    from api.fastroute import LookupRoute, plan_for

    member, branch = _ids(reference_embedded)
    app = secure_app(reference_embedded, tmp_path)
    fastapi_app: FastAPI = app.client.app  # type: ignore[assignment]
    routes = {r.path: original_route(r) for r in effective_routes(fastapi_app)}
    for path in HOT_ROUTES:
        assert isinstance(routes[path], LookupRoute)
        plan = plan_for(routes[path], fastapi_app)
        assert plan is not None and [r.role for r in plan.requirements] == [Role.viewer], path
    sync_route, sync_app = _sync_lookup_app()
    assert plan_for(sync_route, sync_app) is None, "a sync route stays on FastAPI's handler"
    assert plan_for(routes["/api/v1/entities/{id}"], sync_app) is None, "a route the app does not serve has none"
    long_id = "x" * 65
    requests = [(path, app.headers(role)) for role in (*Role, None) for path in (
        f"/api/v1/entities/{member}", f"/api/v1/entities/{long_id}", "/api/v1/entities/no-such-entity",
        f"/api/v1/entities/{member}/neighbors?depth=2&types=PartyOrg&types=Member", f"/api/v1/entities/{member}/neighbors?depth=9",
        f"/api/v1/entities/{branch}/neighbors?types=NoSuchLabel", f"/api/v1/orgs/{branch}/chain", f"/api/v1/orgs/{member}/chain",
        f"/api/v1/orgs/{branch}/subtree?depth=2", f"/api/v1/orgs/{branch}/subtree?depth=x",
        f"/api/v1/paths?source={member}&target={branch}", "/api/v1/paths?source=a",
        f"/api/v1/paths?source={member}&target={branch}&max_length=0", "/api/v1/search?q=%E8%8A%B1%E5%9B%AD&limit=5&offset=2",
        "/api/v1/search?q=HY&label=Compound&label=PartyOrg", "/api/v1/search?q=hy&label=NoSuchLabel",
        "/api/v1/search?q=" + "x" * 51, "/api/v1/search", "/api/v1/search?q=%E8%8A%B1&format=csv&limit=7",
        "/api/v1/search?q=%E8%8A%B1&format=pdf")]  # (an XLSX file holds the time it was written: not compared)
    requests.append((f"/api/v1/entities/{member}", {"X-API-Key": "og_0123456789_" + "0" * 64}))
    with app.client:
        fast = _bodies(app.client, requests)
        fastapi_app.dependency_overrides[_ids] = _ids  # any override: every request takes FastAPI's own handler
        try:
            full = _bodies(app.client, requests)
        finally:
            fastapi_app.dependency_overrides.clear()
    statuses = {status for status, _, _ in fast}
    assert statuses == {200, 401, 404, 422}, statuses
    for request, got, expected in zip(requests, fast, full, strict=True):
        assert got == expected, f"{request[0]} as {request[1]}: the fast path answered differently"
    views = [(e["role"], e["view"]) for e in app.audit.read() if e["path"] == f"/api/v1/entities/{member}"]
    assert views == [("viewer", "ids"), ("analyst", "masked"), ("admin", "full")] * 2, "audited on both paths alike"


def test_fast_path_checks_the_roles_of_the_routers_a_route_is_served_through(reference_embedded: LadybugEngine,
                                                                             tmp_path: Path) -> None:
    from fastapi import APIRouter

    from api.fastroute import LookupRoute, plan_for
    from api.guard import guard
    from api.problems import install_problem_handlers
    from api.routes import entities
    from api.security import SecurityState

    member, _ = _ids(reference_embedded)
    settings = secure_settings(reference_embedded, tmp_path)
    keys = {role: add_key(tmp_path / "keys.jsonl", role, role.value)[1] for role in Role}
    app = FastAPI()
    security = SecurityState(settings)
    app.state.security, app.state.settings, app.state.engine = security, settings, guard(reference_embedded)
    app.add_middleware(RequestContextMiddleware, audit=security.audit)
    install_problem_handlers(app)
    app.include_router(entities.router, prefix="/admin-only", dependencies=[requires(Role.admin)])
    twice = APIRouter(route_class=LookupRoute)

    @twice.get("/twice/{id}")
    async def twice_route(request: Request, id: str) -> Response:
        return Response(id)

    app.include_router(twice, prefix="/a", dependencies=[requires(Role.viewer)])
    app.include_router(twice, prefix="/b", dependencies=[requires(Role.admin)])
    with TestClient(app) as client:
        path = f"/admin-only/entities/{member}"
        assert client.get(path, headers={"X-API-Key": keys[Role.viewer]}).status_code == 403
        assert client.get(path, headers={"X-API-Key": keys[Role.analyst]}).status_code == 403
        assert client.get(path, headers={"X-API-Key": keys[Role.admin]}).status_code == 200
        assert client.get(path).status_code == 401
        routes = [original_route(r) for r in effective_routes(app) if getattr(r, "path", "") == "/a/twice/{id}"]
        assert plan_for(routes[0], app) is None, "a route served twice is left to FastAPI"
        assert client.get("/a/twice/x", headers={"X-API-Key": keys[Role.viewer]}).status_code == 200
        assert client.get("/b/twice/x", headers={"X-API-Key": keys[Role.viewer]}).status_code == 403
