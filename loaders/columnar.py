"""Column-at-a-time checks of a clean CSV file (pyarrow): the fast path of the validator for big bundles.

The row-by-row validator (``loaders.validate``) costs ~20 µs of Python per row. Most rows of a big bundle
are plain and valid, so a file is first read here, whole columns at a time, and every rule of the row's
pydantic model is checked as a vectorized expression. A file takes this path only when every one of its
rows is *surely* valid under the same rules and reads the same as the row reader would read it:

* the bytes are plain: no quote character (so no quoted commas or line breaks), no NUL, no lone carriage
  return, no blank line, one record per line; an encoding the row reader reads the same way;
* the header names only the model's columns, once each, with every required one;
* every cell is canonical: no surrounding white space, dates as ``YYYY-MM-DD``, whole numbers as digits,
  yes/no as ``true``/``false``/``1``/``0``/``是``/``否``; strings within their lengths and patterns; enum
  values among the choices; bounds, id forms and the model validators' cross-field rules hold.

Anything else (a quoted cell, ``TRUE``, `` 12``, a bad value) makes :func:`read_checked` return ``None``
and the validator reads the file row by row, which accepts what pydantic accepts and names every problem
with its row, column and reason. So this module never decides that a row is *invalid*; it only proves rows
valid, and a file it proves valid gives the same records (typed Arrow columns, in model field order) as the
row path would. Rules are derived from the models; a model with a field type or validator this module does
not know is never taken on (:func:`supports`), so a rule added to a model cannot be skipped here.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel
from pydantic.types import StringConstraints
from pydantic_core import PydanticUndefined

from graph.model import ID_PREFIXES, NBS_CODE_LENGTHS, NODE_MODELS, REL_MODELS
from loaders.bundle import BundleFile, columns_for
from loaders.readers import MAX_LINE_BYTES, detect_encoding, line_blocks, required_columns

ROW_COLUMN = "__row"
"""The column holding each record's row number (the header is row 1), as problems and rejects name it."""

BLOCK_BYTES = 16 << 20
"""Bytes pyarrow parses at a time: the file is streamed in record batches of about this size."""

_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "gb18030"})
_BOOLS = {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}
_INT_TEXT = r"^-?[0-9]{1,18}$"
_DATE_TEXT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# White space that Python's str.strip() removes (the row reader strips every cell): none may start or end a cell.
_SPACE = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_EDGE_SPACE = rf"^{_SPACE}|{_SPACE}$"

_KNOWN_FIELD_VALIDATORS = frozenset({"_id_fits_label"})
_DATE_ORDER = {"Community": ("valid_from", "valid_to"), "PartyOrg": ("founded", "dissolved")}
"""The (start, end) pair each node model's ``_dates_in_order`` checks; every relationship checks (since, until)."""
_KNOWN_MODEL_VALIDATORS = frozenset({"_dates_in_order", "_joined_after_birth"})


class Unsupported(Exception):
    """A model uses a type or validator this module has no vectorized rule for."""


@dataclass(frozen=True)
class ColumnRule:
    """What one field of a model accepts, and the Arrow type of its values."""

    name: str
    kind: Literal["str", "int", "bool", "date"]
    required: bool
    default: Any
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    ge: int | None = None
    le: int | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "date": pa.date32()}[self.kind]


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(get_args(annotation)) == 2:
            return args[0], True
        raise Unsupported(f"union {annotation}")
    return annotation, False


def _rule(name: str, field: Any) -> ColumnRule:
    annotation, _ = _unwrap_optional(field.annotation)  # None is the default of every optional field
    metadata = list(field.metadata)
    if get_origin(annotation) is Annotated:  # ``Text | None``: the constraints stay inside the union
        metadata += annotation.__metadata__
        annotation = get_args(annotation)[0]
    required = field.is_required()
    default = None if required or field.default is PydanticUndefined else field.default
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        if not all(isinstance(c, str) for c in choices) or metadata:
            raise Unsupported(f"{name}: literal of non-strings")
        return ColumnRule(name, "str", required, default, choices=tuple(choices))
    kinds = {str: "str", int: "int", bool: "bool", dt.date: "date"}
    if annotation not in kinds:
        raise Unsupported(f"{name}: type {annotation}")
    rule: dict[str, Any] = {}
    for meta in metadata:
        if isinstance(meta, StringConstraints) and annotation is str:
            if meta.to_upper or meta.to_lower or meta.strict or meta.ascii_only:
                raise Unsupported(f"{name}: {meta}")
            rule.update(min_length=meta.min_length, max_length=meta.max_length, pattern=meta.pattern)
        elif isinstance(meta, annotated_types.Ge) and annotation is int:
            rule["ge"] = meta.ge
        elif isinstance(meta, annotated_types.Le) and annotation is int:
            rule["le"] = meta.le
        else:
            raise Unsupported(f"{name}: constraint {meta!r}")
    return ColumnRule(name, kinds[annotation], required, default, **rule)  # type: ignore[arg-type]


@cache
def model_rules(kind: str, name: str) -> tuple[ColumnRule, ...]:
    """The rules of every field of a label's or type's model, in field order; raises :class:`Unsupported`."""
    model: type[BaseModel] = NODE_MODELS[name] if kind == "node" else REL_MODELS[name]
    decorators = model.__pydantic_decorators__
    if set(decorators.field_validators) - _KNOWN_FIELD_VALIDATORS or set(decorators.model_validators) - _KNOWN_MODEL_VALIDATORS:
        raise Unsupported(f"{name}: a validator without a vectorized rule")
    if decorators.validators or decorators.root_validators or decorators.field_serializers or decorators.model_serializers:
        raise Unsupported(f"{name}: custom validation or serialization")
    if "_dates_in_order" in decorators.model_validators and kind == "node" and name not in _DATE_ORDER:
        raise Unsupported(f"{name}: dates checked in an order this module does not know")
    if "_joined_after_birth" in decorators.model_validators and name != "Member":
        raise Unsupported(f"{name}: _joined_after_birth")
    if model.model_config.get("extra") != "forbid" or not model.model_config.get("str_strip_whitespace"):
        raise Unsupported(f"{name}: model configuration")
    return tuple(_rule(n, f) for n, f in model.model_fields.items())


def supports(bundle_file: BundleFile) -> bool:
    """Whether files of this label or type can take the column-at-a-time path at all."""
    if bundle_file.format != "csv":
        return False
    try:
        model_rules(bundle_file.kind, bundle_file.name)
    except Unsupported:
        return False
    return True


# ------------------------------------------------------------------------------------------- reading


def _plain_bytes(path: Path, encoding: str) -> bool:
    """Whether the file is plain (see the module docstring): one record per line, nothing to unquote, no
    blank line, every line decoding. Reads the file once, in blocks of whole lines, at C speed."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")  # stateless at line ends for _ENCODINGS
    with open(path, "rb") as handle:
        for item in line_blocks(handle, BLOCK_BYTES, longest=MAX_LINE_BYTES):
            if item is None:
                return False  # a line too long for the row reader: it reports it
            chunk, final = item
            if (b'"' in chunk or b"\x00" in chunk or chunk.startswith((b"\n", b"\r\n")) or b"\n\n" in chunk
                    or b"\n\r\n" in chunk or chunk.count(b"\r") != chunk.count(b"\r\n")):
                return False  # quotes, NUL, a blank line (counted by the row reader, skipped by pyarrow), a lone CR
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                return False
    return True


def _header(path: Path, encoding: str, bundle_file: BundleFile) -> list[str] | None:
    """The header's column names if the header is clean (only known columns, once each, unpadded, every
    required one), else ``None``."""
    with open(path, encoding=encoding, newline="") as handle:
        line = handle.readline()
    cells = next(csv.reader(io.StringIO(line)), [])
    expected = columns_for(bundle_file.kind, bundle_file.name)
    if (not cells or any(c.strip() != c or c not in expected for c in cells) or len(set(cells)) != len(cells)
            or not required_columns(bundle_file) <= set(cells)):
        return None
    return cells


def read_checked(root: Path, bundle_file: BundleFile, *, max_field: int) -> Iterator[pa.RecordBatch] | None:
    """The file's records as typed record batches (model field order, then :data:`ROW_COLUMN`), or ``None``
    when the file is not plain or its header is not clean (then nothing was read beyond the checks).

    The batches are checked while they are read: iteration raises :class:`NotSurelyValid` at the first
    batch with a row that is not surely valid (the caller then reads the file row by row).
    """
    if not supports(bundle_file):
        return None
    path = (root / bundle_file.path).resolve()
    if not path.is_relative_to(root.resolve()) or not path.is_file():
        return None
    with open(path, "rb") as handle:
        sample = handle.read(64 * 1024)
    try:
        encoding = detect_encoding(sample, at_eof=len(sample) < 64 * 1024)
    except ValueError:
        return None
    if encoding not in _ENCODINGS or not _plain_bytes(path, encoding):
        return None
    names = _header(path, encoding, bundle_file)
    if names is None:
        return None
    return _batches(path, encoding, names, bundle_file, max_field)


class NotSurelyValid(Exception):
    """A row of the file may be invalid (or may read differently row by row): validate the file row by row."""


def _batches(path: Path, encoding: str, names: list[str], bundle_file: BundleFile, max_field: int) -> Iterator[pa.RecordBatch]:
    rules = model_rules(bundle_file.kind, bundle_file.name)
    read_options = pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=BLOCK_BYTES,
                                     encoding="utf8" if encoding.startswith("utf-8") else encoding)
    parse_options = pacsv.ParseOptions(quote_char=False, newlines_in_values=False, ignore_empty_lines=False)
    convert_options = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                           strings_can_be_null=True)
    try:
        reader = pacsv.open_csv(path, read_options=read_options, parse_options=parse_options,
                                convert_options=convert_options)
    except (pa.ArrowInvalid, OSError) as exc:
        raise NotSurelyValid(str(exc)) from None
    first_row = 2
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:  # a ragged row, an undecodable block
            raise NotSurelyValid(str(exc)) from None
        if batch.num_rows == 0:
            continue
        yield checked_batch(batch, rules, bundle_file, first_row, max_field)
        first_row += batch.num_rows


def checked_batch(batch: pa.RecordBatch, rules: tuple[ColumnRule, ...], bundle_file: BundleFile, first_row: int,
                  max_field: int) -> pa.RecordBatch:
    """The batch's typed columns (every field of ``rules``, defaults filled in) and row numbers; raises
    :class:`NotSurelyValid` unless every row is surely valid."""
    present = set(batch.schema.names)
    blank = None  # rows whose cells are all empty: the row reader skips them (but counts them)
    for name in batch.schema.names:
        column = batch.column(name)
        if column.null_count < len(column):
            lengths = pc.utf8_length(column)
            if pc.max(lengths).as_py() > max_field or pc.any(pc.match_substring_regex(column, _EDGE_SPACE)).as_py():
                raise NotSurelyValid(f"{name}: a long value or white space around a value")
        is_null = pc.is_null(column)
        blank = is_null if blank is None else pc.and_(blank, is_null)
    if blank is not None and pc.any(blank).as_py():
        raise NotSurelyValid("a blank row")
    columns: dict[str, pa.Array] = {}
    for rule in rules:
        raw = batch.column(rule.name) if rule.name in present else pa.nulls(batch.num_rows, pa.string())
        columns[rule.name] = _typed(raw, rule)
    _check_cross_field(columns, bundle_file)
    if bundle_file.kind == "node":
        _check_id_form(columns["id"], bundle_file.name)
    columns[ROW_COLUMN] = pa.array(range(first_row, first_row + batch.num_rows), pa.int64())
    return pa.RecordBatch.from_pydict(columns)


def _all(mask: pa.Array) -> bool:
    """True when every value of a boolean mask is true (nulls count as true: they are checked elsewhere)."""
    return not pc.any(pc.invert(pc.fill_null(mask, True))).as_py()


def _null_or(raw: pa.Array, mask: pa.Array) -> pa.Array:
    return pc.or_(pc.is_null(raw), mask)


def _typed(raw: pa.Array, rule: ColumnRule) -> pa.Array:
    nulls = raw.null_count
    if nulls and rule.required:
        raise NotSurelyValid(f"{rule.name}: a missing value")
    if nulls == len(raw):
        values = pa.nulls(len(raw), rule.arrow_type)
    elif rule.kind == "str":
        if rule.choices and not _all(_null_or(raw, pc.is_in(raw, value_set=pa.array(rule.choices)))):
            raise NotSurelyValid(f"{rule.name}: a value not among the choices")
        if rule.min_length is not None or rule.max_length is not None:
            lengths = pc.utf8_length(raw)
            if (rule.min_length is not None and not _all(pc.greater_equal(lengths, rule.min_length))) or (
                    rule.max_length is not None and not _all(pc.less_equal(lengths, rule.max_length))):
                raise NotSurelyValid(f"{rule.name}: a length out of bounds")
        if rule.pattern is not None and not _all(pc.match_substring_regex(raw, rule.pattern)):
            raise NotSurelyValid(f"{rule.name}: a value not matching the pattern")
        values = raw
    elif rule.kind == "int":
        if not _all(pc.match_substring_regex(raw, _INT_TEXT)):
            raise NotSurelyValid(f"{rule.name}: not plain digits")
        values = pc.cast(raw, pa.int64())
        if (rule.ge is not None and not _all(pc.greater_equal(values, rule.ge))) or (
                rule.le is not None and not _all(pc.less_equal(values, rule.le))):
            raise NotSurelyValid(f"{rule.name}: out of bounds")
    elif rule.kind == "bool":
        if not _all(_null_or(raw, pc.is_in(raw, value_set=pa.array(list(_BOOLS))))):
            raise NotSurelyValid(f"{rule.name}: not a plain yes/no")
        values = pc.is_in(raw, value_set=pa.array([k for k, v in _BOOLS.items() if v]))
        values = pc.if_else(pc.is_null(raw), pa.scalar(None, pa.bool_()), values)
    else:  # date
        if not _all(pc.match_substring_regex(raw, _DATE_TEXT)) or not _all(pc.greater_equal(raw, "0001")):
            raise NotSurelyValid(f"{rule.name}: not YYYY-MM-DD")
        try:
            values = pc.cast(raw, pa.date32())
        except pa.ArrowInvalid:
            raise NotSurelyValid(f"{rule.name}: not a calendar date") from None
        if not _all(pc.equal(pc.cast(values, pa.string()), raw)):  # 2018-02-30 must not pass as March 2
            raise NotSurelyValid(f"{rule.name}: not a calendar date")
    if rule.default is not None and values.null_count:
        values = pc.fill_null(values, pa.scalar(rule.default, rule.arrow_type))
    return values


def _check_cross_field(columns: dict[str, pa.Array], bundle_file: BundleFile) -> None:
    """The model validators: dates in order, a member old enough when joining."""
    pair = ("since", "until") if bundle_file.kind == "rel" else _DATE_ORDER.get(bundle_file.name)
    if pair is not None and not _all(pc.greater_equal(columns[pair[1]], columns[pair[0]])):
        raise NotSurelyValid(f"{pair[1]} before {pair[0]}")
    if bundle_file.kind == "node" and bundle_file.name == "Member":
        old_enough = pc.greater_equal(pc.year(columns["joined"]), pc.add(columns["birth_year"], 14))
        if not _all(old_enough):
            raise NotSurelyValid("joined before the age of 14")


def _check_id_form(ids: pa.Array, label: str) -> None:
    """``check_id``: an NBS code of the label's length, or the label's prefix."""
    if label in NBS_CODE_LENGTHS:
        ok = pc.match_substring_regex(ids, rf"^[0-9]{{{NBS_CODE_LENGTHS[label]}}}$")
    else:
        ok = pc.starts_with(ids, ID_PREFIXES[label])
    if not _all(ok):
        raise NotSurelyValid("an id not of its label's form")


_PREFIX_LABELS = pa.array(list(ID_PREFIXES.values()))
_LABELS_BY_PREFIX = pa.array(list(ID_PREFIXES))
_NBS_LENGTHS = pa.array(list(NBS_CODE_LENGTHS.values()), pa.int32())
_LABELS_BY_LENGTH = pa.array(list(NBS_CODE_LENGTHS))


def id_labels(ids: pa.Array) -> pa.Array:
    """The label each id's form names (``graph.model.label_for_id``, column-wise); null where none does.

    No prefix starts another (tests/test_columnar.py), so an id's prefix is the letters up to its first ``-``.
    """
    prefixes = pc.struct_field(pc.extract_regex(ids, r"^(?P<p>[a-z]+-)"), [0])
    by_prefix = pc.take(_LABELS_BY_PREFIX, pc.index_in(prefixes, value_set=_PREFIX_LABELS))
    digits = pc.match_substring_regex(ids, r"^[0-9]+$")
    by_length = pc.take(_LABELS_BY_LENGTH, pc.index_in(pc.cast(pc.utf8_length(ids), pa.int32()), value_set=_NBS_LENGTHS))
    return pc.if_else(digits, by_length, by_prefix)
