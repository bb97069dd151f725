"""List downloads: CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX, formula-escaped.

A download holds the page ``offset .. offset+limit`` when the request names a ``limit``, and the whole
list from ``offset`` on when it does not. Rows come from a :data:`Pager`, which asks the engine for one
chunk at a time (``SKIP``/``LIMIT`` on the catalog query), so:

* CSV is streamed: each chunk is written out as soon as it is fetched, and a list of any length needs
  memory for one chunk only. The first chunk is fetched before the response starts, so a bad parameter
  or an unreachable engine still gets its problem response instead of a cut-off 200.
* XLSX is built in memory (a workbook is one zip file), so it holds at most :data:`XLSX_MAX_ROWS` rows;
  a longer list gets a 422 problem that points to CSV or to paging.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook

from api.problems import problem
from graph.engine import GraphEngine, Row
from loaders.problems import escape_formula
from queries import answers
from queries.catalog import get_query, prepare_params, run_catalog

ListFormat = Literal["json", "csv", "xlsx"]
DownloadFormat = Annotated[ListFormat, Query(
    description="json (this page); csv or xlsx: a download of this page when `limit` is given, else of the whole "
                "list from `offset` on (CSV is streamed; XLSX holds at most 50,000 rows).")]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS: dict[str, Any] = {"text/csv": {}, XLSX_TYPE: {}}
"""OpenAPI content types of a list route that can also answer as a download."""

CSV_CHUNK_ROWS = 1000
"""Rows fetched from the engine per chunk of a CSV download (one query each)."""
XLSX_MAX_ROWS = 50_000
"""Most rows of an XLSX download: the sheet is built in memory."""

Pager = Callable[[int, int], list[Row]]
"""``pager(skip, count)``: at most ``count`` rows of a stably ordered list, starting after ``skip`` rows."""

PAGE_SKIP, PAGE_LIMIT = "page_skip", "page_limit"
_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*", re.S)


def flat_value(value: Any) -> Any:
    """One cell: nested values as JSON text, text escaped against spreadsheet formula injection."""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str):
        return escape_formula(value)
    return value


def requested_limit(request: Request, limit: int) -> int | None:
    """``limit`` when the request names one, else ``None``: a download then holds the whole list."""
    return limit if "limit" in request.query_params else None


# ------------------------------------------------------------------ pagers


def pageable(text: str) -> bool:
    """Whether ``SKIP``/``LIMIT`` can be appended to ``text``: its last clause is a ``RETURN … ORDER BY``
    without paging of its own, and there is no ``UNION`` (where paging would bind to the last part only)."""
    code = _STRINGS_AND_COMMENTS.sub(" ", text)
    parts = re.split(r"\bRETURN\b", code, flags=re.I)
    tail = parts[-1]
    return (len(parts) > 1 and not re.search(r"\bUNION\b", code, re.I)
            and re.search(r"\bORDER\s+BY\b", tail, re.I) is not None and not re.search(r"\b(SKIP|LIMIT)\b", tail, re.I))


def catalog_pager(engine: GraphEngine, name: str, raw: Mapping[str, Any]) -> Pager:
    """Chunks of catalog query ``name`` with parameters ``raw``, each fetched by its own ``SKIP``/``LIMIT`` query.

    The parameters are validated now, so a bad one is a 422 before a download starts. A query that cannot
    be paged in the engine (a labeled lookup, one with its own ``LIMIT``) runs once and is sliced.
    """
    params = prepare_params(engine, name, raw)
    kept = answers.kept_catalog_rows(engine, name, params)  # the coverage queries, from memory when kept
    if kept is not None:
        return _sliced(lambda: kept)
    query = get_query(name)
    text = None if query.labeled or query.endpoint_params else query.text_for(engine.dialect)
    if text is None or not pageable(text):
        return _sliced(lambda: run_catalog(engine, name, raw))
    return skip_safe_pager(engine, text, params)


def skip_safe_pager(engine: GraphEngine, text: str, params: Mapping[str, Any]) -> Pager:
    """Chunks of ``text`` (a pageable query, :func:`pageable`), each by ``SKIP``/``LIMIT``, never skipping past the
    rows known to exist.

    LadybugDB 0.22 crashes the process (after a few runs) on ``ORDER BY … SKIP s LIMIT n`` when ``s`` lies far past
    the last row; ``LIMIT`` alone, and a ``SKIP`` up to the last row, are safe (``tests/test_ladybug_skip.py``). A
    download's first chunk at an ``offset`` not yet known to lie within the rows is therefore read as ``LIMIT
    offset + n`` and its first ``offset`` rows dropped (once: the rows before it, at most); every later chunk
    follows a full one, so its ``SKIP`` is at most the number of rows.
    """
    paged = f"{text}\nSKIP ${PAGE_SKIP} LIMIT ${PAGE_LIMIT}"
    first = f"{text}\nLIMIT ${PAGE_LIMIT}"
    known = 0  # rows known to exist

    def pager(skip: int, count: int) -> list[Row]:
        nonlocal known
        if skip <= known:
            rows = engine.read(paged, {**params, PAGE_SKIP: skip, PAGE_LIMIT: count})
        else:
            rows = engine.read(first, {**params, PAGE_LIMIT: skip + count})[skip:]
        known = max(known, skip + len(rows))
        return rows

    return pager


def _sliced(fetch_all: Callable[[], list[Row]]) -> Pager:
    """A pager over a list fetched whole on first use."""
    cache: list[list[Row]] = []

    def pager(skip: int, count: int) -> list[Row]:
        if not cache:
            cache.append(fetch_all())
        return cache[0][skip:skip + count]

    return pager


def chunks(pager: Pager, *, offset: int, limit: int | None, chunk_rows: int) -> Iterator[list[Row]]:
    """The list's rows from ``offset`` on, ``limit`` in all (``None``: to the end), ``chunk_rows`` per fetch."""
    skip, left = offset, limit
    while left is None or left > 0:
        count = chunk_rows if left is None else min(chunk_rows, left)
        rows = pager(skip, count)
        if rows:
            yield rows
        if len(rows) < count:
            return
        skip += count
        left = None if left is None else left - count


# ------------------------------------------------------------------ responses


def _disposition(filename: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}.{suffix}"'}


def _csv_cell(value: Any) -> Any:
    value = flat_value(value)
    return "" if value is None else value.isoformat() if isinstance(value, dt.date) else value


def csv_stream(parts: Iterable[list[Row]]) -> Iterator[bytes]:
    """CSV bytes, a BOM first, one piece per chunk of rows. The columns are the first row's (every row of a
    Cypher result has the same columns); an empty list gives a BOM and an empty line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    columns: list[str] | None = None
    for rows in parts:
        for row in rows:
            if columns is None:
                columns = list(row)
                writer.writerow(columns)
            writer.writerow([_csv_cell(row.get(c)) for c in columns])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if columns is None:
        writer.writerow([])
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def csv_download(pager: Pager, filename: str, *, offset: int = 0, limit: int | None = None,
                 chunk_rows: int = CSV_CHUNK_ROWS) -> StreamingResponse:
    """Stream the list as CSV, fetching it a chunk at a time."""
    parts = chunks(pager, offset=offset, limit=limit, chunk_rows=chunk_rows)
    first = next(parts, [])  # fetched before the 200 goes out: errors still become problem responses
    # X-Accel-Buffering: nginx passes the chunks on as they come instead of buffering the whole download.
    return StreamingResponse(csv_stream(chain([first], parts)), media_type="text/csv; charset=utf-8",
                             headers={**_disposition(filename, "csv"), "X-Accel-Buffering": "no"})


def xlsx_bytes(rows: Sequence[Row], sheet_title: str) -> bytes:
    """Rows as one XLSX sheet (dates stay dates)."""
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_title[:31])
    sheet.append(columns)
    for row in rows:
        sheet.append([flat_value(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_download(pager: Pager, filename: str, *, offset: int = 0, limit: int | None = None,
                  chunk_rows: int = CSV_CHUNK_ROWS) -> Response:
    """The list as an XLSX file, or a 422 problem when it has more than :data:`XLSX_MAX_ROWS` rows."""
    wanted = XLSX_MAX_ROWS + 1 if limit is None else min(limit, XLSX_MAX_ROWS + 1)
    rows = [row for part in chunks(pager, offset=offset, limit=wanted, chunk_rows=chunk_rows) for row in part]
    if len(rows) > XLSX_MAX_ROWS:
        reason = (f"the list has more than {XLSX_MAX_ROWS:,} rows, the most an XLSX download holds; "
                  "use format=csv (streamed, any length) or page with limit and offset")
        return problem(422, "Too many rows for XLSX", reason, errors=[{"parameter": "format", "reason": reason}])
    return Response(xlsx_bytes(rows, filename), media_type=XLSX_TYPE, headers=_disposition(filename, "xlsx"))


def download(fmt: ListFormat, pager: Pager, filename: str, *, offset: int, limit: int | None,
             chunk_rows: int = CSV_CHUNK_ROWS) -> Response:
    """The CSV or XLSX download of a list (``fmt`` is not ``json``: the caller answers JSON itself)."""
    if fmt == "xlsx":
        return xlsx_download(pager, filename, offset=offset, limit=limit, chunk_rows=chunk_rows)
    return csv_download(pager, filename, offset=offset, limit=limit, chunk_rows=chunk_rows)
