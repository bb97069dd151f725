"""Answers built from catalog queries: roll-ups, neighborhood walks, paths, pages of lists.

The API, the CLI and the notebooks call these plain functions; each runs only catalog queries, so
both engines give the same answers (checked by the differential tests). Where the engine keeps the graph's
relationships in memory (:mod:`graph.topology`, a read-only LadybugDB database), neighborhood walks and shortest
paths take their steps there and read only the nodes they answer with; the tests check the answers are the same.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from graph.engine import GraphEngine, Row
from graph.model import NODE_MODELS, label_for_id
from graph.topology import Topology, least_relationship, least_shortest_path, walk
from queries import coverage_intervals, rollup
from queries.catalog import dataset_as_of, prepare_params, run_catalog, run_query

Target = Literal["compound", "building", "enterprise"]
LabelName = Literal[
    "District", "Subdistrict", "Community", "Compound", "Building", "BusinessArea", "Enterprise", "PartyOrg", "Member",
    "HometownGroup", "Project", "ServiceCenter", "CompoundBody", "Dataset",
]
Level = Literal["district", "subdistrict", "community"]
COVERAGE_QUERY: dict[Target, str] = {
    "compound": "coverage_compounds", "building": "coverage_buildings", "enterprise": "coverage_enterprises",
}
GAPS_QUERY: dict[str, str] = {"compound": "gaps_compounds", "building": "gaps_buildings", "enterprise": "gaps_enterprises"}
MAX_NEIGHBORS = 500
PATH_STEP_CHUNK = 1000
"""Ids per ``path_step`` query (the most its parameter model takes): fewer, bigger queries are faster (bench/paths.py)."""


def rate(covered: int, total: int) -> float | None:
    """Covered share, rounded to 4 decimals; ``None`` for an empty area (no division by zero)."""
    return round(covered / total, 4) if total else None


def coverage_summary(engine: GraphEngine, target: Target, level: Level = "subdistrict", *, as_of: dt.date | None = None,
                     min_floors: int = 20, live: bool = False,
                     intervals: coverage_intervals.CoverageIntervals | Literal["ask"] | None = "ask") -> dict[str, Any]:
    """Coverage of ``target`` at ``as_of``, per area of ``level``, with organizational and work rates.

    Counts come per community and are summed up to subdistricts or the district, so every level agrees with the
    level below it (except that a community part of two subdistricts counts in each, and once in the district). The
    per-community rows are the live catalog query's (``coverage_compounds`` …), from the fastest source that has
    them: the coverage intervals a served engine keeps (:mod:`queries.coverage_intervals`, any date), else at a
    loaded dataset's as-of date the roll-up the loader stored (:mod:`queries.rollup`), else the live query.
    ``live=True`` runs the live query whatever is kept or stored (benchmarks, checks). ``intervals``: what the engine
    answered when the caller already asked it for the kept intervals (a trend asks once for all its dates; ``None``:
    none kept now); by default (``"ask"``) it is asked here.
    """
    as_of = as_of or dataset_as_of(engine)
    rows = coverage_rows(engine, target, as_of, min_floors=min_floors, live=live, intervals=intervals)
    areas: dict[str, dict[str, Any]] = {}
    communities_in_area: set[tuple[str, str]] = set()
    for r in rows:
        area_id, area_name = r[f"{level}_id"], r[f"{level}_name"]
        if (area_id, r["community_id"]) in communities_in_area:
            continue  # a community part of two subdistricts has a row for each: it counts once in the district
        communities_in_area.add((area_id, r["community_id"]))
        area = areas.setdefault(area_id, {"area_id": area_id, "area_name": area_name, "total": 0, "org": 0, "work": 0})
        area["total"] += r["total"]
        area["org"] += r["organizational_covered"]
        area["work"] += r["work_covered"]
    result_rows = [
        {"area_id": a["area_id"], "area_name": a["area_name"], "total": a["total"],
         "organizational": {"covered": a["org"], "rate": rate(a["org"], a["total"])},
         "work": {"covered": a["work"], "rate": rate(a["work"], a["total"])}}
        for a in sorted(areas.values(), key=lambda a: a["area_id"])
    ]
    answer: dict[str, Any] = {"target": target, "level": level, "as_of": as_of, "rows": result_rows}
    if target == "building":
        answer["min_floors"] = min_floors
    return answer


def coverage_rows(engine: GraphEngine, target: Target, as_of: dt.date, *, min_floors: int = 20, live: bool = False,
                  intervals: coverage_intervals.CoverageIntervals | Literal["ask"] | None = "ask") -> list[Row]:
    """The per-community rows of the live coverage query of ``target`` at ``as_of``, from the fastest source that has
    them (see :func:`coverage_summary`, also for ``intervals``)."""
    if live:
        return run_catalog(engine, COVERAGE_QUERY[target], _coverage_params(target, as_of, min_floors))
    kept = coverage_intervals.kept(engine) if intervals == "ask" else intervals
    if kept is not None:
        return kept.rows(target, as_of, min_floors=min_floors)
    stored = rollup.stored_coverage(engine, target, as_of, min_floors=min_floors)
    if stored is not None:
        return stored
    return run_catalog(engine, COVERAGE_QUERY[target], _coverage_params(target, as_of, min_floors))


COVERAGE_TARGET: dict[str, Target] = {query: target for target, query in COVERAGE_QUERY.items()}


def kept_catalog_rows(engine: GraphEngine, name: str, params: Mapping[str, Any]) -> list[Row] | None:
    """The rows of catalog query ``name`` with ``params`` (prepared: ``queries.catalog.prepare_params``) from what the
    engine keeps in memory, when it keeps them: the coverage queries (``coverage_compounds`` …) from the coverage
    intervals, the same rows in the same order (by community, then subdistrict); else ``None``, and the caller runs
    the query."""
    target = COVERAGE_TARGET.get(name)
    if target is None:
        return None
    kept = coverage_intervals.kept(engine)
    return kept.rows(target, params["as_of"], min_floors=params.get("min_floors", 20)) if kept is not None else None


def catalog_rows(engine: GraphEngine, name: str, raw: Mapping[str, Any] | None = None) -> list[Row]:
    """:func:`queries.catalog.run_catalog`, answered from memory where the engine keeps the rows
    (:func:`kept_catalog_rows`)."""
    if name not in COVERAGE_TARGET:
        return run_catalog(engine, name, raw)
    params = prepare_params(engine, name, raw)  # once: the default as_of is a query
    kept = kept_catalog_rows(engine, name, params)
    return kept if kept is not None else run_query(engine, name, params)


def _coverage_params(target: Target, as_of: dt.date, min_floors: int) -> dict[str, Any]:
    return {"as_of": as_of, "min_floors": min_floors} if target == "building" else {"as_of": as_of}


def trend_dates(start: dt.date, end: dt.date, step: Literal["year", "quarter", "month"] = "year") -> list[dt.date]:
    """``start``, then every step after it up to ``end``, and ``end`` itself.

    >>> trend_dates(dt.date(2006, 8, 1), dt.date(2008, 12, 28))
    [datetime.date(2006, 8, 1), datetime.date(2007, 8, 1), datetime.date(2008, 8, 1), datetime.date(2008, 12, 28)]
    """
    if end < start:
        raise ValueError("the end of a trend is before its start")
    months = {"year": 12, "quarter": 3, "month": 1}[step]
    dates: list[dt.date] = []
    n = 0
    while True:
        total = start.month - 1 + n * months
        year, month = start.year + total // 12, total % 12 + 1
        day = min(start.day, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)
        current = dt.date(year, month, day)
        if current > end:
            break
        dates.append(current)
        n += 1
    if dates[-1] != end:
        dates.append(end)
    return dates


def coverage_trend(engine: GraphEngine, target: Target, start: dt.date, end: dt.date, *,
                   step: Literal["year", "quarter", "month"] = "year", min_floors: int = 20,
                   area: str | None = None) -> list[dict[str, Any]]:
    """District-wide (or one subdistrict's, ``area``) coverage at each date of :func:`trend_dates`."""
    level: Level = "subdistrict" if area else "district"
    points = []
    intervals = coverage_intervals.kept(engine)  # one question for every date (on Neo4j a round trip)
    for as_of in trend_dates(start, end, step):
        rows = coverage_summary(engine, target, level, as_of=as_of, min_floors=min_floors, intervals=intervals)["rows"]
        row = next((r for r in rows if area is None or r["area_id"] == area), None)
        empty = {"covered": 0, "rate": None}
        points.append({"as_of": as_of, "total": row["total"] if row else 0,
                       "organizational": row["organizational"] if row else empty, "work": row["work"] if row else empty})
    return points


@dataclass
class Page:
    """One page of a list, with the total count so clients can page through it."""

    rows: list[Row]
    total: int
    limit: int
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {**self.extra, "total": self.total, "limit": self.limit, "offset": self.offset, "rows": self.rows}


def page(rows: list[Row], limit: int, offset: int, **extra: Any) -> Page:
    """Slice a stably ordered list (the catalog queries all ORDER BY a unique key)."""
    return Page(rows=rows[offset:offset + limit], total=len(rows), limit=limit, offset=offset, extra=extra)


def gaps(engine: GraphEngine, target: Target, params: Mapping[str, Any]) -> list[Row]:
    """The uncovered compounds, buildings or enterprises (see the ``gaps_*`` catalog queries)."""
    return run_catalog(engine, GAPS_QUERY[target], params)


@dataclass
class Neighborhood:
    """Nodes around a center, each with its distance, and the relationships between them."""

    center: dict[str, Any]
    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]
    truncated: bool = False
    omitted: int = 0


def ids_by_label(ids: Iterable[str]) -> dict[str, list[str]]:
    """``ids`` grouped by the label their form names (ids of no known form are dropped: nothing can match them)."""
    by_label: dict[str, list[str]] = {}
    for node_id in ids:
        label = label_for_id(node_id)
        if label is not None:
            by_label.setdefault(label, []).append(node_id)
    return by_label


def step_rows(engine: GraphEngine, ids: Iterable[str], *, chunk: int = 500) -> list[Row]:
    """One neighborhood step from ``ids`` of any labels: ``neighbors_step`` per label and chunk of ids."""
    by_label = ids_by_label(ids)
    rows: list[Row] = []
    for label, group in sorted(by_label.items()):
        if len(group) == 1:  # the usual first step: from the primary key, several times faster on LadybugDB
            rows += run_catalog(engine, "neighbors_one", {"id": group[0]}, label=label)
            continue
        for start in range(0, len(group), chunk):
            rows += run_catalog(engine, "neighbors_step", {"ids": group[start:start + chunk]}, label=label)
    return rows


def nodes_by_id(engine: GraphEngine, ids: Iterable[str], *, chunk: int = 1000) -> dict[str, dict[str, Any]]:
    """The nodes ``ids`` (of any labels) with their properties, by id: ``nodes_by_ids`` per label and chunk."""
    return nodes_of_labels(engine, ids_by_label(ids), chunk=chunk)


def node_first(node: dict[str, Any]) -> dict[str, Any]:
    """A node read as a map (Neo4j's collected rows) with its ``id`` and ``label`` first, as the engines give a
    node value: the API's JSON reads the same on both engines."""
    return {"id": node["id"], "label": node["label"], **node}


def nodes_of_labels(engine: GraphEngine, by_label: Mapping[str, list[str]], *, chunk: int = 1000) -> dict[str, dict[str, Any]]:
    """:func:`nodes_by_id` for ids already grouped by label. Each node as the engines give a node: ``id``,
    ``label``, then its properties that are not null. Where one query beats several (Neo4j), every label at once
    (``nodes_by_any_ids``, through the graph-wide id index)."""
    found: dict[str, dict[str, Any]] = {}
    if one_query_beats_a_walk(engine):
        every = [node_id for group in by_label.values() for node_id in group]
        for start in range(0, len(every), chunk):
            for row in run_catalog(engine, "nodes_by_any_ids", {"ids": every[start:start + chunk]}):
                found[row["node"]["id"]] = node_first(row["node"])
        return found
    for label, group in sorted(by_label.items()):
        for start in range(0, len(group), chunk):
            for row in run_catalog(engine, "nodes_by_ids", {"ids": group[start:start + chunk]}, label=label):
                found[row["id"]] = {name: value for name, value in row.items() if value is not None}
    return found


def neighbors(engine: GraphEngine, center: dict[str, Any], *, depth: int = 1, types: Iterable[str] | None = None,
              limit: int = MAX_NEIGHBORS) -> Neighborhood:
    """Walk ``depth`` steps (1-3) from ``center``, keeping nodes of ``types`` (labels), at most ``limit``.

    Walking one step at a time keeps the work proportional to what is returned (a variable-length
    match from a busy node would enumerate every path). Nodes not of ``types`` are neither
    returned nor walked through. Beyond ``limit`` the walk stops and says how many nodes it left out
    (``omitted``); the nodes kept are those of least id, nearest first.

    Each step reads the relationships of its nodes, ids and types only (``path_step``). The last one first
    counts them (``neighbors_degree``), and from a node with many more than the room left (a hub) asks instead
    for the far ends of least id that still fit, and how many there are (``neighbors_least``): a hub's other
    neighbors are counted, never read (a branch with 6,000 members at scale 100, where 500 are kept). Which
    were left out is then asked for by id only where counts cannot be added up (a hub and other nodes in one
    step). The kept nodes are read once, whole (``nodes_by_ids``); the relationships a walk records (between
    kept nodes, with an end nearer than ``depth``) are those read on the way, and a hub's are asked for from
    the kept nodes' side (``neighbors_links``). Where one query beats a walk (Neo4j,
    :func:`one_query_beats_a_walk`), a walk of depth 1 is one query (``neighbors_hood``), and deeper walks
    read every step, each for all labels at once (``path_step_any``). Where the engine keeps its relationships in
    memory (:meth:`GraphEngine.topology`: a served database), the whole walk is taken there
    (:func:`graph.topology.walk`, the same answer) and only the kept nodes are read; but on Neo4j a depth-1
    neighborhood of at most ``SMALL_NEIGHBORHOOD`` relationships is still the one query.
    """
    wanted = set(types or NODE_MODELS) & set(NODE_MODELS)
    labels = sorted(wanted) if types else None
    if not wanted:
        return Neighborhood(center={**center, "distance": 0}, nodes=[{**center, "distance": 0}], edges=[])
    if depth == 1 and one_query_beats_a_walk(engine) and _small(engine.held_topology(), center["id"]):
        return _hood(engine, center, labels, limit)  # without asking whether the copy is current: a query answers
    topology = engine.topology()
    if topology is not None and (center_index := topology.index_of(center["id"])) is not None:
        return _walk_in_memory(engine, topology, center, center_index, depth, labels, limit)
    if depth == 1 and one_query_beats_a_walk(engine):
        return _hood(engine, center, labels, limit)
    distance_of: dict[str, int] = {center["id"]: 0}
    left_out: set[str] = set()
    counted = 0  # left out at the last step, counted without their ids (none of them was left out before)
    read: list[Row] = []  # every relationship of the walked nodes that are no hubs
    hubs: list[str] = []
    frontier = [center["id"]]
    for distance in range(1, depth + 1):
        if not frontier:
            break
        room = limit + 1 - len(distance_of)
        found: set[str] = set()
        steps: list[FarEnds] = []
        # Only the last step may spare reading a hub: the far ends that one leaves out must be known by id
        # (for the count of those left out by the next step), and each count is a round trip on Neo4j.
        spare = distance == depth and room > 0 and not one_query_beats_a_walk(engine)
        for label, group in _chunks(frontier, any_label=one_query_beats_a_walk(engine)):
            if spare and (run_catalog(engine, "neighbors_degree", {"ids": group}, label=label)[0]["relationships"]
                          > max(HUB_FACTOR * room, MIN_CAP * len(group))):  # a hub: the least far ends, and how many
                steps += far_ends(engine, group, list(distance_of), labels, room)
                hubs += group
                continue
            step = run_catalog(engine, "path_step", {"ids": group}, label=label) if label else \
                run_catalog(engine, "path_step_any", {"ids": group})
            rows = [r for r in step if r["type"] is not None]
            read += rows
            found |= far_ends_of(rows, group, distance_of, wanted)
        everything = found.union(*(step.far for step in steps))
        new = sorted(everything)[:room] if room > 0 else []  # the least of all: among the least of each query
        if not steps or all(len(step.far) == step.total for step in steps):
            left_out.update(everything - set(new))
        elif len(steps) == 1 and not found and distance == depth and not left_out:
            counted = steps[0].total - len(new)  # one query: its count is exact
        else:  # which were left out, by id: every far end of each query that had more than it returned
            everything = everything.union(*(every_far_end(engine, step.ids, distance_of, wanted)
                                            for step in steps if len(step.far) < step.total))
            left_out.update(everything - set(new))
        distance_of.update((node_id, distance) for node_id in new)
        frontier = new
    found_nodes = nodes_by_id(engine, [node_id for node_id in distance_of if node_id != center["id"]])
    kept_ids = {center["id"], *found_nodes}  # a node deleted since the step is not returned
    nodes = [{**center, "distance": 0}] + [{**found_nodes[i], "distance": d} for i, d in distance_of.items() if i in found_nodes]
    if hubs:
        read += links(engine, kept_ids, hubs) + links(engine, hubs, kept_ids)
    edges = {(r["source"], r["target"], r["type"]) for r in read if r["source"] in kept_ids and r["target"] in kept_ids}
    return Neighborhood(center=nodes[0], nodes=sorted(nodes, key=lambda n: (n["distance"], n["id"])),
                        edges=[{"source": a, "target": b, "type": t} for a, b, t in sorted(edges)],
                        truncated=bool(left_out) or counted > 0, omitted=len(left_out) + counted)


SMALL_NEIGHBORHOOD = 100
"""On Neo4j with its relationships in memory, a depth-1 neighborhood of at most this many relationships is still
one query (``neighbors_hood``), without even asking whether the copy is current: its members must be read from the
server anyway, and one query for all of it beats the bookmark's round trip and reading them after the walk (2.0
against 3.0 ms for a compound at scale 100, with members read by internal id; 7 against 10-12 ms before). Beyond,
the walk in memory wins (a community of 1,061: 4 against 7 ms), as it does for deeper walks."""
MIN_CAP = 100
HUB_FACTOR = 4
"""The last step of a walk reads the relationships of a chunk of nodes (``path_step``) unless they have more than
``MIN_CAP`` a node and ``HUB_FACTOR`` times the room left under the limit: reading a community's 1,000 costs
what the least far ends and the reads they need cost (LadybugDB, scale 100); a branch's 6,000 cost 3 times more."""


def _chunks(ids: Iterable[str], chunk: int = PATH_STEP_CHUNK, *, any_label: bool = False) -> list[tuple[str | None, list[str]]]:
    """``ids`` by label (their form names it) in chunks of at most ``chunk``, in label order; with ``any_label``,
    ids of every label together (label ``None``: for queries that find any id through one index, on Neo4j)."""
    by_label = ids_by_label(ids)
    if any_label:
        every = [node_id for _, group in sorted(by_label.items()) for node_id in group]
        return [(None, every[start:start + chunk]) for start in range(0, len(every), chunk)]
    return [(label, group[start:start + chunk]) for label, group in sorted(by_label.items())
            for start in range(0, len(group), chunk)]


def _small(topology: Topology | None, center_id: str) -> bool:
    """Whether ``center_id`` has at most ``SMALL_NEIGHBORHOOD`` relationships in ``topology`` (held, maybe not
    current: a choice of how to answer, not an answer); ``False`` without one or for an unknown node."""
    index = topology.index_of(center_id) if topology is not None else None
    return topology is not None and index is not None and topology.degree(np.array([index])) <= SMALL_NEIGHBORHOOD


def _walk_in_memory(engine: GraphEngine, topology: Topology, center: dict[str, Any], center_index: int, depth: int,
                    labels: list[str] | None, limit: int) -> Neighborhood:
    """:func:`neighbors` over the engine's in-memory topology (:func:`graph.topology.walk`): the same nodes,
    relationships and count left out, with only the kept nodes' properties read from the database."""
    found = walk(topology, center_index, depth, labels, limit)
    nodes = sorted(nodes_at(engine, topology, found.distance, center).values(), key=lambda n: (n["distance"], n["id"]))
    return Neighborhood(center=nodes[0], nodes=nodes,
                        edges=[{"source": a, "target": b, "type": t} for a, b, t in sorted(found.edges)],
                        truncated=found.omitted > 0, omitted=found.omitted)


def nodes_at(engine: GraphEngine, topology: Topology, distance: Mapping[int, int], center: Mapping[str, Any]
             ) -> dict[str, dict[str, Any]]:
    """The nodes a walk over ``topology`` kept (``distance``: node index -> distance, the center's 0), by id in the
    walk's order, each with its ``distance``; the center as given, the others read (:func:`nodes_of_indices`)."""
    ids = topology.ids_of(list(distance))
    read = nodes_of_indices(engine, topology, [index for index, node_id in zip(distance, ids, strict=True)
                                               if node_id != center["id"]])
    read[str(center["id"])] = dict(center)
    return {node_id: {**read[node_id], "distance": steps} for node_id, steps in zip(ids, distance.values(), strict=True)
            if node_id in read}


def nodes_of_indices(engine: GraphEngine, topology: Topology, indices: list[int]) -> dict[str, dict[str, Any]]:
    """:func:`nodes_of_labels` for nodes of ``topology`` by index: their ids and labels are known there. Where the
    engine keeps its nodes' properties in memory (:mod:`graph.node_rows`, members never) they are read there, and
    members by the engine's faster way where it has one (Neo4j's internal ids); a row whose id is not the one
    expected at its index (a node deleted since, or rows of another copy) makes the whole label be read by id."""
    kept = engine.node_rows_with(topology)
    base = {label: int(topology.bases[position]) for position, label in enumerate(topology.labels)
            if kept is not None and kept.holds(label) and topology.bases is not None}
    by_label: dict[str, list[str]] = {}
    in_memory: dict[str, tuple[list[int], list[str]]] = {}  # offsets in their label, and the ids expected there
    for index, node_id, label in zip(indices, topology.ids_of(indices), topology.label_names(indices), strict=True):
        if label in base:
            offsets, ids = in_memory.setdefault(label, ([], []))
            offsets.append(index - base[label])
            ids.append(node_id)
        else:
            by_label.setdefault(label, []).append(node_id)
    found: dict[str, dict[str, Any]] = {}
    for label, (offsets, ids) in in_memory.items():
        assert kept is not None  # only then are there offsets
        try:
            rows = kept.rows(label, offsets, ids)
        except (IndexError, KeyError):  # no node there in the rows' copy
            rows = []
        if [row.get("id") for row in rows] == ids:
            found.update((row["id"], row) for row in rows)
        else:  # rows of another copy than the topology's (a Neo4j copy replaced between the two), or a member read
            by_label.setdefault(label, []).extend(ids)  # by an internal id since reused: ask the database by id
    found.update(nodes_of_labels(engine, by_label))
    return found


def _hood(engine: GraphEngine, center: dict[str, Any], labels: list[str] | None, limit: int) -> Neighborhood:
    """:func:`neighbors` of depth 1 in one query (``neighbors_hood``): the nodes of least id, their relationships
    with the center, and how many there are."""
    rows = run_catalog(engine, "neighbors_hood", {"id": center["id"], "labels": labels, "k": limit})
    found = {r["node"]["id"]: node_first(r["node"]) for r in rows}
    omitted = rows[0]["total"] - len(found) if rows else 0
    edges = sorted({(r["source"], r["target"], r["type"]) for r in rows})
    return Neighborhood(center={**center, "distance": 0},
                        nodes=[{**center, "distance": 0}] + [{**found[i], "distance": 1} for i in sorted(found)],
                        edges=[{"source": a, "target": b, "type": t} for a, b, t in edges], truncated=omitted > 0,
                        omitted=omitted)


@dataclass
class FarEnds:
    """What ``neighbors_least`` answered for ``ids`` (one label): the least far ends, and how many there are."""

    ids: list[str]
    far: list[str]
    total: int


def far_ends(engine: GraphEngine, ids: Iterable[str], seen: list[str], labels: list[str] | None, k: int) -> list[FarEnds]:
    """The far ends of the relationships of ``ids`` (any labels) not in ``seen``, of ``labels`` (``None``: any):
    ``neighbors_least`` per label and chunk of ids, each the least ``k`` and the count of all. The least ``k`` of
    all the far ends are among the ids returned; when one query has more than it returned (``len(far) < total``),
    only its count is known of the rest, and counts of several queries may overlap."""
    steps: list[FarEnds] = []
    for label, chunk in _chunks(ids):
        rows = run_catalog(engine, "neighbors_least", {"ids": chunk, "seen": seen, "labels": labels, "k": k}, label=label)
        steps.append(FarEnds(ids=chunk, far=[r["far"] for r in rows], total=rows[0]["total"] if rows else 0))
    return steps


def every_far_end(engine: GraphEngine, ids: Iterable[str], seen: Mapping[str, Any], wanted: set[str]) -> set[str]:
    """Every far end of the relationships of ``ids`` that is not in ``seen`` and of a label in ``wanted``, by reading
    those relationships (``path_step``): what ``neighbors_least`` would answer with no limit, which it does not
    take (a hub's far ends are bounded by nothing but the graph)."""
    walked = list(ids)
    return far_ends_of([row for row in path_step(engine, walked) if row["type"] is not None], walked, seen, wanted)


def far_ends_of(rows: Iterable[Row], walked: Iterable[str], seen: Mapping[str, Any], wanted: set[str]) -> set[str]:
    """The far ends of relationship rows (source, target) read from the nodes ``walked``: those not in ``seen``
    and of a label in ``wanted``."""
    near = set(walked)
    return {far for row in rows if (far := row["target"] if row["source"] in near else row["source"]) not in seen
            and label_for_id(far) in wanted}


def links(engine: GraphEngine, sources: Iterable[str], targets: Iterable[str], *, chunk: int = PATH_STEP_CHUNK) -> list[Row]:
    """Every relationship from a node of ``sources`` to one of ``targets`` (of any labels), as source, target and
    type: ``neighbors_links`` per label and chunk of ``sources``."""
    kept = sorted(targets)
    rows: list[Row] = []
    for label, group in sorted(ids_by_label(sources).items()):
        for start in range(0, len(group), chunk):
            found = run_catalog(engine, "neighbors_links", {"ids": group[start:start + chunk], "kept": kept}, label=label)
            rows += [r for r in found if r["type"] is not None]
    return rows


SERVER_DIALECTS = frozenset({"neo4j"})
"""Dialects of the engines reached over a network (``GraphEngine.dialect``): each query is a round trip of a few
ms, and the server's planner answers a variable-length match or a path search from its indexes, so one query
beats a walk of several. LadybugDB runs in-process (a query from an id ~0.3 ms) but reads a whole relationship
table for a variable-length match: there the walks are faster (docs/benchmarks.md)."""


def one_query_beats_a_walk(engine: GraphEngine) -> bool:
    """True for an engine where one catalog query beats a step-wise walk of several (see SERVER_DIALECTS)."""
    return engine.dialect in SERVER_DIALECTS


CHAIN_MAX_STEPS = 12
"""As org_chain's ``*0..12``: no real chain is longer (district → subdistrict → community → branch …)."""


def org_chain(engine: GraphEngine, org: dict[str, Any]) -> list[Row]:
    """The rows of the catalog's ``org_chain`` for ``org`` (a PartyOrg node), ordered by distance, then id.

    Where a round trip costs more than the variable-length match (:func:`one_query_beats_a_walk`: Neo4j,
    4 ms against 13-15 ms for a walk of 4-5 steps at scale 100) it is the catalog query itself. On LadybugDB
    the chain is walked one step at a time: each step asks for the parents of one org by id (``org_parents``),
    answered from the primary key, where the variable-length match reads the whole ``REPORTS_TO`` table
    (70-100 ms at scale 100). Every path is followed, as the variable-length match does (an org with a
    former parent besides the current one has two), so the rows are the same.
    """
    if one_query_beats_a_walk(engine):
        return sorted(run_catalog(engine, "org_chain", {"id": org["id"]}), key=lambda r: (r["distance"], r["id"]))
    return walk_org_chain(engine, org)


def walk_org_chain(engine: GraphEngine, org: dict[str, Any]) -> list[Row]:
    """:func:`org_chain` walked one ``org_parents`` step at a time, on any engine (the tests hold it to the
    catalog query on both)."""
    rows: list[Row] = [{"id": org["id"], "name": org.get("name"), "level": org.get("level"), "distance": 0}]
    frontier = [org["id"]]
    for distance in range(1, CHAIN_MAX_STEPS + 1):
        parents = [p for child in frontier for p in run_catalog(engine, "org_parents", {"id": child})]
        rows += [{**p, "distance": distance} for p in parents]
        frontier = [p["id"] for p in parents]
        if not frontier:
            break
    return sorted(rows, key=lambda r: (r["distance"], r["id"]))


def path_step(engine: GraphEngine, ids: Iterable[str], *, chunk: int = PATH_STEP_CHUNK) -> list[Row]:
    """Every relationship of ``ids`` (of any labels) as source, target and type: ``path_step`` per label and chunk."""
    by_label = ids_by_label(ids)
    rows: list[Row] = []
    for label, group in sorted(by_label.items()):
        for start in range(0, len(group), chunk):
            found = run_catalog(engine, "path_step", {"ids": group[start:start + chunk]}, label=label)
            rows += [r for r in found if r["type"] is not None]  # not the null rows of nodes without relationships
    return rows


@dataclass
class PathSearch:
    """One half of the bidirectional search of :func:`shortest_path`: the layers around one end.

    ``distance`` holds every node reached and its distance from the end; ``previous`` holds, for each
    node of layer n > 0, its neighbors in layer n - 1 (every one, not just the first found: the choice
    among equally short paths is made at the end).
    """

    end: str
    distance: dict[str, int] = field(default_factory=dict)
    previous: dict[str, set[str]] = field(default_factory=dict)
    frontier: list[str] = field(default_factory=list)
    depth: int = 0

    def __post_init__(self) -> None:
        self.distance[self.end] = 0
        self.frontier = [self.end]

    def expand(self, engine: GraphEngine, links: dict[frozenset[str], list[dict[str, str]]]) -> None:
        """Walk one step from the frontier; the nodes first reached become the next frontier.

        The relationships into the new layer go into ``links`` (by their two ends), so the path's steps
        need no query of their own.
        """
        self.depth += 1
        walked = set(self.frontier)
        layer: list[str] = []
        for row in path_step(engine, self.frontier):
            here, there = (row["source"], row["target"]) if row["source"] in walked else (row["target"], row["source"])
            if there not in self.distance:
                self.distance[there] = self.depth
                self.previous[there] = set()
                layer.append(there)
            elif self.distance[there] != self.depth:
                continue  # back into the frontier or behind it
            self.previous[there].add(here)
            links.setdefault(frozenset((here, there)), []).append(
                {"source": row["source"], "target": row["target"], "type": row["type"]})
        self.frontier = layer


def shortest_path(engine: GraphEngine, source: str, target: str, max_length: int = 6) -> dict[str, Any] | None:
    """A shortest path of at most ``max_length`` steps between two entities, or ``None``.

    Relationships count in either direction, of every type, as in the catalog's ``shortest_path``.
    The answer is ``{"length", "nodes", "edges"}``: the nodes as ``nodes(p)`` gives them, and for each
    step the relationship between its two nodes, in its own direction (the least by type, then source,
    where several link them). Among equally short paths the one whose sequence of node ids is least is
    chosen, so both engines give the same path. ``source == target`` is a path of length 0.

    On LadybugDB, a bidirectional breadth-first search over the ``path_step`` query: each round walks
    one step from the smaller frontier, until the two searches meet or their depths add up to
    ``max_length``; every step looks its ids up by primary key, where the variable-length match
    (``* SHORTEST``) takes seconds at scale 100. On Neo4j the server's own search (``allShortestPaths``
    in ``least_shortest_path``) is faster than any walk from here: a step's rows cross Bolt
    (docs/benchmarks.md, "Shortest paths"). Where the engine keeps its relationships in memory (a served
    LadybugDB database), the same bidirectional search runs there (:func:`graph.topology.least_shortest_path`,
    the same path, milliseconds at scale 100) and only the path's nodes are read.
    """
    from queries.specs import PathQuery

    params = PathQuery.model_validate({"source": source, "target": target, "max_length": max_length}).model_dump()
    if source == target:
        node = _entity(engine, source)
        return {"length": 0, "nodes": [node], "edges": []} if node else None
    topology = engine.topology()
    if topology is not None:
        return _path_in_memory(engine, topology, source, target, max_length)
    if one_query_beats_a_walk(engine):
        rows = run_catalog(engine, "least_shortest_path", params)
        if not rows:
            return None
        nodes = rows[0]["nodes"]
        ids = [n["id"] for n in nodes]
        links: dict[frozenset[str], list[dict[str, str]]] = {}
        for edge in run_catalog(engine, "path_edges", {"pairs": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)]}):
            links.setdefault(frozenset((edge["source"], edge["target"])), []).append(edge)
    else:
        searched = _search_path(engine, source, target, max_length)
        if searched is None:
            return None
        ids, links = searched
        nodes = [_entity(engine, node_id) for node_id in ids]
        if any(node is None for node in nodes):
            return None  # deleted while searching
    edges = [min(links[frozenset(pair)], key=lambda e: (e["type"], e["source"])) for pair in itertools.pairwise(ids)]
    return {"length": len(ids) - 1, "nodes": nodes, "edges": edges}


def _path_in_memory(engine: GraphEngine, topology: Topology, source: str, target: str, max_length: int
                    ) -> dict[str, Any] | None:
    """:func:`shortest_path` over the engine's in-memory topology (:func:`graph.topology.least_shortest_path`):
    the same path, with only its nodes read from the database."""
    ends = topology.index_of(source), topology.index_of(target)
    if ends[0] is None or ends[1] is None:
        return None
    path = least_shortest_path(topology, ends[0], ends[1], max_length)
    if path is None:
        return None
    by_id = nodes_of_indices(engine, topology, path)
    nodes = [by_id.get(node_id) for node_id in topology.ids_of(path)]
    if any(node is None for node in nodes):
        return None
    edges = [dict(zip(("source", "target", "type"), least_relationship(topology, a, b), strict=True))
             for a, b in itertools.pairwise(path)]
    return {"length": len(path) - 1, "nodes": nodes, "edges": edges}


def _search_path(engine: GraphEngine, source: str, target: str, max_length: int
                 ) -> tuple[list[str], dict[frozenset[str], list[dict[str, str]]]] | None:
    """The least shortest path's ids by bidirectional search, and the relationships met along the way."""
    ahead, behind = PathSearch(source), PathSearch(target)
    links: dict[frozenset[str], list[dict[str, str]]] = {}
    met: list[str] = []
    while not met:
        if ahead.depth + behind.depth >= max_length or not ahead.frontier or not behind.frontier:
            return None  # too far apart, or one side has reached everything it can
        side, other = (ahead, behind) if len(ahead.frontier) <= len(behind.frontier) else (behind, ahead)
        side.expand(engine, links)
        met = [n for n in side.frontier if n in other.distance]
    length = min(ahead.distance[n] + behind.distance[n] for n in met)
    middle = {n for n in met if ahead.distance[n] + behind.distance[n] == length}
    return _least_path(ahead, behind, middle), links


def _least_path(ahead: PathSearch, behind: PathSearch, middle: set[str]) -> list[str]:
    """The shortest path through ``middle`` (nodes at the same distance from the source, where the searches met)
    whose sequence of ids is least: at every step the least next node that still leads on to the target."""
    split = ahead.distance[next(iter(middle))]
    on_path: list[set[str]] = [set() for _ in range(split)] + [middle]  # per distance from the source: nodes leading to middle
    for distance in range(split, 0, -1):
        on_path[distance - 1] = set().union(*(ahead.previous[n] for n in on_path[distance]))
    ids = [ahead.end]
    for distance in range(1, split + 1):
        ids.append(min(n for n in on_path[distance] if ids[-1] in ahead.previous[n]))
    while ids[-1] != behind.end:  # every neighbor one step nearer the target leads to it
        ids.append(min(behind.previous[ids[-1]]))
    return ids


def _entity(engine: GraphEngine, node_id: str) -> dict[str, Any] | None:
    rows = run_catalog(engine, "entity_by_id", {"id": node_id})
    return rows[0]["n"] if rows else None


Scope = Literal["ego", "subtree", "subdistrict"]
NETWORK_LABELS = tuple(label for label in NODE_MODELS if label not in ("Member", "Dataset"))
"""Labels of the organizational network: members are left out (too many, and personal)."""


def subgraph(engine: GraphEngine, scope: Scope, entity: dict[str, Any], *, depth: int = 2, limit: int = 2000,
             types: Iterable[str] | None = None) -> Neighborhood:
    """A bounded subgraph for analytics and views.

    * ``ego``: the neighborhood of ``entity`` to ``depth`` steps;
    * ``subtree``: an org, every org below it, and the places, groups and projects they link to
      (where joint committees and mobile branches make their cross-links);
    * ``subdistrict``: what lies within ``depth`` steps of a subdistrict (default 3).
    Members are left out unless ``types`` asks for them.
    """
    wanted = tuple(types) if types else NETWORK_LABELS
    if scope != "subtree":
        return neighbors(engine, entity, depth=depth, types=wanted, limit=limit)
    orgs = run_catalog(engine, "org_subtree", {"id": entity["id"], "depth": 12})
    nodes: dict[str, dict[str, Any]] = {entity["id"]: {**entity, "distance": 0}}
    for org in orgs[:limit]:
        nodes[org["id"]] = {"id": org["id"], "label": "PartyOrg", "name": org["name"], "level": org["level"],
                            "distance": org["depth"]}
    edges = {(o["id"], o["parent_id"], "REPORTS_TO") for o in orgs if o["id"] in nodes and o["parent_id"] in nodes}
    omitted = max(0, len(orgs) - limit)
    linked = [label for label in wanted if label != "PartyOrg"]
    for row in step_rows(engine, sorted(nodes)):
        node = row["node"]
        if node["label"] not in linked:
            continue
        if node["id"] not in nodes:
            if len(nodes) >= limit:
                omitted += 1
                continue
            origin = row["source"] if row["source"] in nodes else row["target"]
            nodes[node["id"]] = {**node, "distance": nodes[origin].get("distance", 0) + 1}
        edges.add((row["source"], row["target"], row["type"]))
    kept = sorted(e for e in edges if e[0] in nodes and e[1] in nodes)
    return Neighborhood(center=nodes[entity["id"]], nodes=sorted(nodes.values(), key=lambda n: (n["distance"], n["id"])),
                        edges=[{"source": a, "target": b, "type": t} for a, b, t in kept], truncated=omitted > 0,
                        omitted=omitted)
