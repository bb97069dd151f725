"""The write queries of the loaders: batched, idempotent ``UNWIND $rows … MERGE`` per label and type.

Labels and types come from the model only (an allow-list), values only as ``$rows``. ``MERGE`` on
the graph-wide ``id`` (nodes) or on the (source, type, target) triple (relationships) makes a second
load of the same rows change nothing, and a changed row update its properties in place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import pyarrow as pa

from graph.cypher import allowed_label, allowed_rel_type
from graph.initials import name_initials
from graph.schema import ENTITY_LABEL, property_expression, stored_node_properties, stored_rel_properties
from loaders.bundle import Manifest


@lru_cache
def merge_nodes_query(dialect: str, label: str) -> str:
    """``UNWIND $rows`` of node rows of ``label`` → ``MERGE`` by id and set every property.

    >>> print(merge_nodes_query("neo4j", "District"))
    UNWIND $rows AS r
    MERGE (n:District {id: r.id})
    SET n:Entity, n.synthetic = r.synthetic, n.name = r.name, n.scope = r.scope, n.name_initials = r.name_initials
    """
    allowed_label(label)
    sets = [f"n:{ENTITY_LABEL}"] if dialect == "neo4j" else []
    sets += [f"n.{p} = {property_expression(dialect, 'r.' + p, t)}" for p, t in stored_node_properties(label).items() if p != "id"]
    return f"UNWIND $rows AS r\nMERGE (n:{label} {{id: r.id}})\nSET {', '.join(sets)}"


@lru_cache
def merge_rels_query(dialect: str, rel_type: str, source_label: str, target_label: str) -> str:
    """``UNWIND $rows`` of relationship rows → ``MERGE`` one ``rel_type`` per (source, target) pair."""
    allowed_rel_type(rel_type)
    allowed_label(source_label)
    allowed_label(target_label)
    sets = [f"x.{p} = {property_expression(dialect, 'r.' + p, t)}" for p, t in stored_rel_properties(rel_type).items()]
    return (
        f"UNWIND $rows AS r\n"
        f"MATCH (a:{source_label} {{id: r.source}}), (b:{target_label} {{id: r.target}})\n"
        f"MERGE (a)-[x:{rel_type}]->(b)\n"
        f"SET {', '.join(sets)}"
    )


def node_row(label: str, record: dict[str, Any], scope: str | None) -> dict[str, Any]:
    """The parameter row for :func:`merge_nodes_query`: every stored property, ``None`` where absent, the derived
    ones computed (``graph.schema.DERIVED_NODE_PROPERTIES``).

    LadybugDB needs every row of a batch to have the same keys.

    >>> node_row("District", {"id": "d1", "name": "罗湖区", "synthetic": False}, "luohu")
    {'id': 'd1', 'synthetic': False, 'name': '罗湖区', 'scope': 'luohu', 'name_initials': 'lhq'}
    """
    row = {p: record.get(p) for p in stored_node_properties(label)}
    row["scope"] = scope
    if "name_initials" in row:
        row["name_initials"] = name_initials(row["name"])
    return row


def dataset_row(manifest: Manifest) -> dict[str, Any]:
    """The ``Dataset`` node row of a bundle: the record of the bundle itself, so queries know its as-of date."""
    record = {"id": f"ds-{manifest.scope}", "name": manifest.name, "scope": manifest.scope, "as_of": manifest.as_of,
              "description": manifest.description or None, "synthetic": manifest.synthetic}
    return node_row("Dataset", record, manifest.scope)


def rel_row(rel_type: str, record: dict[str, Any], scope: str | None) -> dict[str, Any]:
    """The parameter row for :func:`merge_rels_query`: source, target and every stored property."""
    row = {"source": record["source"], "target": record["target"]}
    row.update({p: record.get(p) for p in stored_rel_properties(rel_type)})
    row["scope"] = scope
    return row


def node_rows(label: str, fields: tuple[str, ...], values: Iterable[tuple[Any, ...]], scope: str | None) -> Iterator[dict[str, Any]]:
    """:func:`node_row` of each record given as a tuple of values in ``fields`` order (the validator's spool)."""
    columns = tuple(stored_node_properties(label))
    if columns == (*fields, "scope"):  # the usual case: the row is the values plus the scope, at C speed
        return (dict(zip(columns, (*v, scope), strict=True)) for v in values)
    if columns == (*fields, "scope", "name_initials"):  # a searchable label's: the same, with the initials
        at = fields.index("name")
        return (dict(zip(columns, (*v, scope, name_initials(v[at])), strict=True)) for v in values)
    return (node_row(label, dict(zip(fields, v, strict=True)), scope) for v in values)


def rel_rows(rel_type: str, fields: tuple[str, ...], values: Iterable[tuple[Any, ...]], scope: str | None) -> Iterator[dict[str, Any]]:
    """:func:`rel_row` of each record given as a tuple of values in ``fields`` order (the validator's spool)."""
    columns = ("source", "target", *stored_rel_properties(rel_type))
    width = len(columns) - 1
    if fields[:width] == columns[:-1] and columns[-1] == "scope" and "scope" not in fields:
        return (dict(zip(columns, (*v[:width], scope), strict=True)) for v in values)
    return (rel_row(rel_type, dict(zip(fields, v, strict=True)), scope) for v in values)


_ARROW_TYPES = {str: pa.string(), int: pa.int64(), bool: pa.bool_(), float: pa.float64(), dt.date: pa.date32()}


def stored_batch(columns: Mapping[str, type], batch: pa.RecordBatch, scope: str | None) -> pa.RecordBatch:
    """An Arrow record batch of validated records (``loaders.columnar``) with exactly the stored ``columns``
    in order: the record's own, the derived ones computed, ``scope`` for every row, and nulls for a stored property
    the file lacks."""
    arrays = []
    for name, py_type in columns.items():
        if name == "scope":
            arrays.append(pa.array([scope] * batch.num_rows, pa.string()))
        elif name == "name_initials":
            arrays.append(pa.array([name_initials(n) for n in batch.column("name").to_pylist()], pa.string()))
        elif name in batch.schema.names:
            arrays.append(batch.column(name))
        else:
            arrays.append(pa.nulls(batch.num_rows, _ARROW_TYPES[py_type]))
    return pa.RecordBatch.from_arrays(arrays, names=list(columns))


@lru_cache
def label_ids_query(label: str) -> str:
    """Every id of the nodes of ``label`` (for the validator, when a bundle refers to many ids of the graph)."""
    return f"MATCH (n:{allowed_label(label)}) RETURN n.id AS id"


@lru_cache
def scoped_ids_query(label: str) -> str:
    """Ids of the nodes of ``label`` that bundles of ``$scope`` loaded (for ``load --sync``)."""
    return f"MATCH (n:{allowed_label(label)}) WHERE n.scope = $scope RETURN n.id AS id"


@lru_cache
def delete_nodes_query(label: str) -> str:
    """Delete the nodes of ``label`` whose ids are in ``$rows`` (each ``{"id": …}``), with their relationships."""
    return f"UNWIND $rows AS r\nMATCH (n:{allowed_label(label)} {{id: r.id}})\nDETACH DELETE n"


@lru_cache
def scoped_rels_query(rel_type: str) -> str:
    """Endpoints of the relationships of ``rel_type`` that bundles of ``$scope`` loaded."""
    return (f"MATCH (a)-[x:{allowed_rel_type(rel_type)}]->(b) WHERE x.scope = $scope "
            f"RETURN a.id AS source, b.id AS target")


@lru_cache
def delete_rels_query(rel_type: str, source_label: str, target_label: str) -> str:
    """Delete the ``rel_type`` relationships between the ``$rows`` pairs (``{"source", "target"}``)."""
    return (f"UNWIND $rows AS r\nMATCH (a:{allowed_label(source_label)} {{id: r.source}})"
            f"-[x:{allowed_rel_type(rel_type)}]->(b:{allowed_label(target_label)} {{id: r.target}})\nDELETE x")
