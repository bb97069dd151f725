"""Network analytics: known answers on small graphs, the fast cut-point search against brute force, the API."""

from __future__ import annotations

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from graph import analytics
from graph.engine import GraphEngine


def graph_of(edges: list[tuple[str, str]], label: str = "PartyOrg") -> nx.Graph:
    nodes = sorted({n for e in edges for n in e})
    return analytics.to_networkx([{"id": n, "label": label, "name": n} for n in nodes],
                                 [{"source": a, "target": b, "type": "X"} for a, b in edges])


def test_a_stars_center_has_the_top_betweenness() -> None:
    star = graph_of([("hub", leaf) for leaf in "abcdef"] + [("a", "b")])
    ranked = analytics.betweenness(star, top=3)
    assert ranked[0]["id"] == "hub" and ranked[0]["score"] > ranked[1]["score"]


def test_a_bridge_node_is_an_articulation_point() -> None:
    two_triangles = graph_of([("a", "b"), ("b", "c"), ("c", "a"), ("c", "bridge"), ("bridge", "x"), ("x", "y"), ("y", "z"),
                              ("z", "x")])
    points = {p["id"]: p for p in analytics.articulation_points(two_triangles)}
    assert set(points) == {"c", "bridge", "x"}
    assert points["bridge"]["pieces"] == 2 and points["bridge"]["cut_off"] == 3
    assert points["c"]["cut_off"] == 2


@pytest.mark.parametrize("seed", range(25))
def test_cut_points_match_brute_force(seed: int) -> None:
    g = nx.relabel_nodes(nx.gnm_random_graph(30, 33, seed=seed), lambda i: f"n{i:02d}")
    nx.set_node_attributes(g, "PartyOrg", "label")
    fast = {p["id"]: (p["pieces"], p["cut_off"]) for p in analytics.articulation_points(g)}
    slow = {}
    for node in nx.articulation_points(g):
        rest = g.subgraph(n for n in nx.node_connected_component(g, node) if n != node)
        sizes = sorted((len(c) for c in nx.connected_components(rest)), reverse=True)
        slow[node] = (len(sizes), sum(sizes[1:]))
    assert fast == slow


def test_components_communities_and_degrees() -> None:
    g = graph_of([("a", "b"), ("b", "c"), ("x", "y")])
    assert [c["size"] for c in analytics.components(g)] == [3, 2]
    assert sum(c["size"] for c in analytics.communities(g)) == 5
    assert analytics.communities(g) == analytics.communities(g), "seeded: the same answer every time"
    [row] = analytics.degree_statistics(g)
    assert (row["nodes"], row["max"], row["max_id"]) == (5, 2, "b")


def test_analysis_api_on_the_reference_dataset(reference_engine: GraphEngine) -> None:
    with TestClient(create_app(Settings(engine=reference_engine.kind), engine=reference_engine)) as client:  # type: ignore[arg-type]
        body = client.get("/api/v1/analysis/betweenness", params={"id": "440303002", "scope": "subdistrict", "depth": 2,
                                                                  "label": "PartyOrg", "top": 3}).json()
        assert body["nodes"] > 50 and len(body["results"]) == 3
        assert all(r["label"] == "PartyOrg" for r in body["results"])
        assert body["results"][0]["id"] == "org-sd-440303002", "the subdistrict committee connects its subdistrict"
        cut = client.get("/api/v1/analysis/articulation_points", params={"id": "htg-01", "scope": "ego", "depth": 2}).json()
        assert cut["results"] and cut["results"][0]["cut_off"] >= 1
        sub = client.get("/api/v1/analysis/components", params={"id": "org-mb-01", "scope": "subtree"}).json()
        assert sub["nodes"] >= 2 and sub["results"][0]["size"] == sub["nodes"]
        assert client.get("/api/v1/analysis/nope", params={"id": "org-luohu"}).status_code == 422
        assert client.get("/api/v1/analysis/degree", params={"id": "no-such"}).status_code == 404
