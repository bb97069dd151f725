"""Access control and personal data: keys, roles, secure by default, redaction per role, audit, logs."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.app import check_declared_roles, create_app, open_served_engine
from api.cli_keys import keys_app
from api.export import flat_value
from api.guard import guard
from api.keys import ApiKeyRecord, KeyStore, Role, add_key, digest, key_id_of, new_key, revoke_key
from api.redaction import mask_name, redact, scrub
from api.security import (
    InsecureConfigurationError,
    PublicRoute,
    RoleRequirement,
    declared_access,
    effective_routes,
    is_loopback,
    original_route,
)
from api.settings import Settings
from graph import neo4j_engine
from graph.engine import GraphEngine
from graph.errors import QueryError
from graph.ladybug_engine import LadybugEngine
from graph.readonly import WriteRefusedError
from loaders.bundle import BundleWriter
from loaders.load import load_bundle
from tests.secure import SecureApp, member_personal_values, secure_app, secure_settings

ROLES = (Role.viewer, Role.analyst, Role.admin)


# ------------------------------------------------------------------------------------------ keys


def test_keys_are_random_hashed_and_checked_in_constant_time(tmp_path: Path) -> None:
    record, token = new_key(Role.analyst, "dashboard")
    assert token.startswith(f"og_{record.id}_") and len(token) == 3 + 10 + 1 + 64
    assert record.hash == digest(token) and token not in record.model_dump_json()
    assert key_id_of(token) == record.id and key_id_of("og_x_y") is None
    store = KeyStore(None, [record])
    assert store.configured() and store.verify(token) == record
    assert store.verify(token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert store.verify("") is None and store.verify("Bearer " + token) is None
    other, _ = new_key(Role.admin, "other")
    forged = f"og_{record.id}_{'0' * 64}"
    assert KeyStore(None, [record, other]).verify(forged) is None


def test_keys_file_is_private_reloaded_and_revocable(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "api-keys.jsonl"
    store = KeyStore(path)
    assert not store.configured()
    record, token = add_key(path, Role.viewer, "ci")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.configured() and store.verify(token) is not None, "a new key works without a restart"
    [line] = path.read_text().splitlines()
    assert json.loads(line) == {"id": record.id, "role": "viewer", "name": "ci", "created": json.loads(line)["created"],
                                "hash": record.hash}
    revoked = revoke_key(path, record.id)
    assert revoked.revoked is not None and store.verify(token) is None, "a revoked key fails at once"
    assert store.configured(), "a file with only revoked keys still requires keys (never falls back to open)"
    with pytest.raises(KeyError):
        revoke_key(path, "0000000000")
    path.write_text(path.read_text() + "not json\n{\"id\": \"x\"}\n")
    assert len(store.records()) == 1, "malformed lines are skipped"


def test_environment_keys_and_revocation_wins(tmp_path: Path) -> None:
    record, token = new_key(Role.admin, "env")
    settings = Settings(api_keys=[record.model_dump(mode="json")], api_keys_file=tmp_path / "none.jsonl")  # type: ignore[list-item]
    assert settings.api_keys == [record]
    os.environ["ORGGRAPH_API_KEYS"] = json.dumps([record.model_dump(mode="json")])
    try:
        assert Settings().api_keys == [record]
    finally:
        os.environ["ORGGRAPH_API_KEYS"] = "[]"
    path = tmp_path / "keys.jsonl"
    path.write_text(record.model_copy(update={"revoked": record.created}).model_dump_json() + "\n")
    assert KeyStore(path, [record]).verify(token) is None


def test_keys_cli_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "keys.jsonl"
    created = runner.invoke(keys_app, ["create", "--role", "analyst", "--name", "coverage dashboard", "--file", str(path)])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    record = KeyStore(path).verify(token)
    assert record is not None and record.role == Role.analyst and record.name == "coverage dashboard"
    assert token not in path.read_text()
    listed = runner.invoke(keys_app, ["list", "--file", str(path)])
    assert listed.exit_code == 0 and record.id in listed.stdout and "analyst" in listed.stdout and token not in listed.stdout
    assert runner.invoke(keys_app, ["revoke", record.id, "--file", str(path)]).exit_code == 0
    assert KeyStore(path).verify(token) is None
    assert runner.invoke(keys_app, ["revoke", "ffffffffff", "--file", str(path)]).exit_code == 1
    assert runner.invoke(keys_app, ["create", "--role", "root", "--name", "x", "--file", str(path)]).exit_code != 0


# ------------------------------------------------------------------------------------------ secure by default


def test_loopback_detection() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"]))
    assert not any(map(is_loopback, ["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "example.org", "", "127.0.0.1.nip.io"]))


def test_refuses_a_public_address_without_keys(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    for host in ("0.0.0.0", "::", "192.168.1.10", "server.example.org"):
        settings = Settings(engine="embedded", host=host, api_keys_file=tmp_path / "none.jsonl")
        with pytest.raises(InsecureConfigurationError, match="without API keys"):
            create_app(settings, engine=embedded_engine)
    add_key(tmp_path / "keys.jsonl", Role.viewer, "x")
    create_app(Settings(engine="embedded", host="0.0.0.0", api_keys_file=tmp_path / "keys.jsonl"), engine=embedded_engine)


def test_open_mode_on_loopback_warns_and_serves_admin(embedded_engine: LadybugEngine, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(engine="embedded", api_keys_file=tmp_path / "none.jsonl", audit_log=tmp_path / "audit.jsonl")
    caplog.set_level(logging.WARNING, logger="orggraph.security")
    with TestClient(create_app(settings, engine=embedded_engine)) as client:
        assert any("OPEN MODE" in r.getMessage() for r in caplog.records), "a loud warning at start"
        assert client.get("/api/v1/health").status_code == 200
        cypher = client.post("/api/v1/admin/cypher", json={"query": "RETURN 1 AS one"})
        assert cypher.status_code == 200 and cypher.json()["rows"] == [{"one": 1}]
        for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}, {"X-Real-IP": "203.0.113.9"}):
            assert client.get("/api/v1/health", headers=header).status_code == 401, "open mode never serves proxied requests"
        add_key(tmp_path / "none.jsonl", Role.viewer, "later")
        assert client.get("/api/v1/health").status_code == 401, "keys appearing end open mode at once"
    remote = TestClient(create_app(settings, engine=embedded_engine), client=("203.0.113.9", 5000))
    with remote:
        assert remote.get("/api/v1/health").status_code == 401


def test_keys_required_401_and_roles_403(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    app = secure_app(embedded_engine, tmp_path)
    with app.client:
        for headers in ({}, {"X-API-Key": ""}, {"X-API-Key": "og_0000000000_" + "0" * 64}, {"X-API-Key": "nonsense"}):
            response = app.client.get("/api/v1/health", headers=headers)
            assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"].startswith("ApiKey")
            assert "og_" not in response.text
        for role in ROLES:
            assert app.get(role, "/api/v1/health").status_code == 200
            expected = 200 if role == Role.admin else 403
            assert app.post(role, "/api/v1/admin/cypher", json={"query": "RETURN 1 AS x"}).status_code == expected
        assert app.get(None, "/openapi.json").status_code == 200, "the API's description is public"
        assert app.get(None, "/docs").status_code == 200
        viewer_id = key_id_of(app.keys[Role.viewer])
        assert viewer_id is not None
        revoke_key(app.keys_file, viewer_id)
        assert app.get(Role.viewer, "/api/v1/health").status_code == 401, "revocation needs no restart"


def test_every_route_declares_its_role(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    app = create_app(secure_settings(embedded_engine, tmp_path), engine=embedded_engine)
    api_routes = [r for r in effective_routes(app) if isinstance(original_route(r), APIRoute)]
    assert len(api_routes) >= 20
    needs: dict[str, Any] = {}
    for route in api_routes:
        [declared] = declared_access(route)
        needs[route.path] = declared.role if isinstance(declared, RoleRequirement) else "public"
    assert needs["/api/v1/admin/cypher"] == Role.admin
    assert needs["/api/v1/entities/{id}"] == needs["/api/v1/health"] == Role.viewer
    assert {p for p, role in needs.items() if role == "public"} == {"/openapi.json", "/docs", "/redoc", "/login", "/logout"}
    assert all(isinstance(declared_access(r)[0], RoleRequirement | PublicRoute) for r in api_routes)
    spec = app.openapi()
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": "An API key from `orggraph keys create`. Not needed in open mode (loopback, no keys)."}
    op = spec["paths"]["/api/v1/admin/cypher"]["post"]
    assert {"401", "403", "413", "422", "503"} <= set(op["responses"])
    assert op["responses"]["503"]["headers"]["Retry-After"]
    assert op["responses"]["422"]["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}


def test_an_undeclared_route_stops_the_app() -> None:
    app = FastAPI()
    router = APIRouter()

    @router.get("/forgotten")
    def forgotten() -> int:
        return 1

    app.include_router(router)
    with pytest.raises(RuntimeError, match="GET /forgotten"):
        check_declared_roles(app)


# ------------------------------------------------------------------------------------------ redaction


def test_mask_and_redact_shapes() -> None:
    assert [mask_name(n) for n in ("张三明", "张三", "欧阳娜娜", "王", "罗某0001")] == ["张*明", "张*", "欧*娜", "*", "罗*1"]
    member = {"id": "mem-1", "label": "Member", "name": "张三明", "gender": "男", "birth_year": 1970, "joined": "2000-01-01",
              "mobile": True, "category": "两新", "delegate": "区", "synthetic": True, "distance": 1}
    body = {"nodes": [member, {"id": "org-1", "label": "PartyOrg", "name": "支部"}],
            "rows": [{"member_id": "mem-2", "member_name": "李四", "mobile": False, "branch_name": "支部"},
                     {"id": "mem-3", "name": "王五", "label": "Member", "since": "2016-01-01"}],
            "deep": [[{"n": member}]], "extra": {"member_birth_year": 1980, "member_count": 3}}
    seen: set[str] = set()
    viewer = redact(body, Role.viewer, seen)
    assert seen == {"mem-1", "mem-2", "mem-3"}
    assert viewer["nodes"][0] == {"id": "mem-1", "label": "Member", "synthetic": True, "distance": 1}
    assert viewer["nodes"][1] == body["nodes"][1]
    assert viewer["rows"] == [{"member_id": "mem-2", "branch_name": "支部"}, {"id": "mem-3", "label": "Member", "since": "2016-01-01"}]
    assert viewer["deep"][0][0]["n"] == viewer["nodes"][0] and viewer["extra"] == {}
    analyst = redact(body, Role.analyst)
    assert analyst["nodes"][0]["name"] == "张*明" and "birth_year" not in analyst["nodes"][0]
    assert analyst["nodes"][0]["gender"] == "男" and analyst["rows"][0]["member_name"] == "李*"
    assert analyst["extra"] == {"member_count": 3}, "an unknown member_ column is hidden like a name: masked if text"
    assert redact(body, Role.admin) == body
    assert body["nodes"][0]["name"] == "张三明", "the input is not modified"


def test_scrub_keeps_logs_free_of_quoted_values() -> None:
    assert scrub("Node(1) already exists with property `name` = '张三明'") == "Node(1) already exists with property `name` = '…'"
    assert scrub('Invalid input "罗某0001"') == 'Invalid input "…"'
    assert len(scrub("x" * 1000)) == 301


def _members_in(text: str, names: list[str]) -> list[str]:
    """The names that occur in ``text`` (one pass per name length: 12,000 names × 1 MB pages is too slow one by one)."""
    wanted = set(names)
    found: set[str] = set()
    for length in {len(n) for n in wanted}:
        found |= wanted & {text[i:i + length] for i in range(len(text) - length + 1)}
    return sorted(found)


@pytest.fixture
def keyed(reference_engine: GraphEngine, tmp_path: Path) -> Iterator[SecureApp]:
    app = secure_app(reference_engine, tmp_path)
    with app.client:
        yield app


def _member_routes(engine: GraphEngine) -> list[tuple[str, dict[str, Any]]]:
    """Routes that answer with member records on the reference dataset."""
    member = engine.read("MATCH (a:Member)-[:BELONGS_TO]->(b:HometownGroup) RETURN a.id AS m, b.id AS g ORDER BY m LIMIT 1")[0]
    claimed = engine.read("MATCH (:Member)-[:CLAIMED]->(b:Project) RETURN b.id AS p ORDER BY p LIMIT 1")[0]["p"]
    branch = engine.read("MATCH (:Member)-[:MEMBER_OF]->(b:PartyOrg) RETURN b.id AS o ORDER BY o LIMIT 1")[0]["o"]
    return [
        (f"/api/v1/entities/{member['m']}", {}),
        (f"/api/v1/entities/{member['g']}/neighbors", {"depth": 1}),
        (f"/api/v1/entities/{branch}/neighbors", {"types": ["Member", "PartyOrg"]}),
        ("/api/v1/paths", {"source": member["m"], "target": "org-luohu"}),
        ("/api/v1/queries/hometown_group_members", {"id": member["g"], "limit": 1000}),
        ("/api/v1/queries/hometown_group_members", {"id": member["g"], "format": "csv"}),
        ("/api/v1/queries/project_claimants", {"id": claimed}),
        ("/api/v1/queries/common_neighbors", {"source": member["g"], "target": branch}),
        ("/api/v1/analysis/degree", {"id": member["g"], "depth": 1}),
        (f"/viz/hometown/{member['g']}", {}),
        (f"/viz/ego/{member['m']}", {}),
        (f"/entities/{member['m']}", {}),
        (f"/entities/{member['g']}", {}),
    ]


@pytest.fixture
def keyed_walker(reference_walker: GraphEngine, tmp_path: Path) -> Iterator[SecureApp]:
    """:func:`keyed`, also over both engines with their relationships in memory, as ``serve`` opens them: walks and
    paths read their nodes another way there (from memory; members by ``nodes_by_ids`` on LadybugDB, by internal
    id on Neo4j)."""
    app = secure_app(reference_walker, tmp_path)
    with app.client:
        yield app


def test_each_role_sees_only_its_member_data(keyed_walker: SecureApp, reference_walker: GraphEngine) -> None:
    keyed, reference_engine = keyed_walker, reference_walker
    names, _ = member_personal_values(reference_engine)
    routes = _member_routes(reference_engine)
    for role in ROLES:
        bodies = []
        for path, params in routes:
            response = keyed.get(role, path, params=params)
            assert response.status_code == 200, (role, path, response.text[:300])
            bodies.append(response.text)
        text = "\n".join(bodies)
        shown = _members_in(text, names)
        if role == Role.admin:
            assert shown, "admin sees full names"
        else:
            assert not shown, f"{role}: full member names in answers: {shown[:3]}"
        if role != Role.admin:
            assert "birth_year" not in text
        if role == Role.viewer:
            assert "member_name" not in text and '"gender"' not in text and '"joined"' not in text
    analyst = keyed.get(Role.analyst, routes[0][0]).json()
    assert analyst["name"] == mask_name(reference_engine.read("MATCH (m:Member {id: $id}) RETURN m.name AS n",
                                                              {"id": analyst["id"]})[0]["n"])
    viewer = keyed.get(Role.viewer, routes[0][0]).json()
    assert set(viewer) <= {"id", "label", "synthetic", "scope"}


def test_downloads_are_redacted_too(keyed: SecureApp, reference_engine: GraphEngine) -> None:
    names, _ = member_personal_values(reference_engine)
    group = reference_engine.read("MATCH (:Member)-[:BELONGS_TO]->(b:HometownGroup) RETURN b.id AS g ORDER BY g LIMIT 1")[0]["g"]
    for role, header in ((Role.viewer, ["member_id", "compound_id", "compound_name", "branch_id", "branch_name"]),
                         (Role.analyst, ["member_id", "member_name", "mobile", "compound_id", "compound_name", "branch_id",
                                         "branch_name"])):
        response = keyed.get(role, "/api/v1/queries/hometown_group_members", params={"id": group, "format": "csv"})
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == header and len(rows) > 1 and not _members_in(response.text, names)
        book = keyed.get(role, "/api/v1/queries/hometown_group_members", params={"id": group, "format": "xlsx"})
        sheet = load_workbook(io.BytesIO(book.content)).active
        assert sheet is not None
        cells = [str(c.value) for row in sheet.iter_rows() for c in row]
        assert [c.value for c in sheet[1]] == header and not _members_in(" ".join(cells), names)
        if role == Role.analyst:
            assert all("*" in r[1] for r in rows[1:])


def test_member_names_are_not_searchable(keyed: SecureApp) -> None:
    for role in ROLES:
        response = keyed.get(role, "/api/v1/queries/search_by_name", params={"q": "某", "labels": ["Member", "PartyOrg"]})
        assert response.status_code == 422 and response.json()["errors"][0]["parameter"] == "labels"
    assert keyed.get(Role.admin, "/api/v1/search", params={"q": "某", "label": "Member"}).json()["total"] == 0


def test_audit_log_says_who_read_member_data_without_the_data(keyed_walker: SecureApp, reference_walker: GraphEngine) -> None:
    keyed, reference_engine = keyed_walker, reference_walker
    names, years = member_personal_values(reference_engine)
    routes = _member_routes(reference_engine)
    keyed.get(Role.analyst, routes[4][0], params=routes[4][1])
    keyed.get(Role.viewer, "/api/v1/coverage/summary")
    keyed.post(Role.admin, "/api/v1/admin/cypher", json={"query": "MATCH (m:Member) WHERE m.name = $name RETURN m.id AS id",
                                                         "params": {"name": names[0]}})
    events = keyed.audit.read()
    reads = [e for e in events if e["event"] == "member_data"]
    assert [(e["role"], e["path"], e["view"]) for e in reads] == [("analyst", routes[4][0], "masked")]
    group_size = len(reference_engine.read("MATCH (m:Member)-[:BELONGS_TO]->(:HometownGroup {id: $id}) RETURN m.id",
                                           {"id": routes[4][1]["id"]}))
    assert reads[0]["members"] == group_size and reads[0]["key_id"] == key_id_of(keyed.keys[Role.analyst])
    [cypher] = [e for e in events if e["event"] == "cypher"]
    assert cypher["outcome"] == "ok" and cypher["param_names"] == ["name"] and cypher["query_length"] > 0
    assert len(cypher["query_sha256"]) == 64 and cypher["key_id"] == key_id_of(keyed.keys[Role.admin])
    text = keyed.audit.path.read_text(encoding="utf-8")
    assert not _members_in(text, names) and "MATCH" not in text and "og_" not in text
    assert not any(f": {y}," in text for y in years[:50])
    assert stat.S_IMODE(keyed.audit.path.stat().st_mode) == 0o600


def test_members_a_walk_keeps_are_redacted_and_audited(keyed_walker: SecureApp, reference_walker: GraphEngine,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A depth-2 walk from a branch keeps members. Over a served engine the walk is taken in memory and its members
    are read another way (Neo4j's copy reads them by internal id, not through the guard's ``read``): each role still
    sees only its view of them, and each answer's audit line counts them."""
    keyed, engine = keyed_walker, reference_walker
    names, _ = member_personal_values(engine)
    path = "/api/v1/entities/org-mb-01/neighbors"
    copy_reads: list[int] = []  # on Neo4j's copy, the members must come by internal id (else this tests nothing new)
    read_by_internal_ids = neo4j_engine.rows_of_lists
    monkeypatch.setattr(neo4j_engine, "rows_of_lists",
                        lambda label, internal, lists: copy_reads.append(len(internal)) or read_by_internal_ids(label, internal, lists))
    counts = []
    for role in ROLES:
        response = keyed.get(role, path, params={"depth": 2})
        assert response.status_code == 200, response.text[:300]
        members = [node for node in response.json()["nodes"] if node["label"] == "Member"]
        assert len(members) > 10
        counts.append(len(members))
        shown = _members_in(response.text, names)
        if role == Role.admin:
            assert len(shown) == len({m["name"] for m in members}) and all("birth_year" in m for m in members)
        elif role == Role.analyst:
            assert not shown and all("*" in m["name"] and "birth_year" not in m for m in members)
        else:
            assert not shown and all(set(m) <= {"id", "label", "synthetic", "scope", "distance"} for m in members)
    reads = [e for e in keyed.audit.read() if e["event"] == "member_data"]
    assert [(e["role"], e["path"], e["members"]) for e in reads] == [
        (role.value, path, count) for role, count in zip(ROLES, counts, strict=True)]
    on_the_copy = isinstance(engine, neo4j_engine.Neo4jEngine) and engine.held_topology() is not None
    assert (copy_reads == counts) if on_the_copy else not copy_reads


def test_logs_and_errors_hold_no_personal_data(keyed: SecureApp, reference_engine: GraphEngine,
                                               caplog: pytest.LogCaptureFixture) -> None:
    names, _ = member_personal_values(reference_engine)
    caplog.set_level(logging.DEBUG)
    bodies = [keyed.get(role, path, params=params).text for role in ROLES for path, params in _member_routes(reference_engine)]
    failing = keyed.post(Role.admin, "/api/v1/admin/cypher",
                         json={"query": f"MATCH (m:Member) WHERE m.name = '{names[0]}' RETURN m.nope.nope.nope(1)"})
    assert failing.status_code == 400 and names[0] not in failing.text
    bodies.append(keyed.get(Role.viewer, f"/api/v1/entities/{names[0]}").text)  # a name as an id: not found, not echoed as data
    assert bodies
    logged = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert not _members_in(logged, names), "no member names in the logs"
    assert "og_" not in logged, "no keys in the logs"


# ------------------------------------------------------------------------------------------ read-only


def test_the_api_engine_only_reads(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    guarded = guard(embedded_engine)
    assert (guarded.kind, guarded.dialect) == ("embedded", "ladybug")
    for attempt in (lambda: guarded.write("CREATE (:District {id: '1'})"), lambda: guarded.clear(),
                    lambda: guarded.write_batches("UNWIND $rows AS r RETURN r", [{}]), guarded.create_schema):
        with pytest.raises(QueryError, match="only reads"):
            attempt()
    with pytest.raises(WriteRefusedError):
        guarded.read("MATCH (n:District) DETACH DELETE n")
    embedded_engine.close()
    served = open_served_engine(Settings(engine="embedded", db_path=tmp_path / "graph.lbug"))
    try:
        with pytest.raises(QueryError):  # LadybugDB itself refuses: the served database is read-only
            served.write("CREATE (:District {id: '440303', name: 'x', synthetic: false})")
        assert served.describe()["read_only"] is True
    finally:
        served.close()
    fresh = open_served_engine(Settings(engine="embedded", db_path=tmp_path / "new" / "graph.lbug"))
    assert fresh.describe()["read_only"] is True and fresh.is_empty()
    fresh.close()


def test_neo4j_reads_run_in_read_transactions(reference_neo4j: GraphEngine) -> None:
    before = reference_neo4j.node_counts()
    with pytest.raises(QueryError, match="read access mode"):
        reference_neo4j.read("CREATE (n:District {id: 'x'}) RETURN n")
    with pytest.raises(QueryError, match="read access mode"):
        reference_neo4j.read("MATCH (n:District) SET n.name = 'x' RETURN n")
    assert reference_neo4j.node_counts() == before
    assert reference_neo4j.query_type("MATCH (n) RETURN n") == "r"
    assert reference_neo4j.query_type("MATCH (n) SET n.x = 1") in ("w", "rw")


# ------------------------------------------------------------------------------------------ formula injection


FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_formula_cells_are_escaped_in_downloads(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    assert [flat_value(f) for f in FORMULAS] == ["'" + f for f in FORMULAS]
    assert flat_value(["=x"]) == '["=x"]' and flat_value({"a": "=1"}) == '{"a": "=1"}' and flat_value(5) == 5
    with BundleWriter(tmp_path / "bundle", name="f", scope="f", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("District", [{"id": "440303", "name": "罗湖区"}])
        w.write_nodes("Subdistrict", [{"id": "440303001", "name": "桂园街道"}])
        w.write_nodes("Community", [{"id": "440303001011", "name": "=HYPERLINK(\"http://x\")"}])
        w.write_nodes("Compound", [{"id": f"cmp-{i}", "name": name, "kind": "其他"} for i, name in enumerate(FORMULAS[:4])])
        w.write_rels("PART_OF", [{"source": "440303001", "target": "440303"}, {"source": "440303001011", "target": "440303001"}])
        w.write_rels("LOCATED_IN", [{"source": f"cmp-{i}", "target": "440303001011"} for i in range(4)])
    load_bundle(embedded_engine, tmp_path / "bundle")
    app = secure_app(embedded_engine, tmp_path / "app")
    with app.client:
        response = app.get(Role.viewer, "/api/v1/coverage/gaps", params={"format": "csv"})
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert sorted(r["name"] for r in rows) == sorted("'" + f for f in FORMULAS[:4])
        assert {r["community_name"] for r in rows} == {"'=HYPERLINK(\"http://x\")"}
        book = load_workbook(io.BytesIO(app.get(Role.viewer, "/api/v1/coverage/gaps", params={"format": "xlsx"}).content))
        sheet = book.active
        assert sheet is not None
        cells = [c for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value[1:2] in "=+-@"]
        assert cells and all(c.data_type == "s" and c.value.startswith("'") for c in cells), "text, never a formula"
        assert app.get(Role.viewer, "/api/v1/coverage/gaps").json()["rows"][0]["name"] in FORMULAS, "JSON keeps the data"


def test_api_key_record_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError):
        ApiKeyRecord.model_validate({"id": "0123456789", "role": "viewer", "hash": "sha256:" + "0" * 64, "secret": "x"})


def test_answers_are_not_stored_by_browsers_or_proxies(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    """Member data must not outlive the session in a cache (the back button after a logout, a shared proxy)."""
    app = create_app(secure_settings(embedded_engine, tmp_path), engine=embedded_engine)
    with TestClient(app) as client:  # the lifespan opens the engine
        for path in ("/api/v1/health", "/", "/login"):
            assert client.get(path, follow_redirects=False).headers.get("cache-control") == "no-store", path
        assert client.get("/static/app.css").headers.get("cache-control") != "no-store"
