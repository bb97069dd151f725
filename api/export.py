"""List downloads: CSV (UTF-8 with BOM, so Excel shows Chinese) and XLSX, formula-escaped."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook

from loaders.problems import escape_formula

ListFormat = Literal["json", "csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS: dict[str, Any] = {"text/csv": {}, XLSX_TYPE: {}}
"""OpenAPI content types of a list route that can also answer as a download."""


def flat_value(value: Any) -> Any:
    """One cell: nested values as JSON text, text escaped against spreadsheet formula injection."""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str):
        return escape_formula(value)
    return value


def flat_rows(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return columns, [[flat_value(row.get(c)) for c in columns] for row in rows]


def csv_response(rows: Sequence[dict[str, Any]], filename: str) -> StreamingResponse:
    """Stream rows as CSV with a BOM."""
    columns, values = flat_rows(rows)

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(columns)
        for row in values:
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row])
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")

    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def xlsx_response(rows: Sequence[dict[str, Any]], filename: str) -> Response:
    """Rows as one XLSX sheet (dates stay dates)."""
    columns, values = flat_rows(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(filename[:31])
    sheet.append(columns)
    for row in values:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})


def download(rows: Sequence[dict[str, Any]], fmt: ListFormat, filename: str) -> Response | None:
    """The download response for ``fmt``, or ``None`` for JSON (the caller returns its model)."""
    if fmt == "csv":
        return csv_response(rows, filename)
    if fmt == "xlsx":
        return xlsx_response(rows, filename)
    return None
