"""Load a bundle into the graph: validate everything first, then write in batches, idempotently.

* Atomic by default: if any row is invalid nothing is written and :class:`LoadRefused` says why
  (the problems also go to ``rejects.csv``). ``skip_invalid`` writes the valid rows instead.
* Idempotent: ``MERGE`` on ids, so loading the same bundle twice gives the same graph, and a
  changed row updates in place.
* ``sync`` also removes the nodes and relationships of the bundle's scope that the bundle no
  longer holds (every node and relationship records the ``scope`` that loaded it).
* Streaming: files are read row by row, once: the validator keeps the valid rows in an on-disk spool
  (``loaders.spool``) that the writers replay; only ids are kept in memory.
"""

from __future__ import annotations

import itertools
import queue
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from graph.engine import GraphEngine
from graph.model import NODE_MODELS, REL_MODELS, label_for_id
from graph.schema import stored_node_properties, stored_rel_properties
from loaders.bundle import BundleFile, Manifest, iter_manifest_files
from loaders.lock import holding_load_lock
from loaders.problems import Problem, write_rejects_csv
from loaders.spool import RecordSpool
from loaders.validate import ValidationReport, record_fields, validate_bundle
from loaders.writes import (
    dataset_row,
    delete_nodes_query,
    delete_rels_query,
    label_ids_query,
    merge_nodes_query,
    merge_rels_query,
    node_rows,
    rel_rows,
    scoped_ids_query,
    scoped_rels_query,
    stored_batch,
)
from queries import rollup
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
    rollup_rows: int = 0
    """Rows of the coverage roll-up stored after the load (``queries.rollup``), its markers included."""
    problems: list[Problem] = field(default_factory=list)
    rejects_path: Path | None = None
    seconds: float = 0.0
    validate_seconds: float = 0.0
    """Time spent validating the bundle (the whole of it, before anything is written)."""
    write_seconds: float = 0.0
    """Time spent writing: from the end of validation to the end of the load (``sync`` included)."""
    into_empty: bool = False
    """The database held no entity before this load (the engine's bulk paths were open to it)."""

    @property
    def total_rows(self) -> int:
        return sum(self.written.values())


BULK_TIP_ROWS = 1_000_000
"""From this many rows, a first load into Neo4j is worth making with the bulk importer instead."""


def bulk_load_tip(result: LoadResult) -> str | None:
    """A hint after a big load into an empty Neo4j: the bulk importer builds such a store about 2.5 times faster
    (``orggraph neo4j import BUNDLE``, docs/neo4j-admin-import.md). ``None`` when it would not help: another
    engine, a database that held data (the importer only builds new stores), or a bundle too small to gain.
    """
    if result.engine != "neo4j" or not result.into_empty or result.total_rows < BULK_TIP_ROWS:
        return None
    return ("tip: a first load this big into a new local Neo4j store is about 2.5 times faster with Neo4j's bulk importer: "
            "orggraph neo4j import BUNDLE --home DIR (docs/neo4j-admin-import.md)")


PREFETCH_AFTER = 256
"""Lookups of one label after which :class:`GraphIds` fetches every id of that label at once."""


class GraphIds(Mapping[str, str]):
    """Ids already in the graph, for the validator (which asks about every id of the bundle).

    An id's form names its label. The first lookups of a label ask the graph for one id each; once a
    label has needed ``PREFETCH_AFTER`` of them, every id of that label is fetched in one query, so a
    big bundle loaded over a big graph costs a few queries, not one per row (memory: the ids, as the
    validator's own). ``empty`` says the graph holds nothing: then nothing is asked at all.
    """

    def __init__(self, engine: GraphEngine, *, empty: bool = False) -> None:
        self._engine = engine
        self._empty = empty
        self._seen: dict[str, str | None] = {}
        self._lookups: dict[str, int] = defaultdict(int)
        self._all: dict[str, frozenset[str]] = {}

    def __getitem__(self, node_id: str) -> str:
        if self._empty:
            raise KeyError(node_id)
        label = label_for_id(node_id)  # the id's form names its label; an id of no known form is unknown
        if label is not None and label in self._all:
            if node_id in self._all[label]:
                return label
            raise KeyError(node_id)
        if node_id not in self._seen:
            if label is not None and self._lookups[label] >= PREFETCH_AFTER:
                self._all[label] = frozenset(r["id"] for r in self._engine.read(label_ids_query(label)))
                return self[node_id]
            if label is not None:
                self._lookups[label] += 1
            rows = run_query(self._engine, "entity_by_id", {"id": node_id}, label=label) if label else []
            self._seen[node_id] = rows[0]["n"]["label"] if rows else None
        found = self._seen[node_id]
        if found is None:
            raise KeyError(node_id)
        return found

    def get(self, node_id: str, default: Any = None) -> Any:
        if self._empty:  # the validator asks about every id of a bundle: no exception per row on a fresh load
            return default
        try:
            return self[node_id]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[str]:
        seen = (k for k, v in self._seen.items() if v is not None)
        return itertools.chain(seen, *(ids - self._seen.keys() for ids in self._all.values()))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __bool__(self) -> bool:
        return True  # the graph may know any id, even before the first lookup


@holding_load_lock  # one load at a time per database (loaders/lock.py)
def load_bundle(engine: GraphEngine, root: str | Path, *, skip_invalid: bool = False, sync: bool = False,
                batch_size: int = 5000, rejects_path: Path | None = None, progress: Progress | None = None) -> LoadResult:
    """Validate the bundle at ``root`` and write it into ``engine``; see the module docstring."""
    root = Path(root)
    progress = progress or NoProgress()
    started = time.perf_counter()
    engine.create_schema()
    # Into an empty database the engine may bulk-insert (LadybugDB's COPY), which is only correct when
    # nothing is there to merge with (the bundle is validated first, so its ids are unique); and then
    # the validator need not ask the graph about any id.
    fresh = engine.is_empty()
    progress.start("validating", None)
    with tempfile.TemporaryDirectory(prefix="orggraph-spool-") as spool_dir:
        spool = RecordSpool(spool_dir)  # the valid rows as validated: the bundle is read once
        try:
            if fresh and not skip_invalid:
                result, validated = _load_pipelined(engine, root, spool, sync=sync, batch_size=batch_size,
                                                    rejects_path=rejects_path, progress=progress)
            else:
                report = validate_bundle(root, GraphIds(engine, empty=fresh), spool=spool)
                validated = time.perf_counter()
                result = _write(engine, root, report, skip_invalid=skip_invalid, sync=sync, batch_size=batch_size,
                                rejects_path=rejects_path, progress=progress, fresh=fresh)
        finally:
            spool.close()
    finished = time.perf_counter()
    result.into_empty = fresh
    result.seconds = finished - started
    result.validate_seconds = validated - started
    result.write_seconds = finished - validated
    return result


def _write(engine: GraphEngine, root: Path, report: ValidationReport, *, skip_invalid: bool, sync: bool, batch_size: int,
           rejects_path: Path | None, progress: Progress, fresh: bool) -> LoadResult:
    _refuse_if_invalid(root, report, skip_invalid=skip_invalid, rejects_path=rejects_path)
    assert report.manifest is not None
    rollup.invalidate(engine)  # a load that fails half-way must leave no coverage roll-up to trust
    writer = _FileWriter(engine, report.manifest.scope, sync=sync, batch_size=batch_size, progress=progress, fresh=fresh)
    for bundle_file in iter_manifest_files(report.manifest):
        writer.write(bundle_file, report)
    return writer.finish(report, rejects_path or root / "rejects.csv")


def _refuse_if_invalid(root: Path, report: ValidationReport, *, skip_invalid: bool, rejects_path: Path | None) -> None:
    """Write ``rejects.csv`` for a bundle with problems, and refuse it unless ``skip_invalid``."""
    if not report.ok:
        rejects_path = rejects_path or root / "rejects.csv"
        write_rejects_csv(rejects_path, report.log)
        if not skip_invalid or report.manifest is None:
            raise LoadRefused(report, rejects_path)


def _load_pipelined(engine: GraphEngine, root: Path, spool: RecordSpool, *, sync: bool, batch_size: int,
                    rejects_path: Path | None, progress: Progress) -> tuple[LoadResult, float]:
    """A load into an empty database, all or nothing, whose files are written while the next ones are validated.

    Validation is Python (and pyarrow); writing a validated file is mostly the engine's own work, outside the
    GIL (LadybugDB's COPY, a Neo4j server): on two cores the two overlap. Nothing may stay written when the
    bundle turns out to be invalid, so then, or on any failure, the database is emptied again: it was empty
    before (the load lock keeps other loads out). Returns the result and when validation ended.
    """
    files: queue.Queue[tuple[BundleFile, ValidationReport] | None] = queue.Queue()
    failures: list[BaseException] = []
    writer: _FileWriter | None = None

    def write_files() -> None:
        while (item := files.get()) is not None:
            if failures:
                continue  # a file failed: take the rest off the queue, write nothing more
            try:
                assert writer is not None
                writer.write(*item)
            except BaseException as exc:
                failures.append(exc)

    def file_validated(bundle_file: BundleFile, report: ValidationReport) -> None:
        nonlocal writer
        if not report.ok:
            return  # the load is refused at the end whatever follows: write nothing more, only to empty it again
        if writer is None:
            assert report.manifest is not None
            writer = _FileWriter(engine, report.manifest.scope, sync=sync, batch_size=batch_size, progress=progress,
                                 fresh=True)
        files.put((bundle_file, report))

    rollup.invalidate(engine)
    thread = threading.Thread(target=write_files, name="orggraph-load-writer", daemon=True)
    thread.start()
    try:
        try:
            report = validate_bundle(root, GraphIds(engine, empty=True), spool=spool, on_file=file_validated)
        finally:
            files.put(None)
            thread.join()
        validated = time.perf_counter()
        if failures:
            raise failures[0]
        _refuse_if_invalid(root, report, skip_invalid=False, rejects_path=rejects_path)
        assert report.manifest is not None and writer is not None
        return writer.finish(report, rejects_path or root / "rejects.csv"), validated
    except BaseException:
        engine.clear()  # it was empty: leave it so
        raise


class _FileWriter:
    """Writes a bundle's validated files one at a time (in manifest order), then what ends a load."""

    def __init__(self, engine: GraphEngine, scope: str, *, sync: bool, batch_size: int, progress: Progress,
                 fresh: bool) -> None:
        self.engine, self.scope, self.sync, self.batch_size, self.progress, self.fresh = (
            engine, scope, sync, batch_size, progress, fresh)
        self.written: dict[str, int] = {}
        self.written_labels: set[str] = set()  # a label split over two files is bulk-inserted from the first only
        self.written_types: set[str] = set()
        self.bundle_rels: dict[str, set[tuple[str, str]]] = defaultdict(set)

    def write(self, bundle_file: BundleFile, report: ValidationReport) -> None:
        self.progress.start(bundle_file.name, report.counts.get(bundle_file.name))
        count = self._node_file(bundle_file, report) if bundle_file.kind == "node" else self._rel_file(bundle_file, report)
        self.written[bundle_file.name] = self.written.get(bundle_file.name, 0) + count

    def _node_file(self, bundle_file: BundleFile, report: ValidationReport) -> int:
        engine, label, advance = self.engine, bundle_file.name, self.progress.advance
        rows = node_rows(label, record_fields(bundle_file), report.spooled_values(bundle_file), self.scope)
        query = merge_nodes_query(engine.dialect, label)
        bulk = self.fresh and label not in self.written_labels
        self.written_labels.add(label)
        batches = report.spooled_batches(bundle_file) if bulk and engine.copies_record_batches else None
        if batches is not None:
            columns = stored_node_properties(label)
            return engine.bulk_insert_batches(label, (stored_batch(columns, b, self.scope) for b in batches), on_batch=advance)
        if bulk:
            return engine.bulk_insert_nodes(query, label, rows, batch_size=self.batch_size, on_batch=advance)
        return engine.write_batches(query, rows, batch_size=self.batch_size, on_batch=advance)

    def _rel_file(self, bundle_file: BundleFile, report: ValidationReport) -> int:
        engine, rel_type, advance, written = self.engine, bundle_file.name, self.progress.advance, 0
        keys = self.bundle_rels[rel_type] if self.sync else None
        bulk = self.fresh and rel_type not in self.written_types  # a type split over two files: bulk from the first only
        self.written_types.add(rel_type)
        for pair in report.spooled_pairs(bundle_file):  # each (source label, target label) pair is its own query
            query = merge_rels_query(engine.dialect, rel_type, *pair)
            batches = report.spooled_batches(bundle_file, pair) if bulk and engine.copies_record_batches else None
            if batches is not None:
                if keys is not None:
                    batches = _noting_batch_keys(batches, keys)
                columns = {"source": str, "target": str, **stored_rel_properties(rel_type)}
                written += engine.bulk_insert_batches(rel_type, (stored_batch(columns, b, self.scope) for b in batches),
                                                      ends=pair, on_batch=advance)
                continue
            values: Iterable[tuple[Any, ...]] = report.spooled_values(bundle_file, pair)
            if keys is not None:
                values = _noting_keys(values, keys)
            rows = rel_rows(rel_type, record_fields(bundle_file), values, self.scope)
            if bulk:
                written += engine.bulk_insert_rels(query, rel_type, *pair, rows, batch_size=self.batch_size, on_batch=advance)
            else:
                written += engine.write_batches(query, rows, batch_size=self.batch_size, on_batch=advance)
        return written

    def finish(self, report: ValidationReport, rejects_path: Path) -> LoadResult:
        """The dataset node, ``--sync``'s removals and the coverage roll-up, after every file."""
        assert report.manifest is not None
        result = LoadResult(engine=self.engine.kind, manifest=report.manifest, problems=report.problems,
                            rejects_path=rejects_path if report.problems else None, written=self.written)
        _write_dataset_node(self.engine, report.manifest)
        if self.sync:
            self.progress.start("removing what the bundle no longer holds", None)
            result.removed = _sync(self.engine, self.scope, set(report.id_labels), self.bundle_rels, self.batch_size)
        self.progress.start("coverage roll-up", None)
        result.rollup_rows = rollup.rebuild(self.engine, batch_size=self.batch_size)
        return result


def _noting_keys(values: Iterable[tuple[Any, ...]], keys: set[tuple[str, str]]) -> Iterator[tuple[Any, ...]]:
    """Pass relationship values through, noting each (source, target) for ``sync``."""
    for v in values:
        keys.add((v[0], v[1]))
        yield v


def _noting_batch_keys(batches: Iterable[Any], keys: set[tuple[str, str]]) -> Iterator[Any]:
    """:func:`_noting_keys` for Arrow record batches of relationships."""
    for batch in batches:
        keys.update(zip(batch.column("source").to_pylist(), batch.column("target").to_pylist(), strict=True))
        yield batch


def _write_dataset_node(engine: GraphEngine, manifest: Manifest) -> None:
    """Record the bundle itself, so that queries know the data's as-of date."""
    engine.write(merge_nodes_query(engine.dialect, "Dataset"), {"rows": [dataset_row(manifest)]})


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
