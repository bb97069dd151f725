"""A Neo4j database's relationships and node properties in memory (graph/neo4j_copy.py), kept while no transaction
has committed since they were read (graph/committed.py): the same arrays and rows as a served LadybugDB database
keeps of the same data, used only while current, and walks and paths over them that take no step in queries.

The walks' and paths' answers over the copy are checked against the other engines, networkx and oracles in
tests/test_neighbors.py, tests/test_paths.py, tests/test_catalog.py and tests/test_security.py (the
``neo4j-topology`` cases of ``reference_walker``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from graph import neo4j_engine
from graph.ladybug_engine import LadybugEngine
from graph.model import NODE_MODELS, REL_MODELS
from graph.neo4j_copy import build_copy, ends_query, nodes_query, read_graph
from graph.neo4j_engine import Neo4jEngine
from graph.node_rows import UNKEPT_LABELS, NodeRows
from graph.schema import SEARCHABLE_LABELS, node_row_keys
from graph.topology import Topology
from queries import answers, catalog
from queries.answers import nodes_of_indices, nodes_of_labels
from queries.catalog import run_catalog


def nodes_and_relationships(topology: Topology) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """Every node as (id, label) and every relationship as (source id, target id, type), sorted: what a topology
    holds, whatever its indices."""
    nodes = [i for i in range(len(topology.ids)) if topology.label_of[i] >= 0]
    relationships = [topology.relationship(row, node) for node in nodes
                     for row in range(int(topology.starts[node]), int(topology.starts[node + 1]))
                     if topology.outgoing[row]]
    return sorted(zip(topology.ids_of(nodes), topology.label_names(nodes), strict=True)), sorted(relationships)


def test_the_copy_holds_what_a_served_embedded_database_holds(reference_neo4j_topology: Neo4jEngine,
                                                               reference_topology: LadybugEngine) -> None:
    on_neo4j, on_embedded = reference_neo4j_topology.topology(), reference_topology.topology()
    assert on_neo4j is not None and on_embedded is not None
    nodes, relationships = nodes_and_relationships(on_neo4j)
    assert (nodes, relationships) == nodes_and_relationships(on_embedded)
    assert len(nodes) == sum(reference_neo4j_topology.node_counts().values())
    assert len(relationships) == sum(reference_neo4j_topology.rel_counts().values()) == on_neo4j.relationship_count
    rows = reference_neo4j_topology.node_rows()
    assert rows is not None and not UNKEPT_LABELS & set(rows.labels)
    assert all(rows.holds(label) for label in NODE_MODELS)  # members by their internal ids
    assert rows.count == len(nodes) - sum(1 for _, label in nodes if label in UNKEPT_LABELS)
    described = reference_neo4j_topology.describe()["topology"]
    assert described["ready"] and described["nodes"] == len(nodes) and described["node_rows"]["nodes"] == rows.count
    assert described["read_s"] > 0


def test_node_rows_of_the_copy_are_the_rows_of_the_query(reference_neo4j_topology: Neo4jEngine) -> None:
    """Every node read from the copy reads as nodes_by_ids reads it on Neo4j: the same keys, values and types (dates
    as datetime.date), the keys in the order of LadybugDB's rows (Neo4j's maps have none); members come from the
    database, by their internal ids."""
    topology = reference_neo4j_topology.topology()
    assert topology is not None
    indices = [i for i in range(len(topology.ids)) if topology.label_of[i] >= 0]
    by_label: dict[str, list[str]] = {}
    for node_id, label in zip(topology.ids_of(indices), topology.label_names(indices), strict=True):
        by_label.setdefault(label, []).append(node_id)
    from_memory = nodes_of_indices(reference_neo4j_topology, topology, indices)
    from_queries = nodes_of_labels(reference_neo4j_topology, by_label)
    assert len(from_memory) == len(indices)
    assert ({k: {name: (type(value), value) for name, value in v.items()} for k, v in from_memory.items()}
            == {k: {name: (type(value), value) for name, value in v.items()} for k, v in from_queries.items()})
    assert all(list(row) == [name for name in node_row_keys(row["label"]) if name in row]
               for node_id, row in from_memory.items())  # as LadybugDB orders them
    assert {type(row["joined"]) for row in from_memory.values() if row["label"] == "Member"} == {dt.date}


def test_walks_and_paths_over_the_copy_take_no_step_in_queries(reference_neo4j_topology: Neo4jEngine,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    real = catalog.run_catalog

    def spy(engine: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(name)
        return real(engine, name, *args, **kwargs)

    center = run_catalog(reference_neo4j_topology, "entity_by_id", {"id": "org-mb-01"})[0]["n"]
    monkeypatch.setattr(answers, "run_catalog", spy)
    bookmarks: list[str] = []
    ask = reference_neo4j_topology._bookmark_now
    monkeypatch.setattr(reference_neo4j_topology, "_bookmark_now", lambda: bookmarks.append(ask()) or bookmarks[-1])
    members_read: list[int] = []
    rows_of_lists = neo4j_engine.rows_of_lists  # what the copy's reads of members by internal id answer
    monkeypatch.setattr(neo4j_engine, "rows_of_lists",
                        lambda label, internal, lists: members_read.append(len(internal)) or rows_of_lists(label, internal, lists))
    hood = answers.neighbors(reference_neo4j_topology, center, depth=2, limit=50)
    assert len(hood.nodes) == 51 and hood.truncated
    assert asked == []  # no catalog query: the members are read by their internal ids, in one query
    assert members_read == [sum(node["label"] == "Member" for node in hood.nodes)] and members_read[0] > 0
    assert len(bookmarks) == 1  # one round trip asks whether the copy is current; its node rows go with it
    asked.clear()
    path = answers.shortest_path(reference_neo4j_topology, "htg-01", "org-luohu")
    assert path is not None and path["length"] >= 2 and asked == [] and len(bookmarks) == 2
    # Depth 1: a hub is walked in memory, a small neighborhood is the one query (answers.SMALL_NEIGHBORHOOD, lowered
    # here: at scale 1 no node has 100 relationships).
    monkeypatch.setattr(answers, "SMALL_NEIGHBORHOOD", 20)
    topology = reference_neo4j_topology.topology()
    assert topology is not None
    degrees = np.diff(topology.starts)
    for index, walked in ((int(np.argmax(degrees)), True), (int(np.flatnonzero((degrees > 0) & (degrees < 10))[0]), False)):
        node = run_catalog(reference_neo4j_topology, "entity_by_id", {"id": topology.id_of(index)})[0]["n"]
        asked.clear()
        bookmarks.clear()
        answers.neighbors(reference_neo4j_topology, node, depth=1)
        assert (degrees[index] > answers.SMALL_NEIGHBORHOOD) == walked
        assert ("neighbors_hood" not in asked) == walked, (node["id"], asked)
        assert len(bookmarks) == walked  # the one query needs no bookmark: it is exact by itself


def test_the_copy_is_used_only_until_a_commit(reference_neo4j: Neo4jEngine, neo4j_uri: str) -> None:
    """Another writer links a new compound to a community: the copy is no longer the database's, so walks and
    paths ask the database, and find it. Removing it commits again: the copy read before is still not used."""
    served = Neo4jEngine(neo4j_uri, topology=True)
    try:
        served.prepare_topology(wait=True)
        kept = served.topology()
        assert kept is not None and served.topology() is kept  # nothing committed: the same copy
        assert served.node_rows_with(kept) is served.node_rows() is not None
        community = run_catalog(served, "entity_by_id", {"id": "440303002003"})[0]["n"]
        before = answers.neighbors(served, community, depth=1, limit=5000)
        reference_neo4j.write("MATCH (c:Community {id: '440303002003'}) "
                              "CREATE (:Compound:Entity {id: 'cmp-copy-test', name: '拷贝测试花园', scope: 'test'})"
                              "-[:LOCATED_IN]->(c)")
        try:
            assert served.topology() is None and served.node_rows() is None
            assert served.node_rows_with(kept) is None  # the stale copy's rows go with nothing any more
            after = answers.neighbors(served, community, depth=1, limit=5000)
            assert [n["id"] for n in after.nodes] == sorted([n["id"] for n in before.nodes] + ["cmp-copy-test"],
                                                            key=lambda i: (i != community["id"], i))
            path = answers.shortest_path(served, "cmp-copy-test", "org-luohu")
            assert path is not None and path["nodes"][1]["id"] == "440303002003"
        finally:
            reference_neo4j.write("MATCH (n:Compound {id: 'cmp-copy-test'}) DETACH DELETE n")
        assert served.topology() is None
        assert answers.shortest_path(served, "cmp-copy-test", "org-luohu") is None
        assert served.describe()["topology"]["ready"] is False  # the stale copy is let go
    finally:
        served.close()


def test_members_read_by_internal_id_are_checked(reference_neo4j: Neo4jEngine, neo4j_uri: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy reads members by the server's internal ids, which a delete frees for reuse. A member deleted between
    the walk's ask and its read is left out (as a node deleted after a step is); an internal id that names another
    member now (here: the copy's ids, reversed) is caught by its id, and the members are read by id."""
    reference_neo4j.write("MATCH (o:PartyOrg {id: 'org-mb-01'}) CREATE (:Member:Entity {id: 'mem-copy-test', "
                          "name: '拷贝测试', gender: '女', birth_year: 1990, joined: date('2015-07-01'), scope: 'test'})"
                          "-[:MEMBER_OF]->(o) "
                          # a date stored as text (written by hand, not by the loader) is read back as text, as by id
                          "CREATE (:Member:Entity {id: 'mem-copy-text', name: '拷贝文本', gender: '男', birth_year: 1991, "
                          "joined: '2016-07-01', scope: 'test'})-[:MEMBER_OF]->(o)")
    served = Neo4jEngine(neo4j_uri, topology=True)
    try:
        served.prepare_topology(wait=True)
        topology = served.topology()
        assert topology is not None
        nodes = np.flatnonzero(topology.label_of >= 0).tolist()
        members = [i for i, label in zip(nodes, topology.label_names(nodes), strict=True) if label == "Member"]
        doomed, as_text = topology.index_of("mem-copy-test"), topology.index_of("mem-copy-text")
        assert doomed in members and as_text in members
        members = [i for i in members if i not in (doomed, as_text)]
        wanted = [doomed, as_text, *members[:3]]
        before = nodes_of_indices(served, topology, wanted)
        assert before == nodes_of_labels(served, {"Member": topology.ids_of(wanted)})
        assert before["mem-copy-test"]["joined"] == dt.date(2015, 7, 1) and before["mem-copy-text"]["joined"] == "2016-07-01"
        reference_neo4j.write("MATCH (n:Member {id: 'mem-copy-test'}) DETACH DELETE n")
        by_id: list[str] = []
        real = answers.nodes_of_labels
        monkeypatch.setattr(answers, "nodes_of_labels", lambda engine, labels: by_id.extend(labels) or real(engine, labels))
        after = nodes_of_indices(served, topology, wanted)  # the walk's topology, as asked before the delete
        assert sorted(after) == sorted(topology.ids_of([as_text, *members[:3]])) and by_id == ["Member"]
        held = served.node_rows_with(topology)
        assert held is not None
        internal = reference_neo4j.read("MATCH (n:Member) RETURN id(n) AS i ORDER BY n.id DESC")
        reversed_ids = np.array([row["i"] for row in internal], dtype=np.int64)
        other = replace(held, read_elsewhere={"Member": lambda offsets: served._rows_by_internal_ids(
            "Member", reversed_ids[offsets % len(reversed_ids)].tolist())})
        monkeypatch.setattr(served, "node_rows_with", lambda _topology: other)
        by_id.clear()
        assert nodes_of_indices(served, topology, members[:3]) == real(served, {"Member": topology.ids_of(members[:3])})
        assert by_id == ["Member"]
    finally:
        reference_neo4j.write("MATCH (n:Member) WHERE n.id IN ['mem-copy-test', 'mem-copy-text'] DETACH DELETE n")
        served.close()


def test_rows_read_elsewhere_are_checked_before_they_are_redacted() -> None:
    """Rows read elsewhere (members) that are not the nodes expected are handed back as nothing, unredacted: the
    caller reads those nodes by id, and the audit counts only members that were returned."""
    answered = [{"id": "mem-2", "label": "Member", "name": "某甲"}, {"id": "mem-1", "label": "Member", "name": "某乙"}]
    redacted: list[list[str]] = []

    def redact(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        redacted.append([row["id"] for row in rows])
        return [{"id": row["id"], "label": row["label"]} for row in rows]

    rows = NodeRows({}, {}, read_elsewhere={"Member": lambda offsets: answered[:len(offsets)]})
    assert rows.holds("Member") and not rows.holds("Compound") and rows.redacted_by(redact).holds("Member")
    assert rows.rows("Member", [0, 1]) == answered  # not redacted: the engine's own rows, as its read() gives them
    guarded = rows.redacted_by(redact)
    assert guarded.rows("Member", [0, 1], ["mem-1", "mem-2"]) == [] and redacted == []
    assert guarded.rows("Member", [0], ["mem-2"]) == [{"id": "mem-2", "label": "Member"}] and redacted == [["mem-2"]]
    assert NodeRows({}, {}).redacted_by(redact).redact is None  # nothing read elsewhere: nothing to redact


def test_rows_of_another_copy_are_not_used(reference_neo4j_topology: Neo4jEngine, reference_topology: LadybugEngine,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A topology and node rows of two different copies (a copy replaced between a walk's two asks) would put
    other nodes' properties at the walk's indices: the ids are checked, and the nodes read from the database."""
    topology = reference_neo4j_topology.topology()
    assert topology is not None
    held = reference_neo4j_topology.node_rows()
    assert held is not None  # the same nodes, each label's in reverse: another node at every offset but the middle one
    other = NodeRows({label: table.take(pa.array(np.arange(table.num_rows)[::-1])) for label, table in held.tables.items()},
                     held.row_of_offset)
    monkeypatch.setattr(reference_neo4j_topology, "node_rows_with", lambda _topology: other)
    asked: list[str] = []
    real = answers.nodes_of_labels
    monkeypatch.setattr(answers, "nodes_of_labels", lambda engine, by_label: asked.extend(by_label) or real(engine, by_label))
    indices = [int(i) for i in np.flatnonzero(topology.label_of >= 0)]
    by_label: dict[str, list[str]] = {}
    for node_id, label in zip(topology.ids_of(indices), topology.label_names(indices), strict=True):
        by_label.setdefault(label, []).append(node_id)
    assert nodes_of_indices(reference_neo4j_topology, topology, indices) == real(reference_neo4j_topology, by_label)
    # Every label read from the database but those of one node (the same node reversed).
    assert set(asked) == {label for label, ids in by_label.items() if len(ids) > 1} and "Compound" in asked


def test_the_copy_leaves_out_what_is_not_of_the_model_and_stops_when_cancelled() -> None:
    """Built from what the queries answer: a relationship to a node of no model label is left out, as the walks
    leave such nodes out; a read cancelled half-way builds nothing."""
    def row(label: str, **values: Any) -> list[Any]:
        return [values.get(name) for name in node_row_keys(label) if name != "label"]

    answers_by_query: dict[str, list[Any]] = {nodes_query(label): [[], []] for label in NODE_MODELS}
    answers_by_query |= {ends_query(rel_type): [[], []] for rel_type in REL_MODELS}
    answers_by_query[nodes_query("District")] = [[7], [row("District", id="440303", name="罗湖区")]]
    answers_by_query[nodes_query("Community")] = [[3], [row("Community", id="440303002003", name="黄贝岭社区",
                                                            valid_from=dt.date(2016, 7, 31))]]
    answers_by_query[ends_query("PART_OF")] = [[3, 3], [7, 99]]  # 99: a node of no model label (a roll-up node)

    def run_one(query: str) -> list[Any]:
        return answers_by_query[query]

    copy = build_copy(read_graph(run_one))
    assert copy is not None
    nodes, relationships = nodes_and_relationships(copy.topology)
    assert nodes == [("440303", "District"), ("440303002003", "Community")]
    assert relationships == [("440303002003", "440303", "PART_OF")]
    assert copy.rows.rows("Community", [0]) == [{"id": "440303002003", "label": "Community", "name": "黄贝岭社区",
                                                 "valid_from": dt.date(2016, 7, 31)}]

    calls: list[str] = []
    half = read_graph(lambda query: calls.append(query) or run_one(query), cancelled=lambda: len(calls) >= 3)
    assert len(calls) == 3 and build_copy(half) is None


def test_the_search_names_come_from_the_copy_and_search_alike(reference_neo4j_topology: Neo4jEngine,
                                                              reference_topology: LadybugEngine) -> None:
    """Served with both, Neo4j indexes the search names from the copy's node rows (one read, not two): the same names
    as a served embedded database's, and the same pages for names and initials."""
    from queries.search import search

    names, held = reference_neo4j_topology.name_index(), reference_neo4j_topology._graph.held()  # type: ignore[union-attr]
    assert names is not None and held is not None and names is held.names
    assert reference_neo4j_topology._names is None  # no copy of their own
    embedded = reference_topology.name_index()
    assert embedded is not None and names.count == embedded.count
    assert reference_neo4j_topology.describe()["search_names"]["names"] == names.count
    for q in ("花园", "黄贝岭", "党支部", "罗湖区", "LHQ", "hy", "sqdw", "zzzzz"):
        for limit, offset in ((20, 0), (5, 3)):
            assert (search(reference_neo4j_topology, q, list(SEARCHABLE_LABELS), limit, offset).as_dict()
                    == search(reference_topology, q, list(SEARCHABLE_LABELS), limit, offset).as_dict()), q
