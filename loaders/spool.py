"""Validated records kept on disk between validation and writing, so a bundle is read and validated once.

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
from typing import IO, Any

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


class RecordSpool:
    """The spool of one validation run, in ``directory`` (which the caller creates and removes)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._nodes: dict[str, _Group] = {}
        self._rels: dict[str, dict[PairKey, _Group]] = {}
        self._files = 0

    def _group(self) -> _Group:
        self._files += 1
        return _Group(self.directory / f"{self._files}.pickle")

    def add_node(self, file: str, row_number: int, values: Values) -> None:
        """Keep a valid node row of ``file`` (the file's problem name)."""
        group = self._nodes.get(file)
        if group is None:
            group = self._nodes[file] = self._group()
        group.append(row_number, values)

    def add_rel(self, file: str, pair: PairKey, row_number: int, values: Values) -> None:
        """Keep a valid relationship row of ``file`` between a ``pair`` of labels."""
        groups = self._rels.setdefault(file, {})
        group = groups.get(pair)
        if group is None:
            group = groups[pair] = self._group()
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

    def close(self) -> None:
        for group in self._nodes.values():
            group.flush(final=True)
        for groups in self._rels.values():
            for group in groups.values():
                group.flush(final=True)
