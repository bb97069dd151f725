"""Write a bundle as the CSV files of Neo4j's offline bulk importer, ``neo4j-admin database import full``.

The bulk importer builds a fresh store one or two orders of magnitude faster than transactional
writes, but it checks almost nothing. So the bundle goes through the loader's own validation first
(``loaders.validate``, every problem reported with file, row, column and reason, nothing written on
any problem), and the files hold exactly what ``orggraph load`` would write into an empty Neo4j:

* one header file and one data file per node label, a global id space (ids are graph-wide unique),
  ``:LABEL`` = the label plus ``Entity``, typed columns from the model (``:long``, ``:double``,
  ``:boolean``, ``:date``) and the ``scope`` bookkeeping property;
* one header file and one data file per relationship type: ``:START_ID``, ``:END_ID``, ``:TYPE``,
  the typed properties and ``scope``;
* the ``Dataset`` node the loader writes for the manifest;
* ``neo4j-admin.json`` (the files, for :func:`graph.neo4j_local.import_arguments`) and
  ``schema.cypher`` (the indexes and constraints, to run once the server is up: Neo4j 5 Community's
  importer creates none).

Streaming: validation spools the valid rows to disk (``loaders.spool``) and the writer replays them,
so memory holds ids, not rows. The output appears under its final name only when complete.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.csv as pacsv

from graph.model import NODE_MODELS, REL_MODELS
from graph.neo4j_local import IMPORT_PLAN_NAME, import_arguments
from graph.schema import ENTITY_LABEL, neo4j_ddl, stored_node_properties, stored_rel_properties
from loaders.bundle import BundleFile, Manifest, iter_manifest_files
from loaders.load import LoadRefused
from loaders.problems import write_rejects_csv
from loaders.spool import RecordSpool
from loaders.validate import ValidationReport, record_fields, validate_bundle
from loaders.writes import dataset_row, node_rows, rel_rows, stored_batch

ADMIN_TYPES: dict[type, str] = {str: "string", int: "long", float: "double", bool: "boolean", dt.date: "date"}
"""neo4j-admin column type of each model type: the types the driver gives Neo4j on a normal load."""
SCHEMA_NAME = "schema.cypher"
Cell = Callable[[Any], str]


class ExportTargetError(ValueError):
    """The output directory cannot be used (it holds files, or its path would confuse neo4j-admin)."""


@dataclass
class AdminExport:
    """What :func:`export_for_neo4j_admin` wrote."""

    out_dir: Path
    manifest: Manifest
    nodes: dict[str, int] = field(default_factory=dict)
    """Rows per label, the ``Dataset`` node included."""
    relationships: dict[str, int] = field(default_factory=dict)
    multiline_fields: bool = False
    """Some text holds a line break: neo4j-admin then needs ``--multiline-fields=true`` (slower)."""
    validate_seconds: float = 0.0
    write_seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.nodes.values()) + sum(self.relationships.values())

    def command(self, database: str = "neo4j") -> list[str]:
        """The ``neo4j-admin`` command line that imports these files into ``database``."""
        return ["neo4j-admin", *import_arguments(self.out_dir, database)]


def export_for_neo4j_admin(bundle: str | Path, out_dir: str | Path, *, rejects_path: Path | None = None) -> AdminExport:
    """Validate the bundle at ``bundle`` like ``orggraph load`` and write it for neo4j-admin into ``out_dir``.

    Raises :class:`~loaders.load.LoadRefused` (problems also in ``rejects.csv``, as the loader writes
    them) when any row is invalid, and :class:`ExportTargetError` when ``out_dir`` is not usable; in
    both cases ``out_dir`` is not created.
    """
    root, out_dir = Path(bundle), Path(out_dir).resolve()
    _check_target(out_dir)
    with tempfile.TemporaryDirectory(prefix="orggraph-spool-") as spool_dir:
        spool = RecordSpool(spool_dir)
        try:
            # A fresh store holds no ids, so relationships may point only at the bundle's own nodes.
            started = time.perf_counter()
            report = validate_bundle(root, {}, spool=spool)
            validated = time.perf_counter()
            if not report.ok:
                rejects_path = rejects_path or root / "rejects.csv"
                write_rejects_csv(rejects_path, report.log)
                raise LoadRefused(report, rejects_path)
            assert report.manifest is not None
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            # Written beside the target and renamed at the end: a failure leaves no half-written directory.
            partial = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
            try:
                result = _write_all(report, report.manifest, partial)
                _check_target(out_dir)  # again: someone may have written there meanwhile
                partial.rename(out_dir)  # replaces an empty directory atomically
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
        finally:
            spool.close()
    result.out_dir = out_dir
    result.validate_seconds, result.write_seconds = validated - started, time.perf_counter() - validated
    return result


def _check_target(out_dir: Path) -> None:
    if "," in str(out_dir):
        raise ExportTargetError(f"{out_dir}: neo4j-admin separates file names with ',', so the path must not hold one")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ExportTargetError(f"{out_dir} exists and is not an empty directory; choose a new one")


def _write_all(report: ValidationReport, manifest: Manifest, out: Path) -> AdminExport:
    result = AdminExport(out_dir=out, manifest=manifest)
    files = list(iter_manifest_files(manifest))
    (out / "nodes").mkdir()
    (out / "rels").mkdir()
    plan: dict[str, Any] = {"format_version": 1, "bundle": str(report.root.resolve()), "scope": manifest.scope,
                            "nodes": [], "relationships": []}
    for label in NODE_MODELS:
        count = _write_pair(out, f"nodes/{label}", _node_header(label), _node_parts(report, files, label, result))
        if count:
            result.nodes[label] = count
            plan["nodes"].append({"label": label, "header": f"nodes/{label}.header.csv", "data": f"nodes/{label}.csv",
                                  "rows": count})
    for rel_type in REL_MODELS:
        count = _write_pair(out, f"rels/{rel_type}", _rel_header(rel_type), _rel_parts(report, files, rel_type, result))
        if count:
            result.relationships[rel_type] = count
            plan["relationships"].append({"type": rel_type, "header": f"rels/{rel_type}.header.csv",
                                          "data": f"rels/{rel_type}.csv", "rows": count})
    plan["multiline_fields"] = result.multiline_fields
    plan["schema"] = SCHEMA_NAME
    (out / IMPORT_PLAN_NAME).write_text(json.dumps(plan, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / SCHEMA_NAME).write_text("".join(f"{s};\n" for s in neo4j_ddl()), encoding="utf-8")
    return result


LINES_PER_WRITE = 4096
Part: TypeAlias = "Iterable[str] | pa.RecordBatch"
"""A piece of a data file: text lines, or a record batch in the file's column order (written by Arrow's CSV writer)."""


def _node_parts(report: ValidationReport, files: list[BundleFile], label: str, result: AdminExport) -> Iterator[Part]:
    """The data of ``label``, as the loader would write it, from every bundle file of it (a label may be split).

    ``Dataset`` gets the manifest's record first, replacing a bundle row of the same id, as the loader's
    final ``MERGE`` of that record does. A file the column-at-a-time path validated is written from its
    record batches, without a Python value made (except for a label with a ``float``: Java spells the
    non-finite ones differently, so those take the text lines).
    """
    assert report.manifest is not None
    scope = report.manifest.scope
    columns = stored_node_properties(label)
    dataset = dataset_row(report.manifest) if label == "Dataset" else None
    if dataset is not None:
        yield _node_lines(label, [dataset], result)
    for bundle_file in files:
        if bundle_file.kind != "node" or bundle_file.name != label:
            continue
        batches = report.spooled_batches(bundle_file) if dataset is None and _arrow_writes(columns) else None
        if batches is not None:
            order = ["id", *(p for p in columns if p != "id")]
            yield from (_with_constant(stored_batch(columns, b, scope).select(order), ":LABEL", f"{label};{ENTITY_LABEL}")
                        for b in batches)
            continue
        rows = node_rows(label, record_fields(bundle_file), report.spooled_values(bundle_file), scope)
        yield _node_lines(label, (r for r in rows if dataset is None or r["id"] != dataset["id"]), result)


def _rel_parts(report: ValidationReport, files: list[BundleFile], rel_type: str, result: AdminExport) -> Iterator[Part]:
    """The data of ``rel_type``, as the loader would write it, from every bundle file of it."""
    assert report.manifest is not None
    scope = report.manifest.scope
    props = stored_rel_properties(rel_type)
    columns = {"source": str, "target": str, **props}
    for bundle_file in files:
        if bundle_file.kind != "rel" or bundle_file.name != rel_type:
            continue
        for pair in report.spooled_pairs(bundle_file):
            batches = report.spooled_batches(bundle_file, pair) if _arrow_writes(columns) else None
            if batches is None:
                values = report.spooled_values(bundle_file, pair)
                yield _rel_lines(rel_type, rel_rows(rel_type, record_fields(bundle_file), values, scope), result)
                continue
            for batch in batches:
                shaped = _with_constant(stored_batch(columns, batch, scope), ":TYPE", rel_type)
                yield shaped.select(["source", "target", ":TYPE", *props])


def _arrow_writes(columns: Mapping[str, type]) -> bool:
    return float not in columns.values()


def _with_constant(batch: pa.RecordBatch, name: str, value: str) -> pa.RecordBatch:
    """``batch`` plus a column holding ``value`` in every row.

    No text of such a batch holds a line break (which would need ``--multiline-fields``): the column-at-a-time
    path takes only plain files, without quotes or a lone CR (``loaders.columnar``), so a field cannot span lines.
    """
    return batch.append_column(name, pa.array([value] * batch.num_rows, pa.string()))


def _write_pair(out: Path, stem: str, header: str, parts: Iterable[Part]) -> int:
    """Write ``stem.header.csv`` and ``stem.csv``; keep them only if there was a row. Returns the row count."""
    data_path = out / f"{stem}.csv"
    count = 0
    options = pacsv.WriteOptions(include_header=False)  # strings always quoted, a null an empty unquoted field
    with pa.OSFile(str(data_path), "wb") as sink:
        for part in parts:
            if isinstance(part, pa.RecordBatch):
                pacsv.write_csv(part, sink, options)
                count += part.num_rows
                continue
            lines = iter(part)
            while chunk := list(islice(lines, LINES_PER_WRITE)):  # one system call per chunk, not per line
                sink.write("".join(chunk).encode("utf-8"))
                count += len(chunk)
    if count:
        (out / f"{stem}.header.csv").write_text(header + "\n", encoding="utf-8")
    else:
        os.unlink(data_path)
    return count


# --------------------------------------------------------------------------------------- headers


def _typed(name: str, py_type: type) -> str:
    return name if py_type is str else f"{name}:{ADMIN_TYPES[py_type]}"


def _node_header(label: str) -> str:
    props = stored_node_properties(label)
    return ",".join(["id:ID", *(_typed(p, t) for p, t in props.items() if p != "id"), ":LABEL"])


def _rel_header(rel_type: str) -> str:
    props = stored_rel_properties(rel_type)
    return ",".join([":START_ID", ":END_ID", ":TYPE", *(_typed(p, t) for p, t in props.items())])


# ----------------------------------------------------------------------------------------- cells


def _cell_writer(py_type: type, result: AdminExport) -> Cell:
    """How a value of ``py_type`` is written; ``None`` is an empty unquoted field, which neo4j-admin reads as
    "no property" (as a null in the loader's ``SET`` leaves none), while a string is always quoted, so an
    empty string stays an empty string."""
    if py_type is str:
        def text(v: Any) -> str:
            if v is None:
                return ""
            if "\n" in v or "\r" in v:
                result.multiline_fields = True
            return '"' + v.replace('"', '""') + '"'
        return text
    if py_type is bool:
        return lambda v: "" if v is None else ("true" if v else "false")
    if py_type is float:
        return lambda v: "" if v is None else _double(v)
    if py_type is dt.date:
        return lambda v: "" if v is None else v.isoformat()
    return lambda v: "" if v is None else str(v)


def _double(value: float) -> str:
    """Python's shortest round-trip form; Java spells the non-finite values differently."""
    if math.isfinite(value):
        return repr(value)
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _node_lines(label: str, rows: Iterable[dict[str, Any]], result: AdminExport) -> Iterator[str]:
    """Data lines of ``label``: the id, the stored properties in header order, then the labels."""
    cells = [(p, _cell_writer(t, result)) for p, t in stored_node_properties(label).items() if p != "id"]
    labels = _quoted(f"{label};{ENTITY_LABEL}")
    for row in rows:
        yield ",".join([_quoted(row["id"]), *(cell(row[p]) for p, cell in cells), labels]) + "\n"


def _rel_lines(rel_type: str, rows: Iterable[dict[str, Any]], result: AdminExport) -> Iterator[str]:
    """Data lines of ``rel_type``: start id, end id, type, then the stored properties in header order."""
    cells = [(p, _cell_writer(t, result)) for p, t in stored_rel_properties(rel_type).items()]
    type_cell = _quoted(rel_type)
    for row in rows:
        yield ",".join([_quoted(row["source"]), _quoted(row["target"]), type_cell, *(cell(row[p]) for p, cell in cells)]) + "\n"
