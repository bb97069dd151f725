"""Turn what each driver returns into the same plain Python values.

Both engines answer with: ``int`` (never ``Decimal``), ``float``, ``str``, ``bool``, ``None``,
``datetime.date``/``datetime.datetime``, lists, dicts; a node as ``{"id", "label", **properties}``,
a relationship as ``{"type", **properties}``, a path as ``{"nodes": [...], "rels": [...]}``.
Properties whose value is ``None`` are dropped (Neo4j does not store them; LadybugDB does).
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from graph.model import NODE_MODELS
from graph.schema import ENTITY_LABEL, stored_node_properties

if TYPE_CHECKING:
    from neo4j.graph import Node, Path, Relationship
    from neo4j.time import Date, DateTime, Duration, Time

_NODE_PROPS: dict[str, tuple[str, ...]] = {label: tuple(stored_node_properties(label)) for label in NODE_MODELS}


def plain_number(value: Decimal) -> int | float:
    """LadybugDB's ``sum()`` yields ``Decimal``; integral values become ``int``, others ``float``."""
    return int(value) if value == value.to_integral_value() else float(value)


_AS_IS = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})
"""Types both drivers already give as plain values: returned as they are, without a class test."""


def from_ladybug(value: Any) -> Any:
    """Normalize one value returned by LadybugDB."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, dict):
        if "_NODES" in value and "_RELS" in value:
            return {"nodes": [from_ladybug(n) for n in value["_NODES"]], "rels": [from_ladybug(r) for r in value["_RELS"]]}
        if "_LABEL" in value and "_SRC" in value:
            rel = {k: from_ladybug(v) for k, v in value.items() if not k.startswith("_") and v is not None}
            return {"type": value["_LABEL"], **rel}
        if "_LABEL" in value and "_ID" in value:
            label = value["_LABEL"]
            # A node dict may list properties of other tables (as None); keep only this label's own.
            keys = _NODE_PROPS.get(label) or [k for k in value if not k.startswith("_")]
            props = {k: from_ladybug(value[k]) for k in keys if value.get(k) is not None}
            return {"id": props.pop("id", None), "label": label, **props}
        return {k: from_ladybug(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [from_ladybug(v) for v in value]
    if isinstance(value, Decimal):
        return plain_number(value)
    return value


def from_neo4j(value: Any) -> Any:
    """Normalize one value returned by the Neo4j driver."""
    if type(value) in _AS_IS:  # most values: no class test, no import
        return value
    node, relationship, path, temporal, duration = _driver_types()
    if isinstance(value, node):
        label = next(iter(sorted(value.labels - {ENTITY_LABEL})), None)
        props = {k: from_neo4j(v) for k, v in value.items() if v is not None}
        return {"id": props.pop("id", None), "label": label, **props}
    if isinstance(value, relationship):
        return {"type": value.type, **{k: from_neo4j(v) for k, v in value.items() if v is not None}}
    if isinstance(value, path):
        return {"nodes": [from_neo4j(n) for n in value.nodes], "rels": [from_neo4j(r) for r in value.relationships]}
    if isinstance(value, temporal):
        return value.to_native()
    if isinstance(value, duration):
        return str(value)
    if isinstance(value, dict):  # plain values kept without a call: 500 nodes of 12 properties are 6,000 values
        return {k: v if type(v) in _AS_IS else from_neo4j(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [v if type(v) in _AS_IS else from_neo4j(v) for v in value]
    return value


@functools.cache
def _driver_types() -> tuple[type[Node], type[Relationship], type[Path],
                             tuple[type[Date], type[DateTime], type[Time]], type[Duration]]:
    """The driver's classes, imported on first use (the embedded engine works without touching the driver's
    modules) and once: an import statement per value cost ~40 % of reading 500 nodes."""
    from neo4j.graph import Node, Path, Relationship
    from neo4j.time import Date, DateTime, Duration, Time

    return Node, Relationship, Path, (Date, DateTime, Time), Duration


def to_parameter(value: Any) -> Any:
    """Check that a parameter value is plain data both engines accept (no objects, no sets)."""
    if value is None or isinstance(value, str | bool | int | float | dt.date):
        return value
    if isinstance(value, list | tuple):
        return [to_parameter(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_parameter(v) for k, v in value.items()}
    raise TypeError(f"unsupported parameter value of type {type(value).__name__}")


def csv_text(value: Any) -> str:
    """One value as a CSV cell, as bundles and LadybugDB's COPY read it: ISO dates, ``true``/``false``, empty for
    ``None``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
