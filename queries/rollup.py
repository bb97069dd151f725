"""Coverage roll-ups: the coverage counts per community at each loaded dataset's as-of date, stored in the graph.

The live coverage queries (``coverage_compounds`` …) read every compound, building or enterprise of the
district with its ``COVERS``: about 0.4-1.1 s at scale 100. Nearly every summary asks about the dataset's
own date (it is the default ``as_of``), so the loader stores those counts once per load, in
``CoverageRollup`` nodes (``graph.schema.DERIVED_TABLES``), and :func:`stored_coverage` answers from them
in a few milliseconds. Any other date is computed live.

Correctness rests on three rules:

* the roll-up is a function of the graph: every load rebuilds it from the live queries after writing
  (:func:`rebuild`), so loading the same bundle twice gives the same roll-up;
* a load first removes the markers (:func:`invalidate`), so a load that fails half-way leaves no
  roll-up to trust and summaries fall back to the live queries;
* a roll-up is used only when its marker (``community_id ''``, written last) says it is complete.

A graph changed by other means than orggraph's loaders (Cypher by hand, another tool) needs
``orggraph rollup`` afterwards; until then its summaries may be stale, which is why the loaders are the
supported way to write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from graph.engine import GraphEngine, Row
from graph.errors import QueryError
from graph.schema import DERIVED_TABLES, property_expression
from queries.catalog import run_catalog, run_query

ROLLUP_LABEL = "CoverageRollup"
Target = Literal["compound", "building", "enterprise"]
LIVE_QUERY: dict[str, str] = {
    "compound": "coverage_compounds", "building": "coverage_buildings_by_floors", "enterprise": "coverage_enterprises",
}
"""The live query each target's roll-up is computed from (buildings per number of floors)."""
MARKER_COMMUNITY = ""
MARKER_FLOORS = -1


def create_query(dialect: str) -> str:
    """``CREATE`` of a batch of roll-up rows, typed for ``dialect`` (LadybugDB infers types from the values)."""
    props = ", ".join(f"{name}: {property_expression(dialect, f'r.{name}', py_type)}"
                      for name, py_type in DERIVED_TABLES[ROLLUP_LABEL].items())
    return f"UNWIND $rows AS r CREATE (:{ROLLUP_LABEL} {{{props}}})"


DELETE_MARKERS = f"MATCH (r:{ROLLUP_LABEL}) WHERE r.community_id = '' DELETE r"
DELETE_ALL = f"MATCH (r:{ROLLUP_LABEL}) DELETE r"
DATASET_DATES = "MATCH (d:Dataset) WHERE d.as_of IS NOT NULL RETURN DISTINCT d.as_of AS as_of"


def _row(target: str, as_of: dt.date, community_id: str, floors: int, counts: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": f"{target}|{as_of.isoformat()}|{community_id}|{floors}", "target": target, "as_of": as_of,
            "community_id": community_id, "floors": floors, "total": int(counts.get("total", 0)),
            "organizational_covered": int(counts.get("organizational_covered", 0)),
            "work_covered": int(counts.get("work_covered", 0))}


def compute(engine: GraphEngine, as_of: dt.date) -> list[dict[str, Any]]:
    """The roll-up rows of every target at ``as_of``, from the live queries (markers apart: see :func:`rebuild`).

    A community reached through two ``PART_OF`` (a community that moved subdistrict) appears twice in
    the live per-community rows with the same counts; it is stored once, and the read query joins the
    subdistricts again, so the answers are the same rows.
    """
    rows: dict[str, dict[str, Any]] = {}
    for target, query in LIVE_QUERY.items():
        for r in run_catalog(engine, query, {"as_of": as_of}):
            row = _row(target, as_of, r["community_id"], int(r.get("floors") or 0), r)
            rows[row["id"]] = row
    return list(rows.values())


def invalidate(engine: GraphEngine) -> None:
    """Stop every stored roll-up from being used (before a load writes): the markers go first."""
    engine.write(DELETE_MARKERS)


def rebuild(engine: GraphEngine, *, batch_size: int = 5000) -> int:
    """Recompute the roll-ups for the as-of date of every loaded dataset; return the rows stored (markers included).

    Markers are removed first and written last, so a reader never uses a half-written roll-up.
    """
    engine.write(DELETE_ALL)  # markers and rows in one transaction
    dates = sorted(r["as_of"] for r in engine.read(DATASET_DATES))
    data = [row for as_of in dates for row in compute(engine, as_of)]
    markers = [_row(target, as_of, MARKER_COMMUNITY, MARKER_FLOORS, {}) for as_of in dates for target in LIVE_QUERY]
    query = create_query(engine.dialect)
    written = engine.write_batches(query, data, batch_size=batch_size) if data else 0
    return written + (engine.write_batches(query, markers, batch_size=batch_size) if markers else 0)


def complete(engine: GraphEngine) -> set[tuple[str, dt.date]]:
    """The (target, as_of) pairs whose roll-up is stored and complete."""
    try:
        rows = run_catalog(engine, "coverage_rollups")
    except QueryError:
        # A store written before roll-ups existed has no such table (LadybugDB refuses the query, Neo4j
        # answers nothing): then nothing is rolled up and the live queries answer.
        if ROLLUP_LABEL in engine.schema().labels:
            raise
        return set()
    return {(r["target"], r["as_of"]) for r in rows}


def stored_coverage(engine: GraphEngine, target: Target, as_of: dt.date, *, min_floors: int = 0) -> list[Row] | None:
    """The per-community coverage rows of ``target`` at ``as_of`` from the roll-up, or ``None`` when none is stored.

    The rows are those of the live query (``coverage_compounds`` …) with the same parameters.
    """
    if (target, as_of) not in complete(engine):
        return None
    params = {"counted": target, "as_of": as_of, "min_floors": min_floors if target == "building" else 0}
    return run_query(engine, "coverage_rollup", params)
