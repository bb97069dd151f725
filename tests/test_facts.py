"""Published facts reconciled with the graph: all agree on the reference dataset; a changed graph disagrees."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from loaders.load import load_bundle
from loaders.reference.facts import FACTS
from queries.facts import evaluate, reconcile, status_of


def test_every_seed_fact_agrees_on_the_reference_dataset(reference_engine: GraphEngine) -> None:
    rows = reconcile(reference_engine)
    assert len(rows) == len(FACTS)
    assert {r["status"] for r in rows} <= {"agrees", "within_tolerance"}
    by_id = {r["id"]: r for r in rows}
    assert by_id["fact-compounds-org"]["computed"] == 99.0312 and by_id["fact-compounds-org"]["status"] == "agrees"
    assert by_id["fact-mobile-members"]["status"] == "within_tolerance"  # 近500: 496
    assert by_id["fact-subdistrict-centers"]["about"] == ["440303001", "440303006", "440303009"]


def test_status_rules() -> None:
    assert status_of(99, 99.0312, "exact", 0) == "agrees"
    assert status_of(99, 98.4, "exact", 0) == "disagrees"
    assert status_of(500, 460, "about", 0.1) == "within_tolerance"
    assert status_of(500, 440, "about", 0.1) == "disagrees"
    assert status_of(2, 3, "at_least", 0) == "within_tolerance"
    assert status_of(2, None, "exact", 0) == "disagrees"
    assert evaluate("distinct:s", [{"s": 1}, {"s": 1}, {"s": 2}]) == 2


def test_a_changed_dataset_makes_the_right_fact_disagree(reference_bundle: Path, tmp_path: Path) -> None:
    engine = LadybugEngine(tmp_path / "db", buffer_pool_mb=256)
    load_bundle(engine, reference_bundle)
    # 20 compounds lose their organizational coverage: 900 / 929 = 96.9 %, which no longer rounds to 99 %;
    # they had no other coverage, so work coverage drops below 100 % too
    ids = [r["id"] for r in engine.read("MATCH (x:Compound)<-[c:COVERS]-(:PartyOrg) WHERE c.mode = 'organizational' "
                                        "RETURN DISTINCT x.id AS id ORDER BY id LIMIT 20")]
    engine.write("UNWIND $ids AS i MATCH (:PartyOrg)-[c:COVERS]->(x:Compound {id: i}) WHERE c.mode = 'organizational' DELETE c",
                 {"ids": ids})
    with TestClient(create_app(Settings(), engine=engine)) as client:
        body = client.get("/api/v1/facts").json()
    engine.close()
    disagreeing = {r["id"]: r for r in body["rows"] if r["status"] == "disagrees"}
    assert set(disagreeing) == {"fact-compounds-org", "fact-compounds-work"}
    assert disagreeing["fact-compounds-org"]["gap"] == "/api/v1/coverage/gaps?target=compound"
    assert disagreeing["fact-compounds-org"]["computed"] < 98.5
    assert body["disagrees"] == 2 and body["total"] == len(FACTS)
