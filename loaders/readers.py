"""Streaming readers for one bundle file (CSV, XLSX sheet or JSON Lines).

Every reader yields ``(row_number, {column: text or None})`` where ``row_number`` is the row as a
person sees it (CSV record number with the header as row 1, XLSX sheet row, JSON Lines line), so
problems point at the right place. Readers never raise on bad data: they report problems to a
:class:`~loaders.problems.ProblemLog` and keep going, because users fix all problems in one round.
They never hold a whole file in memory (CSV and JSON Lines are read line by line, XLSX in
openpyxl's read-only mode).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, cast

import charset_normalizer

from graph.model import NODE_MODELS, REL_MODELS
from loaders.bundle import BundleFile, columns_for
from loaders.problems import ProblemLog

Row = dict[str, str | None]

DEFAULT_MAX_FIELD = 10_000
"""Longest value accepted (characters); longer values are problems, not crashes or memory hogs."""
MAX_LINE_BYTES = 1 << 20
"""Longest physical line read (bytes): bounds memory on files without line breaks."""
SAMPLE_BYTES = 64 * 1024
"""Bytes used to detect a CSV file's encoding."""

_CJK_CODECS = frozenset({
    "gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950", "cp936",
    "euc_jp", "shift_jis", "cp932", "euc_kr", "cp949", "johab", "iso2022_jp",
})


class FileFormatError(ValueError):
    """A whole file cannot be read (encoding, not an XLSX...): reported as one problem."""


def problem_file(bundle_file: BundleFile) -> str:
    """The name problems use for a bundle file: its path, plus the sheet for XLSX."""
    if bundle_file.format == "xlsx":
        return f"{bundle_file.path} [{sheet_name(bundle_file)}]"
    return bundle_file.path


def sheet_name(bundle_file: BundleFile) -> str:
    """The XLSX sheet holding a label or type: the manifest's ``sheet``, else the label/type name."""
    return bundle_file.sheet or bundle_file.name


def required_columns(bundle_file: BundleFile) -> frozenset[str]:
    """Columns without a default in the model: a file without them cannot give a single valid row."""
    model = NODE_MODELS[bundle_file.name] if bundle_file.kind == "node" else REL_MODELS[bundle_file.name]
    return frozenset(name for name, field in model.model_fields.items() if field.is_required())


def detect_encoding(sample: bytes, *, at_eof: bool = False) -> str:
    """Return the codec of a CSV file from its first bytes, or raise :class:`FileFormatError`.

    UTF-8 (with or without BOM) first. Otherwise the file most likely comes from a Chinese Excel
    (GBK): charset-normalizer looks at the sample, and gb18030 (a superset of GBK and GB2312) wins
    whenever the guess is a CJK codec or the sample decodes as gb18030 into mostly Chinese text,
    because on short samples charset-normalizer confuses the CJK codecs with each other.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise FileFormatError("the file is UTF-32 encoded; save it as 'CSV UTF-8'")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileFormatError("the file is UTF-16 encoded (Excel 'Unicode Text'); save it as 'CSV UTF-8'")
    if _decodes(sample, "utf-8", at_eof):
        return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    guess = codecs.lookup(best.encoding).name if best is not None else None
    if _decodes(sample, "gb18030", at_eof) and (guess is None or guess in _CJK_CODECS or _mostly_chinese(sample)):
        return "gb18030"
    if guess is not None:
        return guess
    raise FileFormatError("cannot tell the file's encoding; save it as UTF-8 ('CSV UTF-8') or GB18030")


def _decodes(sample: bytes, encoding: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _mostly_chinese(sample: bytes) -> bool:
    text = codecs.getincrementaldecoder("gb18030")(errors="replace").decode(sample, final=False)
    wide = [c for c in text if ord(c) > 0x7F]
    chinese = sum(1 for c in wide if "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef")
    return bool(wide) and chinese >= 0.9 * len(wide)


def cell_text(value: Any) -> str | None:
    """Turn a typed cell (XLSX or JSON) into the text the validator expects.

    Dates become ISO ``YYYY-MM-DD`` (midnight datetimes too, since Excel stores dates as datetimes),
    whole floats lose their ``.0`` (Excel stores every number as a float), booleans ``true``/``false``.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value.is_finite() and value == value.to_integral_value() else str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class RowReader:
    """The rows of one bundle file; iterate it to read (each iteration re-reads the file).

    After the header is read, ``missing_columns`` holds the required columns absent from it (reported
    once as a header problem, so the validator need not repeat it for every row) and ``columns`` the
    expected columns found.
    """

    def __init__(self, root: str | Path, bundle_file: BundleFile, problems: ProblemLog, *,
                 max_field: int = DEFAULT_MAX_FIELD) -> None:
        self.root = Path(root)
        self.bundle_file = bundle_file
        self.problems = problems
        self.max_field = max_field
        self.file = problem_file(bundle_file)
        self.expected = columns_for(bundle_file.kind, bundle_file.name)
        self.required = required_columns(bundle_file)
        self.columns: list[str] = []
        self.missing_columns: frozenset[str] = frozenset()
        self.encoding: str | None = None
        self.unreadable = False

    def _problem(self, row: int | None, column: str | None, reason: str) -> None:
        self.unreadable = self.unreadable or row is None  # a file-level problem: nothing (more) can be read
        self.problems.add(self.file, row, column, reason)

    def _path(self) -> Path | None:
        """The file's path, or ``None`` (with a problem) when it is missing or outside the bundle."""
        root = self.root.resolve()
        path = (self.root / self.bundle_file.path).resolve()
        if not path.is_relative_to(root):
            self._problem(None, None, "the path points outside the bundle folder")
            return None
        if not path.is_file():
            self._problem(None, None, "file not found (listed in manifest.json)")
            return None
        return path

    def __iter__(self) -> Iterator[tuple[int, Row]]:
        path = self._path()
        if path is None:
            return iter(())
        if self.bundle_file.format == "csv":
            return self._tabular(self._csv_records(path))
        if self.bundle_file.format == "xlsx":
            return self._tabular(self._xlsx_records(path))
        return self._jsonl(path)

    # ------------------------------------------------------------------ CSV

    def _csv_records(self, path: Path) -> Iterator[tuple[int, Sequence[str] | None, str | None]]:
        """Yield ``(record_number, cells, None)`` or ``(record_number, None, why_unreadable)``."""
        with open(path, "rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
            try:
                self.encoding = detect_encoding(sample, at_eof=len(sample) < SAMPLE_BYTES)
            except FileFormatError as exc:
                self._problem(None, None, str(exc))
                return
            handle.seek(0)
            if self.encoding in _FAST_ENCODINGS and _clean_lines(handle, self.encoding):
                # Every line decodes, is short enough and has no NUL byte: no line can be flagged, so a C-level
                # text stream gives csv the same line strings as _LineFeed would (split at \n only), much faster.
                handle.seek(0)
                yield from _csv_fast(io.TextIOWrapper(handle, encoding=self.encoding, newline="\n"))
                return
            handle.seek(0)
            feed = _LineFeed(handle, self.encoding)
            reader = csv.reader(feed)
            record = 0
            while True:
                feed.flags.clear()
                try:
                    cells: Sequence[str] | None = next(reader)
                    error = None
                except StopIteration:
                    break
                except csv.Error as exc:
                    cells, error = None, f"cannot read this CSV row: {exc}"
                record += 1
                if feed.flags:
                    cells, error = None, "; ".join(sorted(feed.flags))
                yield record, cells, error

    # ----------------------------------------------------------------- XLSX

    def _xlsx_records(self, path: Path) -> Iterator[tuple[int, Sequence[str] | None, str | None]]:
        import openpyxl  # imported lazily: only XLSX bundles pay for it

        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # any parser failure on user data is one problem
            self._problem(None, None, f"cannot open the file as XLSX ({type(exc).__name__}: {exc})")
            return
        try:
            sheet = sheet_name(self.bundle_file)
            if sheet not in workbook.sheetnames:
                self._problem(None, None, f"no sheet named {sheet!r}; the workbook has: {', '.join(workbook.sheetnames)}")
                return
            worksheet = workbook[sheet]
            worksheet.reset_dimensions()  # saved dimensions are often wrong; read every row there is
            row_number = 0
            try:
                for row_number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                    yield row_number, [cell_text(v) or "" for v in values], None  # an empty cell is "", as in CSV
            except Exception as exc:  # a corrupt sheet is one problem
                yield row_number + 1, None, f"cannot read the sheet from here on ({type(exc).__name__}: {exc})"
        finally:
            workbook.close()

    # ------------------------------------------------------ CSV and XLSX rows

    def _tabular(self, records: Iterable[tuple[int, Sequence[str] | None, str | None]]) -> Iterator[tuple[int, Row]]:
        """Turn header + data records into row dicts, checking the header against the expected columns."""
        index: list[tuple[int, str]] | None = None
        unnamed: list[int] = []
        width = 0
        names: tuple[str, ...] = ()
        pick: Callable[[Sequence[str]], tuple[str, ...]] = tuple
        max_field = self.max_field
        for row_number, cells, error in records:
            if cells is None:
                if index is None:  # guessing the header from a later row would misread every column
                    self._problem(None, None, f"row {row_number}: {error}; without a readable header the file is skipped")
                    return
                self._problem(row_number, None, error or "unreadable row")
                continue
            if index is None:
                texts = [(c.strip() or None) if c else None for c in cells]  # blank cells mean "no value"
                if any(t is not None for t in texts):
                    index, unnamed = self._read_header(row_number, texts)
                    width = len(texts)
                    names = tuple(name for _, name in index)
                    pick = _picker([i for i, _ in index])
                continue
            # The common case fast: only the header's columns are stripped, and the whole row only when it
            # may be blank, may have stray values or may hold an over-long value or a NUL character.
            count = len(cells)
            if count < width or unnamed or count > width:
                texts = [(c.strip() or None) if c else None for c in cells]
                if all(t is None for t in texts):
                    continue
                yield row_number, self._row_values(row_number, texts, index, unnamed, width)
                continue
            stripped = list(map(str.strip, pick(cells)))
            row: Row = dict(zip(names, map(_NONE_IF_EMPTY.get, stripped, stripped), strict=True))  # C speed: "" -> None
            if not any(row.values()) and all(not c or not c.strip() for c in cells):
                continue
            joined = "".join(cells)
            if len(joined) > max_field or "\x00" in joined:
                row = self._checked(row_number, row)
            yield row_number, row
        if index is None and not self.unreadable:
            self._problem(None, None, f"the file is empty; expected a header row with the columns: {', '.join(self.expected)}")

    def _read_header(self, row_number: int, texts: list[str | None]) -> tuple[list[tuple[int, str]], list[int]]:
        index: list[tuple[int, str]] = []
        unnamed: list[int] = []
        seen: set[str] = set()
        for i, raw in enumerate(texts):
            name = (raw or "").strip().lstrip("\ufeff").strip()
            if not name:
                unnamed.append(i)
            elif name in seen:
                self._problem(row_number, name, f"column {name!r} appears more than once in the header")
            elif name not in self.expected:
                seen.add(name)
                self._problem(row_number, name,
                              f"unknown column {name!r}; the {self.bundle_file.name} columns are: {', '.join(self.expected)}")
            else:
                seen.add(name)
                index.append((i, name))
        self.columns = [name for _, name in index]
        self.missing_columns = frozenset(c for c in self.required if c not in seen)
        for name in sorted(self.missing_columns, key=self.expected.index):
            self._problem(row_number, name, f"required column {name!r} is missing from the header")
        return index, unnamed

    def _row_values(self, row_number: int, texts: list[str | None], index: list[tuple[int, str]],
                    unnamed: list[int], width: int) -> Row:
        """The row's values by column name; values under unknown columns were reported with the header."""
        if unnamed or len(texts) > width:
            stray = [i for i in unnamed if i < len(texts) and texts[i] is not None]
            stray += [i for i in range(width, len(texts)) if texts[i] is not None]
            if stray:
                self._problem(row_number, None, f"this row has a value in column {min(stray) + 1}, which has no header")
        if len(texts) < width:
            texts = texts + [None] * (width - len(texts))
        row: Row = {name: texts[i] for i, name in index}
        return self._checked(row_number, row)

    def _checked(self, row_number: int, row: Row) -> Row:
        """Drop (and report) over-long values and values with a NUL character."""
        for value in row.values():
            if value is not None and (len(value) > self.max_field or "\x00" in value):
                return self._drop_bad_values(row_number, row)
        return row

    def _drop_bad_values(self, row_number: int, row: Row) -> Row:
        return {name: value for name, value in row.items() if self._fits(row_number, name, value)}

    def _fits(self, row_number: int, column: str, value: str | None) -> bool:
        """Check the size cap and NUL characters of one value (reported, then left out of the row)."""
        if value is None:
            return True
        if len(value) > self.max_field:
            self._problem(row_number, column, f"value is {len(value):,} characters long; the limit is {self.max_field:,}")
            return False
        if "\x00" in value:
            self._problem(row_number, column, "value contains a NUL character (\\0)")
            return False
        return True

    # ----------------------------------------------------------- JSON Lines

    def _jsonl(self, path: Path) -> Iterator[tuple[int, Row]]:
        """One JSON object per line; typed values become the same text a CSV cell would hold."""
        self.encoding = "utf-8"
        with open(path, "rb") as handle:
            feed = _LineFeed(handle, "utf-8-sig")
            for line_number, line in enumerate(feed, start=1):
                if feed.flags:
                    self._problem(line_number, None, "; ".join(sorted(feed.flags)))
                    feed.flags.clear()
                    continue
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    self._problem(line_number, None, f"not a JSON object: {str(exc)[:200]}")
                    continue
                if not isinstance(record, dict):
                    self._problem(line_number, None, f"each line must be a JSON object, not {type(record).__name__}")
                    continue
                row: Row = {}
                for key, value in record.items():
                    column = str(key).strip()
                    if isinstance(value, dict | list):
                        self._problem(line_number, column, f"{column}: a {type(value).__name__} is not a plain value")
                        continue
                    text = _clean(cell_text(value))
                    if self._fits(line_number, column, text):
                        row[column] = text
                yield line_number, row


def _clean(value: Any) -> str | None:
    """Strip a cell; empty or blank cells are ``None`` ("no value")."""
    if value is None:
        return None
    text = value if isinstance(value, str) else (cell_text(value) or "")
    text = text.strip()
    return text or None


_FAST_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "gb18030"})
"""Encodings in which no character's bytes hold ``\n`` and decoding is stateless, so decoding a whole
block or each of its lines gives the same text: the fast path's pre-check of a file is exact for them."""
_CHECK_BLOCK = 8 * 1024 * 1024
_NONE_IF_EMPTY: dict[str, None] = {"": None}


def line_blocks(handle: IO[bytes], block_bytes: int, *, longest: int) -> Iterator[tuple[bytes, bool] | None]:
    """The file in blocks of whole lines (the last block may end without a line end), each with whether it is
    the last; ``None`` (and nothing more) when a line runs to ``longest`` bytes. Bounded memory, C speed."""
    rest = b""
    while True:
        block = handle.read(block_bytes)
        data = rest + block
        cut = data.rfind(b"\n") + 1 if block else len(data)
        if block and cut == 0:  # no line end in a whole block: only a too-long line fails to end that late
            if len(data) >= longest:
                yield None
                return
            rest = data
            continue
        chunk, rest = data[:cut], data[cut:]
        yield chunk, not block
        if not block:
            return


def _clean_lines(handle: IO[bytes], encoding: str) -> bool:
    """Whether no line of the file would be flagged by :class:`_LineFeed`: every line decodes, is shorter than
    ``MAX_LINE_BYTES`` and has no NUL byte. Reads the file once in large blocks (C speed, bounded memory)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    for item in line_blocks(handle, _CHECK_BLOCK, longest=MAX_LINE_BYTES):
        if item is None:
            return False
        lines, final = item
        if b"\x00" in lines or (lines and max(map(len, lines.split(b"\n"))) >= MAX_LINE_BYTES):
            return False
        try:
            decoder.decode(lines, final=final)
        except UnicodeDecodeError:
            return False
    return True


def _csv_fast(text: IO[str]) -> Iterator[tuple[int, Sequence[str] | None, str | None]]:
    """``(record_number, cells, error)`` from csv over a text stream, going on after a malformed record."""
    reader = csv.reader(text)
    record = 0
    while True:
        try:
            for cells in reader:
                record += 1
                yield record, cells, None
            return
        except csv.Error as exc:
            record += 1
            yield record, None, f"cannot read this CSV row: {exc}"


def _picker(positions: list[int]) -> Callable[[Sequence[str]], tuple[str, ...]]:
    """A C-speed function picking the cells at ``positions`` from a row, as a tuple."""
    if not positions:
        return lambda cells: ()
    getter = operator.itemgetter(*positions)
    if len(positions) == 1:
        return lambda cells: (getter(cells),)
    return cast(Callable[[Sequence[str]], tuple[str, ...]], getter)


class _LineFeed:
    """Decode a binary file one physical line at a time, flagging lines a reader must reject.

    Splitting bytes at ``\\n`` is safe for UTF-8 and GB18030 (no multi-byte character contains that
    byte), so each line decodes on its own: an undecodable line, a NUL byte or an over-long line
    spoils only its own row. ``flags`` collects reasons for the lines read since it was cleared.
    """

    def __init__(self, handle: IO[bytes], encoding: str) -> None:
        self.handle = handle
        self.encoding = encoding
        self.flags: set[str] = set()
        self._first = True
        self._ascii_so_far = True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(MAX_LINE_BYTES)
        if not raw:
            raise StopIteration
        if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := self.handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            self.flags.add(f"line longer than {MAX_LINE_BYTES:,} bytes (a value is too long or line breaks are missing)")
            return "\n"
        if b"\x00" in raw:
            self.flags.add("line contains a NUL byte (\\0): is this a binary or UTF-16 file? save it as 'CSV UTF-8'")
            raw = raw.replace(b"\x00", b"")
        encoding = self.encoding
        if not self._first and encoding == "utf-8-sig":
            encoding = "utf-8"
        self._first = False
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            if self.encoding == "utf-8" and self._ascii_so_far and _decodes(raw, "gb18030", True):
                # only ASCII so far (the detection sample too): the first non-ASCII line shows it is GB18030
                self.encoding = "gb18030"
                return raw.decode("gb18030")
            shown = "UTF-8" if encoding.startswith("utf-8") else encoding.upper()
            self.flags.add(f"bytes that are not valid {shown} (the file mixes encodings? save it as 'CSV UTF-8')")
            return raw.decode(encoding, errors="replace")
        self._ascii_so_far = self._ascii_so_far and raw.isascii()
        return text


def read_rows(root: str | Path, bundle_file: BundleFile, problems: ProblemLog, *,
              max_field: int = DEFAULT_MAX_FIELD) -> RowReader:
    """Return an iterable of ``(row_number, row)`` over one bundle file, reporting problems to ``problems``."""
    return RowReader(root, bundle_file, problems, max_field=max_field)
