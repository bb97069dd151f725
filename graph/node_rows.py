"""The stored properties of a served embedded database's nodes, in memory: walks and paths read their nodes here.

A walk or a path over the in-memory topology (:mod:`graph.topology`) ends by reading the nodes it keeps; from the
database that is one primary-key lookup per node, about 20 µs each on LadybugDB (a depth-2 walk from a compound
at scale 100 reads 500 nodes of seven labels: ~15 of its ~22 ms). A read-only database's nodes stay what they
were when it was opened (see :mod:`graph.topology`), so their columns can be kept: one Arrow table per label, a
row per node, found by the node's offset in its label.

Members are never kept: their properties are personal data, read (and redacted, and audited) through the engine
as before; and they are most of the nodes. An engine may still give a faster way to read them by offset than by id
(Neo4j's copy reads them by the server's internal ids, :mod:`graph.neo4j_copy`): ``read_elsewhere``. Rows read
that way have not passed the API's guard, so the guard gives out the rows with its redaction set
(:meth:`NodeRows.redacted_by`), which every such row passes through. Each row is the node as ``nodes_by_ids``
returns it: ``id``, ``label``, then every stored property in the schema's order, without the null ones
(``tests/test_topology.py`` compares).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa

from graph.schema import node_row_keys

UNKEPT_LABELS = frozenset({"Member"})
"""Labels whose nodes are always read from the database: personal data."""
OFFSET_COLUMN = "__offset"

LabelRows = Callable[[str, str], pa.Table]
"""For a label and the columns to return (``RETURN …`` text): the table of every node of that label."""
RowsAt = Callable[[np.ndarray], list[dict[str, Any]]]
"""For offsets in one label: the rows of the nodes there, read from the database, in that order; a node that is
not there any more is left out (the caller compares ids)."""
Redact = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def columns_returned(label: str) -> str:
    """The ``RETURN`` list reading the row of ``n`` (:func:`graph.schema.node_row_keys`) and its offset."""
    columns = (f"'{label}' AS label" if name == "label" else f"n.{name} AS {name}" for name in node_row_keys(label))
    return f"offset(id(n)) AS {OFFSET_COLUMN}, {', '.join(columns)}"


@dataclass(frozen=True)
class NodeRows:
    """Per label, the nodes' columns and, per offset, the row holding it (-1: no node there)."""

    tables: dict[str, pa.Table]
    row_of_offset: dict[str, np.ndarray]
    built_s: float = 0.0
    read_elsewhere: dict[str, RowsAt] = field(default_factory=dict)
    """Labels not kept (members) whose rows the engine reads for an offset faster than by id (see the module
    docstring); their rows pass through ``redact``."""
    redact: Redact | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels whose rows are kept."""
        return tuple(self.tables)

    def holds(self, label: str) -> bool:
        """Whether :meth:`rows` answers for ``label``: kept, or read elsewhere."""
        return label in self.tables or label in self.read_elsewhere

    def redacted_by(self, redact: Redact) -> NodeRows:
        """These rows, with every row read elsewhere passed through ``redact`` (the kept ones hold no member)."""
        return replace(self, redact=redact) if self.read_elsewhere else self

    @property
    def count(self) -> int:
        return sum(t.num_rows for t in self.tables.values())

    @property
    def nbytes(self) -> int:
        return sum(t.nbytes for t in self.tables.values()) + sum(a.nbytes for a in self.row_of_offset.values())

    def rows(self, label: str, offsets: Sequence[int] | np.ndarray, expected_ids: Sequence[str] | None = None
             ) -> list[dict[str, Any]]:
        """The nodes of ``label`` at ``offsets``, each as ``{id, label, …}`` without null properties.

        For a label read elsewhere: the nodes still there, redacted when :meth:`redacted_by` set a redaction; with
        ``expected_ids``, nothing (``[]``) unless they are exactly the nodes of those ids, in order. The check comes
        before the redaction, so rows that are not used are neither redacted nor counted for the audit."""
        if label not in self.tables and label in self.read_elsewhere:
            found = self.read_elsewhere[label](np.asarray(offsets, dtype=np.int64))
            if expected_ids is not None and [row.get("id") for row in found] != list(expected_ids):
                return []
            return self.redact(found) if self.redact is not None else found
        where = self.row_of_offset[label][np.asarray(offsets, dtype=np.int64)]
        if (where < 0).any():
            raise KeyError(f"no {label} node at some of these offsets")
        taken = self.tables[label].take(pa.array(where)).to_pylist()
        return [{name: value for name, value in row.items() if value is not None} for row in taken]


def build(labels: Sequence[str], read: LabelRows, *, cancelled: Callable[[], bool] = lambda: False) -> NodeRows | None:
    """Read every node of ``labels`` (members never) with ``read``; ``None`` if ``cancelled()`` turns true."""
    started = time.perf_counter()
    tables: dict[str, pa.Table] = {}
    row_of_offset: dict[str, np.ndarray] = {}
    for label in labels:
        if label in UNKEPT_LABELS:
            continue
        if cancelled():
            return None
        table = read(label, columns_returned(label))
        offsets = table.column(OFFSET_COLUMN).to_numpy().astype(np.int64)
        where = np.full(int(offsets.max()) + 1 if len(offsets) else 0, -1, dtype=np.int64)
        where[offsets] = np.arange(len(offsets), dtype=np.int64)
        tables[label] = table.drop_columns([OFFSET_COLUMN]).combine_chunks()
        row_of_offset[label] = where
    return NodeRows(tables, row_of_offset, built_s=time.perf_counter() - started)


def node_rows_summary(rows: NodeRows | None) -> dict[str, Any] | None:
    """Sizes and build time for ``describe()`` and the logs; ``None`` before it is built."""
    if rows is None:
        return None
    return {"labels": len(rows.tables), "nodes": rows.count, "megabytes": round(rows.nbytes / 2**20, 1),
            "built_s": round(rows.built_s, 2)}
