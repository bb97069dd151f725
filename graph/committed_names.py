"""The searchable names of a Neo4j database in memory, used only while no transaction has committed since they were read.

A served LadybugDB database is a snapshot, so its names in memory (:mod:`graph.name_index`) stay exact for the
engine's life. A Neo4j database can change at any moment, from any process. What makes names read from it exact
is the server's **bookmark**: after every transaction, read-only ones included, Neo4j returns a bookmark that names
the database's last committed transaction, the same for every read until something commits.

So :class:`CommittedNames` keeps the names together with the bookmark they were read at:

- :meth:`CommittedNames.current` asks for the bookmark now (one round trip of ``RETURN 1``, ~1 ms on a warm
  server) and gives the names only when it is theirs; otherwise ``None``, and the caller runs the search queries,
  while a new copy is read in the background.
- A copy is kept only if the bookmark before reading it equals the one after: no transaction committed in
  between, so it holds exactly the database at that transaction. (On a cluster the three reads of a build share
  the engine's bookmark manager, so each runs on a member at least as recent as the one before; equal bookmarks
  still mean one and the same transaction.)
- After a copy could not be kept (a load was writing) or was read, the next one waits: at least ``min_wait_s`` and
  twice the time the last one took, doubling while loads go on, up to ``max_wait_s``; reading every name is
  work for the server too.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from graph.name_index import NameIndex, build, name_index_summary

log = logging.getLogger("orggraph.graph")

NameRow = tuple[str, str | None, str, str | None]
"""id, name, label, name initials: what :func:`graph.name_index.build` takes."""


class CommittedNames:
    """Names in memory, valid at one bookmark of the database (module docstring).

    Parameters
    ----------
    last_commit:
        The database's bookmark now (one round trip); it raises when the database is unreachable.
    read_names:
        Every searchable node as a :data:`NameRow`, read from the database.
    min_wait_s, max_wait_s:
        Bounds of the pause between two reads of every name.
    commit_around_read:
        The bookmark as asked before and after a read (default ``last_commit``): without retries, as a read that
        fails is simply tried again later, and should not hold the engine's closing up.
    """

    def __init__(self, last_commit: Callable[[], str], read_names: Callable[[], Sequence[NameRow]], *,
                 min_wait_s: float = 5.0, max_wait_s: float = 120.0,
                 commit_around_read: Callable[[], str] | None = None) -> None:
        self._last_commit = last_commit
        self._commit_around_read = commit_around_read or last_commit
        self._read_names = read_names
        self._min_wait_s, self._max_wait_s = min_wait_s, max_wait_s
        self._wait_s = min_wait_s
        self._kept: tuple[NameIndex, str] | None = None
        self._next_read = 0.0  # time.monotonic() before which no new read starts
        self._reading: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def current(self) -> NameIndex | None:
        """The names, if no transaction committed since they were read; else ``None`` (and a new read is started
        in the background when the last one is long enough ago)."""
        now = self._last_commit()
        kept = self._kept
        if kept is not None and kept[1] == now:
            return kept[0]
        self.start()
        return None

    def summary(self) -> dict[str, Any] | None:
        """Sizes and build time of the copy in memory (``None`` before one was kept), for ``describe()``."""
        kept = self._kept
        return name_index_summary(kept[0]) if kept is not None else None

    def wait(self, timeout_s: float = 600.0) -> None:
        """Until the read in progress, if any, has ended (for benchmarks and tests)."""
        reading = self._reading
        if reading is not None:
            reading.join(timeout=timeout_s)

    def close(self) -> None:
        """Stop: a read in progress is given a moment to end (its thread is a daemon and stops building once it
        sees the close)."""
        self._closed = True
        reading = self._reading
        if reading is not None:
            reading.join(timeout=2)

    def start(self) -> None:
        """Start reading a new copy in the background, unless one is being read or the last read is too recent.
        Never raises: a failed read is logged, and the search keeps using its queries."""
        with self._lock:
            if self._closed or self._reading is not None or time.monotonic() < self._next_read:
                return
            self._reading = threading.Thread(target=self._read, name="orggraph-committed-names", daemon=True)
            self._reading.start()

    def _read(self) -> None:
        started = time.monotonic()
        kept = False
        try:
            before = self._commit_around_read()
            rows = self._read_names()
            after = self._commit_around_read()
            if before == after:
                index = build(rows, cancelled=lambda: self._closed)
                if index is not None:
                    self._kept = (index, after)
                    kept = True
                    log.info("search names in memory at %s: %s", after, name_index_summary(index))
            else:
                log.info("search names not kept: the database changed while they were read (a load?)")
        except Exception:  # a speed-up only: the search keeps using its queries
            log.warning("the search names could not be read into memory; the search uses queries", exc_info=True)
        finally:
            took = time.monotonic() - started
            with self._lock:
                self._wait_s = self._min_wait_s if kept else min(self._wait_s * 2, self._max_wait_s)
                self._next_read = time.monotonic() + max(self._wait_s, 2 * took)
                self._reading = None
