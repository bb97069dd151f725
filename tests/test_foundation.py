"""Foundation: schema, round trips, differential reads, parameters, unreachable engines."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.engine import GraphEngine
from graph.errors import EngineUnavailableError, MissingParameterError
from graph.initials import name_initials
from graph.ladybug_engine import LadybugEngine
from graph.model import NODE_MODELS, REL_MODELS
from graph.neo4j_engine import Neo4jEngine
from graph.schema import SEARCHABLE_LABELS, expected_schema
from loaders.writes import merge_nodes_query, merge_rels_query, node_row, rel_row
from tests import samples
from tests.differential import differential


def load_samples(engine: GraphEngine) -> None:
    for label, row in samples.validated_nodes().items():
        engine.write_batches(merge_nodes_query(engine.dialect, label), [node_row(label, row, "test")])
    for rel_type, row in samples.validated_rels().items():
        query = merge_rels_query(engine.dialect, rel_type, samples.ID_LABELS[row["source"]], samples.ID_LABELS[row["target"]])
        engine.write_batches(query, [rel_row(rel_type, row, "test")])


def without_none(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if v is not None}


def test_samples_cover_every_label_and_type() -> None:
    samples.assert_samples_cover_model()
    for rel_type, row in samples.RELS.items():
        pair = (samples.ID_LABELS[row["source"]], samples.ID_LABELS[row["target"]])
        assert pair in REL_MODELS[rel_type].endpoints, rel_type


def test_schema_twice_is_harmless_and_unchanged(engine: GraphEngine) -> None:
    before = engine.schema()
    engine.create_schema()
    engine.create_schema()
    after = engine.schema()
    assert after == before
    assert set(NODE_MODELS) <= set(after.labels)


def test_embedded_schema_matches_the_model_exactly(embedded_engine: LadybugEngine) -> None:
    schema = embedded_engine.schema()
    expected = expected_schema()
    assert schema.labels == expected.labels
    assert schema.rel_types == expected.rel_types


def test_neo4j_schema_has_unique_ids_and_indexes(neo4j_engine: Neo4jEngine) -> None:
    constraints = neo4j_engine.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties RETURN labelsOrTypes[0] AS l, properties")
    unique = {(c["l"], tuple(c["properties"])) for c in constraints}
    assert {(label, ("id",)) for label in NODE_MODELS} | {("Entity", ("id",))} <= unique
    assert "PartyOrg.level" in neo4j_engine.schema().indexes


def test_round_trip_of_every_label(engine: GraphEngine) -> None:
    load_samples(engine)
    for label, row in samples.validated_nodes().items():
        got = engine.read(f"MATCH (n:{label} {{id: $id}}) RETURN n", {"id": row["id"]})
        derived = {"name_initials": name_initials(row["name"])} if label in SEARCHABLE_LABELS else {}
        assert got == [{"n": {"label": label, **without_none(row), "scope": "test", **without_none(derived)}}], label
    assert engine.node_counts() == dict.fromkeys(NODE_MODELS, 1)


def test_round_trip_of_every_relationship_type(engine: GraphEngine) -> None:
    load_samples(engine)
    for rel_type, row in samples.validated_rels().items():
        got = engine.read(f"MATCH (a {{id: $s}})-[r:{rel_type}]->(b {{id: $t}}) RETURN r, a.id AS s, b.id AS t",
                          {"s": row["source"], "t": row["target"]})
        props = without_none({k: v for k, v in row.items() if k not in ("source", "target")}) | {"scope": "test"}
        assert got == [{"r": {"type": rel_type, **props}, "s": row["source"], "t": row["target"]}], rel_type
    assert engine.rel_counts() == dict.fromkeys(REL_MODELS, 1)


def test_loading_twice_changes_nothing(engine: GraphEngine) -> None:
    load_samples(engine)
    nodes, rels = engine.node_counts(), engine.rel_counts()
    snapshot = engine.read("MATCH (n:Member) RETURN n")
    load_samples(engine)
    assert (engine.node_counts(), engine.rel_counts()) == (nodes, rels)
    assert engine.read("MATCH (n:Member) RETURN n") == snapshot


def test_types_are_plain_python_on_both_engines(engine: GraphEngine) -> None:
    load_samples(engine)
    row = engine.read("MATCH (c:Compound) RETURN sum(c.households) AS s, count(*) AS n, c.address AS a, "
                      "collect(c.id) AS ids")[0]
    assert row == {"s": 420, "n": 1, "a": "测试路1号", "ids": ["cmp-0001"]}
    assert type(row["s"]) is int


def test_differential_parameterized_reads(engine_pair: tuple[GraphEngine, GraphEngine]) -> None:
    for e in engine_pair:
        load_samples(e)
    rows = differential(engine_pair, "entity_by_id", {"id": "org-0001"})
    assert rows[0]["n"]["name"] == "京基100联合党委" and rows[0]["n"]["label"] == "PartyOrg"
    assert differential(engine_pair, "entity_by_id", {"id": "no-such-id"}) == []
    rows = differential(engine_pair, "projects_claimed_by", {"id": "org-0001"})
    assert [(r["id"], r["since"]) for r in rows] == [("prj-0001", dt.date(2013, 4, 1))]


def test_missing_parameter_is_an_error_before_running(engine: GraphEngine) -> None:
    with pytest.raises(MissingParameterError, match=r"\$id"):
        engine.read("MATCH (n:Compound {id: $id}) RETURN n", {})
    with pytest.raises(MissingParameterError, match=r"\$a, \$b"):
        engine.read("RETURN $a + $b AS x", {"c": 1})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_neo4j_is_a_clear_error() -> None:
    engine = Neo4jEngine(f"bolt://127.0.0.1:{_closed_port()}", connection_timeout_s=2)
    with pytest.raises(EngineUnavailableError, match="unreachable"):
        engine.ping()
    engine.close()


def test_health_is_503_problem_json_when_neo4j_is_down() -> None:
    settings = Settings(engine="neo4j", neo4j_uri=f"bolt://127.0.0.1:{_closed_port()}", neo4j_connection_timeout_s=2)
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]
    assert response.json()["title"] == "Graph engine unavailable"


def test_health_reports_engine_and_counts(engine: GraphEngine) -> None:
    load_samples(engine)
    with TestClient(create_app(Settings(engine=engine.kind), engine=engine)) as client:  # type: ignore[arg-type]
        body = client.get("/api/v1/health").json()
    assert body["engine"] == engine.kind
    assert body["nodes"] == dict.fromkeys(NODE_MODELS, 1)
    assert body["total_nodes"] == len(NODE_MODELS)
