"""Load a bundle into the graph: validate everything first, then write in batches, idempotently.

* Atomic by default: if any row is invalid nothing is written and :class:`LoadRefused` says why
  (the problems also go to ``rejects.csv``). ``skip_invalid`` writes the valid rows instead.
* Idempotent: ``MERGE`` on ids, so loading the same bundle twice gives the same graph, and a
  changed row updates in place.
* ``sync`` also removes the nodes and relationships of the bundle's scope that the bundle no
  longer holds (every node and relationship records the ``scope`` that loaded it).
* Streaming: files are read row by row, twice (validate, then write); only ids are kept in memory.
"""

from __future__ import annotations

import pickle
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from graph.engine import GraphEngine
from graph.model import NODE_MODELS, REL_MODELS
from loaders.bundle import Manifest, iter_manifest_files
from loaders.problems import Problem, write_rejects_csv
from loaders.validate import ValidationReport, iter_valid_records, validate_bundle
from loaders.writes import (
    delete_nodes_query,
    delete_rels_query,
    merge_nodes_query,
    merge_rels_query,
    node_row,
    rel_row,
    scoped_ids_query,
    scoped_rels_query,
)
from queries.catalog import run_query


class Progress(Protocol):
    """What the loader reports progress to (a rich progress bar on the terminal, or nothing)."""

    def start(self, name: str, total: int | None) -> None: ...
    def advance(self, rows: int) -> None: ...


class NoProgress:
    def start(self, name: str, total: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass


class LoadRefused(Exception):
    """The bundle has invalid rows and ``skip_invalid`` was not given: nothing was written."""

    def __init__(self, report: ValidationReport, rejects_path: Path) -> None:
        self.report = report
        self.rejects_path = rejects_path
        super().__init__(f"{report.problem_count} problem(s) in {report.root}.")


@dataclass
class LoadResult:
    engine: str
    manifest: Manifest
    written: dict[str, int] = field(default_factory=dict)
    removed: int = 0
    problems: list[Problem] = field(default_factory=list)
    rejects_path: Path | None = None
    seconds: float = 0.0
    validate_seconds: float = 0.0
    """Time spent validating the bundle (the whole of it, before anything is written)."""
    write_seconds: float = 0.0
    """Time spent writing: from the end of validation to the end of the load (``sync`` included)."""

    @property
    def total_rows(self) -> int:
        return sum(self.written.values())


class GraphIds(Mapping[str, str]):
    """Ids already in the graph, looked up one at a time when a relationship points outside the bundle."""

    def __init__(self, engine: GraphEngine) -> None:
        self._engine = engine
        self._seen: dict[str, str | None] = {}

    def __getitem__(self, node_id: str) -> str:
        if node_id not in self._seen:
            rows = run_query(self._engine, "entity_by_id", {"id": node_id})
            self._seen[node_id] = rows[0]["n"]["label"] if rows else None
        label = self._seen[node_id]
        if label is None:
            raise KeyError(node_id)
        return label

    def __iter__(self) -> Iterator[str]:
        return iter(k for k, v in self._seen.items() if v is not None)

    def __len__(self) -> int:
        return sum(v is not None for v in self._seen.values())

    def __bool__(self) -> bool:
        return True  # the graph may know any id, even before the first lookup


def load_bundle(engine: GraphEngine, root: str | Path, *, skip_invalid: bool = False, sync: bool = False,
                batch_size: int = 5000, rejects_path: Path | None = None, progress: Progress | None = None) -> LoadResult:
    """Validate the bundle at ``root`` and write it into ``engine``; see the module docstring."""
    root = Path(root)
    progress = progress or NoProgress()
    started = time.perf_counter()
    engine.create_schema()
    progress.start("validating", None)
    report = validate_bundle(root, GraphIds(engine))
    validated = time.perf_counter()
    rejects_path = rejects_path or root / "rejects.csv"
    if not report.ok:
        write_rejects_csv(rejects_path, report.log)
        if not skip_invalid or report.manifest is None:
            raise LoadRefused(report, rejects_path)
    assert report.manifest is not None
    manifest = report.manifest
    result = LoadResult(engine=engine.kind, manifest=manifest, problems=report.problems,
                        rejects_path=rejects_path if report.problems else None)
    scope = manifest.scope
    # Into an empty database the engine may bulk-insert (LadybugDB's COPY), which is only correct
    # when nothing is there to merge with. The bundle was validated, so ids are unique.
    fresh = engine.is_empty()
    written_labels: set[str] = set()  # a label split over two files is bulk-inserted from the first only
    written_types: set[str] = set()
    bundle_rels: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for bundle_file in iter_manifest_files(manifest):
        progress.start(bundle_file.name, report.counts.get(bundle_file.name))
        records = (record for _, record in iter_valid_records(root, bundle_file, report))
        if bundle_file.kind == "node":
            label = bundle_file.name
            rows = (node_row(label, r, scope) for r in records)
            query = merge_nodes_query(engine.dialect, label)
            if fresh and label not in written_labels:
                written = engine.bulk_insert_nodes(query, label, rows, batch_size=batch_size, on_batch=progress.advance)
            else:
                written = engine.write_batches(query, rows, batch_size=batch_size, on_batch=progress.advance)
            written_labels.add(label)
        else:
            keys = bundle_rels[bundle_file.name] if sync else None
            written = _write_rels(engine, bundle_file.name, records, scope, batch_size, progress, keys,
                                  fresh=fresh and bundle_file.name not in written_types)
            written_types.add(bundle_file.name)
        result.written[bundle_file.name] = result.written.get(bundle_file.name, 0) + written
    _write_dataset_node(engine, manifest)
    if sync:
        progress.start("removing what the bundle no longer holds", None)
        result.removed = _sync(engine, scope, set(report.id_labels), bundle_rels, batch_size)
    finished = time.perf_counter()
    result.seconds = finished - started
    result.validate_seconds = validated - started
    result.write_seconds = finished - validated
    return result


def _write_rels(engine: GraphEngine, rel_type: str, records: Iterator[dict[str, Any]], scope: str, batch_size: int,
                progress: Progress, keys: set[tuple[str, str]] | None, *, fresh: bool) -> int:
    """Relationship rows of one type, per (source label, target label): each pair is its own query.

    Merging sends a batch as soon as a pair has ``batch_size`` rows; a fresh bulk insert first
    sorts the rows into one spool file per pair, then inserts each.
    """
    if fresh:
        return _bulk_rels(engine, rel_type, records, scope, progress, keys)
    pending: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    written = 0

    def flush(pair: tuple[str, str]) -> None:
        nonlocal written
        batch = pending.pop(pair)
        engine.write(merge_rels_query(engine.dialect, rel_type, *pair), {"rows": batch})
        written += len(batch)
        progress.advance(len(batch))

    for record in records:
        pair = (record["source_label"], record["target_label"])
        pending[pair].append(rel_row(rel_type, record, scope))
        if keys is not None:
            keys.add((record["source"], record["target"]))
        if len(pending[pair]) >= batch_size:
            flush(pair)
    for pair in list(pending):
        flush(pair)
    return written


def _bulk_rels(engine: GraphEngine, rel_type: str, records: Iterator[dict[str, Any]], scope: str, progress: Progress,
               keys: set[tuple[str, str]] | None) -> int:
    with tempfile.TemporaryDirectory(prefix="orggraph-spool-") as tmp:
        spools: dict[tuple[str, str], Any] = {}
        try:
            for record in records:
                pair = (record["source_label"], record["target_label"])
                if pair not in spools:
                    spools[pair] = open(Path(tmp) / f"{len(spools)}.pickle", "wb")  # noqa: SIM115 - closed below
                pickle.dump(rel_row(rel_type, record, scope), spools[pair])
                if keys is not None:
                    keys.add((record["source"], record["target"]))
        finally:
            for handle in spools.values():
                handle.close()
        written = 0
        for pair, handle in spools.items():
            rows = _unpickle(Path(handle.name))
            written += engine.bulk_insert_rels(merge_rels_query(engine.dialect, rel_type, *pair), rel_type, *pair, rows,
                                               on_batch=progress.advance)
        return written


def _unpickle(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as handle:
        while True:
            try:
                yield pickle.load(handle)
            except EOFError:
                return


def _write_dataset_node(engine: GraphEngine, manifest: Manifest) -> None:
    """Record the bundle itself, so that queries know the data's as-of date."""
    record = {"id": f"ds-{manifest.scope}", "name": manifest.name, "scope": manifest.scope, "as_of": manifest.as_of,
              "description": manifest.description or None, "synthetic": manifest.synthetic}
    engine.write(merge_nodes_query(engine.dialect, "Dataset"), {"rows": [node_row("Dataset", record, manifest.scope)]})


def _sync(engine: GraphEngine, scope: str, bundle_ids: set[str], bundle_rels: Mapping[str, set[tuple[str, str]]],
          batch_size: int) -> int:
    """Delete the scope's nodes and relationships that the bundle no longer holds; return how many."""
    removed = 0
    for rel_type in REL_MODELS:
        keep = bundle_rels.get(rel_type, set())
        stale = [r for r in engine.read(scoped_rels_query(rel_type), {"scope": scope})
                 if (r["source"], r["target"]) not in keep]
        by_pair: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        labels = _labels_of(engine, {r["source"] for r in stale} | {r["target"] for r in stale})
        for r in stale:
            by_pair[(labels[r["source"]], labels[r["target"]])].append(r)
        for pair, rows in by_pair.items():
            removed += engine.write_batches(delete_rels_query(rel_type, *pair), rows, batch_size=batch_size)
    for label in NODE_MODELS:
        if label == "Dataset":
            continue
        stale_ids = [{"id": r["id"]} for r in engine.read(scoped_ids_query(label), {"scope": scope})
                     if r["id"] not in bundle_ids]
        removed += engine.write_batches(delete_nodes_query(label), stale_ids, batch_size=batch_size)
    return removed


def _labels_of(engine: GraphEngine, ids: set[str]) -> dict[str, str]:
    lookup = GraphIds(engine)
    return {node_id: lookup[node_id] for node_id in ids}
