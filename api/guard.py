"""The engine every route sees: reads only, results redacted for the caller, member reads audited.

The app keeps its real engine to itself and puts a :class:`GuardedEngine` in ``app.state.engine``, so
whatever a route reaches for (``EngineDep``, or ``request.app.state.engine`` in the page routes) it
gets this one. It

* refuses writes, and checks every statement is a read (:mod:`graph.readonly`) before the database —
  itself in a read-only mode (READ sessions on Neo4j, a read-only database in ``serve`` on LadybugDB) —
  sees it;
* passes every result through :func:`api.redaction.redact` for the role of the current request, so
  JSON, CSV and XLSX answers and HTML pages and views all get the same, already redacted, rows;
* counts the member records each request met, for the audit log.

The current request is found through a context variable that :class:`RequestContextMiddleware` sets
(context variables follow a request into the thread pool that runs sync routes). Outside a request —
or before its role is known — results are redacted as for a viewer: the least that can be shown.
"""

from __future__ import annotations

import contextvars
import functools
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import AuditLog
from api.keys import Role
from api.redaction import VIEW_NAME, redact
from api.workers import WorkerPool
from graph.engine import DEFAULT_BATCH_SIZE, GraphEngine, Row
from graph.errors import QueryError
from graph.readonly import check_read_only
from graph.schema import GraphSchema

if TYPE_CHECKING:
    from graph.name_index import NameIndex
    from graph.node_rows import NodeRows
    from graph.topology import Topology

MAX_BODY_BYTES = 1024 * 1024
"""Largest request body (only the admin console takes one); bigger ones get 413 before they are read whole."""
CHECKED_QUERY_MAX_CHARS = 8192
"""Statements up to this length that passed the read-only check are remembered (the catalog's are a few
hundred characters and run on every request); longer ones, console queries say, are checked every time."""


@dataclass
class RequestContext:
    """What the guard knows of the request being served."""

    key_id: str = "anonymous"
    role: Role = Role.viewer
    members_seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    workers: WorkerPool | None = None
    """The app's pool for engine work (``app.state.workers``, from the lifespan); ``None`` outside one."""


_CURRENT: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("orggraph_request", default=None)


def current_context() -> RequestContext | None:
    return _CURRENT.get()


class GuardedEngine(GraphEngine):
    """The app's engine as routes see it (see the module docstring)."""

    def __init__(self, inner: GraphEngine) -> None:
        self.inner = inner

    def _redact(self, rows: list[Row]) -> list[Row]:
        ctx = _CURRENT.get()
        if ctx is None:
            redacted: list[Row] = redact(rows, Role.viewer)
            return redacted
        seen: set[str] = set()
        redacted = redact(rows, ctx.role, seen)
        if seen:
            with ctx.lock:
                ctx.members_seen |= seen
        return redacted

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        check_read(query, self.dialect)
        return self._redact(self.inner.read(query, params))

    def read_limited(self, query: str, params: Mapping[str, Any] | None = None, *, max_rows: int,
                     timeout_s: float) -> tuple[list[str], list[Row], bool]:
        check_read(query, self.dialect)
        columns, rows, truncated = self.inner.read_limited(query, params, max_rows=max_rows, timeout_s=timeout_s)
        return columns, self._redact(rows), truncated

    def query_type(self, query: str, params: Mapping[str, Any] | None = None) -> str | None:
        return self.inner.query_type(query, params)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        raise QueryError("the API only reads")

    def write_batches(self, query: str, rows: Iterable[Mapping[str, Any]], *, batch_size: int = DEFAULT_BATCH_SIZE,
                      on_batch: Callable[[int], None] | None = None) -> int:
        raise QueryError("the API only reads")

    def create_schema(self) -> None:
        raise QueryError("the API only reads")

    def clear(self) -> None:
        raise QueryError("the API only reads")

    # Counts and housekeeping hold no member data: the real engine answers them directly.
    def schema(self) -> GraphSchema:
        return self.inner.schema()

    def ping(self) -> None:
        self.inner.ping()

    def node_counts(self) -> dict[str, int]:
        return self.inner.node_counts()

    def rel_counts(self) -> dict[str, int]:
        return self.inner.rel_counts()

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    # The topology holds ids and relationship types only: what walks and paths answer through read() too.
    def prepare_topology(self, *, wait: bool = False) -> None:
        self.inner.prepare_topology(wait=wait)

    def topology(self) -> Topology | None:
        return self.inner.topology()

    def held_topology(self) -> Topology | None:
        return self.inner.held_topology()

    def name_index(self) -> NameIndex | None:
        return self.inner.name_index()  # names of searchable labels only: never a member's

    # What the engine keeps is computed through the guard, like any read: checked read-only and redacted (outside a
    # request, as for a viewer), so nothing kept can hold member data that a route could not read itself.
    def keep(self, what: str, compute: Callable[[GraphEngine], Any], summarize: Callable[[Any], dict[str, Any]], *,
             wait: bool = False) -> bool:
        return self.inner.keep(what, lambda _inner: compute(self), summarize, wait=wait)

    def kept(self, what: str) -> Any | None:
        return self.inner.kept(what)

    # The rows kept hold no member (graph.node_rows.UNKEPT_LABELS); members the engine reads for them from the
    # database (Neo4j's copy, by internal id) are redacted and counted for the audit as every read is.
    def node_rows(self) -> NodeRows | None:
        rows = self.inner.node_rows()
        return rows.redacted_by(self._redact) if rows is not None else None

    def node_rows_with(self, topology: Topology) -> NodeRows | None:
        rows = self.inner.node_rows_with(topology)
        return rows.redacted_by(self._redact) if rows is not None else None

    def close(self) -> None:
        self.inner.close()


def check_read(query: str, dialect: str) -> None:
    """:func:`graph.readonly.check_read_only`, remembering the statements that passed.

    The check is a pure function of the text and the dialect, so a statement that passed once passes
    again; the catalog's queries are checked once per process instead of on every request (a pass over
    the text character by character, tens of microseconds each, several per request). Refusals are not
    remembered (an exception is never cached), so each refused statement is checked, and refused, anew."""
    if len(query) <= CHECKED_QUERY_MAX_CHARS:
        _check_read_remembered(query, dialect)
    else:
        check_read_only(query, dialect)


@functools.lru_cache(maxsize=2048)
def _check_read_remembered(query: str, dialect: str) -> None:
    check_read_only(query, dialect)


def guard(engine: GraphEngine) -> GuardedEngine:
    """Wrap ``engine``; the wrapper has the same ``kind`` and ``dialect`` (class attributes of every engine)."""
    cls = type(f"Guarded{type(engine).__name__}", (GuardedEngine,), {"kind": engine.kind, "dialect": engine.dialect})
    guarded: GuardedEngine = cls(engine)
    return guarded


class RequestContextMiddleware:
    """Gives each HTTP request its :class:`RequestContext`, caps request bodies, and writes the audit
    line of a request that met member records (after it was answered, whatever the outcome)."""

    def __init__(self, app: ASGIApp, audit: AuditLog) -> None:
        self.app = app
        self.audit = audit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > MAX_BODY_BYTES:
            await _too_large(send)
            return
        app = scope.get("app")
        ctx = RequestContext(workers=getattr(app.state, "workers", None) if app is not None else None)
        token = _CURRENT.set(ctx)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > MAX_BODY_BYTES:  # a chunked body without Content-Length; the problem handler answers 413
                raise HTTPException(413, "The request body is larger than 1 MiB.")
            return message

        async def no_store_send(message: Message) -> None:
            # Answers may hold member data for the caller's role: no browser or proxy may keep them (the back
            # button after a logout, a shared proxy cache). Static files are cacheable and say so themselves.
            if message["type"] == "http.response.start" and not scope.get("path", "").startswith("/static/"):
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, no_store_send)
        finally:
            _CURRENT.reset(token)
            if ctx.members_seen:
                self.audit.write("member_data", key_id=ctx.key_id, role=ctx.role.value, method=scope["method"],
                                   path=scope["path"], members=len(ctx.members_seen), view=VIEW_NAME[ctx.role])


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return MAX_BODY_BYTES + 1
    return 0


async def _too_large(send: Send) -> None:
    body = (b'{"type":"about:blank","title":"Payload too large","status":413,'
            b'"detail":"The request body is larger than 1 MiB."}')
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
