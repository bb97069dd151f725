"""The admin Cypher console on both engines: reads run with limits; writes are refused by each layer alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import api.guard
import api.routes.admin
from api.app import create_app
from api.keys import Role
from api.settings import Settings
from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from tests.secure import SecureApp, secure_app

CONSOLE = "/api/v1/admin/cypher"
WRITES = [
    "MATCH (n:District) SET n.name = 'x' RETURN n",
    "CREATE (n:District {id: '440399', name: 'x', synthetic: false})",
    "MATCH (n:Member) DETACH DELETE n",
    "MATCH (n:PartyOrg {id: 'org-luohu'}) REMOVE n.name",
    "MERGE (n:District {id: '440399'})",
]


@pytest.fixture
def console(reference_engine: GraphEngine, tmp_path: Path) -> Iterator[SecureApp]:
    app = secure_app(reference_engine, tmp_path, cypher_max_rows=5, cypher_timeout_s=0.5)
    with app.client:
        yield app


def run(app: SecureApp, query: str, params: dict[str, object] | None = None, role: Role = Role.admin) -> dict:
    response = app.post(role, CONSOLE, json={"query": query, "params": params or {}})
    body: dict = response.json()
    body["_status"] = response.status_code
    return body


def test_reads_run_with_params_and_a_row_limit(console: SecureApp, reference_engine: GraphEngine) -> None:
    answer = run(console, "MATCH (o:PartyOrg {id: $id}) RETURN o.name AS name, o", {"id": "org-luohu"})
    assert answer["_status"] == 200, answer
    assert answer["columns"] == ["name", "o"] and answer["rows"][0]["name"] == answer["rows"][0]["o"]["name"]
    assert answer["truncated"] is False and answer["engine"] == reference_engine.kind
    assert answer["query_type"] == ("r" if reference_engine.kind == "neo4j" else None)
    many = run(console, "MATCH (c:Compound) RETURN c.id AS id ORDER BY id")
    assert many["_status"] == 200 and many["row_count"] == 5 == len(many["rows"]) and many["truncated"] is True
    assert run(console, "UNWIND [1, 2] AS x RETURN x, 0.0 / 0.0 AS nan, date('2018-12-28') AS d")["_status"] == 200
    catalog = "CALL db.labels() YIELD label RETURN label" if reference_engine.kind == "neo4j" else "CALL show_tables() RETURN name"
    assert run(console, catalog)["_status"] == 200


def test_writes_and_file_reads_are_refused(console: SecureApp, reference_engine: GraphEngine) -> None:
    before = reference_engine.node_counts()
    queries = [*WRITES, "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l", "CALL dbms.listConfig()",
               "MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", "COPY District FROM '/tmp/x.csv'",
               "MATCH (n) WHERE n.id = '' }) DETACH DELETE n //' RETURN n", "EXPLAIN MATCH (n) RETURN n"]
    for query in queries:
        answer = run(console, query)
        assert answer["_status"] == 400 and answer["title"] == "Not a read", (query, answer)
    assert reference_engine.node_counts() == before
    refused = [e for e in console.audit.read() if e["event"] == "cypher"]
    assert len(refused) == len(queries) and {e["outcome"] for e in refused} == {"refused"}


def test_time_limit_and_bad_queries(console: SecureApp) -> None:
    slow = run(console, "MATCH (a:Compound), (b:Compound), (c:Compound) WHERE a.name + b.name + c.name = 'x' RETURN count(*) AS n")
    assert slow["_status"] == 400 and slow["title"] == "Query timed out", slow
    assert run(console, "MATCH (n:Nope RETURN n")["title"] == "Query failed"
    assert run(console, "MATCH (o:PartyOrg {id: $id}) RETURN o")["title"] == "Missing parameter"
    for body in ({"query": "RETURN 1", "params": {"1x": 1}}, {"query": ""}, {"query": "RETURN 1", "extra": True},
                 {"query": "x" * 20_001}):
        assert console.post(Role.admin, CONSOLE, json=body).status_code == 422, body
    for raw in (b'{"query": "RETURN $x AS x", "params": {"x": "\\ud800"}}', b'{"query": "RETURN \\udfff"}'):
        response = console.client.post(CONSOLE, headers={**console.headers(Role.admin), "content-type": "application/json"},
                                       content=raw)
        assert response.status_code == 422, (raw, response.text)
    huge = console.client.post(CONSOLE, headers={**console.headers(Role.admin), "content-type": "application/json"},
                               content=b'{"query": "' + b"x" * (1024 * 1024 + 10) + b'"}')
    assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"
    assert {e["outcome"] for e in console.audit.read()} == {"timeout", "error"}


def test_each_neo4j_layer_alone_refuses_a_write(reference_neo4j: GraphEngine, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the statement check off: Neo4j's EXPLAIN refuses; switch EXPLAIN off too: the READ transaction refuses.
    (LadybugDB's second layer, the read-only database, is the next test.)"""
    app = secure_app(reference_neo4j, tmp_path)
    before = reference_neo4j.node_counts()
    monkeypatch.setattr(api.routes.admin, "check_read_only", lambda query, dialect: None)
    monkeypatch.setattr(api.guard, "check_read_only", lambda query, dialect: None)
    with app.client:
        for query in WRITES:
            answer = run(app, query)
            assert answer["_status"] == 400 and "plans this query as type" in answer["detail"], answer
        monkeypatch.setattr(type(app.client.app.state.engine), "query_type", lambda self, q, p=None: "r")  # type: ignore[attr-defined]
        for query in WRITES:
            answer = run(app, query)
            assert answer["_status"] == 400 and "read access mode" in answer["detail"], answer
    assert reference_neo4j.node_counts() == before


def test_read_only_database_refuses_what_the_check_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` opens LadybugDB read-only: with the statement check off, the database itself refuses."""
    engine = LadybugEngine(tmp_path / "graph.lbug", buffer_pool_mb=128)
    engine.create_schema()
    engine.write("CREATE (:District {id: '440303', name: '罗湖区', synthetic: false})")
    engine.close()
    monkeypatch.setattr(api.routes.admin, "check_read_only", lambda query, dialect: None)
    monkeypatch.setattr(api.guard, "check_read_only", lambda query, dialect: None)
    settings = Settings(engine="embedded", db_path=tmp_path / "graph.lbug", api_keys_file=tmp_path / "none.jsonl",
                        audit_log=tmp_path / "audit.jsonl")
    with TestClient(create_app(settings)) as client:  # the app opens (and owns) the database
        for query in WRITES:
            response = client.post(CONSOLE, json={"query": query})
            assert response.status_code == 400 and response.json()["title"] == "Query failed", response.text
        assert client.get("/api/v1/health").json()["nodes"]["District"] == 1
    reopened = LadybugEngine(tmp_path / "graph.lbug", buffer_pool_mb=128)
    assert reopened.read("MATCH (d:District) RETURN d.name AS name") == [{"name": "罗湖区"}]
    reopened.close()
