"""Export the graph back into a bundle: the inverse of loading, so data can leave as it came in.

``snapshot`` gives the whole graph as plain sorted rows, which is how the tests compare two
databases (a double load, or the two engines) for equality.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph.cypher import allowed_label, allowed_rel_type
from graph.engine import GraphEngine
from graph.model import NODE_MODELS, REL_MODELS
from loaders.bundle import BundleWriter, Manifest, columns_for

PAGE = 20_000


def iter_nodes(engine: GraphEngine, label: str) -> Iterator[dict[str, Any]]:
    """Every node of ``label`` as a dict of its model properties, by id, a page at a time."""
    query = f"MATCH (n:{allowed_label(label)}) RETURN n ORDER BY n.id SKIP $skip LIMIT $limit"
    columns = columns_for("node", label)
    skip = 0
    while rows := engine.read(query, {"skip": skip, "limit": PAGE}):
        for row in rows:
            yield {c: row["n"].get(c) for c in columns}
        skip += len(rows)


def iter_rels(engine: GraphEngine, rel_type: str) -> Iterator[dict[str, Any]]:
    """Every relationship of ``rel_type`` as source, target and properties, in a stable order."""
    query = (f"MATCH (a)-[r:{allowed_rel_type(rel_type)}]->(b) RETURN a.id AS source, b.id AS target, r "
             f"ORDER BY source, target SKIP $skip LIMIT $limit")
    columns = columns_for("rel", rel_type)
    skip = 0
    while rows := engine.read(query, {"skip": skip, "limit": PAGE}):
        for row in rows:
            values = {**row["r"], "source": row["source"], "target": row["target"]}
            yield {c: values.get(c) for c in columns}
        skip += len(rows)


def snapshot(engine: GraphEngine) -> dict[str, list[dict[str, Any]]]:
    """The whole graph (model properties only) as ``{label or type: sorted rows}``; for comparisons."""
    result: dict[str, list[dict[str, Any]]] = {label: list(iter_nodes(engine, label)) for label in NODE_MODELS}
    result.update({t: list(iter_rels(engine, t)) for t in REL_MODELS})
    return result


def export_bundle(engine: GraphEngine, out_dir: str | Path, *, name: str = "export", scope: str = "export",
                  as_of: dt.date | None = None) -> Manifest:
    """Write the whole graph as a bundle that ``orggraph load`` reads back."""
    with BundleWriter(out_dir, name=name, scope=scope, as_of=as_of or dt.date.today()) as writer:
        for label in NODE_MODELS:
            if label != "Dataset":
                writer.write_nodes(label, iter_nodes(engine, label))
        for rel_type in REL_MODELS:
            writer.write_rels(rel_type, iter_rels(engine, rel_type))
    return writer.manifest
