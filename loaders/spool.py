"""Validated records kept on disk between validation and writing, so a bundle is read and validated once.

Files the column-at-a-time path validated (``loaders.columnar``) are kept as Arrow record batches (an
Arrow IPC stream per group), which the bulk writer copies into LadybugDB without ever making Python
values of them; the other writers replay them as tuples like any group.

The validator appends each row that passed its checks to the spool, as ``(row_number, values)`` with
the values in model field order (relationship rows grouped by their (source label, target label)
pair, which is what the writers need). The loader then replays them, skipping the rows that a later
check rejected (a ``REPORTS_TO`` cycle, a ``COVERS`` outside its subdistrict). Rows are pickled in
chunks, so memory stays bounded by one chunk per open group, not by the bundle.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from loaders.columnar import ROW_COLUMN

CHUNK_ROWS = 2000
Values = tuple[Any, ...]
PairKey = tuple[str, str]


class _Group:
    """One spool file: the valid rows of a node file, or of one label pair of a relationship file."""

    __slots__ = ("count", "handle", "path", "rows", "values")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[bytes] | None = open(path, "wb")  # noqa: SIM115 - closed by flush(final=True)
        self.rows: list[int] = []
        self.values: list[Values] = []
        self.count = 0

    def append(self, row_number: int, values: Values) -> None:
        self.rows.append(row_number)
        self.values.append(values)
        if len(self.rows) >= CHUNK_ROWS:
            self.flush()

    def flush(self, *, final: bool = False) -> None:
        if self.handle is None:
            return
        if self.rows:
            pickle.dump((self.rows, self.values), self.handle, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += len(self.rows)
            self.rows, self.values = [], []
        if final:
            self.handle.close()
            self.handle = None

    def replay(self, rejected: frozenset[int]) -> Iterator[Values]:
        self.flush(final=True)
        with open(self.path, "rb") as handle:
            while True:
                try:
                    rows, values = pickle.load(handle)
                except EOFError:
                    return
                if rejected:
                    yield from (v for r, v in zip(rows, values, strict=True) if r not in rejected)
                else:
                    yield from values


class _ArrowGroup:
    """One spool file of record batches (typed columns in record field order, then the row numbers)."""

    __slots__ = ("count", "extra", "path", "writer")

    def __init__(self, path: Path, extra: Values = ()) -> None:
        self.path = path
        self.writer: pa.ipc.RecordBatchStreamWriter | None = None
        self.count = 0
        self.extra = extra
        """Values appended to each replayed tuple: a relationship group's (source label, target label)."""

    def append(self, batch: pa.RecordBatch) -> None:
        if self.writer is None:
            self.writer = pa.ipc.new_stream(str(self.path), batch.schema)
        self.writer.write_batch(batch)
        self.count += batch.num_rows

    def flush(self, *, final: bool = False) -> None:
        if final and self.writer is not None:
            self.writer.close()
            self.writer = None

    def stored(self) -> Iterator[pa.RecordBatch]:
        """The batches as appended, row-number column included."""
        self.flush(final=True)
        if not self.count:
            return
        with pa.OSFile(str(self.path), "rb") as source:
            yield from pa.ipc.open_stream(source)

    def batches(self, rejected: frozenset[int]) -> Iterator[pa.RecordBatch]:
        """The batches without the ``rejected`` row numbers and without the row-number column."""
        for batch in self.stored():
            if rejected:
                batch = batch.filter(pc.invert(pc.is_in(batch.column(ROW_COLUMN), value_set=pa.array(sorted(rejected)))))
            if batch.num_rows:
                yield batch.drop_columns([ROW_COLUMN])

    def replay(self, rejected: frozenset[int]) -> Iterator[Values]:
        extra = self.extra
        for batch in self.batches(rejected):
            columns = [column.to_pylist() for column in batch.columns]
            if extra:
                columns += [[value] * batch.num_rows for value in extra]
            yield from zip(*columns, strict=True)


class _Replayable(Protocol):
    count: int

    def flush(self, *, final: bool = False) -> None: ...
    def replay(self, rejected: frozenset[int]) -> Iterator[Values]: ...


class ArrowFile:
    """The Arrow groups of one file while the column-at-a-time path validates it: :meth:`RecordSpool.keep_arrow`
    makes them the file's spool once the whole file passed, :meth:`discard` drops them otherwise."""

    def __init__(self, spool: RecordSpool, file: str) -> None:
        self.spool = spool
        self.file = file
        self.groups: dict[PairKey | None, _ArrowGroup] = {}

    def append(self, batch: pa.RecordBatch, pair: PairKey | None = None) -> None:
        group = self.groups.get(pair)
        if group is None:
            group = self.groups[pair] = _ArrowGroup(self.spool.next_path(".arrow"), pair or ())
        group.append(batch)

    def discard(self) -> None:
        for group in self.groups.values():
            group.flush(final=True)
            group.path.unlink(missing_ok=True)
        self.groups.clear()


class RecordSpool:
    """The spool of one validation run, in ``directory`` (which the caller creates and removes)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._nodes: dict[str, _Replayable] = {}
        self._rels: dict[str, dict[PairKey, _Replayable]] = {}
        self._files = 0

    def next_path(self, suffix: str) -> Path:
        self._files += 1
        return self.directory / f"{self._files}{suffix}"

    def _group(self) -> _Group:
        return _Group(self.next_path(".pickle"))

    def arrow_file(self, file: str) -> ArrowFile:
        """Start keeping the record batches of ``file`` (see :class:`ArrowFile`)."""
        return ArrowFile(self, file)

    def keep_arrow(self, arrow: ArrowFile) -> None:
        """Make the batches of a file that passed the column-at-a-time checks the valid rows of that file."""
        for pair, group in arrow.groups.items():
            if pair is None:
                self._nodes[arrow.file] = group
            else:
                self._rels.setdefault(arrow.file, {})[pair] = group

    def add_node(self, file: str, row_number: int, values: Values) -> None:
        """Keep a valid node row of ``file`` (the file's problem name)."""
        group = self._nodes.get(file)
        if group is None:
            group = self._nodes[file] = self._group()
        assert isinstance(group, _Group)
        group.append(row_number, values)

    def add_rel(self, file: str, pair: PairKey, row_number: int, values: Values) -> None:
        """Keep a valid relationship row of ``file`` between a ``pair`` of labels."""
        groups = self._rels.setdefault(file, {})
        group = groups.get(pair)
        if group is None:
            group = groups[pair] = self._group()
        assert isinstance(group, _Group)
        group.append(row_number, values)

    def has(self, file: str) -> bool:
        return file in self._nodes or file in self._rels

    def node_values(self, file: str, rejected: frozenset[int] = frozenset()) -> Iterator[Values]:
        """The node rows of ``file`` in file order, without the ``rejected`` row numbers."""
        group = self._nodes.get(file)
        return group.replay(rejected) if group is not None else iter(())

    def rel_pairs(self, file: str) -> list[PairKey]:
        """The label pairs of the relationship rows of ``file``, in the order they first appeared."""
        return list(self._rels.get(file, {}))

    def rel_values(self, file: str, pair: PairKey, rejected: frozenset[int] = frozenset()) -> Iterator[Values]:
        """The relationship rows of ``file`` between ``pair``, in file order, without the ``rejected`` row numbers."""
        group = self._rels.get(file, {}).get(pair)
        return group.replay(rejected) if group is not None else iter(())

    def node_batches(self, file: str, rejected: frozenset[int] = frozenset()) -> Iterator[pa.RecordBatch] | None:
        """The node rows of ``file`` as record batches when the column-at-a-time path validated it, else ``None``."""
        group = self._nodes.get(file)
        return group.batches(rejected) if isinstance(group, _ArrowGroup) else None

    def rel_batches(self, file: str, pair: PairKey, rejected: frozenset[int] = frozenset()) -> Iterator[pa.RecordBatch] | None:
        """As :meth:`node_batches`, for the relationship rows of ``file`` between ``pair``."""
        group = self._rels.get(file, {}).get(pair)
        return group.batches(rejected) if isinstance(group, _ArrowGroup) else None

    def rel_columns(self, file: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]] | None:
        """``(row number, *columns)`` of every spooled relationship row of ``file``, in file order, when the
        column-at-a-time path validated it (its label pairs are spooled apart), else ``None``."""
        groups = self._rels.get(file, {}).values()
        if not groups or not all(isinstance(g, _ArrowGroup) for g in groups):
            return None
        rows: list[tuple[Any, ...]] = []
        for group in groups:
            assert isinstance(group, _ArrowGroup)
            for batch in group.stored():
                rows += zip(*(batch.column(c).to_pylist() for c in (ROW_COLUMN, *columns)), strict=True)
        return sorted(rows)

    def close(self) -> None:
        for group in self._nodes.values():
            group.flush(final=True)
        for groups in self._rels.values():
            for group in groups.values():
                group.flush(final=True)
