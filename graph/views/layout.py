"""Node positions computed in Python, so that big views open with physics off and draw at once.

vis-network's force simulation needs tens of seconds to settle a few thousand nodes in a browser;
these layouts take milliseconds here and give the browser nothing left to compute.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import networkx as nx

Position = tuple[float, float]

RING_GAP = 260.0
"""Distance between two rings of a radial layout."""
NODE_GAP = 46.0
"""Least arc length between two neighbors on one ring."""
COLUMN_WIDTH = 140.0
ROW_HEIGHT = 150.0
LEAF_ROW_HEIGHT = 80.0


def radial_layout(nodes: Sequence[str], edges: Iterable[tuple[str, str]], root: str) -> dict[str, Position]:
    """Place ``root`` in the middle and every other node on the ring of its distance from it.

    Each node's children (in a breadth-first tree) share the angle of their parent's sector in
    proportion to the leaves below them, so branches stay together and do not cross. Rings grow
    with the number of nodes they carry, keeping at least ``NODE_GAP`` between neighbors. Nodes not
    connected to ``root`` go on an outer ring.
    """
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((a, b) for a, b in edges if a in graph and b in graph)
    tree = nx.bfs_tree(graph, root) if root in graph else nx.DiGraph()
    orphans = [n for n in nodes if n not in tree]
    if orphans:
        tree.add_node(root)
        tree.add_edges_from((root, n) for n in orphans)
    depth = nx.single_source_shortest_path_length(tree, root)
    leaves: dict[str, int] = {}
    for node in nx.dfs_postorder_nodes(tree, root):
        leaves[node] = sum(leaves[c] for c in tree.successors(node)) or 1
    per_ring: dict[int, int] = {}
    for d in depth.values():
        per_ring[d] = per_ring.get(d, 0) + 1
    radius: dict[int, float] = {0: 0.0}
    for d in range(1, max(per_ring, default=0) + 1):
        radius[d] = max(radius[d - 1] + RING_GAP, per_ring.get(d, 0) * NODE_GAP / (2 * math.pi))
    positions: dict[str, Position] = {}
    sectors: list[tuple[str, float, float]] = [(root, 0.0, 2 * math.pi)]
    while sectors:
        node, start, span = sectors.pop()
        angle = start + span / 2
        positions[node] = (radius[depth[node]] * math.cos(angle), radius[depth[node]] * math.sin(angle))
        children = sorted(tree.successors(node))
        total = sum(leaves[c] for c in children)
        offset = start
        for child in children:
            share = span * leaves[child] / total
            sectors.append((child, offset, share))
            offset += share
    return positions


def leaf_columns(count: int, most: int = 6) -> int:
    """Columns of the grid that holds ``count`` leaf children: about twice as many rows as columns.

    >>> [leaf_columns(n) for n in (0, 1, 2, 8, 17, 40, 400)]
    [0, 1, 1, 2, 3, 5, 6]
    """
    return min(count, most, math.ceil(math.sqrt(count / 2)))


TWIG_LEAVES = 3
"""A child with at most this many children, all leaves, is a twig: it goes in its parent's grid too,
its leaves hanging below it (a joint branch and the tower it covers take one cell, not a column)."""


def tree_layout(parents: Mapping[str, str | None], order: Sequence[str]) -> dict[str, Position]:
    """A top-down tree: each node above the middle of its children, subtrees side by side.

    ``parents`` maps each node to its parent (``None`` for the roots); ``order`` fixes the order of
    siblings. Leaves and twigs are set in a grid under their parent (see :func:`leaf_columns`), so a
    committee with thirty branches does not stretch the tree thirty columns wide: org trees are far
    wider than deep, and a screen is wider than high only by half.
    """
    children: dict[str, list[str]] = {n: [] for n in order}
    roots: list[str] = []
    for node in order:
        parent = parents.get(node)
        if parent is None or parent not in children:
            roots.append(node)
        else:
            children[parent].append(node)

    def compact(node: str) -> bool:
        kids = children[node]
        return len(kids) <= TWIG_LEAVES and not any(children[k] for k in kids)

    width: dict[str, float] = {}

    def measure(node: str) -> float:
        inner = [c for c in children[node] if not compact(c)]
        total = sum(measure(c) for c in inner) + leaf_columns(len(children[node]) - len(inner))
        width[node] = max(1.0, total)
        return width[node]

    positions: dict[str, Position] = {}

    def place(node: str, left: float, top: float) -> None:
        positions[node] = ((left + width[node] / 2) * COLUMN_WIDTH, top)
        inner = [c for c in children[node] if not compact(c)]
        cells = [c for c in children[node] if compact(c)]
        columns = leaf_columns(len(cells))
        used = sum(width[c] for c in inner) + columns
        x = left + (width[node] - used) / 2
        y = top + ROW_HEIGHT
        for row_start in range(0, len(cells), max(columns, 1)):
            row = cells[row_start:row_start + columns]
            for col, cell in enumerate(row):
                positions[cell] = ((x + col + 0.5) * COLUMN_WIDTH, y)
                for k, leaf in enumerate(children[cell], start=1):
                    positions[leaf] = ((x + col + 0.5) * COLUMN_WIDTH, y + k * LEAF_ROW_HEIGHT)
            y += LEAF_ROW_HEIGHT * (1 + max(len(children[c]) for c in row))
        x += columns
        for child in inner:
            place(child, x, top + ROW_HEIGHT)
            x += width[child]

    # Recursion depth is the tree's depth: a dozen levels at most (org_subtree stops at 12).
    left = 0.0
    for root in roots:
        measure(root)
        place(root, left, 0.0)
        left += width[root] + 1
    return positions


def line_layout(nodes: Sequence[str], *, step: float = 240.0) -> dict[str, Position]:
    """Nodes in a row, left to right, slightly staggered so that edge captions do not collide."""
    return {n: (i * step, 0.0 if i % 2 == 0 else 60.0) for i, n in enumerate(nodes)}
