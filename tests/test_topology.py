"""The in-memory topology (graph.topology): when an engine keeps one, how it is built, and that the walks and
paths of queries.answers then take no step in queries. Their answers are checked against the step-by-step walks,
networkx and Neo4j in tests/test_neighbors.py and tests/test_paths.py (the ``embedded-topology`` cases)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from graph.ladybug_engine import LadybugEngine
from graph.topology import NO_LABEL, Topology, build, least_shortest_path, walk
from queries import answers, catalog
from queries.catalog import run_catalog


def offsets_and_ids(offsets: list[int], ids: list[str]) -> pa.Table:
    return pa.table({"offset": pa.array(offsets, pa.int64()), "id": pa.array(ids, pa.string())})


def ends(pairs: list[tuple[tuple[int, int], tuple[int, int]]]) -> pa.Table:
    """Relationship ends as LadybugDB's ``id()`` gives them: ``{offset, table}`` structs."""
    def column(which: int) -> pa.Array:
        return pa.array([{"offset": p[which][0], "table": p[which][1]} for p in pairs],
                        pa.struct([("offset", pa.int64()), ("table", pa.int64())]))
    return pa.table({"source": column(0), "target": column(1)})


def small_topology() -> Topology:
    """Two labels (internal tables 7 and 3; table 9 is not ours) with a hole at offset 1 of table 7 (a node
    deleted): a-0 — b-0 — a-2, a-2 → b-1 twice (two types), and one relationship to table 9, left out."""
    nodes = {"A": offsets_and_ids([0, 2], ["a-0", "a-2"]), "B": offsets_and_ids([0, 1], ["b-0", "b-1"])}
    rels = {"R": ends([((0, 7), (0, 3)), ((0, 3), (2, 7)), ((2, 7), (1, 3)), ((2, 7), (5, 9))]),
            "S": ends([((2, 7), (1, 3))])}
    built = build(["A", "B"], ["R", "S"], {"A": 7, "B": 3}, nodes.__getitem__, rels.__getitem__)
    assert built is not None
    return built


def test_build_indexes_labels_holes_and_both_ends() -> None:
    topology = small_topology()
    assert topology.node_count == 4 and topology.relationship_count == 4  # the one to table 9 is not kept
    assert [topology.index_of(i) for i in ("a-0", "a-2", "b-0", "b-1")] == [0, 2, 3, 4]
    assert topology.label_of[1] == NO_LABEL  # the hole
    assert [topology.index_of(i) for i in ("a-1", "", "zzz", "ä-0", "a-0" * 30)] == [None] * 5
    assert topology.label_names([4, 0]) == ["B", "A"] and topology.id_of(4) == "b-1"
    assert topology.ids_of([0, 2]) == ["a-0", "a-2"] and topology.nbytes > 0
    a2 = np.array([2])
    rows = topology.rows_of(a2)
    assert sorted(topology.relationship(int(r), 2) for r in rows) == [
        ("a-2", "b-1", "R"), ("a-2", "b-1", "S"), ("b-0", "a-2", "R")]
    assert topology.degree(np.array([0, 2])) == 4
    assert list(topology.rank[[0, 2, 3, 4]]) == sorted(topology.rank[[0, 2, 3, 4]])  # ids in order


def test_build_refuses_non_ascii_ids_and_stops_when_cancelled() -> None:
    nodes = {"A": offsets_and_ids([0], ["社区-1"])}
    assert build(["A"], [], {"A": 0}, nodes.__getitem__, lambda _: ends([])) is None
    nodes = {"A": offsets_and_ids([0], ["a-0"])}
    assert build(["A"], [], {"A": 0}, nodes.__getitem__, lambda _: ends([]), cancelled=lambda: True) is None


def test_paths_and_walks_on_a_small_topology() -> None:
    topology = small_topology()
    a0, a2, b0, b1 = (topology.index_of(i) for i in ("a-0", "a-2", "b-0", "b-1"))
    assert least_shortest_path(topology, a0, b1, 6) == [a0, b0, a2, b1]
    assert least_shortest_path(topology, a0, b1, 2) is None
    assert least_shortest_path(topology, a0, a0, 1) == [a0]
    found = walk(topology, a2, 1, None, 500)
    assert found.distance == {a2: 0, b0: 1, b1: 1} and found.omitted == 0
    assert found.edges == {("b-0", "a-2", "R"), ("a-2", "b-1", "R"), ("a-2", "b-1", "S")}
    cut = walk(topology, a2, 2, None, 1)  # room for one: b-0 (least id) kept, b-1 left out, not walked from
    assert cut.distance == {a2: 0, b0: 1} and cut.omitted == 2  # b-1 at the first step, a-0 at the second
    only_a = walk(topology, a2, 2, ["A"], 500)  # b nodes are neither kept nor walked through
    assert only_a.distance == {a2: 0} and only_a.omitted == 0


def test_only_a_read_only_engine_keeps_one(tmp_path: Path, reference_store: Path) -> None:
    writable = LadybugEngine(tmp_path / "graph.lbug", buffer_pool_mb=64)
    writable.create_schema()
    writable.prepare_topology(wait=True)  # its graph may change: it never keeps one
    assert writable.topology() is None and "topology" not in writable.describe()
    writable.close()
    without = LadybugEngine(reference_store, read_only=True, buffer_pool_mb=64, topology=False)
    without.prepare_topology(wait=True)
    assert without.topology() is None
    without.close()
    served = LadybugEngine(reference_store, read_only=True, buffer_pool_mb=64)
    assert served.topology() is None and served.describe()["topology"]["ready"] is False  # not before it is asked for
    served.prepare_topology(wait=True)
    summary = served.describe()["topology"]
    assert summary["ready"] is True and summary["nodes"] > 10_000 and summary["relationships"] > summary["nodes"]
    counts = served.node_counts()
    assert summary["nodes"] == sum(counts.values())
    assert summary["relationships"] == sum(served.rel_counts().values())
    served.close()


def test_closing_while_it_is_built_stops_the_build(reference_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """close() cancels a build in progress (the builder checks between reads) and waits for it: nothing is kept."""
    import threading

    import graph.ladybug_engine as ladybug_engine

    started, saw_cancel = threading.Event(), threading.Event()

    def slow_build(*args: Any, cancelled: Any, **kwargs: Any) -> Topology | None:
        started.set()
        deadline = time.monotonic() + 30
        while not cancelled() and time.monotonic() < deadline:
            time.sleep(0.01)
        if cancelled():
            saw_cancel.set()
            return None
        return build(*args, cancelled=cancelled, **kwargs)

    monkeypatch.setattr(ladybug_engine, "build", slow_build)
    engine = LadybugEngine(reference_store, read_only=True, buffer_pool_mb=64)
    engine.prepare_topology()
    assert started.wait(30)
    assert engine.describe()["topology"] == {"ready": False, "building": True}
    engine.close()
    assert saw_cancel.is_set() and engine.topology() is None and engine._topology_thread is None


def test_walks_and_paths_take_no_step_in_queries(reference_topology: LadybugEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the topology, a walk reads only its nodes' properties, and a path only its nodes; and only members'
    from the database (graph/node_rows.py keeps the others)."""
    asked: list[str] = []
    real = catalog.run_catalog

    def spy(engine: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return real(engine, name, *args, **kwargs)

    monkeypatch.setattr(answers, "run_catalog", spy)
    center = run_catalog(reference_topology, "entity_by_id", {"id": "org-mb-01"})[0]["n"]
    hood = answers.neighbors(reference_topology, center, depth=2, limit=50)
    assert len(hood.nodes) == 51 and hood.truncated
    assert set(asked) == {"nodes_by_ids"}
    asked.clear()
    path = answers.shortest_path(reference_topology, "htg-01", "org-luohu")
    assert path is not None and path["length"] >= 2
    assert all(node["label"] != "Member" for node in path["nodes"]) and asked == []


@pytest.mark.parametrize("enabled", [True, False])
def test_serve_builds_it_in_the_background_and_health_says_so(reference_store: Path, tmp_path: Path, enabled: bool) -> None:
    """An app that opens its own engine (as ``serve`` does) starts the build; ORGGRAPH_EMBEDDED_TOPOLOGY=false
    keeps none. The health answer shows which, and walks answer the same either way."""
    from api.keys import Role
    from tests.secure import health_when_ready, serving_client

    with serving_client(reference_store, tmp_path, Role.admin, embedded_topology=enabled) as client:
        health = health_when_ready(client, "topology", "building", wait=enabled)
        if enabled:
            topology = health["topology"]
            assert topology["ready"] and topology["nodes"] == health["total_nodes"] and topology["megabytes"] > 0
            assert 0 < topology["search_names"]["names"] < health["total_nodes"]  # the searchable ones only
        else:
            assert health["topology"] is None
        hood = client.get("/api/v1/entities/org-mb-01/neighbors", params={"depth": 2, "limit": 40}).json()
        path = client.get("/api/v1/paths", params={"source": "htg-01", "target": "org-luohu"}).json()
        found = client.get("/api/v1/search", params={"q": "花园", "limit": 5, "offset": 2}).json()
    assert len(hood["nodes"]) == 41 and hood["truncated"] and hood["omitted"] > 0
    assert found["total"] > 7 and len(found["rows"]) == 5 and all("花园" in r["name"] for r in found["rows"])
    assert path["nodes"][0]["id"] == "htg-01" and path["nodes"][-1]["id"] == "org-luohu"


def test_node_rows_in_memory_are_the_rows_of_the_query(reference_topology: LadybugEngine) -> None:
    """Every node kept in memory (graph/node_rows.py) reads as nodes_by_ids reads it, keys in the same order; members
    are never kept: they are read, redacted and audited through the engine."""
    from graph.node_rows import UNKEPT_LABELS
    from queries.answers import nodes_of_indices, nodes_of_labels

    topology, kept = reference_topology.topology(), reference_topology.node_rows()
    assert topology is not None and kept is not None
    assert not UNKEPT_LABELS & set(kept.labels) and "Member" in UNKEPT_LABELS
    indices = [i for i in range(len(topology.ids)) if topology.label_of[i] >= 0]
    from_memory = nodes_of_indices(reference_topology, topology, indices)
    by_label: dict[str, list[str]] = {}
    for node_id, label in zip(topology.ids_of(indices), topology.label_names(indices), strict=True):
        by_label.setdefault(label, []).append(node_id)
    from_queries = nodes_of_labels(reference_topology, by_label)
    assert len(from_memory) == len(indices) == kept.count + len(by_label.get("Member", []))
    assert {k: list(v.items()) for k, v in from_memory.items()} == {k: list(v.items()) for k, v in from_queries.items()}
    assert {row["label"] for row in from_memory.values()} >= {"Compound", "PartyOrg", "Member", "Dataset"}
    assert reference_topology.describe()["topology"]["node_rows"]["nodes"] == kept.count
