"""Who is linked to whom, as arrays in memory: neighborhood walks and shortest paths without a query per step.

A :class:`Topology` holds every relationship of the graph's model labels and types once, in compressed
sparse row form over node *indices* (one per node, 4 bytes a relationship end). It carries no property but the
ids, so it holds no member data beyond what a path or a walk answers anyway.

Why: on LadybugDB every step of a walk is a query of several milliseconds, and a busy node (a branch of 6,000
members, a hometown group, a subdistrict committee) costs tens of milliseconds to read; a shortest path at
scale 100 took 0.6-0.9 s in steps. The same steps over these arrays take microseconds to a few milliseconds.

It is only correct while the graph does not change. :mod:`graph.ladybug_engine` builds one for a database
opened read-only, whose view is fixed from the moment it opens (writes of another process are not seen by it),
so the snapshot and the engine's answers always agree.

The functions answer exactly what the step-by-step walks of :mod:`queries.answers` answer (the tests compare
them): :func:`least_shortest_path` the shortest path whose sequence of ids is least, :func:`walk` the nodes of
least id, nearest first, with the count of those left out. Ids are compared as bytes, which is the order of
``str`` and of Cypher for the ASCII ids the model allows (:data:`graph.model.Id`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

log = logging.getLogger("orggraph.topology")

NO_LABEL = -1
"""``label_of`` of an index no node has (LadybugDB leaves the offsets of deleted nodes unused)."""


@dataclass(frozen=True)
class Topology:
    """Every relationship of a graph, from both ends, over node indices.

    The relationships of the node with index ``i`` are the rows ``starts[i]:starts[i + 1]`` of ``far`` (the node
    at the other end), ``type_of`` (the position of the type in ``types``) and ``outgoing`` (``True`` where the
    node ``i`` is the source). ``ids[i]`` is the node's id as ASCII bytes, ``label_of[i]`` the position of its
    label in ``labels``, and ``rank[i]`` the position of its id in id order (``by_rank`` is the inverse).
    """

    labels: tuple[str, ...]
    types: tuple[str, ...]
    ids: np.ndarray
    label_of: np.ndarray
    rank: np.ndarray
    by_rank: np.ndarray
    starts: np.ndarray
    far: np.ndarray
    type_of: np.ndarray
    outgoing: np.ndarray
    built_s: float = 0.0
    node_count: int = 0
    """Nodes (indices of no node, left by deleted ones, not counted); counted once, when built."""
    nbytes: int = 0
    """Memory held by the arrays."""
    bases: np.ndarray | None = None
    """Per label (position in ``labels``), the index of its offset 0: a node's index is its label's base plus its
    offset in its label (LadybugDB's ``offset(id(n))``)."""

    @property
    def relationship_count(self) -> int:
        return len(self.far) // 2

    def index_of(self, node_id: str) -> int | None:
        """The index of the node ``node_id``, or ``None`` when the graph has no such node."""
        try:
            key = node_id.encode("ascii")
        except UnicodeEncodeError:
            return None
        if len(key) > self.ids.dtype.itemsize or not key:
            return None
        at = int(np.searchsorted(self.ids, key, sorter=self.by_rank))
        if at == len(self.ids):
            return None
        index = int(self.by_rank[at])
        return index if self.ids[index] == key else None

    def id_of(self, index: int) -> str:
        return self.ids[index].decode("ascii")

    def ids_of(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        return [value.decode("ascii") for value in self.ids[indices].tolist()]

    def label_names(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        return [self.labels[position] for position in self.label_of[indices].tolist()]

    def rows_of(self, nodes: np.ndarray) -> np.ndarray:
        """The relationship rows of ``nodes`` (indices), all of them, node by node."""
        begins, ends = self.starts[nodes], self.starts[nodes + 1]
        lengths = ends - begins
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int64)
        # Row k of node j is begins[j] + k: repeat each begin, then add each row's place within its node.
        shift = np.repeat(begins - np.cumsum(lengths) + lengths, lengths)
        return shift + np.arange(total, dtype=np.int64)

    def degree(self, nodes: np.ndarray) -> int:
        return int((self.starts[nodes + 1] - self.starts[nodes]).sum())

    def relationship(self, row: int, node: int) -> tuple[str, str, str]:
        """Row ``row`` of node ``node`` as (source id, target id, type)."""
        here, there = self.id_of(node), self.id_of(int(self.far[row]))
        source, target = (here, there) if self.outgoing[row] else (there, here)
        return source, target, self.types[int(self.type_of[row])]


# -- building ---------------------------------------------------------------------------------------------------

NodeIds = Callable[[str], pa.Table]
"""For a label: a table of ``offset`` (int64, the node's place in its label) and ``id`` (string)."""
RelEnds = Callable[[str], pa.Table]
"""For a relationship type: a table of ``source`` and ``target``, each a struct of ``offset`` and ``table``."""


def build(labels: Sequence[str], types: Sequence[str], table_ids: dict[str, int], node_ids: NodeIds,
          rel_ends: RelEnds, *, cancelled: Callable[[], bool] = lambda: False) -> Topology | None:
    """Build a :class:`Topology` from what a database answers per label and per relationship type.

    ``table_ids`` gives each label's internal table number (what ``rel_ends`` names the ends' tables by).
    Relationships to a table not among ``labels`` are left out, as the walks leave out nodes of no model label.
    Returns ``None`` when ``cancelled()`` turns true between two reads, or when an id is not ASCII (the order of
    bytes would then not be the order of ids).
    """
    started = time.perf_counter()
    offsets: list[np.ndarray] = []
    id_columns: list[np.ndarray] = []
    sizes: list[int] = []
    for label in labels:
        if cancelled():
            return None
        table = node_ids(label)
        offset = table.column("offset").to_numpy().astype(np.int64)
        try:
            ids = np.asarray(table.column("id").to_numpy(zero_copy_only=False).astype(bytes))
        except UnicodeEncodeError:
            log.warning("no topology: %s has an id that is not ASCII", label)
            return None
        offsets.append(offset)
        id_columns.append(ids)
        sizes.append(int(offset.max()) + 1 if len(offset) else 0)
    bases = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    count = int(bases[-1])
    width = max([column.dtype.itemsize for column in id_columns if len(column)] or [1])
    ids = np.zeros(count, dtype=f"S{width}")
    label_of = np.full(count, NO_LABEL, dtype=np.int16)
    for position, (offset, column) in enumerate(zip(offsets, id_columns, strict=True)):
        ids[bases[position] + offset] = column
        label_of[bases[position] + offset] = position
    # Internal table number -> the base of its indices (-1: not a label of ours, its relationships are left out).
    base_of_table = np.full(max(table_ids.values(), default=0) + 1, -1, dtype=np.int64)
    for position, label in enumerate(labels):
        base_of_table[table_ids[label]] = bases[position]

    sources: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    for position, rel_type in enumerate(types):
        if cancelled():
            return None
        ends = rel_ends(rel_type)
        if ends.num_rows == 0:
            continue
        source, source_ok = _indices(ends.column("source"), base_of_table)
        target, target_ok = _indices(ends.column("target"), base_of_table)
        ok = source_ok & target_ok
        sources.append(source[ok])
        targets.append(target[ok])
        kinds.append(np.full(int(ok.sum()), position, dtype=np.int16))
    source = np.concatenate(sources) if sources else np.empty(0, dtype=np.int64)
    target = np.concatenate(targets) if targets else np.empty(0, dtype=np.int64)
    kind = np.concatenate(kinds) if kinds else np.empty(0, dtype=np.int16)

    # Each relationship twice, once from each end; rows grouped by node (a stable sort keeps them in load order).
    node = np.concatenate([source, target])
    order = np.argsort(node, kind="stable")
    far = np.concatenate([target, source])[order].astype(np.int32)
    type_of = np.concatenate([kind, kind])[order]
    outgoing = np.concatenate([np.ones(len(source), dtype=bool), np.zeros(len(target), dtype=bool)])[order]
    starts = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(node, minlength=count), out=starts[1:])
    by_rank = np.argsort(ids, kind="stable").astype(np.intp)  # intp: searchsorted's sorter is not converted per call
    rank = np.empty(count, dtype=np.int32)
    rank[by_rank] = np.arange(count, dtype=np.int32)
    arrays = (ids, label_of, rank, by_rank, starts, far, type_of, outgoing)
    return Topology(labels=tuple(labels), types=tuple(types), ids=ids, label_of=label_of, rank=rank, by_rank=by_rank,
                    starts=starts, far=far, type_of=type_of, outgoing=outgoing, bases=bases[:-1],
                    built_s=time.perf_counter() - started,
                    node_count=int(np.count_nonzero(label_of != NO_LABEL)), nbytes=sum(a.nbytes for a in arrays))


def _indices(ends: pa.ChunkedArray, base_of_table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node indices of a column of internal ids ``{offset, table}``, and which of them are of our labels."""
    combined = ends.combine_chunks()
    offset = combined.field("offset").to_numpy().astype(np.int64)
    table = combined.field("table").to_numpy().astype(np.int64)
    known = table < len(base_of_table)
    base = np.where(known, base_of_table[np.where(known, table, 0)], -1)
    return base + offset, base >= 0


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` by sorting (for the few thousand values of a step, several times
    faster than the hashing ``np.unique`` of numpy 2)."""
    if len(values) < 2:
        return values
    ordered = np.sort(values)
    keep = np.empty(len(ordered), dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


# -- shortest paths ---------------------------------------------------------------------------------------------

def least_shortest_path(topology: Topology, source: int, target: int, max_length: int) -> list[int] | None:
    """The indices of the shortest path from ``source`` to ``target`` (relationships in either direction) of at
    most ``max_length`` steps whose sequence of ids is least, or ``None`` when there is none.

    A breadth-first search from both ends, one layer at a time from the side whose frontier has fewer
    relationships, until the two meet. The least path is then chosen a step at a time from the source: the node
    of least id among the neighbors of the last one that lie on some shortest path.
    """
    if source == target:
        return [source]
    count = len(topology.label_of)
    # Distance from the source (ahead) and from the target (behind) plus one; 0: not reached. Zeros, not a fill:
    # the pages of a zeroed array are only written where touched (two int16 fills of 4.3 million nodes cost
    # ~5 ms at scale 300).
    ahead = np.zeros(count, dtype=np.int8)
    behind = np.zeros(count, dtype=np.int8)
    ahead[source], behind[target] = 1, 1
    fronts = {"ahead": np.array([source]), "behind": np.array([target])}
    depth = {"ahead": 0, "behind": 0}
    distances = {"ahead": ahead, "behind": behind}
    while True:
        if depth["ahead"] + depth["behind"] >= max_length or not len(fronts["ahead"]) or not len(fronts["behind"]):
            return None
        side = "ahead" if topology.degree(fronts["ahead"]) <= topology.degree(fronts["behind"]) else "behind"
        other = "behind" if side == "ahead" else "ahead"
        reached = topology.far[topology.rows_of(fronts[side])]
        new = distinct(reached[distances[side][reached] == 0])
        depth[side] += 1
        distances[side][new] = depth[side] + 1
        fronts[side] = new
        met = new[distances[other][new] > 0]
        if len(met):
            break
    totals = ahead[met].astype(np.int64) + behind[met] - 2
    length = int(totals.min())
    middle = met[totals == length]
    split = int(ahead[middle[0]]) - 1  # every node of the middle is as far from the source
    # on_path[i]: the nodes i steps from the source on some shortest path, towards the source from the middle.
    on_path: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * (length + 1)
    on_path[split] = middle
    for distance in range(split, 0, -1):
        reached = topology.far[topology.rows_of(on_path[distance])]
        on_path[distance - 1] = distinct(reached[ahead[reached] == distance])
    path = [source]
    for distance in range(1, length + 1):
        reached = topology.far[topology.rows_of(np.array([path[-1]]))]
        # Up to the middle: the neighbors on a shortest path. Beyond it, every neighbor one step nearer the target
        # leads on to it.
        candidates = (np.intersect1d(reached, on_path[distance]) if distance <= split
                      else reached[behind[reached] == length - distance + 1])
        path.append(int(candidates[np.argmin(topology.rank[candidates])]))
    return path


def least_relationship(topology: Topology, a: int, b: int) -> tuple[str, str, str]:
    """The relationship between ``a`` and ``b`` (either direction) least by type, then source id, as
    (source id, target id, type)."""
    rows = topology.rows_of(np.array([a]))
    rows = rows[topology.far[rows] == b]
    return min((topology.relationship(int(row), a) for row in rows), key=lambda r: (r[2], r[0]))


# -- neighborhoods ----------------------------------------------------------------------------------------------

@dataclass
class Walk:
    """What :func:`walk` found: the nodes kept with their distance, the relationships among them, the count of
    the nodes left out."""

    distance: dict[int, int]
    edges: set[tuple[str, str, str]]
    omitted: int


def walk(topology: Topology, center: int, depth: int, labels: Iterable[str] | None, limit: int) -> Walk:
    """Walk ``depth`` steps from ``center``, keeping nodes of ``labels`` (``None``: any), at most ``limit``.

    As :func:`queries.answers.neighbors` walks: at each step the far ends not yet kept, of the labels wanted, are
    kept in id order while there is room (``limit`` besides the center); the others are left out and not walked
    through. The relationships returned are those between kept nodes with an end walked from (nearer than
    ``depth``), as (source id, target id, type), each once.
    """
    kept, edges, left_out, _ = _walk(topology, center, depth, labels, limit + 1, lambda found: topology.rank[found],
                                     stop_at_cut=False)
    omitted = len(distinct(np.concatenate(left_out))) if left_out else 0
    return Walk(distance=kept, edges=edges, omitted=omitted)


@dataclass
class CutWalk:
    """What :func:`walk_until_cut` found: the nodes kept with their distance, the relationships among them, and
    at the distance that did not fit (``cut_at``), how many nodes of each label were left out."""

    distance: dict[int, int]
    edges: set[tuple[str, str, str]]
    omitted: dict[str, int]
    cut_at: int | None


def walk_until_cut(topology: Topology, center: int, depth: int, labels: Iterable[str] | None, limit: int,
                   priority: dict[str, int]) -> CutWalk:
    """Walk as the network views do (:func:`graph.views.builders.walk`): ``limit`` nodes in all, the center
    included; within a distance, labels of lower ``priority`` first (the views keep organizations and places
    before people; a label not in it comes last), then ids in order. At the first distance that does not fit,
    what fits is kept, what does not is counted per label, and the walk stops. Relationships as in :func:`walk`.
    """
    order = np.array([priority.get(label, len(priority)) for label in topology.labels], dtype=np.int64)
    count = len(topology.label_of)

    def key(found: np.ndarray) -> np.ndarray:  # the label's priority, then the id's rank
        return order[topology.label_of[found]] * count + topology.rank[found]

    kept, edges, left_out, cut_at = _walk(topology, center, depth, labels, limit, key, stop_at_cut=True)
    omitted: dict[str, int] = {}
    if cut_at is not None:
        positions, counts = np.unique(topology.label_of[left_out[-1]], return_counts=True)
        omitted = {topology.labels[int(position)]: int(n) for position, n in zip(positions, counts, strict=True)}
    return CutWalk(distance=kept, edges=edges, omitted=omitted, cut_at=cut_at)


def _walk(topology: Topology, center: int, depth: int, labels: Iterable[str] | None, total: int,
          key: Callable[[np.ndarray], np.ndarray], *,
          stop_at_cut: bool) -> tuple[dict[int, int], set[tuple[str, str, str]], list[np.ndarray], int | None]:
    """The breadth-first walk of :func:`walk` and :func:`walk_until_cut`: at most ``total`` nodes kept (the center
    included), each step's far ends in the order of their ``key``. Returns the nodes kept with their distance,
    the relationships among them with an end walked from, the nodes left out at each step, and the first distance
    that did not fit (where the walk stopped when ``stop_at_cut``)."""
    wanted = _wanted(topology, labels)
    kept = {center: 0}
    kept_mask = np.zeros(len(topology.label_of), dtype=bool)
    kept_mask[center] = True
    left_out: list[np.ndarray] = []
    walked: list[np.ndarray] = []
    cut_at = None
    frontier = np.array([center])
    for distance in range(1, depth + 1):
        if not len(frontier):
            break
        walked.append(frontier)
        found = _reach(topology, frontier, kept_mask, wanted)
        found = found[np.argsort(key(found), kind="stable")]
        room = max(total - len(kept), 0)
        new = found[:room]
        left_out.append(found[room:])
        kept.update(dict.fromkeys(new.tolist(), distance))
        kept_mask[new] = True
        if len(found) > room and cut_at is None:
            cut_at = distance
            if stop_at_cut:
                break
        frontier = new
    return kept, _edges_from(topology, walked, kept_mask), left_out, cut_at


def _wanted(topology: Topology, labels: Iterable[str] | None) -> np.ndarray:
    """Per label position, whether it is wanted; the last place answers NO_LABEL (-1): never wanted."""
    wanted = np.zeros(len(topology.labels) + 1, dtype=bool)
    for label in (topology.labels if labels is None else labels):
        if label in topology.labels:
            wanted[topology.labels.index(label)] = True
    return wanted


def _reach(topology: Topology, frontier: np.ndarray, kept_mask: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The far ends of the frontier's relationships, each once, not yet kept and of a wanted label."""
    reached = distinct(topology.far[topology.rows_of(frontier)])
    return reached[~kept_mask[reached] & wanted[topology.label_of[reached]]]


def _edges_from(topology: Topology, walked: list[np.ndarray], kept_mask: np.ndarray) -> set[tuple[str, str, str]]:
    """The relationships between kept nodes with an end in ``walked``, as (source id, target id, type), each once."""
    if not walked:
        return set()
    nodes = np.concatenate(walked)
    rows = topology.rows_of(nodes)
    owner = np.repeat(nodes, topology.starts[nodes + 1] - topology.starts[nodes])
    among = kept_mask[topology.far[rows]]
    rows, owner = rows[among], owner[among]
    far = topology.far[rows]
    out = topology.outgoing[rows]
    # One int64 key per (source, target, type), to drop the relationships met from both ends.
    count, kinds = len(topology.label_of), len(topology.types)
    source = np.where(out, owner, far).astype(np.int64)
    target = np.where(out, far, owner).astype(np.int64)
    keys = distinct((source * count + target) * kinds + topology.type_of[rows])
    types, pairs = keys % kinds, keys // kinds
    names = topology.types
    return {(a.decode("ascii"), b.decode("ascii"), names[k]) for a, b, k in zip(
        topology.ids[pairs // count].tolist(), topology.ids[pairs % count].tolist(), types.tolist(), strict=True)}


def topology_summary(topology: Topology | None, *, building: bool = False) -> dict[str, Any]:
    """A short account for ``describe()`` and the logs: sizes and build time, or whether it is being built."""
    if topology is None:
        return {"ready": False, "building": building}
    return {"ready": True, "nodes": topology.node_count, "relationships": topology.relationship_count,
            "megabytes": round(topology.nbytes / 2**20, 1), "built_s": round(topology.built_s, 2)}
