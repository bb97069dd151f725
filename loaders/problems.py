"""Problems found in a bundle: file, row, column and reason, so a person can fix the data.

The loaders never stop at the first bad row: every check adds to a :class:`ProblemLog`, and the
whole list ends up in front of the user (and in ``rejects.csv``) in one go.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROBLEM_LIMIT = 10_000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts that spreadsheets read as a formula (CSV injection); such cells get a leading quote."""

REJECTS_COLUMNS = ("file", "row", "column", "reason")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the data.

    ``file`` is the bundle-relative path, ``row`` the row number a person sees in the file (``None``
    for file-level problems), ``column`` the column name (``None`` when the problem is the whole row).
    """

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        return f"{where}: {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"


class ProblemLog:
    """Collects problems, keeping the first ``limit`` of them and counting the rest.

    It also remembers which rows have a problem (even past the limit): a row with a problem is
    *rejected*, and ``iter_valid_records`` skips exactly those rows when loading with skip-invalid.
    """

    def __init__(self, limit: int = DEFAULT_PROBLEM_LIMIT) -> None:
        self.limit = limit
        self.problems: list[Problem] = []
        self.dropped = 0
        self._rejected: dict[str, set[int]] = {}

    def add(self, file: str, row: int | None, column: str | None, reason: str) -> Problem:
        """Record a problem; the row (if any) becomes rejected."""
        problem = Problem(file, row, column, reason)
        if row is not None:
            self._rejected.setdefault(file, set()).add(row)
        if len(self.problems) < self.limit:
            self.problems.append(problem)
        else:
            self.dropped += 1
        return problem

    def reject(self, file: str, row: int) -> None:
        """Mark a row rejected without a new problem (its problem was already reported once, e.g. for the header)."""
        self._rejected.setdefault(file, set()).add(row)

    def is_rejected(self, file: str, row: int) -> bool:
        """Whether some problem was reported for that row of that file."""
        rows = self._rejected.get(file)
        return rows is not None and row in rows

    def rejected_rows(self, file: str) -> frozenset[int]:
        """The rejected row numbers of one file."""
        return frozenset(self._rejected.get(file, ()))

    @property
    def total(self) -> int:
        """Number of problems found, including those not kept."""
        return len(self.problems) + self.dropped

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.problems)


def escape_formula(text: str) -> str:
    """Defuse spreadsheet formula injection: a cell such as ``=cmd|' /C calc'!A0`` becomes inert text."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_rejects_csv(path: str | Path, problems: Iterable[Problem] | ProblemLog) -> int:
    """Write ``rejects.csv`` (UTF-8 with BOM so Excel shows Chinese right) and return the rows written.

    Rejected data is shown back to people in Excel, so every text cell is formula-escaped. When a
    :class:`ProblemLog` dropped problems past its limit, a last row says how many are not listed.
    """
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(REJECTS_COLUMNS)
        for p in problems:
            writer.writerow([escape_formula(p.file), "" if p.row is None else p.row,
                             escape_formula(p.column or ""), escape_formula(p.reason)])
            count += 1
        if isinstance(problems, ProblemLog) and problems.dropped:
            writer.writerow(["", "", "", f"... and {problems.dropped} more problems not listed (limit {problems.limit})"])
            count += 1
    return count
