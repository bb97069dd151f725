"""Published figures reconciled with the graph: each ``Fact`` names the catalog query that computes it.

A fact's status is ``agrees`` (the computed value, rounded as the publication rounds, equals the
published one), ``within_tolerance`` (an "about" figure within its margin, or an "at least" / "at
most" bound that holds) or ``disagrees``. A disagreeing fact links to the gap list that explains it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from graph.engine import GraphEngine, Row
from queries.catalog import run_catalog, run_query

Status = str


def evaluate(metric: str, rows: list[Row]) -> float | None:
    """Turn a query's rows into one number, as the fact's ``metric`` says (see ``graph.model.Fact``).

    >>> evaluate("pct:a/b", [{"a": 1, "b": 4}, {"a": 2, "b": 4}])
    37.5
    >>> evaluate("pick:level=社区:certified", [{"level": "街道", "certified": 3}, {"level": "社区", "certified": 83}])
    83.0
    """
    kind, _, arg = metric.partition(":")
    if kind == "count":
        return float(len(rows))
    if kind == "sum":
        return float(sum(r[arg] or 0 for r in rows))
    if kind == "distinct":
        return float(len({r[arg] for r in rows}))
    if kind == "first":
        return float(rows[0][arg]) if rows and rows[0][arg] is not None else None
    if kind == "pct":
        numerator, _, denominator = arg.partition("/")
        total = sum(r[denominator] or 0 for r in rows)
        return round(100 * sum(r[numerator] or 0 for r in rows) / total, 4) if total else None
    if kind == "pick":
        condition, _, target = arg.rpartition(":")
        column, _, value = condition.partition("=")
        row = next((r for r in rows if str(r[column]) == value), None)
        return float(row[target]) if row and row[target] is not None else None
    raise ValueError(f"unknown fact metric {metric!r}")


def status_of(reported: float, computed: float | None, tolerance: str, margin: float) -> Status:
    """Compare a computed value with the published one, at the precision it was published with."""
    if computed is None:
        return "disagrees"
    decimals = max(0, -Decimal(str(reported)).normalize().as_tuple().exponent)  # type: ignore[operator]
    if round(computed, int(decimals)) == reported:
        return "agrees"
    if tolerance == "about" and abs(computed - reported) <= margin * abs(reported):
        return "within_tolerance"
    if (tolerance == "at_least" and computed >= reported) or (tolerance == "at_most" and computed <= reported):
        return "within_tolerance"
    return "disagrees"


def reconcile(engine: GraphEngine) -> list[dict[str, Any]]:
    """Every fact with its published and computed values and status, in id order."""
    facts: dict[str, dict[str, Any]] = {}
    about: dict[str, list[str]] = {}
    for row in run_query(engine, "facts"):
        facts.setdefault(row["fact"]["id"], row["fact"])
        about.setdefault(row["fact"]["id"], []).extend([row["about"]] if row["about"] else [])
    result = []
    for fact_id, fact in facts.items():
        params = json.loads(fact.get("params") or "{}")
        computed = evaluate(fact["metric"], run_catalog(engine, fact["query"], params))
        status = status_of(fact["value"], computed, fact.get("tolerance", "exact"), fact.get("margin", 0.0))
        result.append({
            "id": fact["id"], "name": fact["name"], "reported": fact["value"], "computed": computed, "unit": fact["unit"],
            "tolerance": fact.get("tolerance", "exact"), "margin": fact.get("margin", 0.0), "status": status,
            "as_of": fact["as_of"], "source": fact["publication"], "sentence": fact["sentence"], "query": fact["query"],
            "params": params, "about": sorted(about[fact_id]), "gap": fact.get("gap") if status == "disagrees" else None,
        })
    return result
