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
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.middleware.base import BaseHTTPMiddleware

from api.app import create_app
from api.audit import AuditLog
from api.guard import RequestContextMiddleware, _check_read_remembered, check_read, guard
from api.keys import Role, key_id_of, revoke_key
from api.redaction import MEMBER_FIELDS
from api.routes.common import answer
from api.security import RoleRequirement, effective_routes, original_route, requires
from graph.errors import QueryError
from graph.ladybug_engine import LadybugEngine
from graph.readonly import WriteRefusedError
from tests.secure import secure_app, secure_settings

HOT_ROUTES = ("/api/v1/entities/{id}", "/api/v1/entities/{id}/neighbors", "/api/v1/orgs/{id}/chain",
              "/api/v1/orgs/{id}/subtree", "/api/v1/paths")


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
