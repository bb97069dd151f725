"""Answers built from catalog queries: roll-ups, neighborhood walks, paths, pages of lists.

The API, the CLI and the notebooks call these plain functions; each runs only catalog queries, so
both engines give the same answers (checked by the differential tests).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from graph.engine import GraphEngine, Row
from graph.model import NODE_MODELS
from queries.catalog import dataset_as_of, run_catalog

Target = Literal["compound", "building", "enterprise"]
LabelName = Literal[
    "District", "Subdistrict", "Community", "Compound", "Building", "BusinessArea", "Enterprise", "PartyOrg", "Member",
    "HometownGroup", "Project", "ServiceCenter", "CompoundBody", "Dataset",
]
Level = Literal["district", "subdistrict", "community"]
COVERAGE_QUERY: dict[str, str] = {
    "compound": "coverage_compounds", "building": "coverage_buildings", "enterprise": "coverage_enterprises",
}
GAPS_QUERY: dict[str, str] = {"compound": "gaps_compounds", "building": "gaps_buildings", "enterprise": "gaps_enterprises"}
MAX_NEIGHBORS = 500


def rate(covered: int, total: int) -> float | None:
    """Covered share, rounded to 4 decimals; ``None`` for an empty area (no division by zero)."""
    return round(covered / total, 4) if total else None


def coverage_summary(engine: GraphEngine, target: Target, level: Level = "subdistrict", *, as_of: dt.date | None = None,
                     min_floors: int = 20) -> dict[str, Any]:
    """Coverage of ``target`` at ``as_of``, per area of ``level``, with organizational and work rates.

    Counts come per community from the catalog query and are summed up to subdistricts or the
    district, so every level agrees with the level below it.
    """
    as_of = as_of or dataset_as_of(engine)
    params: dict[str, Any] = {"as_of": as_of}
    if target == "building":
        params["min_floors"] = min_floors
    rows = run_catalog(engine, COVERAGE_QUERY[target], params)
    areas: dict[str, dict[str, Any]] = {}
    for r in rows:
        area_id, area_name = r[f"{level}_id"], r[f"{level}_name"]
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


def neighbors(engine: GraphEngine, center: dict[str, Any], *, depth: int = 1, types: Iterable[str] | None = None,
              limit: int = MAX_NEIGHBORS) -> Neighborhood:
    """Walk ``depth`` steps (1-3) from ``center``, keeping nodes of ``types`` (labels), at most ``limit``.

    Walking one step at a time keeps the work proportional to what is returned (a variable-length
    match from a busy node would enumerate every path). Nodes not of ``types`` are neither
    returned nor walked through. Beyond ``limit`` the walk stops and says how many it left out.
    """
    wanted = set(types or NODE_MODELS)
    seen: dict[str, dict[str, Any]] = {center["id"]: {**center, "distance": 0}}
    edges: dict[tuple[str, str, str], dict[str, str]] = {}
    frontier = [center["id"]]
    omitted = 0
    for distance in range(1, depth + 1):
        if not frontier:
            break
        step = run_catalog(engine, "neighbors_step", {"ids": frontier})
        next_frontier: list[str] = []
        for row in sorted(step, key=lambda r: (r["node"]["id"], r["type"], r["source"], r["target"])):
            node = row["node"]
            if node["label"] not in wanted:
                continue
            if node["id"] not in seen:
                if len(seen) > limit:
                    omitted += 1
                    continue
                seen[node["id"]] = {**node, "distance": distance}
                next_frontier.append(node["id"])
            edges[(row["source"], row["target"], row["type"])] = {"source": row["source"], "target": row["target"],
                                                                 "type": row["type"]}
        frontier = next_frontier
    kept = [e for e in edges.values() if e["source"] in seen and e["target"] in seen]
    nodes = sorted(seen.values(), key=lambda n: (n["distance"], n["id"]))
    return Neighborhood(center=seen[center["id"]], nodes=nodes, edges=sorted(kept, key=lambda e: tuple(e.values())),
                        truncated=omitted > 0, omitted=omitted)


def shortest_path(engine: GraphEngine, source: str, target: str, max_length: int = 6) -> dict[str, Any] | None:
    """A shortest path between two entities with the relationship types along it, or ``None``."""
    rows = run_catalog(engine, "shortest_path", {"source": source, "target": target, "max_length": max_length})
    if not rows:
        return None
    nodes = rows[0]["nodes"]
    pairs = [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(nodes)]
    found = run_catalog(engine, "path_edges", {"pairs": pairs}) if pairs else []
    edges = []
    for pair in pairs:  # one relationship per step, in path order; both directions are possible
        step = [e for e in found if {e["source"], e["target"]} == {pair["source"], pair["target"]}]
        edges.append(min(step, key=lambda e: (e["type"], e["source"])))
    return {"length": rows[0]["length"], "nodes": nodes, "edges": edges}
