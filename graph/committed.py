"""Copies of a Neo4j database kept in memory, used only while no transaction has committed since they were read.

A served LadybugDB database is a snapshot, so what it keeps in memory (its names, :mod:`graph.name_index`; its
relationships, :mod:`graph.topology`; its nodes' properties, :mod:`graph.node_rows`) stays exact for the engine's
life. A Neo4j database can change at any moment, from any process. What makes a copy read from it exact is the
server's **bookmark**: after every transaction, read-only ones included, Neo4j returns a bookmark that names the
database's last committed transaction, the same for every read until something commits.

So :class:`CommittedCopy` keeps a copy together with the bookmark it was read at:

- :meth:`CommittedCopy.current` asks for the bookmark now (one round trip of ``RETURN 1``, ~0.5 ms on a warm
  server) and gives the copy only when it is its; otherwise ``None``, and the caller runs its queries, while a
  new copy is read in the background.
- A copy is kept only if the bookmark before reading it equals the one after: no transaction committed in
  between, so it holds exactly the database at that transaction. (On a cluster the reads of a copy share the
  engine's bookmark manager, so each runs on a member at least as recent as the one before; equal bookmarks
  still mean one and the same transaction.)
- After a copy could not be kept (a load was writing) or was read, the next one waits: at least ``min_wait_s`` and
  twice the time the last one took, doubling while loads go on, up to ``max_wait_s``; reading a whole copy is
  work for the server too.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

log = logging.getLogger("orggraph.graph")

Raw = TypeVar("Raw")
Kept = TypeVar("Kept")


class CommittedCopy(Generic[Raw, Kept]):
    """A copy of (part of) the database in memory, valid at one bookmark (module docstring).

    Parameters
    ----------
    what:
        What the copy is, for the logs ("search names").
    last_commit:
        The database's bookmark now (one round trip); it raises when the database is unreachable.
    read:
        Reads what the copy is made of from the database (every query of it between the two bookmarks).
    build:
        Makes the copy of what ``read`` returned, given a ``cancelled()`` that turns true when the copy is
        closed; ``None``: no copy (cancelled, or the data cannot be kept).
    summarize:
        Sizes and build time of a copy, for ``describe()`` and the logs.
    min_wait_s, max_wait_s:
        Bounds of the pause between two reads.
    commit_around_read:
        The bookmark as asked before and after a read (default ``last_commit``): without retries, as a read that
        fails is simply tried again later, and should not hold the engine's closing up.
    """

    def __init__(self, what: str, last_commit: Callable[[], str], read: Callable[[], Raw],
                 build: Callable[[Raw, Callable[[], bool]], Kept | None], summarize: Callable[[Kept], dict[str, Any]], *,
                 min_wait_s: float = 5.0, max_wait_s: float = 120.0,
                 commit_around_read: Callable[[], str] | None = None) -> None:
        self.what = what
        self._last_commit = last_commit
        self._commit_around_read = commit_around_read or last_commit
        self._read_raw, self._build, self._summarize = read, build, summarize
        self._min_wait_s, self._max_wait_s = min_wait_s, max_wait_s
        self._wait_s = min_wait_s
        self._kept: tuple[Kept, str] | None = None
        self._next_read = 0.0  # time.monotonic() before which no new read starts
        self._reading: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    def current(self) -> Kept | None:
        """The copy, if no transaction committed since it was read; else ``None`` (and a new read is started
        in the background when the last one is long enough ago)."""
        now = self._last_commit()
        kept = self._kept
        if kept is not None:
            if kept[1] == now:
                return kept[0]
            with self._lock:  # bookmarks only move on: it will never be current again, so free its memory now
                if self._kept is kept:
                    self._kept = None
        self.start()
        return None

    def held(self) -> Kept | None:
        """The copy held now, current or not, without asking for the bookmark: only for what belongs with a copy
        :meth:`current` gave out (the node rows of a topology)."""
        kept = self._kept
        return kept[0] if kept is not None else None

    def summary(self) -> dict[str, Any] | None:
        """Sizes and build time of the copy in memory (``None`` before one was kept), for ``describe()``."""
        kept = self._kept
        return self._summarize(kept[0]) if kept is not None else None

    @property
    def reading(self) -> bool:
        """Whether a copy is being read now."""
        return self._reading is not None

    def wait(self, timeout_s: float = 600.0) -> None:
        """Until the read in progress, if any, has ended (for benchmarks and tests)."""
        reading = self._reading
        if reading is not None:
            reading.join(timeout=timeout_s)

    def close(self, *, timeout_s: float | None = 2.0) -> None:
        """Stop: a read in progress is given ``timeout_s`` to end (``None``: as long as it takes, for a database that
        must not be closed under a query); its thread is a daemon and stops building once it sees the close."""
        self._closed = True
        reading = self._reading
        if reading is not None:
            reading.join(timeout=timeout_s)

    def start(self) -> None:
        """Start reading a new copy in the background, unless one is being read or the last read is too recent.
        Never raises: a failed read is logged, and the callers keep using their queries."""
        with self._lock:
            if self._closed or self._reading is not None or time.monotonic() < self._next_read:
                return
            name = "orggraph-copy-" + self.what.replace(" ", "-")
            self._reading = threading.Thread(target=self._read, name=name, daemon=True)
            self._reading.start()

    def _read(self) -> None:
        started = time.monotonic()
        kept = False
        try:
            before = self._commit_around_read()
            raw = self._read_raw()
            after = self._commit_around_read()
            if before == after:
                copy = self._build(raw, lambda: self._closed)
                if copy is not None:
                    self._kept = (copy, after)
                    kept = True
                    log.info("%s in memory at %s: %s", self.what, after, self._summarize(copy))
            else:
                log.info("%s not kept: the database changed while they were read (a load?)", self.what)
        except Exception:  # a speed-up only: the callers keep using their queries
            if self._closed:  # the engine closed its driver under the read
                return
            log.warning("%s could not be read into memory; queries answer instead", self.what, exc_info=True)
        finally:
            took = time.monotonic() - started
            with self._lock:
                self._wait_s = self._min_wait_s if kept else min(self._wait_s * 2, self._max_wait_s)
                self._next_read = time.monotonic() + max(self._wait_s, 2 * took)
                self._reading = None


def _alive(engine: weakref.ref[Any]) -> Any:
    found = engine()
    if found is None:
        raise RuntimeError("the engine is gone")
    return found


SNAPSHOT = "snapshot"
"""The "bookmark" of a database that cannot change while it is open (a read-only embedded one): always the same."""


class KeptValues:
    """Values computed from the database, each kept by name as a :class:`CommittedCopy`
    (:meth:`graph.engine.GraphEngine.keep`).

    ``engine`` is what each value is computed from: the raw engine, not an API's guard; what is kept must hold no
    member data (the coverage intervals hold ids of places and dates).
    """

    min_wait_s = 5.0
    """The least pause between two reads of one value (:class:`CommittedCopy`)."""

    def __init__(self, engine: Any, last_commit: Callable[[], str], *,
                 commit_around_read: Callable[[], str] | None = None) -> None:
        # Weakly: the engine holds its KeptValues, and a reference back would make a cycle that only the cyclic
        # garbage collector frees, at any moment and on any thread, instead of when the engine's last reference goes.
        self._engine = weakref.ref(engine)
        self._last_commit = last_commit
        self._commit_around_read = commit_around_read
        self._copies: dict[str, CommittedCopy[Any, Any]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def keep(self, what: str, compute: Callable[[Any], Any], summarize: Callable[[Any], dict[str, Any]], *,
             wait: bool = False) -> bool:
        """Start keeping ``compute(engine)`` as ``what`` (read now in the background; ``wait`` until read); ``False``
        once closed. Asking again for a name already kept changes nothing."""
        with self._lock:
            if self._closed:
                return False
            copy = self._copies.get(what)
            if copy is None:
                engine = self._engine
                copy = self._copies[what] = CommittedCopy(
                    what, self._last_commit, lambda: compute(_alive(engine)), lambda value, cancelled: value, summarize,
                    min_wait_s=self.min_wait_s, commit_around_read=self._commit_around_read)
        copy.start()
        if wait:
            copy.wait()
        return True

    def kept(self, what: str) -> Any | None:
        """The value kept as ``what`` when it is the database's as it is now (on Neo4j one round trip asks), else
        ``None`` (and it is read again in the background); ``None`` too for a name never kept."""
        copy = self._copies.get(what)
        return copy.current() if copy is not None else None

    def summaries(self) -> dict[str, dict[str, Any]]:
        """Per name: the summary of the value held (current or not; on Neo4j it may be out of date after a write, and
        is then being read again), or ``{}`` before the first is read; with whether a read is going on."""
        with self._lock:
            copies = sorted(self._copies.items())
        return {what: {**(copy.summary() or {}), "reading": copy.reading} for what, copy in copies}

    def close(self, *, wait: bool = False) -> None:
        """Stop every read; ``wait`` for reads in progress to end (an embedded database must not be closed under a
        query), else give them a moment."""
        with self._lock:
            self._closed = True
            copies = list(self._copies.values())
        for copy in copies:
            copy.close(timeout_s=None if wait else 2.0)
