"""The differential harness: run one catalog query on both engines and compare the rows.

Every later catalog query is checked with it, over the same data loaded into both engines. Rows
are compared in order when the query sets their order (:func:`sets_row_order`), else as multisets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from graph.engine import GraphEngine, Row
from graph.readonly import blank_literals
from queries.catalog import get_query, resolve_label, run_query


def sets_row_order(text: str) -> bool:
    """True when a query's rows come in a set order: its last ``RETURN`` is followed by ``ORDER BY``, and it has no
    ``UNION`` (an engine may return the branches in either order: LadybugDB sometimes gives the second first).

    >>> sets_row_order("MATCH (n) RETURN n.id AS id ORDER BY id"), sets_row_order("MATCH (n) WITH n ORDER BY n.id LIMIT 3 RETURN n")
    (True, False)
    >>> sets_row_order("MATCH (a) RETURN a.id AS x ORDER BY x UNION ALL MATCH (b) RETURN b.id AS x ORDER BY x")
    False
    """
    code = blank_literals(text).upper()
    if re.search(r"\bUNION\b", code):
        return False
    return "ORDER BY" in code[code.rfind("RETURN"):]


def canonical(rows: list[Row], *, ordered: bool) -> list[str]:
    """Rows as comparable JSON strings (dates as ISO text, lists of nodes in a stable order)."""
    texts = [json.dumps(_stable(r), ensure_ascii=False, sort_keys=True, default=str) for r in rows]
    return texts if ordered else sorted(texts)


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    return value


def differential(engines: tuple[GraphEngine, GraphEngine], name: str, params: Mapping[str, Any] | None = None
                 ) -> list[Row]:
    """Run catalog query ``name`` on both engines, assert identical rows, return them."""
    query = get_query(name)
    ordered = sets_row_order(query.text)
    label = None
    if query.labeled:
        resolved = resolve_label(params or {})
        if resolved is None:
            return []
        label, params = resolved
    first, second = (run_query(e, name, params, label=label) for e in engines)
    assert canonical(first, ordered=ordered) == canonical(second, ordered=ordered), (
        f"{name}{dict(params or {})}: {engines[0].kind} and {engines[1].kind} disagree\n"
        f"{engines[0].kind}: {first[:5]}\n{engines[1].kind}: {second[:5]}"
    )
    return first
