"""Validate a whole bundle before anything touches the database, reporting every problem at once.

Checks, in one streaming pass over the files (plus a second pass over ``COVERS`` files, whose
spatial check needs every organization's anchor first):

* each row against the pydantic model of its label or type, with human reasons;
* ids unique across the bundle (ids are graph-wide), and not clashing with the graph's labels;
* relationship ends: known ids (bundle or ``known_ids``), loaded rows, and allowed label pairs;
* duplicate relationship rows (same type, source and target);
* ``REPORTS_TO``: one current parent per organization and no cycles;
* ``COVERS``: an organization anchored in a subdistrict covers nothing in another one.

Memory stays bounded by the number of ids, not rows: an id->label dict, a few per-org maps, the
place->community links and a 64-bit hash per relationship row for the duplicate check.

A plain CSV file is first tried column-at-a-time: ``loaders.columnar`` checks each row's own rules and
``loaders.columnar_state`` the ones above that need the run's state; a file either proves valid there as a
whole or is read row by row here, which names every problem.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from graph.model import NODE_MODELS, REL_MODELS, Node, Rel, check_id, node_properties, rel_properties
from loaders import columnar_state
from loaders.bundle import MANIFEST_NAME, BundleFile, Manifest, iter_manifest_files, read_manifest
from loaders.place_links import LOCATED, multi_add, multi_get
from loaders.problems import DEFAULT_PROBLEM_LIMIT, Problem, ProblemLog
from loaders.readers import DEFAULT_MAX_FIELD, Row, RowReader, problem_file
from loaders.spool import RecordSpool

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.:-]*")
_BOOL_WORDS = {"是": "true", "否": "false"}
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_ANCHOR_LEVELS = {"街道党工委": "Subdistrict", "社区党委": "Community"}
"""Org level -> the label whose ``COVERS`` anchors an organization of that level in space."""


@dataclass
class ValidationReport:
    """Everything ``validate_bundle`` learnt: problems, row counts, the bundle's ids and labels."""

    root: Path
    manifest: Manifest | None
    log: ProblemLog
    counts: dict[str, int] = field(default_factory=dict)
    id_labels: dict[str, str] = field(default_factory=dict)
    rejected_ids: set[str] = field(default_factory=set)
    known_ids: Mapping[str, str] = field(default_factory=dict)
    spool: RecordSpool | None = None
    """The valid rows as validated, when ``validate_bundle`` was given a spool (see :meth:`valid_records`)."""

    @property
    def problems(self) -> list[Problem]:
        """The problems kept (the first ``log.limit``); ``problem_count`` counts them all."""
        return self.log.problems

    @property
    def problem_count(self) -> int:
        return self.log.total

    @property
    def ok(self) -> bool:
        """True when the bundle can be loaded as a whole, without skipping anything."""
        return self.manifest is not None and self.log.total == 0

    def label_of(self, node_id: str) -> str | None:
        """The label of an id defined in the bundle or, failing that, already in the graph."""
        return self.id_labels.get(node_id) or self.known_ids.get(node_id)

    def is_rejected(self, bundle_file: BundleFile, row: int) -> bool:
        """Whether that row of that file has a problem (and is skipped by ``iter_valid_records``)."""
        return self.log.is_rejected(problem_file(bundle_file), row)

    def spooled_values(self, bundle_file: BundleFile, pair: tuple[str, str] | None = None) -> Iterator[tuple[Any, ...]]:
        """The valid rows of a file (of a relationship file: between one ``pair`` of labels) from the spool,
        as tuples in :func:`record_fields` order, in file order. Needs a report made with a spool."""
        if self.spool is None:
            raise ValueError("this report has no spool: pass one to validate_bundle")
        file = problem_file(bundle_file)
        rejected = self.log.rejected_rows(file)
        if bundle_file.kind == "node":
            return self.spool.node_values(file, rejected)
        if pair is None:
            return itertools.chain.from_iterable(self.spool.rel_values(file, p, rejected) for p in self.spool.rel_pairs(file))
        return self.spool.rel_values(file, pair, rejected)

    def spooled_batches(self, bundle_file: BundleFile, pair: tuple[str, str] | None = None) -> Iterator[Any] | None:
        """The valid rows of a file (of a relationship file: between ``pair``) as Arrow record batches, when the
        column-at-a-time path validated the file (``loaders.columnar``); ``None`` when it did not."""
        if self.spool is None:
            return None
        file = problem_file(bundle_file)
        rejected = self.log.rejected_rows(file)
        if bundle_file.kind == "node":
            return self.spool.node_batches(file, rejected)
        assert pair is not None
        return self.spool.rel_batches(file, pair, rejected)

    def spooled_pairs(self, bundle_file: BundleFile) -> list[tuple[str, str]]:
        """The (source label, target label) pairs of the spooled rows of a relationship file."""
        if self.spool is None:
            raise ValueError("this report has no spool: pass one to validate_bundle")
        return self.spool.rel_pairs(problem_file(bundle_file))

    def valid_records(self, bundle_file: BundleFile) -> Iterator[dict[str, Any]]:
        """The records of one file that have no problem, as ``iter_valid_records`` gives them (without row numbers).

        From the spool when there is one (the rows exactly as validated, nothing read twice), otherwise
        by reading the file again.
        """
        if self.spool is None:
            return (record for _, record in iter_valid_records(self.root, bundle_file, self))
        fields = record_fields(bundle_file)
        return (dict(zip(fields, values, strict=True)) for values in self.spooled_values(bundle_file))


def validate_bundle(root: str | Path, known_ids: Mapping[str, str] | None = None, *,
                    max_problems: int = DEFAULT_PROBLEM_LIMIT, max_field: int = DEFAULT_MAX_FIELD,
                    spool: RecordSpool | None = None,
                    on_file: Callable[[BundleFile, ValidationReport], None] | None = None) -> ValidationReport:
    """Run every check over the bundle in ``root`` and return all problems found.

    ``known_ids`` maps ids already in the graph to their labels: relationships may point at them.
    With a ``spool``, every row that passes its checks is kept there for the writer
    (:meth:`ValidationReport.valid_records`), so the bundle is read and validated once.
    Never raises on bad data, even a bad manifest: that too becomes a problem.
    ``on_file`` is called after each file with the report so far, whose spool then holds that file's valid
    rows (the checks made after the last file may still reject some: see ``ValidationReport.ok`` at the end).
    """
    validator = _Validator(Path(root), known_ids or {}, max_problems, max_field, spool)
    validator.on_file = on_file
    return validator.run()


def record_fields(bundle_file: BundleFile) -> tuple[str, ...]:
    """The keys of the records of a bundle file, in order: the model's fields, plus the end labels of a relationship."""
    if bundle_file.kind == "node":
        return tuple(NODE_MODELS[bundle_file.name].model_fields)
    return (*REL_MODELS[bundle_file.name].model_fields, "source_label", "target_label")


def iter_valid_records(root: str | Path, bundle_file: BundleFile, report: ValidationReport | None = None, *,
                       known_ids: Mapping[str, str] | None = None,
                       max_field: int = DEFAULT_MAX_FIELD) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row_number, record)`` for the rows of one file that have no problem, ready for the writer.

    Records are plain Python values (date, int, bool, str, None) in model field order; relationship
    records also carry ``source_label`` and ``target_label``. Rows the report rejected are skipped,
    which is what loading with skip-invalid needs. Pass the report you already have: without one,
    the whole bundle is validated first (with ``known_ids``).
    """
    root = Path(root)
    if report is None:
        report = validate_bundle(root, known_ids, max_field=max_field)
    file = problem_file(bundle_file)
    rejected = report.log.rejected_rows(file)
    scratch = ProblemLog(limit=0)
    model: type[BaseModel] = NODE_MODELS[bundle_file.name] if bundle_file.kind == "node" else REL_MODELS[bundle_file.name]
    kinds = _field_kinds(bundle_file)
    for row_number, values in RowReader(root, bundle_file, scratch, max_field=max_field):
        if row_number in rejected or scratch.is_rejected(file, row_number):
            continue
        data, errors = _prepare(values, kinds)
        if errors:
            continue
        try:
            record = model.model_validate(data).model_dump()
        except ValidationError:
            continue  # the file changed since it was validated: never load an unchecked row
        if bundle_file.kind == "rel":
            record["source_label"] = report.label_of(record["source"])
            record["target_label"] = report.label_of(record["target"])
        yield row_number, record


# ---------------------------------------------------------------- row checks


def _field_kinds(bundle_file: BundleFile) -> Mapping[str, type]:
    if bundle_file.kind == "node":
        return node_properties(bundle_file.name)
    return rel_properties(bundle_file.name)


class _Plan(NamedTuple):
    """What the per-row checks of one file need, worked out once per file."""

    kinds: Mapping[str, type]
    bools: tuple[str, ...]
    dates: tuple[str, ...]
    ints: tuple[str, ...]
    validate: Any  # the model's pydantic-core validate_python


def _plan(bundle_file: BundleFile) -> _Plan:
    kinds = _field_kinds(bundle_file)
    model: type[BaseModel] = NODE_MODELS[bundle_file.name] if bundle_file.kind == "node" else REL_MODELS[bundle_file.name]
    return _Plan(kinds, tuple(c for c, k in kinds.items() if k is bool), tuple(c for c, k in kinds.items() if k is dt.date),
                 tuple(c for c, k in kinds.items() if k is int), model.__pydantic_validator__.validate_python)


def _prepare_fast(values: Row, plan: _Plan) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """:func:`_prepare`, with the per-column work only for the boolean and date columns (the same result)."""
    data = {column: value for column, value in values.items() if value is not None}
    for column in plan.dates:
        value = data.get(column)
        if value is not None and not _DATE.fullmatch(value):
            return _prepare(values, plan.kinds)  # a bad date: the reference version reports it, in column order
    for column in plan.bools:
        value = data.get(column)
        if value is not None and value in _BOOL_WORDS:
            data[column] = _BOOL_WORDS[value]
    return data, []


def _prepare(values: Row, kinds: Mapping[str, type]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Drop empty cells (so model defaults apply), read 是/否 as booleans and insist on ISO dates.

    pydantic alone would also take ``1514764800`` or ``20180101`` as a date (Unix time): users meant
    something else, so dates must be ``YYYY-MM-DD``.
    """
    data: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    for column, value in values.items():
        if value is None:
            continue
        kind = kinds.get(column)
        if kind is bool:
            value = _BOOL_WORDS.get(value, value)
        elif kind is dt.date and not _DATE.fullmatch(value):
            errors.append((column, f"{column}: {_show(value)} is not a date (YYYY-MM-DD)"))
            continue
        data[column] = value
    return data, errors


def _show(value: Any) -> str:
    """Quote a bad value for a message, shortened: it may be huge or hold control characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > 60:
        text = text[:57] + "..."
    return repr(text)


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    for arg in get_args(annotation):
        found = _literal_values(arg)
        if found:
            return found
    return ()


def _humanize(model: type[BaseModel], error: ErrorDetails) -> tuple[str | None, str]:
    """Turn one pydantic error into ``(column, reason)`` a person can act on."""
    loc = error["loc"]
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if not loc:  # a model validator: its message starts with the field it is about
        message = error["msg"].removeprefix("Value error, ")
        first = message.split(" ", 1)[0]
        return (first if first in model.model_fields else None), message
    column = str(loc[0])
    shown = _show(error.get("input"))
    if kind == "missing":
        return column, f"{column}: a value is required"
    if kind == "extra_forbidden":
        return column, f"unknown column {column!r}; the columns are: {', '.join(model.model_fields)}"
    if kind == "literal_error":
        allowed = _literal_values(model.model_fields[column].annotation) if column in model.model_fields else ()
        choices = ", ".join(map(str, allowed)) if allowed else ctx.get("expected", "")
        return column, f"{column}: {shown} is not one of {choices}"
    if kind.startswith(("date_", "datetime_")):
        return column, f"{column}: {shown} is not a date (YYYY-MM-DD)"
    if kind.startswith("int_"):
        return column, f"{column}: {shown} is not a whole number"
    if kind.startswith("bool_"):
        return column, f"{column}: {shown} is not a yes/no value (true/false, 1/0, 是/否)"
    bounds = {"greater_than_equal": ("at least", "ge"), "greater_than": ("more than", "gt"),
              "less_than_equal": ("at most", "le"), "less_than": ("less than", "lt")}
    if kind in bounds:
        words, key = bounds[kind]
        return column, f"{column}: {shown} must be {words} {ctx.get(key)}"
    if kind == "string_too_short":
        return column, f"{column}: must not be empty"
    if kind == "string_too_long":
        return column, f"{column}: {len(str(error.get('input')))} characters is too long (at most {ctx.get('max_length')})"
    if kind == "string_pattern_mismatch":
        return column, f"{column}: {shown} is not a valid id (letters, digits and _ . : - only, starting with a letter or digit)"
    if kind == "value_error":
        return column, f"{column}: {shown}: {error['msg'].removeprefix('Value error, ')}"
    return column, f"{column}: {shown}: {error['msg']}"


def _valid_id(value: str | None, label: str | None = None) -> bool:
    """Whether a raw id cell is a syntactically valid id (and fits ``label``); the model reports why not."""
    if value is None or len(value) > 64 or not _ID.fullmatch(value):
        return False
    return label is None or check_id(label, value) is None


def _ids(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


# ------------------------------------------------------------------ validator


class _Validator:
    """State of one validation run. Locations are packed as ``file_index << 32 | row`` to save memory."""

    def __init__(self, root: Path, known: Mapping[str, str], max_problems: int, max_field: int,
                 spool: RecordSpool | None = None) -> None:
        self.root = root
        self.spool = spool
        self.known = known
        self.max_field = max_field
        self.log = ProblemLog(limit=max_problems)
        self.counts: dict[str, int] = {}
        self.files: list[str] = []
        self.id_labels: dict[str, str] = {}
        self.first_seen: dict[str, int] = {}
        self.rejected_ids: dict[str, int] = {}
        self.org_level: dict[str, str] = {}
        self.part_of: dict[str, str | tuple[str, ...]] = {}
        self.located_in: dict[str, str | tuple[str, ...]] = {}
        self.parent: dict[str, tuple[str, int]] = {}
        self.anchors: dict[str, str | tuple[str, ...]] = {}
        self.rel_seen: dict[str, dict[int, int]] = {}
        self.covers_files: list[BundleFile] = []
        self.files_per_name: dict[str, int] = {}
        self.on_file: Callable[[BundleFile, ValidationReport], None] | None = None
        self._anchor_cache: dict[str, tuple[frozenset[str], str] | None] = {}

    def where(self, packed: int) -> str:
        return f"{self.files[packed >> 32]} row {packed & 0xFFFFFFFF}"

    def run(self) -> ValidationReport:
        manifest = self._manifest()
        if manifest is not None:
            for bundle_file in iter_manifest_files(manifest):
                self.files_per_name[bundle_file.name] = self.files_per_name.get(bundle_file.name, 0) + 1
            for bundle_file in iter_manifest_files(manifest):
                self.counts.setdefault(bundle_file.name, 0)
                self._file(bundle_file)
                if self.on_file is not None:
                    self.on_file(bundle_file, self._report(manifest))
            self._cycles()
            for bundle_file in self.covers_files:
                self._covers_places(bundle_file)
        return self._report(manifest)

    def _report(self, manifest: Manifest | None) -> ValidationReport:
        """The report so far (its log, counts, ids and spool are the run's own, and go on growing)."""
        return ValidationReport(root=self.root, manifest=manifest, log=self.log, counts=self.counts,
                                id_labels=self.id_labels, rejected_ids=set(self.rejected_ids), known_ids=self.known,
                                spool=self.spool)

    def _manifest(self) -> Manifest | None:
        try:
            manifest = read_manifest(self.root)
        except FileNotFoundError as exc:
            self.log.add(MANIFEST_NAME, None, None, str(exc))
            return None
        except ValidationError as exc:
            for error in exc.errors():
                self.log.add(MANIFEST_NAME, None, ".".join(map(str, error["loc"])) or None, error["msg"])
            return None
        except ValueError as exc:  # JSON syntax or encoding
            self.log.add(MANIFEST_NAME, getattr(exc, "lineno", None), None, f"not valid JSON: {exc}")
            return None
        except OSError as exc:
            self.log.add(MANIFEST_NAME, None, None, f"cannot read the manifest: {exc}")
            return None
        seen: set[str] = set()
        for bundle_file in manifest.files:
            key = problem_file(bundle_file)
            if key in seen:
                self.log.add(MANIFEST_NAME, None, "files", f"{key} is listed twice")
            seen.add(key)
        return manifest

    def _file(self, bundle_file: BundleFile) -> None:
        file = problem_file(bundle_file)
        file_index = len(self.files)
        self.files.append(file)
        if bundle_file.kind == "rel" and bundle_file.name == "COVERS":
            self.covers_files.append(bundle_file)
        if columnar_state.validate_file(self, bundle_file, file, file_index):
            return  # proven valid column-wise; its state is taken in
        model: type[Node] | type[Rel]
        model = NODE_MODELS[bundle_file.name] if bundle_file.kind == "node" else REL_MODELS[bundle_file.name]
        plan = _plan(bundle_file)
        reader = RowReader(self.root, bundle_file, self.log, max_field=self.max_field)
        spool, log, is_node, name = self.spool, self.log, bundle_file.kind == "node", bundle_file.name
        values_of = operator.attrgetter(*model.model_fields)  # the record's values in field order, at C speed
        for row_number, values in reader:
            self.counts[name] += 1
            packed = file_index << 32 | row_number
            record = self._check_row(model, plan, reader, file, row_number, values)
            if is_node:
                self._node(name, file, row_number, packed, values, record)
                if spool is not None and record is not None and not log.is_rejected(file, row_number):
                    spool.add_node(file, row_number, values_of(record))
            else:
                self._rel(name, file, row_number, packed, values, record)
                if spool is not None and record is not None and not log.is_rejected(file, row_number):
                    fields = values_of(record)  # a relationship's fields start with source and target
                    source_label, target_label = self.label_of(fields[0]), self.label_of(fields[1])
                    spool.add_rel(file, (str(source_label), str(target_label)), row_number, (*fields, source_label, target_label))

    def label_of(self, node_id: str | None) -> str | None:
        """As :meth:`ValidationReport.label_of`: the bundle's label of an id, else the graph's."""
        if node_id is None:
            return None
        return self.id_labels.get(node_id) or self.known.get(node_id)

    def _check_row(self, model: type[BaseModel], plan: _Plan, reader: RowReader, file: str,
                   row_number: int, values: Row) -> BaseModel | None:
        """Validate one row against its model, reporting every error; return the record or ``None``."""
        reader_rejected = self.log.is_rejected(file, row_number)
        data, errors = _prepare_fast(values, plan)
        for bad_column, why in errors:
            self.log.add(file, row_number, bad_column, why)
        record: BaseModel | None = None
        try:
            record = plan.validate(data)  # model.model_validate(data), without its Python-level wrapper
        except ValidationError as exc:
            silent = {c for c, _ in errors} | set(reader.missing_columns)
            for error in exc.errors():
                column, reason = _humanize(model, error)
                if error["type"] == "missing" and (column in silent or (reader_rejected and column not in values)):
                    continue  # already said once: the header lacks the column, or the reader dropped the value
                self.log.add(file, row_number, column, reason)
        if record is not None:
            for name in plan.ints:
                value = getattr(record, name, None)
                if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
                    self.log.add(file, row_number, name, f"{name}: {_show(values.get(name))} is too large (the database stores "
                                                         "64-bit integers)")
                    record = None
                    break  # the record is gone: the reference version reported only the first
        if record is None or errors or reader_rejected:
            self.log.reject(file, row_number)
            return None
        return record

    # ------------------------------------------------------------------ nodes

    def _node(self, label: str, file: str, row_number: int, packed: int, values: Row, record: BaseModel | None) -> None:
        node_id = values.get("id")
        if node_id is None or not _valid_id(node_id, label):
            return  # the model reported the id
        if node_id in self.id_labels:
            self.log.add(file, row_number, "id", f"duplicate id {node_id!r}: already used by the {self.id_labels[node_id]} "
                                                 f"in {self.where(self.first_seen[node_id])}")
            return
        graph_label = self.known.get(node_id)
        if graph_label is not None and graph_label != label:
            self.log.add(file, row_number, "id",
                         f"id {node_id!r} is already a {graph_label} in the graph; ids are unique across labels")
        self.id_labels[node_id] = label
        self.first_seen[node_id] = packed
        if self.log.is_rejected(file, row_number):
            self.rejected_ids[node_id] = packed
        elif label == "PartyOrg" and record is not None:
            self.org_level[node_id] = str(getattr(record, "level", ""))

    # ---------------------------------------------------------- relationships

    def _rel(self, rel_type: str, file: str, row_number: int, packed: int, values: Row, record: BaseModel | None) -> None:
        model = REL_MODELS[rel_type]
        source, target = values.get("source"), values.get("target")
        source_label = self._end(file, row_number, "source", source)
        target_label = self._end(file, row_number, "target", target)
        if source_label and target_label and (source_label, target_label) not in model.endpoints:
            allowed = "; ".join(f"{a} → {b}" for a, b in model.endpoints)
            column = "target" if any(a == source_label for a, _ in model.endpoints) else "source"
            self.log.add(file, row_number, column,
                         f"{rel_type} cannot link {source_label} {source!r} → {target_label} {target!r}; allowed: {allowed}")
        if source is None or target is None:
            return
        key = hash((source, target))  # 64 bits, stable within the run: a set of keys, not of rows
        seen = self.rel_seen.setdefault(rel_type, {})
        if key in seen:
            self.log.add(file, row_number, None, f"duplicate {rel_type} {source} → {target}: same as {self.where(seen[key])}")
        else:
            seen[key] = packed
        if record is None or self.log.is_rejected(file, row_number):
            return
        current = getattr(record, "until", None) is None
        if rel_type == "PART_OF" and source_label == "Community" and target_label == "Subdistrict":
            multi_add(self.part_of, source, target)
        elif rel_type == "LOCATED_IN" and source_label in LOCATED:
            multi_add(self.located_in, source, target)
        elif rel_type == "REPORTS_TO" and current:
            self._parent(file, row_number, packed, source, target)
        elif rel_type == "COVERS" and current and self.anchors_org(source, target_label):
            multi_add(self.anchors, source, target)

    def anchors_org(self, org: str, place_label: str | None) -> bool:
        """Whether a current COVERS of this place anchors the org: 街道党工委→Subdistrict, 社区党委→Community."""
        anchor_label = _ANCHOR_LEVELS.get(self.org_level.get(org, ""))
        return anchor_label is not None and place_label == anchor_label

    def _end(self, file: str, row_number: int, column: str, node_id: str | None) -> str | None:
        """Resolve a relationship end to its label, reporting unknown or rejected ids."""
        if node_id is None:
            return None  # missing: the model reported it
        label = self.id_labels.get(node_id)  # the bundle's ids were checked to be well-formed
        if label is None:
            if not _valid_id(node_id):
                return None  # malformed: the model reported it
            label = self.known.get(node_id)
            if label is None:
                where = "in this bundle nor in the graph" if self.known else "in this bundle"
                self.log.add(file, row_number, column, f"{column}: unknown id {node_id!r}: not defined {where}")
            return label
        if node_id in self.rejected_ids:
            self.log.add(file, row_number, column,
                         f"{column}: {node_id!r} is not loaded: its row ({self.where(self.rejected_ids[node_id])}) has problems")
        return label

    def _parent(self, file: str, row_number: int, packed: int, child: str, parent: str) -> None:
        existing = self.parent.get(child)
        if existing is None:
            self.parent[child] = (parent, packed)
        elif existing[0] != parent:
            self.log.add(file, row_number, "target",
                         f"{child!r} already reports to {existing[0]!r} ({self.where(existing[1])}); an organization has one "
                         "current parent (set 'until' on the old link)")

    def _cycles(self) -> None:
        """Report each ``REPORTS_TO`` cycle once, at its first row, and drop that link from the tree."""
        walk_of: dict[str, int] = {}
        for walk, start in enumerate(list(self.parent)):
            path: list[str] = []
            node: str | None = start
            while node is not None and node not in walk_of:
                walk_of[node] = walk
                path.append(node)
                node = self.parent[node][0] if node in self.parent else None
            if node is None or walk_of[node] != walk:
                continue
            cycle = path[path.index(node):]
            first = min(cycle, key=lambda n: self.parent[n][1])
            at = cycle.index(first)
            ordered = cycle[at:] + cycle[:at]
            packed = self.parent[first][1]
            self.log.add(self.files[packed >> 32], packed & 0xFFFFFFFF, "target",
                         f"REPORTS_TO cycle: {' → '.join([*ordered, ordered[0]])}")
            del self.parent[first]

    # ------------------------------------------------------------ COVERS places

    def _subdistricts(self, node_id: str, label: str | None, depth: int = 0) -> frozenset[str]:
        """The subdistricts a place lies in, through LOCATED_IN and PART_OF; empty when unknown."""
        if label == "Subdistrict":
            return frozenset({node_id})
        if label == "Community":
            return frozenset(multi_get(self.part_of, node_id))
        if label in LOCATED and depth < 3:
            found: set[str] = set()
            for container in multi_get(self.located_in, node_id):
                found |= self._subdistricts(container, self.id_labels.get(container) or self.known.get(container), depth + 1)
            return frozenset(found)
        return frozenset()

    def _anchor(self, org: str | None) -> tuple[frozenset[str], str] | None:
        """The subdistricts an organization belongs to, from itself or its nearest anchored ancestor."""
        if org is None:
            return None
        if org in self._anchor_cache:
            return self._anchor_cache[org]
        seen: set[str] = set()
        node: str | None = org
        result: tuple[frozenset[str], str] | None = None
        while node is not None and node not in seen:
            seen.add(node)
            own: set[str] = set()
            for place in multi_get(self.anchors, node):
                own |= self._subdistricts(place, self.id_labels.get(place) or self.known.get(place))
            if own:
                result = (frozenset(own), node)
                break
            node = self.parent[node][0] if node in self.parent else None
        self._anchor_cache[org] = result
        return result

    def _covers_rows(self, bundle_file: BundleFile, file: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """The rows of a COVERS file again: from the spool when the column-at-a-time path took the file (its rows
        are all there, as read), else from the file."""
        spooled = self.spool.rel_columns(file, ("source", "target", "until")) if self.spool is not None else None
        if spooled is None:
            yield from RowReader(self.root, bundle_file, ProblemLog(limit=0), max_field=self.max_field)
            return
        for row_number, source, target, until in spooled:
            yield row_number, {"source": source, "target": target, "until": until}

    def _covers_places(self, bundle_file: BundleFile) -> None:
        """Second pass over a COVERS file: nothing outside the organization's subdistrict."""
        file = problem_file(bundle_file)
        for row_number, values in self._covers_rows(bundle_file, file):
            org, place = values.get("source"), values.get("target")
            if org is None or place is None or self.log.is_rejected(file, row_number):
                continue
            place_label = self.id_labels.get(place) or self.known.get(place)
            is_anchor = values.get("until") is None and self.anchors_org(org, place_label)
            # an anchoring row is checked against the parent's area: 社区党委 under the wrong 街道党工委
            start = (self.parent[org][0] if org in self.parent else None) if is_anchor else org
            anchor = self._anchor(start)
            if anchor is None:
                continue  # no anchored ancestor (e.g. industry committees): may cover anywhere
            allowed, via = anchor
            where = self._subdistricts(place, place_label)
            if not where or where & allowed:
                continue
            through = "" if via == org else f" through {via!r}"
            self.log.add(file, row_number, "target",
                         f"{place_label} {place!r} is in subdistrict {_ids(where)}, but {org!r} belongs to subdistrict "
                         f"{_ids(allowed)}{through}: it cannot cover a place in another subdistrict")


__all__ = ["ValidationReport", "iter_valid_records", "validate_bundle"]
