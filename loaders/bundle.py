"""Bundles: a folder of data files plus a ``manifest.json`` that says what each file holds.

A bundle is the one way data enters the graph: users' exports and the reference dataset alike.
Layout (see docs/data-format.md)::

    BUNDLE/
      manifest.json          name, scope, as_of date, and the list of files
      nodes/Compound.csv     one file per node label, columns = the label's properties
      rels/COVERS.csv        one file per relationship type: source, target, then properties

A file's format is csv (UTF-8, UTF-8 with BOM, GB18030/GBK), xlsx (one sheet per type, named after
the label or type) or jsonl. Empty cells mean "no value".
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from graph.model import NODE_MODELS, REL_MODELS
from graph.values import csv_text as cell_text  # re-exported: the readers and the template render cells with it

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1
FileFormat = Literal["csv", "xlsx", "jsonl"]


class BundleFile(BaseModel):
    """One entry of the manifest: a file (or an XLSX sheet) holding one label or one relationship type."""

    model_config = ConfigDict(extra="forbid")
    path: str
    kind: Literal["node", "rel"]
    name: str = Field(description="the node label or relationship type the file holds")
    format: FileFormat = "csv"
    sheet: str | None = Field(default=None, description="XLSX only: the sheet name, default the label/type")

    @model_validator(mode="after")
    def _known_name(self) -> BundleFile:
        known = NODE_MODELS if self.kind == "node" else REL_MODELS
        if self.name not in known:
            raise ValueError(f"unknown {self.kind} {self.name!r}; expected one of {', '.join(known)}")
        return self


class Manifest(BaseModel):
    """The manifest of a bundle."""

    model_config = ConfigDict(extra="forbid")
    format_version: int = FORMAT_VERSION
    name: str
    scope: str = Field(description="what `load --sync` may remove: entities loaded from bundles of the same scope")
    as_of: dt.date = Field(description="the date the data describes; the default as-of date of coverage queries")
    description: str = ""
    synthetic: bool = False
    files: list[BundleFile]


def columns_for(kind: Literal["node", "rel"], name: str) -> list[str]:
    """Return the file columns of a node label or relationship type, in their canonical order."""
    if kind == "node":
        return list(NODE_MODELS[name].model_fields)
    fields = list(REL_MODELS[name].model_fields)
    return ["source", "target"] + [f for f in fields if f not in ("source", "target")]


class BundleWriter:
    """Write a bundle file by file, streaming rows, and the manifest at the end.

    >>> import tempfile
    >>> with BundleWriter(tempfile.mkdtemp(), name="demo", scope="demo", as_of=dt.date(2018, 12, 28)) as w:
    ...     w.write_nodes("District", [{"id": "440303", "name": "罗湖区"}])
    1
    """

    def __init__(self, root: str | Path, *, name: str, scope: str, as_of: dt.date, description: str = "",
                 synthetic: bool = False) -> None:
        self.root = Path(root)
        self.manifest = Manifest(name=name, scope=scope, as_of=as_of, description=description, synthetic=synthetic, files=[])
        self._stack = ExitStack()
        self._open: dict[tuple[str, str], tuple[Any, list[str], frozenset[str]]] = {}

    def __enter__(self) -> BundleWriter:
        (self.root / "nodes").mkdir(parents=True, exist_ok=True)
        (self.root / "rels").mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        if exc[0] is None:
            self.write_manifest()

    def write_nodes(self, label: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append node rows of ``label``; missing columns are written empty. Returns the row count."""
        return self._append("node", label, rows)

    def write_rels(self, rel_type: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append relationship rows of ``rel_type`` (``source``, ``target`` and properties)."""
        return self._append("rel", rel_type, rows)

    def _append(self, kind: Literal["node", "rel"], name: str, rows: Iterable[Mapping[str, Any]]) -> int:
        key = (kind, name)
        if key not in self._open:
            rel_path = f"{'nodes' if kind == 'node' else 'rels'}/{name}.csv"
            handle = self._stack.enter_context(open(self.root / rel_path, "w", encoding="utf-8", newline=""))  # noqa: SIM115
            cols = columns_for(kind, name)
            writer = csv.writer(handle)
            writer.writerow(cols)
            self._open[key] = (writer, cols, frozenset(cols))
            self.manifest.files.append(BundleFile(path=rel_path, kind=kind, name=name, format="csv"))
        writer, cols, known = self._open[key]
        count = 0
        for row in rows:
            unknown = row.keys() - known
            if unknown:
                raise ValueError(f"{name}: unknown column(s) {sorted(unknown)}")
            writer.writerow([cell_text(row.get(c)) for c in cols])
            count += 1
        return count

    def write_manifest(self) -> Path:
        path = self.root / MANIFEST_NAME
        path.write_text(self.manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path


def read_manifest(root: str | Path) -> Manifest:
    """Read and validate ``manifest.json`` of a bundle folder."""
    path = Path(root) / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no manifest; a bundle folder needs {MANIFEST_NAME} (see `orggraph template`)")
    return Manifest.model_validate(json.loads(path.read_text(encoding="utf-8-sig")))


def iter_manifest_files(manifest: Manifest) -> Iterator[BundleFile]:
    """Yield the manifest's files in load order: node labels in model order, then relationship types."""
    node_order = {label: i for i, label in enumerate(NODE_MODELS)}
    rel_order = {t: i for i, t in enumerate(REL_MODELS)}
    yield from sorted((f for f in manifest.files if f.kind == "node"), key=lambda f: node_order[f.name])
    yield from sorted((f for f in manifest.files if f.kind == "rel"), key=lambda f: rel_order[f.name])
