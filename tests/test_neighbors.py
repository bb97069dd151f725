"""The neighborhood walk (queries.answers.neighbors) against a plain oracle: every neighbor read whole."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from graph.engine import GraphEngine
from graph.model import NODE_MODELS
from queries import answers
from queries.catalog import run_catalog


def oracle(engine: GraphEngine, center: dict[str, Any], depth: int, types: Iterable[str] | None,
           limit: int) -> answers.Neighborhood:
    """The walk as first written: each step reads every neighbor with its properties (neighbors_step), keeps the
    least ids up to the limit, nearest first."""
    wanted = set(types or NODE_MODELS)
    seen: dict[str, dict[str, Any]] = {center["id"]: {**center, "distance": 0}}
    edges: set[tuple[str, str, str]] = set()
    left_out: set[str] = set()
    frontier = [center["id"]]
    for distance in range(1, depth + 1):
        rows = [r for label, ids in answers.ids_by_label(frontier).items() for start in range(0, len(ids), 500)
                for r in run_catalog(engine, "neighbors_step", {"ids": ids[start:start + 500]}, label=label)]
        frontier = []
        for row in sorted(rows, key=lambda r: (r["node"]["id"], r["type"], r["source"], r["target"])):
            node = row["node"]
            if node["label"] not in wanted:
                continue
            if node["id"] not in seen:
                if len(seen) > limit:
                    left_out.add(node["id"])
                    continue
                seen[node["id"]] = {**node, "distance": distance}
                frontier.append(node["id"])
            edges.add((row["source"], row["target"], row["type"]))
    kept = sorted(e for e in edges if e[0] in seen and e[1] in seen)
    return answers.Neighborhood(center=seen[center["id"]], nodes=sorted(seen.values(), key=lambda n: (n["distance"], n["id"])),
                                edges=[{"source": s, "target": t, "type": ty} for s, t, ty in kept],
                                truncated=bool(left_out), omitted=len(left_out))


CENTERS = ("org-luohu", "org-mb-01", "440303002003", "htg-01", "cmp-000001", "440303")


@pytest.mark.parametrize("center_id", CENTERS)
def test_the_walk_over_ids_returns_what_reading_every_neighbor_does(reference_walker: GraphEngine, center_id: str) -> None:
    reference_engine = reference_walker
    center = run_catalog(reference_engine, "entity_by_id", {"id": center_id})[0]["n"]
    for depth, types, limit in ((1, None, 500), (2, None, 500), (2, None, 40), (1, None, 3),
                                (2, ["PartyOrg", "Compound", "Community"], 200), (3, ["PartyOrg"], 500)):
        got = answers.neighbors(reference_engine, center, depth=depth, types=types, limit=limit)
        want = oracle(reference_engine, center, depth, types, limit)
        assert got.nodes == want.nodes, (center_id, depth, types, limit)
        assert got.edges == want.edges, (center_id, depth, types, limit)
        assert (got.truncated, got.omitted) == (want.truncated, want.omitted), (center_id, depth, types, limit)
        assert got.center == {**center, "distance": 0}


def test_omitted_counts_nodes_not_relationships(reference_walker: GraphEngine) -> None:
    """A branch's members each have one MEMBER_OF to it; a limit of 3 leaves out every other neighbor once."""
    reference_engine = reference_walker
    center = run_catalog(reference_engine, "entity_by_id", {"id": "org-mb-01"})[0]["n"]
    everything = answers.neighbors(reference_engine, center, depth=1, limit=10_000)
    cut = answers.neighbors(reference_engine, center, depth=1, limit=3)
    assert len(cut.nodes) == 4 and cut.truncated
    assert cut.omitted == len(everything.nodes) - len(cut.nodes)
    assert [n["id"] for n in cut.nodes[1:]] == [n["id"] for n in everything.nodes[1:4]]


def same_walk(engine: GraphEngine, center: dict[str, Any], depth: int, types: list[str] | None, limit: int) -> None:
    got = answers.neighbors(engine, center, depth=depth, types=types, limit=limit)
    want = oracle(engine, center, depth, types, limit)
    case = (center["id"], depth, types, limit)
    assert got.nodes == want.nodes, case
    assert got.edges == want.edges, case
    assert (got.truncated, got.omitted) == (want.truncated, want.omitted), case


@pytest.fixture(params=["served", "hubs"])
def hubs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``served``: the walk as the API runs it. ``hubs``: the step-wise walk on both engines (also on Neo4j, which
    answers depth 1 in one query) with every node of the last step taken for a hub (at scale 1 none is one), so
    that the least far ends and their counts (neighbors_least, neighbors_links) are what is checked."""
    if request.param == "hubs":
        monkeypatch.setattr(answers, "one_query_beats_a_walk", lambda engine: False)
        monkeypatch.setattr(answers, "MIN_CAP", 0)
        monkeypatch.setattr(answers, "HUB_FACTOR", 0)
    return str(request.param)


@pytest.mark.parametrize("center_id", ("org-mb-01", "440303002003", "cmp-000001", "440303002"))
@pytest.mark.parametrize("types", [None, ["Community", "Compound", "Member", "HometownGroup", "PartyOrg"]])
def test_limits_at_the_boundaries(reference_engine: GraphEngine, center_id: str, types: list[str] | None, hubs: str) -> None:
    """The limit is in the query (neighbors_least): at exactly the number of nodes within reach of a step, one more
    and one less, and in the middle of a step of a deeper walk (the next steps then only count), the walk answers
    what reading every neighbor does."""
    check_limits(reference_engine, center_id, types)


@pytest.mark.parametrize("center_id", ("org-mb-01", "440303002003", "cmp-000001", "440303002"))
@pytest.mark.parametrize("types", [None, ["Community", "Compound", "Member", "HometownGroup", "PartyOrg"]])
def test_limits_at_the_boundaries_in_memory(reference_topology: GraphEngine, center_id: str, types: list[str] | None) -> None:
    """The same cases, walked over the relationships in memory (graph.topology.walk)."""
    check_limits(reference_topology, center_id, types)


def check_limits(reference_engine: GraphEngine, center_id: str, types: list[str] | None) -> None:
    center = run_catalog(reference_engine, "entity_by_id", {"id": center_id})[0]["n"]
    whole = oracle(reference_engine, center, 3, types, 5000)
    assert not whole.truncated
    within = [sum(1 for n in whole.nodes if 0 < n["distance"] <= d) for d in range(4)]  # nodes at distance 1..d
    assert within[1] > 0
    cases = [(1, within[1] - 1), (1, within[1]), (1, within[1] + 1), (2, within[1]), (2, within[1] + 1),
             (2, (within[1] + within[2]) // 2), (3, within[2] + 1), (3, (within[2] + within[3]) // 2)]
    for depth, limit in cases:
        if limit >= 1:
            same_walk(reference_engine, center, depth, types, limit)


def test_a_step_of_several_queries_that_overflows_counts_each_node_once(reference_engine: GraphEngine, hubs: str) -> None:
    """From a subdistrict the second step starts from nodes of several labels whose neighbors overlap (a
    community's compounds are also covered by its committee): what is left out is counted once."""
    center = run_catalog(reference_engine, "entity_by_id", {"id": "440303002"})[0]["n"]
    for limit in (5, 12, 40):
        same_walk(reference_engine, center, 2, None, limit)
        same_walk(reference_engine, center, 3, ["Community", "PartyOrg", "Compound"], limit)
