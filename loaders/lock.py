"""One load at a time per database: the second waits (``ORGGRAPH_LOAD_WAIT_S``) or is refused, never interleaved.

* **LadybugDB**: the database file lock already keeps a second writing *process* out (it cannot open the
  database to write; read-only openers are not kept out). Within one process two engines on the same
  directory would both open it, so loads into one path also take a process-wide lock.
* **Neo4j**: a lock node ``(:OrggraphLoadLock {name: 'load'})`` under a uniqueness constraint, so two
  loaders (any hosts) cannot both create it. The holder refreshes its expiry while it loads; a lock
  is *stale*, and taken over, when it expired (a crashed or cut-off loader elsewhere), or when its
  holder was a process on this host that is gone, or an earlier load of this very process that ended
  without releasing it (Neo4j stopped during the load, say). Taking over is a compare-and-set under
  the node's write lock, so two loaders cannot both take over one stale lock.

The lock node is bookkeeping: it has no label of the model, so exports, counts and queries never see it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from graph.engine import GraphEngine
from graph.errors import GraphError

LOCK_LABEL = "OrggraphLoadLock"
LOCK_NAME = "load"
DEFAULT_TTL_S = 120.0
"""How long a Neo4j lock lives without a heartbeat; the holder refreshes it every third of that."""
POLL_S = 0.5

P = ParamSpec("P")
R = TypeVar("R")


class LoadLockedError(GraphError):
    """Another load into the same database is running."""


# ------------------------------------------------------------------------------------------------ embedded

_PATH_LOCKS: dict[str, threading.Lock] = {}
_PATH_HOLDERS: dict[str, str] = {}
_REGISTRY = threading.Lock()


@contextlib.contextmanager
def _process_lock(key: str, wait_s: float) -> Iterator[None]:
    with _REGISTRY:
        lock = _PATH_LOCKS.setdefault(key, threading.Lock())
    acquired = lock.acquire(timeout=wait_s) if wait_s > 0 else lock.acquire(blocking=False)
    if not acquired:
        holder = _PATH_HOLDERS.get(key, "another load")
        raise LoadLockedError(f"{holder} into {key} is still running in this process; try again when it has finished")
    _PATH_HOLDERS[key] = f"a load started {time.strftime('%H:%M:%S')} by thread {threading.current_thread().name}"
    try:
        yield
    finally:
        _PATH_HOLDERS.pop(key, None)
        lock.release()


# ------------------------------------------------------------------------------------------------ neo4j

_ACTIVE_OWNERS: set[str] = set()  # the Neo4j locks this process holds now
_HOST = socket.gethostname()

_CONSTRAINT = f"CREATE CONSTRAINT orggraph_load_lock IF NOT EXISTS FOR (l:{LOCK_LABEL}) REQUIRE l.name IS UNIQUE"
_ACQUIRE = f"""
MERGE (l:{LOCK_LABEL} {{name: $name}})
ON CREATE SET l.owner = $owner, l.host = $host, l.pid = $pid, l.started = toString(datetime()),
              l.expires = timestamp() + $ttl_ms
RETURN l.owner AS owner, l.host AS host, l.pid AS pid, l.started AS started, l.expires AS expires, timestamp() AS now
"""
# The first SET takes the node's write lock; only then is the owner compared, so two loaders cannot
# both take over the same stale lock.
_TAKE_OVER = f"""
MATCH (l:{LOCK_LABEL} {{name: $name}})
SET l.takeovers = coalesce(l.takeovers, 0) + 1
WITH l WHERE l.owner = $stale
SET l.owner = $owner, l.host = $host, l.pid = $pid, l.started = toString(datetime()), l.expires = timestamp() + $ttl_ms
RETURN l.owner AS owner
"""
_REFRESH = f"""
MATCH (l:{LOCK_LABEL} {{name: $name}}) WHERE l.owner = $owner
SET l.expires = timestamp() + $ttl_ms
RETURN count(l) AS held
"""
_RELEASE = f"MATCH (l:{LOCK_LABEL} {{name: $name}}) WHERE l.owner = $owner DELETE l"


def _pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _stale(holder: dict[str, Any]) -> bool:
    if holder["expires"] is not None and holder["now"] > holder["expires"]:
        return True
    if holder["host"] != _HOST or holder["pid"] is None:
        return False
    if int(holder["pid"]) == os.getpid():
        return holder["owner"] not in _ACTIVE_OWNERS  # an earlier load of this process that ended unreleased
    return _pid_gone(int(holder["pid"]))


def _try_neo4j(engine: GraphEngine, owner: str, ttl_ms: int) -> dict[str, Any] | None:
    """Take the lock; ``None`` when taken, else the holder's record."""
    params = {"name": LOCK_NAME, "owner": owner, "host": _HOST, "pid": os.getpid(), "ttl_ms": ttl_ms}
    holder = engine.write(_ACQUIRE, params)[0]
    if holder["owner"] == owner:
        return None
    if _stale(holder):
        taken = engine.write(_TAKE_OVER, {**params, "stale": holder["owner"]})
        if taken and taken[0]["owner"] == owner:
            return None
    return holder


class _Heartbeat(threading.Thread):
    def __init__(self, engine: GraphEngine, owner: str, ttl_s: float) -> None:
        super().__init__(name="orggraph-load-lock", daemon=True)
        self.engine, self.owner, self.ttl_s = engine, owner, ttl_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.ttl_s / 3):
            with contextlib.suppress(GraphError):  # a missed beat only shortens the lock's life
                self.engine.write(_REFRESH, {"name": LOCK_NAME, "owner": self.owner, "ttl_ms": int(self.ttl_s * 1000)})


@contextlib.contextmanager
def _neo4j_lock(engine: GraphEngine, wait_s: float, ttl_s: float) -> Iterator[None]:
    engine.write(_CONSTRAINT)
    owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    deadline = time.monotonic() + wait_s
    while (holder := _try_neo4j(engine, owner, int(ttl_s * 1000))) is not None:
        if time.monotonic() >= deadline:
            raise LoadLockedError(
                f"another load into this Neo4j database is running (started {holder['started']} by process "
                f"{holder['pid']} on {holder['host']}); try again when it has finished, or set ORGGRAPH_LOAD_WAIT_S "
                f"to wait. A lock whose loader died expires {ttl_s:g} s after its last heartbeat.")
        time.sleep(POLL_S)
    _ACTIVE_OWNERS.add(owner)
    beat = _Heartbeat(engine, owner, ttl_s)
    beat.start()
    try:
        yield
    finally:
        beat.stopped.set()
        _ACTIVE_OWNERS.discard(owner)
        with contextlib.suppress(GraphError):  # the database may be gone; the lock then goes stale
            engine.write(_RELEASE, {"name": LOCK_NAME, "owner": owner})


# ------------------------------------------------------------------------------------------------ both


def default_wait_s() -> float:
    """``ORGGRAPH_LOAD_WAIT_S``: how long a load waits for another to finish (default 0: refuse at once)."""
    try:
        return max(0.0, float(os.environ.get("ORGGRAPH_LOAD_WAIT_S", "0")))
    except ValueError:
        return 0.0


@contextlib.contextmanager
def load_lock(engine: GraphEngine, *, wait_s: float | None = None, ttl_s: float = DEFAULT_TTL_S) -> Iterator[None]:
    """Hold the database's load lock for the ``with`` block, or raise :class:`LoadLockedError`."""
    wait = default_wait_s() if wait_s is None else wait_s
    if engine.dialect == "neo4j":
        with _neo4j_lock(engine, wait, ttl_s):
            yield
        return
    path = engine.describe().get("path")
    key = str(Path(path).resolve()) if path and path != ":memory:" else f"memory-{id(engine)}"
    with _process_lock(key, wait):
        yield


def holding_load_lock(fn: Callable[Concatenate[GraphEngine, P], R]) -> Callable[Concatenate[GraphEngine, P], R]:
    """Decorate a loader taking the engine first, so that it runs under :func:`load_lock`."""

    @functools.wraps(fn)
    def locked(engine: GraphEngine, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with load_lock(engine):
            return fn(engine, *args, **kwargs)

    return locked
