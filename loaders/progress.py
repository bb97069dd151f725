"""Terminal presentation of a load: a rich progress bar and a table of problems."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from loaders.problems import Problem

SHOWN_PROBLEMS = 50


class RichProgress:
    """One bar per bundle file, advanced as batches are written."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, name: str, total: int | None) -> None:
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.update(self._task, visible=self._progress.tasks[-1].completed > 0)
        self._task = self._progress.add_task(name, total=total)

    def advance(self, rows: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, rows)


@contextmanager
def rich_progress(*, disabled: bool = False) -> Iterator[RichProgress]:
    """A progress reporter for :func:`loaders.load.load_bundle`; silent when ``disabled``."""
    if disabled:
        yield RichProgress(None)
        return
    columns = (TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        yield RichProgress(progress)


def show_problems(console: Console, problems: Sequence[Problem]) -> None:
    """Print the first problems as a table: file, row, column, reason."""
    table = Table(title=f"{len(problems)} problem(s)" + (f", first {SHOWN_PROBLEMS} shown" if len(problems) > SHOWN_PROBLEMS else ""))
    for col in ("file", "row", "column", "reason"):
        table.add_column(col, overflow="fold")
    for p in problems[:SHOWN_PROBLEMS]:
        table.add_row(p.file, "" if p.row is None else str(p.row), p.column or "", p.reason)
    console.print(table)
