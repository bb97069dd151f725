"""Network analytics over a bounded subgraph, with networkx.

The graph database answers "what is connected to what"; these functions answer "which nodes hold the
network together". They take a subgraph that a caller fetched with the catalog (an ego network, an
org's subtree, a subdistrict) and never the whole graph, so they stay fast.

Every function is deterministic: results are sorted, and community detection is seeded.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

DEFAULT_SEED = 2018


def to_networkx(nodes: Iterable[Mapping[str, Any]], edges: Iterable[Mapping[str, str]]) -> nx.Graph:
    """Build an undirected graph: node attributes are the node dicts, edges keep their ``type``.

    Edges whose ends are not among ``nodes`` are dropped, so a cut neighborhood stays consistent.

    >>> g = to_networkx([{"id": "a", "label": "PartyOrg"}, {"id": "b", "label": "Compound"}],
    ...                 [{"source": "a", "target": "b", "type": "COVERS"}])
    >>> sorted(g.edges(data="type"))
    [('a', 'b', 'COVERS')]
    """
    graph = nx.Graph()
    for node in nodes:
        graph.add_node(node["id"], **{k: v for k, v in node.items() if k != "id"})
    for edge in edges:
        if edge["source"] in graph and edge["target"] in graph and edge["source"] != edge["target"]:
            graph.add_edge(edge["source"], edge["target"], type=edge.get("type"))
    return graph


def betweenness(graph: nx.Graph, *, top: int = 20, labels: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The nodes that lie on most shortest paths between others (normalized betweenness), highest first.

    Exact up to 3,000 nodes; above that estimated from 1,000 seeded sample sources, which keeps a
    5,000-node subgraph to seconds.

    >>> star = to_networkx([{"id": c} for c in "hxyz"], [{"source": "h", "target": c} for c in "xyz"])
    >>> betweenness(star, top=1)[0]["id"]
    'h'
    """
    sample = None if graph.number_of_nodes() <= 3000 else 1000
    scores = nx.betweenness_centrality(graph, k=sample, seed=DEFAULT_SEED if sample else None)
    return _ranked(graph, scores, top, labels)


def articulation_points(graph: nx.Graph, *, labels: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Nodes whose removal cuts the subgraph into more pieces, with how many nodes they would cut off.

    ``pieces`` is how many parts the node's component falls into without it; ``cut_off`` counts the
    nodes outside the largest part, i.e. what loses its link to the rest of the network. One depth-first
    search (Tarjan's low-link) finds all of them in linear time.

    >>> path = to_networkx([{"id": c} for c in "abc"], [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}])
    >>> [(p["id"], p["pieces"], p["cut_off"]) for p in articulation_points(path)]
    [('b', 2, 1)]
    """
    wanted = set(labels) if labels is not None else None
    result = []
    for node, parts in _separated_parts(graph).items():
        if wanted is not None and graph.nodes[node].get("label") not in wanted:
            continue
        parts = sorted((p for p in parts if p > 0), reverse=True)
        if len(parts) > 1:
            result.append({**_describe(graph, node), "pieces": len(parts), "cut_off": sum(parts[1:])})
    return sorted(result, key=lambda r: (-r["cut_off"], r["id"]))


def _separated_parts(graph: nx.Graph) -> dict[str, list[int]]:
    """For every node, the sizes of the parts its component falls into when the node is removed."""
    disc: dict[str, int] = {}
    low: dict[str, int] = {}
    size: dict[str, int] = {}
    parts: dict[str, list[int]] = {}
    for root in sorted(graph):
        if root in disc:
            continue
        disc[root] = low[root] = len(disc)
        size[root] = 1
        stack = [(root, iter(sorted(graph[root])), None)]
        order = [root]
        parent: dict[str, str | None] = {root: None}
        while stack:
            node, children, _ = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                up = parent[node]
                if up is not None:
                    low[up] = min(low[up], low[node])
                    size[up] += size[node]
                    if low[node] >= disc[up]:
                        parts.setdefault(up, []).append(size[node])
                continue
            if child not in disc:
                disc[child] = low[child] = len(disc)
                size[child] = 1
                parent[child] = node
                order.append(child)
                stack.append((child, iter(sorted(graph[child])), node))
            elif child != parent[node]:
                low[node] = min(low[node], disc[child])
        total = size[root]
        for node in order:
            separated = parts.get(node, [])
            if node == root:
                continue
            # what stays linked to the DFS parent's side is one more part
            parts[node] = [*separated, total - 1 - sum(separated)]
    return parts


def components(graph: nx.Graph) -> list[dict[str, Any]]:
    """Connected components, largest first, each with its size, label counts and a sample of members."""
    found = [sorted(c) for c in nx.connected_components(graph)]
    found.sort(key=lambda c: (-len(c), c[0]))
    return [{"size": len(c), "labels": dict(sorted(Counter(graph.nodes[n].get("label") for n in c).items())),
             "sample": c[:10]} for c in found]


def communities(graph: nx.Graph, *, seed: int = DEFAULT_SEED) -> list[dict[str, Any]]:
    """Densely linked groups (Louvain, seeded so the answer repeats), largest first."""
    if graph.number_of_edges() == 0:
        return [{"size": 1, "labels": {}, "sample": [n]} for n in sorted(graph)]
    found = [sorted(c) for c in nx.community.louvain_communities(graph, seed=seed)]
    found.sort(key=lambda c: (-len(c), c[0]))
    return [{"size": len(c), "labels": dict(sorted(Counter(graph.nodes[n].get("label") for n in c).items())),
             "sample": c[:10]} for c in found]


def degree_statistics(graph: nx.Graph) -> list[dict[str, Any]]:
    """Degree per label: count, mean, median, max and the node with the highest degree."""
    by_label: dict[str, list[tuple[int, str]]] = {}
    for node, degree in graph.degree():
        by_label.setdefault(str(graph.nodes[node].get("label")), []).append((degree, node))
    rows = []
    for label, values in sorted(by_label.items()):
        degrees = [d for d, _ in values]
        top_degree, top_node = min(values, key=lambda v: (-v[0], v[1]))  # highest degree, then smallest id
        rows.append({"label": label, "nodes": len(values), "mean": round(statistics.fmean(degrees), 3),
                     "median": statistics.median(degrees), "max": top_degree, "max_id": top_node})
    return rows


ANALYSES = {
    "betweenness": betweenness,
    "articulation_points": articulation_points,
    "components": components,
    "communities": communities,
    "degree": degree_statistics,
}
"""Every analysis by the name the API uses."""


def _describe(graph: nx.Graph, node: str) -> dict[str, Any]:
    data = graph.nodes[node]
    return {"id": node, "label": data.get("label"), "name": data.get("name")}


def _ranked(graph: nx.Graph, scores: Mapping[str, float], top: int, labels: Iterable[str] | None) -> list[dict[str, Any]]:
    wanted = set(labels) if labels is not None else None
    ranked = sorted(((round(s, 6), n) for n, s in scores.items()
                     if wanted is None or graph.nodes[n].get("label") in wanted), key=lambda t: (-t[0], t[1]))
    return [{**_describe(graph, n), "score": s} for s, n in ranked[:top]]
