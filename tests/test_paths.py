"""Shortest paths (``queries.answers.shortest_path``): the bidirectional search gives the least shortest path.

Hand-built graphs with known answers, every pair of them against networkx, and a sample of pairs of the
reference dataset, on both engines. "Least" is the order of the sequences of node ids: among equally short
paths both engines answer the same one.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import random
from pathlib import Path

import networkx as nx
import pytest
from pydantic import ValidationError

from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from graph.neo4j_engine import Neo4jEngine
from loaders.bundle import BundleWriter
from loaders.load import load_bundle
from queries import answers
from queries.catalog import run_catalog
from tests.conftest import WALK_ENGINE_KINDS

# Two subdistricts of one district; community A (two compounds, a tie between them), B and C; a mobile
# branch serving a hometown group; a member of a branch who is also its reserve cadre (two relationships
# between one pair); two orgs linked to nothing else (another component) and a group linked to nothing.
DISTRICT, SUB_1, SUB_2 = "440303", "440303001", "440303002"
COMM_A, COMM_B, COMM_C = "440303001001", "440303001002", "440303002001"


def path_bundle(root: Path) -> Path:
    with BundleWriter(root, name="paths", scope="paths", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("District", [{"id": DISTRICT, "name": "罗湖区"}])
        w.write_nodes("Subdistrict", [{"id": SUB_1, "name": "桂园街道"}, {"id": SUB_2, "name": "黄贝街道"}])
        w.write_nodes("Community", [{"id": COMM_A, "name": "甲社区"}, {"id": COMM_B, "name": "乙社区"},
                                    {"id": COMM_C, "name": "丙社区"}])
        w.write_nodes("Compound", [{"id": f"cmp-{i}", "name": f"小区{i}", "kind": "商品房"} for i in (1, 2, 3, 4)])
        w.write_nodes("PartyOrg", [
            {"id": "org-a", "name": "甲支部", "level": "党支部"},
            {"id": "org-b", "name": "乙支部", "level": "党支部"},
            {"id": "org-c", "name": "甲社区党委", "level": "社区党委"},
            {"id": "org-m", "name": "流动党支部", "level": "流动党支部"},
            {"id": "org-x", "name": "孤立党委", "level": "联合党委"},
            {"id": "org-y", "name": "孤立支部", "level": "党支部"},
        ])
        w.write_nodes("HometownGroup", [{"id": "htg-1", "name": "同乡村", "origin": "四川达州"},
                                        {"id": "htg-9", "name": "无人服务的同乡村", "origin": "湖南"}])
        w.write_nodes("Member", [{"id": "mem-1", "name": "党员甲", "gender": "女", "birth_year": 1980,
                                  "joined": dt.date(2005, 7, 1)}])
        w.write_rels("PART_OF", [{"source": SUB_1, "target": DISTRICT}, {"source": SUB_2, "target": DISTRICT},
                                 {"source": COMM_A, "target": SUB_1}, {"source": COMM_B, "target": SUB_1},
                                 {"source": COMM_C, "target": SUB_2}])
        w.write_rels("LOCATED_IN", [{"source": "cmp-1", "target": COMM_A}, {"source": "cmp-2", "target": COMM_A},
                                    {"source": "cmp-3", "target": COMM_B}, {"source": "cmp-4", "target": COMM_C},
                                    {"source": "htg-1", "target": COMM_C}])
        w.write_rels("REPORTS_TO", [{"source": "org-a", "target": "org-c"}, {"source": "org-b", "target": "org-c"},
                                    {"source": "org-m", "target": "org-c"}, {"source": "org-y", "target": "org-x"}])
        w.write_rels("COVERS", [
            {"source": "org-a", "target": "cmp-1", "mode": "organizational"},
            {"source": "org-a", "target": "cmp-2", "mode": "organizational"},
            {"source": "org-b", "target": "cmp-3", "mode": "work"},
            {"source": "org-c", "target": COMM_A, "mode": "organizational"},
        ])
        w.write_rels("SERVES", [{"source": "org-m", "target": "htg-1"}])
        w.write_rels("MEMBER_OF", [{"source": "mem-1", "target": "org-b", "role": "member"}])
        w.write_rels("RESERVE_FOR", [{"source": "mem-1", "target": "org-b"}])
    return root


def bundle_graph(root: Path) -> nx.Graph:
    """The bundle's relationships as an undirected networkx graph (every node, linked or not)."""
    graph = nx.Graph()
    for path in sorted((root / "nodes").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            graph.add_nodes_from(row["id"] for row in csv.DictReader(handle))
    for path in sorted((root / "rels").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            graph.add_edges_from((row["source"], row["target"]) for row in csv.DictReader(handle))
    return graph


def least_shortest_path(graph: nx.Graph, source: str, target: str) -> list[str] | None:
    """The shortest path whose sequence of ids is least, found another way: distances to the target, then from
    the source always the least neighbor one step nearer."""
    if source not in graph or target not in graph:
        return None
    to_target = nx.single_source_shortest_path_length(graph, target)
    if source not in to_target:
        return None
    path = [source]
    while path[-1] != target:
        path.append(min(n for n in graph[path[-1]] if to_target.get(n) == to_target[path[-1]] - 1))
    return path


@pytest.fixture(params=WALK_ENGINE_KINDS)
def paths_engine(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[GraphEngine, nx.Graph]:
    """The hand-built graph on each engine, and on each as served, with its relationships in memory."""
    on_neo4j = request.param.startswith("neo4j")
    engine: GraphEngine = request.getfixturevalue("neo4j_engine" if on_neo4j else "embedded_engine")
    root = path_bundle(tmp_path / "bundle")
    load_bundle(engine, root)
    if request.param == "embedded-topology":
        assert isinstance(engine, LadybugEngine)
        engine = LadybugEngine(engine.path, read_only=True, buffer_pool_mb=256)
        request.addfinalizer(engine.close)
        engine.prepare_topology(wait=True)
        assert engine.topology() is not None
    if request.param == "neo4j-topology":
        assert isinstance(engine, Neo4jEngine)
        engine = Neo4jEngine(engine.uri, topology=True)
        request.addfinalizer(engine.close)
        engine.prepare_topology(wait=True)
        assert engine.topology() is not None
    return engine, bundle_graph(root)


def ids(found: dict | None) -> list[str] | None:
    return None if found is None else [n["id"] for n in found["nodes"]]


def test_known_paths(paths_engine: tuple[GraphEngine, nx.Graph]) -> None:
    engine, _ = paths_engine
    # Two paths of 2 steps, through the community and through the branch covering both: the least ids win
    # (digits sort before letters).
    tie = answers.shortest_path(engine, "cmp-1", "cmp-2")
    assert tie is not None and tie["length"] == 2 and ids(tie) == ["cmp-1", COMM_A, "cmp-2"]
    assert tie["edges"] == [{"source": "cmp-1", "target": COMM_A, "type": "LOCATED_IN"},
                            {"source": "cmp-2", "target": COMM_A, "type": "LOCATED_IN"}]
    # Five steps up to the district and down again; the org chain is no shorter.
    far = answers.shortest_path(engine, "cmp-1", "cmp-4")
    assert ids(far) == ["cmp-1", COMM_A, SUB_1, DISTRICT, SUB_2, COMM_C, "cmp-4"]
    assert far is not None and far["length"] == 6 and len(far["edges"]) == 6
    # Relationships count in both directions: org-m → org-c ← org-b ← mem-1.
    up_down = answers.shortest_path(engine, "org-m", "mem-1")
    assert ids(up_down) == ["org-m", "org-c", "org-b", "mem-1"]
    # Two relationships between mem-1 and org-b: the least type, in its own direction.
    assert up_down is not None and up_down["edges"][-1] == {"source": "mem-1", "target": "org-b", "type": "MEMBER_OF"}
    assert [e["type"] for e in up_down["edges"]] == ["REPORTS_TO", "REPORTS_TO", "MEMBER_OF"]


def test_max_length_cuts_longer_paths(paths_engine: tuple[GraphEngine, nx.Graph]) -> None:
    engine, _ = paths_engine
    assert answers.shortest_path(engine, "cmp-1", "cmp-4", max_length=5) is None
    assert ids(answers.shortest_path(engine, "cmp-1", "cmp-4", max_length=6)) is not None
    assert answers.shortest_path(engine, "cmp-1", "cmp-2", max_length=1) is None
    assert answers.shortest_path(engine, "cmp-1", COMM_A, max_length=1)["length"] == 1  # type: ignore[index]
    for bad in (0, 11):
        with pytest.raises(ValidationError, match="max_length"):
            answers.shortest_path(engine, "cmp-1", "cmp-2", max_length=bad)


def test_no_path_same_ends_and_unknown_ids(paths_engine: tuple[GraphEngine, nx.Graph]) -> None:
    engine, _ = paths_engine
    assert answers.shortest_path(engine, "cmp-1", "org-x") is None  # another component
    assert answers.shortest_path(engine, "org-y", "org-x")["length"] == 1  # type: ignore[index]
    assert answers.shortest_path(engine, "htg-9", "cmp-1") is None  # linked to nothing
    assert answers.shortest_path(engine, "cmp-1", "htg-9") is None
    same = answers.shortest_path(engine, "cmp-1", "cmp-1")
    node = run_catalog(engine, "entity_by_id", {"id": "cmp-1"})[0]["n"]
    assert same == {"length": 0, "nodes": [node], "edges": []}
    for unknown in ("cmp-999", "nothing-here"):  # of a known form but absent, and of no known form
        assert answers.shortest_path(engine, "cmp-1", unknown) is None
        assert answers.shortest_path(engine, unknown, "cmp-1") is None
        assert answers.shortest_path(engine, unknown, unknown) is None


def test_every_pair_is_the_least_shortest_path(paths_engine: tuple[GraphEngine, nx.Graph]) -> None:
    engine, graph = paths_engine
    for source, target in itertools.permutations(sorted(graph), 2):
        expected = least_shortest_path(graph, source, target)
        found = answers.shortest_path(engine, source, target, max_length=10)
        assert ids(found) == expected, (source, target)
        if found is not None:
            assert found["length"] == len(expected) - 1  # type: ignore[arg-type]
            assert [{e["source"], e["target"]} for e in found["edges"]] == [set(p) for p in itertools.pairwise(expected)]  # type: ignore[arg-type]


def test_nodes_are_those_of_the_catalog_query(paths_engine: tuple[GraphEngine, nx.Graph]) -> None:
    """The nodes carry what ``nodes(p)`` gives in the catalog's ``shortest_path`` (a pair with one shortest path)."""
    engine, _ = paths_engine
    found = answers.shortest_path(engine, "htg-1", "org-b")
    matched = run_catalog(engine, "shortest_path", {"source": "htg-1", "target": "org-b", "max_length": 6})
    assert found is not None and found["nodes"] == matched[0]["nodes"] and found["length"] == matched[0]["length"]


# ------------------------------------------------------------------------------------- reference dataset


@pytest.fixture(scope="module")
def reference_graph(reference_bundle: Path) -> nx.Graph:
    return bundle_graph(reference_bundle)


def sample_pairs(graph: nx.Graph, count: int = 24) -> list[tuple[str, str]]:
    """Pairs of nodes drawn with a fixed seed, half of them from the busiest labels' ids (members, compounds)."""
    rng = random.Random(2018)
    nodes = sorted(graph)
    busy = [n for n in nodes if n.startswith(("mem-", "cmp-"))]
    return [(rng.choice(busy if i % 2 else nodes), rng.choice(nodes)) for i in range(count)]


def test_reference_paths_agree_with_networkx(reference_walker: GraphEngine, reference_graph: nx.Graph) -> None:
    reference_engine = reference_walker
    for source, target in [*sample_pairs(reference_graph), ("htg-01", "org-luohu"), ("440303001011", "440303009001")]:
        expected = least_shortest_path(reference_graph, source, target)
        if expected is not None and len(expected) - 1 > 10:
            expected = None
        found = answers.shortest_path(reference_engine, source, target, max_length=10)
        assert ids(found) == expected, (source, target)
        if expected is not None:
            assert found is not None and found["length"] == nx.shortest_path_length(reference_graph, source, target)
