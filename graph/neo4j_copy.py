"""Every relationship of a Neo4j database and every node's properties (members' never), read into memory.

What a served LadybugDB database keeps (:mod:`graph.topology`, :mod:`graph.node_rows`), read from Neo4j, so that
walks and shortest paths take their steps in memory there too: at scale 100 the server alone takes 25-60 ms for
a hub's neighborhood, a depth-2 walk or a shortest path, where the same steps in memory take a few milliseconds.
The copy is exact only while nothing commits; :class:`graph.committed.CommittedCopy` keeps it with its bookmark
and gives it out only while the bookmark is still the database's.

How it is read: one query per label and one per relationship type, each answering one record of lists (the
driver decodes a long list natively, where each record costs it tens of microseconds of Python). Nodes are
matched with their relationships' ends by the server's internal node ids (``id(n)``), valid within one copy
(an id freed by a delete may be reused later, and then the bookmark has moved on). A node's index is its label's
base plus its position in the label's list, which is also its row in :class:`graph.node_rows.NodeRows`.

Members are kept by id and internal id only, never their properties. A walk that keeps members reads them from the
server by their internal ids (:func:`rows_by_internal_ids_query`): a seek by internal id instead of an index seek
each, and lists instead of maps (500 members of a branch: 17 → ~5 ms). An internal id may name another node once
a transaction has deleted that one, so each row answered is checked against the id the walk expects
(:func:`queries.answers.nodes_of_indices`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa

from graph.cypher import allowed_label, allowed_rel_type
from graph.model import NODE_MODELS, REL_MODELS
from graph.name_index import NameIndex, name_index_summary
from graph.name_index import build as build_name_index
from graph.node_rows import OFFSET_COLUMN, UNKEPT_LABELS, NodeRows, RowsAt, node_rows_summary
from graph.node_rows import build as build_node_rows
from graph.schema import SEARCHABLE_LABELS, node_row_keys, stored_node_properties
from graph.topology import Topology, build, topology_summary
from graph.values import from_neo4j

RunOne = Callable[[str], Sequence[Any]]
"""Runs a read query that answers exactly one record, and returns that record's values."""
ReadByInternalIds = Callable[[str, list[int]], list[dict[str, Any]]]
"""For a label and internal ids: the rows of the nodes of that label still there (:func:`rows_by_internal_ids_query`,
:func:`rows_of_lists`), in the order of the ids."""


@dataclass(frozen=True)
class GraphCopy:
    """A Neo4j database's relationships and node properties, as a served LadybugDB database keeps its own."""

    topology: Topology
    rows: NodeRows
    names: NameIndex | None = None
    """The searchable names, indexed from ``rows`` (when asked for): no second read of them."""
    read_s: float = 0.0
    """Seconds the queries took (and the driver to decode their answers), before building."""


@dataclass
class RawGraph:
    """What :func:`read_graph` read: per label the internal ids and ids (and, but for members, the properties as
    Arrow columns), per relationship type the internal ids of both ends."""

    internal: dict[str, np.ndarray] = field(default_factory=dict)
    ids: dict[str, pa.Array | pa.ChunkedArray] = field(default_factory=dict)
    rows: dict[str, pa.Table] = field(default_factory=dict)
    ends: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    read_s: float = 0.0


def nodes_query(label: str) -> str:
    """Every node of ``label`` as one record: its internal ids, and either its ids only (members) or its rows
    (:func:`graph.schema.node_row_keys` without ``label``, nulls kept in place)."""
    label = allowed_label(label)
    if label in UNKEPT_LABELS:
        return f"MATCH (n:{label}) RETURN collect(id(n)) AS internal, collect(n.id) AS ids"
    values = ", ".join(f"n.{name}" for name in node_row_keys(label) if name != "label")
    return f"MATCH (n:{label}) RETURN collect(id(n)) AS internal, collect([{values}]) AS rows"


@cache  # built on every walk that keeps members: once per label instead
def rows_by_internal_ids_query(label: str) -> str:
    """The nodes of ``label`` with the internal ids ``$internal``, as one record: a list per node of its internal id,
    then its values in the order of :func:`graph.schema.node_row_keys` without ``label`` (:func:`rows_of_lists`).
    A date property comes as two values: its ISO text when it is a date, else its value as stored (written outside
    the loader, say). The driver makes each Bolt date a ``neo4j.time.Date`` in Python (~4 µs, then ~0.4 µs more to
    Python's), where ``date.fromisoformat`` takes ~0.1 µs."""
    label = allowed_label(label)
    dates = _date_properties(label)
    values = ", ".join(f"CASE WHEN n.{name} IS :: DATE THEN toString(n.{name}) END, "
                       f"CASE WHEN n.{name} IS :: DATE THEN null ELSE n.{name} END" if name in dates else f"n.{name}"
                       for name in node_row_keys(label) if name != "label")
    return f"UNWIND $internal AS i MATCH (n:{label}) WHERE id(n) = i RETURN collect([i, {values}]) AS rows"


@cache
def _answered_names(label: str) -> tuple[str, ...]:
    """A name per value :func:`rows_by_internal_ids_query` answers after the internal id: a date property twice
    (``"<name> as text"`` for its ISO text, then ``<name>`` for a value stored otherwise)."""
    dates = _date_properties(label)
    names: list[str] = []
    for name in node_row_keys(label):
        if name in dates:
            names += [f"{name} as text", name]
        elif name != "label":
            names.append(name)
    return tuple(names)


@cache
def _date_properties(label: str) -> frozenset[str]:
    return frozenset(name for name, kind in stored_node_properties(label).items() if kind is dt.date)


def rows_of_lists(label: str, internal: Sequence[int], lists: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """The rows that :func:`rows_by_internal_ids_query` answered, as ``nodes_by_ids`` gives them (``id``, ``label``,
    the non-null properties, Python's dates), in the order of ``internal``; ids not answered are left out."""
    names = _answered_names(label)
    by_internal: dict[int, dict[str, Any]] = {}
    for values in lists:
        row: dict[str, Any] = {}
        for name, value in zip(names, values[1:], strict=True):
            if value is None:
                pass
            elif name.endswith(" as text"):
                row[name.removesuffix(" as text")] = dt.date.fromisoformat(value)
            else:
                row[name] = value if type(value) in _PLAIN else from_neo4j(value)
            if name == "id":
                row["label"] = label
        by_internal[values[0]] = row
    return [by_internal[i] for i in internal if i in by_internal]


def ends_query(rel_type: str) -> str:
    """Every relationship of ``rel_type`` as one record: the internal ids of its sources and of its targets."""
    return f"MATCH (a)-[:{allowed_rel_type(rel_type)}]->(b) RETURN collect(id(a)) AS sources, collect(id(b)) AS targets"


def read_graph(run_one: RunOne, *, cancelled: Callable[[], bool] = lambda: False) -> RawGraph:
    """Read every node of the model's labels and every relationship of its types (see the module docstring)."""
    started = time.perf_counter()
    raw = RawGraph()
    for label in NODE_MODELS:
        if cancelled():
            return raw
        internal, values = run_one(nodes_query(label))
        raw.internal[label] = np.asarray(internal, dtype=np.int64)
        if label in UNKEPT_LABELS:
            raw.ids[label] = pa.array(values, type=pa.string())
        else:
            raw.rows[label] = _label_table(label, values)
            raw.ids[label] = raw.rows[label].column("id")
    for rel_type in REL_MODELS:
        if cancelled():
            return raw
        sources, targets = run_one(ends_query(rel_type))
        raw.ends[rel_type] = (np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64))
    raw.read_s = time.perf_counter() - started
    return raw


def _label_table(label: str, rows: Sequence[Sequence[Any]]) -> pa.Table:
    """The rows of a label's nodes as the columns of :func:`graph.schema.node_row_keys`, with the offset column
    :func:`graph.node_rows.build` takes; temporal values as Python's (as ``nodes_by_ids`` gives them)."""
    names = [name for name in node_row_keys(label) if name != "label"]
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays: dict[str, Any] = {OFFSET_COLUMN: pa.array(np.arange(len(rows), dtype=np.int64))}
    for name, column in zip(names, columns, strict=True):
        plain = column if all(type(v) in _PLAIN for v in column) else [from_neo4j(v) for v in column]
        arrays[name] = pa.array(plain)
        if name == "id":
            arrays["label"] = pa.array([label] * len(rows), type=pa.string())
    return pa.table({name: arrays[name] for name in [OFFSET_COLUMN, *node_row_keys(label)]})


_PLAIN = frozenset({str, int, float, bool, type(None)})


def build_copy(raw: RawGraph, cancelled: Callable[[], bool] = lambda: False, *, names: bool = False,
               read_by_internal_ids: ReadByInternalIds | None = None) -> GraphCopy | None:
    """The :class:`GraphCopy` of what :func:`read_graph` read, with the search names indexed from its rows when
    ``names``; ``None`` when cancelled or when an id is not ASCII (see :func:`graph.topology.build`). With
    ``read_by_internal_ids``, its rows read the nodes not kept (members) by their internal ids."""
    labels = tuple(label for label in NODE_MODELS if label in raw.internal)
    types = tuple(rel_type for rel_type in REL_MODELS if rel_type in raw.ends)
    if len(labels) < len(NODE_MODELS) or len(types) < len(REL_MODELS):
        return None  # the read was cancelled
    # Every node's internal id, sorted, with its label's position (its "table") and its position in the label.
    internal = np.concatenate([raw.internal[label] for label in labels])
    table = np.concatenate([np.full(len(raw.internal[label]), position, dtype=np.int64)
                            for position, label in enumerate(labels)])
    offset = np.concatenate([np.arange(len(raw.internal[label]), dtype=np.int64) for label in labels])
    order = np.argsort(internal, kind="stable")
    internal, table, offset = internal[order], table[order], offset[order]

    def node_ids(label: str) -> pa.Table:
        return pa.table({"offset": np.arange(len(raw.ids[label]), dtype=np.int64), "id": raw.ids[label]})

    def rel_ends(rel_type: str) -> pa.Table:
        return pa.table({"source": _end_struct(raw.ends[rel_type][0]), "target": _end_struct(raw.ends[rel_type][1])})

    def _end_struct(ends: np.ndarray) -> pa.StructArray:
        """Internal ids as the ``{offset, table}`` ends :func:`graph.topology.build` takes. A node of no model label
        gets a table number beyond ours, and build() leaves its relationships out."""
        at = np.searchsorted(internal, ends)
        known = at < len(internal)
        known[known] = internal[at[known]] == ends[known]
        offsets, tables = np.zeros(len(ends), dtype=np.int64), np.full(len(ends), len(labels), dtype=np.int64)
        offsets[known], tables[known] = offset[at[known]], table[at[known]]
        return pa.StructArray.from_arrays([pa.array(offsets), pa.array(tables)], names=["offset", "table"])

    topology = build(labels, types, {label: position for position, label in enumerate(labels)}, node_ids, rel_ends,
                     cancelled=cancelled)
    if topology is None:
        return None
    rows = build_node_rows(labels, lambda label, _columns: raw.rows[label], cancelled=cancelled)
    if rows is None:
        return None
    if read_by_internal_ids is not None:
        rows = replace(rows, read_elsewhere={label: _reader(label, raw.internal[label], read_by_internal_ids)
                                             for label in labels if label in UNKEPT_LABELS})
    index = build_name_index(searchable_names(rows), cancelled=cancelled) if names else None
    if names and index is None:
        return None
    return GraphCopy(topology, rows, index, read_s=raw.read_s)


def _reader(label: str, internal: np.ndarray, read: ReadByInternalIds) -> RowsAt:
    """Reads the nodes of ``label`` at offsets of the copy by their internal ids (``internal``, by offset)."""
    return lambda offsets: read(label, internal[offsets].tolist())


def searchable_names(rows: NodeRows) -> list[tuple[str, str | None, str, str | None]]:
    """Every searchable node's (id, name, label, name initials), as :func:`graph.name_index.build` takes them,
    from the rows of their labels (members are not searchable, and not among the rows)."""
    found: list[tuple[str, str | None, str, str | None]] = []
    for label in SEARCHABLE_LABELS:
        table = rows.tables[label]
        found += zip(table.column("id").to_pylist(), table.column("name").to_pylist(), repeat(label),
                     table.column("name_initials").to_pylist())
    return found


def copy_summary(copy: GraphCopy) -> dict[str, Any]:
    """Sizes and build times, for ``describe()`` and the logs."""
    return {**topology_summary(copy.topology), "read_s": round(copy.read_s, 2), "node_rows": node_rows_summary(copy.rows),
            "search_names": name_index_summary(copy.names)}
