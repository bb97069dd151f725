"""Coverage at any date from when each ``COVERS`` counts, kept in memory by a served engine.

A coverage summary at the dataset's as-of date comes from the roll-up the loader stored (:mod:`queries.rollup`).
At any other date the live queries (``coverage_compounds`` …) read every compound, building or enterprise and
its ``COVERS`` again: 7-340 ms at scale 100, over 300 ms on Neo4j for compounds, whose ``COVERS`` the server finds
among the members' ``LIVES_IN`` (docs/benchmarks.md). A trend of 60 points asks 60 dates.

Yet a ``COVERS`` counts at a date exactly when the date lies in one interval: from the later of its ``since``
and its organization's ``founded``, up to (not including) the earlier of its ``until`` and the organization's
``dissolved``. So three catalog queries, read once, hold every answer:

* ``coverage_units``: what is counted, in which community (a compound or building in each community it is
  located in, a building with its floors, an enterprise in the first community by id of its places);
* ``coverage_intervals``: every ``COVERS`` with its four bounding dates;
* ``community_areas``: each community's subdistrict and district.

:class:`CoverageIntervals` keeps them as numpy arrays, and :meth:`CoverageIntervals.rows` gives, at any date, the
rows of the live query in a few milliseconds (equal rows: ``tests/test_coverage_intervals.py`` checks it on both
engines at dates throughout the dataset's history).

The engine keeps them only where it can tell that the database has not changed since they were read
(:meth:`graph.engine.GraphEngine.keep`): a served, read-only embedded database for its whole life; Neo4j while no
transaction has committed since (one round trip asks, :mod:`graph.committed`). ``orggraph serve`` asks for them
at start-up (``ORGGRAPH_COVERAGE_INTERVALS``); until they are read, and after a write until they are read again,
the summaries use the roll-up or the live queries.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from graph.engine import GraphEngine, Row
from queries.catalog import get_query, unfold_collected

KEPT_AS = "coverage intervals"
"""The name the engine keeps them under (logs, ``describe()``, the health check)."""
TARGETS = ("compound", "building", "enterprise")
READ_TIMEOUT_S = 600.0
"""Time limit of each of the three queries: a read in the background, which a stuck server should still end."""
MAX_ROWS = 1 << 40
OPEN_START = np.iinfo(np.int64).min
OPEN_STOP = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TargetIntervals:
    """One target's units and ``COVERS`` as aligned arrays (indices into its entities and the communities)."""

    unit_entity: np.ndarray
    """Per unit (one entity in one community): the entity's index."""
    unit_community: np.ndarray
    """Per unit: the community's index in :attr:`CoverageIntervals.communities`."""
    unit_floors: np.ndarray
    """Per unit: the building's floors (0 for compounds and enterprises)."""
    entities: int
    """How many entities of the target are counted (the length of the per-entity arrays at each date)."""
    cover_entity: np.ndarray
    """Per ``COVERS`` of a counted entity: the entity's index."""
    organizational: np.ndarray
    """Per ``COVERS``: whether it is organizational (else work) coverage."""
    start: np.ndarray
    """Per ``COVERS``: the first day it counts (a proleptic ordinal, ``date.toordinal()``)."""
    stop: np.ndarray
    """Per ``COVERS``: the first day it no longer counts."""

    @property
    def nbytes(self) -> int:
        arrays = (self.unit_entity, self.unit_community, self.unit_floors, self.cover_entity, self.organizational,
                  self.start, self.stop)
        return sum(a.nbytes for a in arrays)


class CoverageIntervals:
    """Everything a coverage summary counts, and when each ``COVERS`` counts (module docstring).

    Build it with :func:`read` (from a database) or :func:`build` (from the catalog queries' rows).
    """

    def __init__(self, communities: list[str], areas: dict[str, list[Row]], targets: dict[str, TargetIntervals],
                 read_s: float = 0.0, built_s: float = 0.0) -> None:
        self.communities = communities
        self.areas = areas
        self.targets = targets
        self.read_s = read_s
        self.built_s = built_s

    def rows(self, target: str, as_of: dt.date, *, min_floors: int = 20) -> list[Row]:
        """The rows the live coverage query of ``target`` gives at ``as_of`` (``coverage_compounds``,
        ``coverage_buildings`` with ``min_floors``, ``coverage_enterprises``): per community with something counted,
        once per subdistrict it is part of, ordered by community and subdistrict."""
        t = self.targets[target]
        day = as_of.toordinal()
        valid = (t.start <= day) & (day < t.stop)
        work = np.zeros(t.entities, dtype=bool)
        work[t.cover_entity[valid]] = True
        organizational = np.zeros(t.entities, dtype=bool)
        organizational[t.cover_entity[valid & t.organizational]] = True
        counted = t.unit_floors >= min_floors if target == "building" else slice(None)
        community, entity = t.unit_community[counted], t.unit_entity[counted]
        size = len(self.communities)
        total = np.bincount(community, minlength=size)
        org_covered = np.bincount(community, weights=organizational[entity], minlength=size)
        work_covered = np.bincount(community, weights=work[entity], minlength=size)
        rows: list[Row] = []
        for index in np.flatnonzero(total):
            counts = {"total": int(total[index]), "organizational_covered": int(org_covered[index]),
                      "work_covered": int(work_covered[index])}
            rows.extend({**area, **counts} for area in self.areas.get(self.communities[index], ()))
        return rows

    def summary(self) -> dict[str, Any]:
        """Sizes and times, for ``describe()``, the health check and the logs."""
        units = sum(len(t.unit_entity) for t in self.targets.values())
        intervals = sum(len(t.cover_entity) for t in self.targets.values())
        megabytes = sum(t.nbytes for t in self.targets.values()) / 1e6
        return {"units": units, "intervals": intervals, "megabytes": round(megabytes, 1),
                "read_s": round(self.read_s, 2), "built_s": round(self.built_s, 2)}


def read(engine: GraphEngine) -> CoverageIntervals:
    """Run the three catalog queries on ``engine`` and build the arrays (seconds at scale 100)."""
    started = time.perf_counter()
    units, intervals, areas = (_read_whole(engine, name) for name in ("coverage_units", "coverage_intervals",
                                                                       "community_areas"))
    read_s = time.perf_counter() - started
    return build(units, intervals, areas, read_s=read_s)


def _read_whole(engine: GraphEngine, name: str) -> list[Row]:
    """Every row of parameterless catalog query ``name``, with a time limit of its own (``READ_TIMEOUT_S``): a read in
    the background, not a request's, and tens of seconds on a cold server at the largest scales."""
    text = get_query(name).text_for(engine.dialect)
    _, rows, _ = engine.read_limited(text, {}, max_rows=MAX_ROWS, timeout_s=READ_TIMEOUT_S)
    return unfold_collected(rows)


def build(units: Iterable[Row], intervals: Iterable[Row], areas: Iterable[Row], *, read_s: float = 0.0
          ) -> CoverageIntervals:
    """The arrays of the rows of ``coverage_units``, ``coverage_intervals`` and ``community_areas``."""
    started = time.perf_counter()
    by_target: dict[str, list[Row]] = {target: [] for target in TARGETS}
    for unit in units:
        by_target[unit["counted"]].append(unit)
    communities = sorted({unit["community_id"] for rows in by_target.values() for unit in rows})
    community_index = {community: i for i, community in enumerate(communities)}
    entity_index: dict[str, dict[str, int]] = {}
    for target, rows in by_target.items():
        index: dict[str, int] = {}
        for unit in rows:
            index.setdefault(unit["id"], len(index))
        entity_index[target] = index
    target_of = {entity: target for target, index in entity_index.items() for entity in index}
    covers: dict[str, list[Row]] = {target: [] for target in TARGETS}
    for cover in intervals:
        counted = target_of.get(cover["id"])
        if counted is not None:  # also COVERS of communities, areas …, which no summary counts
            covers[counted].append(cover)
    kept_areas: dict[str, list[Row]] = {}
    for area in areas:
        kept_areas.setdefault(area["community_id"], []).append(dict(area))
    targets = {target: _target(by_target[target], covers[target], entity_index[target], community_index)
               for target in TARGETS}
    return CoverageIntervals(communities, kept_areas, targets, read_s=read_s, built_s=time.perf_counter() - started)


def _target(units: list[Row], covers: list[Row], entity_index: dict[str, int], community_index: dict[str, int]
            ) -> TargetIntervals:
    start = np.maximum(_days([c["since"] for c in covers], OPEN_START), _days([c["founded"] for c in covers], OPEN_START))
    stop = np.minimum(_days([c["until"] for c in covers], OPEN_STOP), _days([c["dissolved"] for c in covers], OPEN_STOP))
    undated = ~np.array([bool(c["dated"]) for c in covers], dtype=bool)
    start[undated] = OPEN_STOP  # a bound that is not a date: the live queries never count it
    return TargetIntervals(
        unit_entity=np.array([entity_index[u["id"]] for u in units], dtype=np.int64),
        unit_community=np.array([community_index[u["community_id"]] for u in units], dtype=np.int64),
        unit_floors=np.array([u["floors"] or 0 for u in units], dtype=np.int64),
        entities=len(entity_index),
        cover_entity=np.array([entity_index[c["id"]] for c in covers], dtype=np.int64),
        organizational=np.array([c["mode"] == "organizational" for c in covers], dtype=bool),
        start=start, stop=stop)


def _days(dates: list[dt.date | None], open_end: int) -> np.ndarray:
    return np.array([d.toordinal() if d is not None else open_end for d in dates], dtype=np.int64)


def keep(engine: GraphEngine, *, wait: bool = False) -> bool:
    """Ask ``engine`` to keep the coverage intervals in memory (read in the background; ``wait`` until read).
    Returns whether it keeps them: not a writable embedded database, which cannot tell when it changed."""
    return engine.keep(KEPT_AS, read, CoverageIntervals.summary, wait=wait)


def kept(engine: GraphEngine) -> CoverageIntervals | None:
    """The coverage intervals ``engine`` keeps, when they are the database as it is now; else ``None``."""
    return cast("CoverageIntervals | None", engine.kept(KEPT_AS))
