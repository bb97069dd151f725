"""The embedded engine: LadybugDB (a maintained fork of Kuzu), in-process, stored in one directory.

Zero set-up, so it is the default. One ``Database`` per process, with a small pool of ``Connection``s
(LadybugDB runs reads from several connections at once, and serializes writes).
"""

from __future__ import annotations

import contextlib
import csv
import logging
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import ladybug
import pyarrow as pa

from graph.committed import SNAPSHOT, KeptValues
from graph.cypher import allowed_label, allowed_rel_type, check_parameters, inline_nulls
from graph.engine import DEFAULT_BATCH_SIZE, GraphEngine, Row
from graph.errors import EngineUnavailableError, QueryError, query_error
from graph.model import NODE_MODELS, REL_MODELS
from graph.name_index import NameIndex, name_index_summary
from graph.name_index import build as build_name_index
from graph.node_rows import NodeRows, node_rows_summary
from graph.node_rows import build as build_node_rows
from graph.schema import SEARCHABLE_LABELS, GraphSchema, ladybug_ddl, stored_node_properties, stored_rel_properties
from graph.topology import Topology, build, topology_summary
from graph.values import csv_text, from_ladybug, to_parameter

DEFAULT_DB_PATH = Path("data/orggraph.lbug")
log = logging.getLogger("orggraph.engine")
COPY_PROGRESS_ROWS = 10_000
ALONE_RETRY_PAUSES_S = (0.0, 0.2, 1.0)
MB_PER_CONNECTION = 256
"""Page cache per pooled connection: each running query takes its working memory from the page cache, and
the load test exhausted 512 MiB with 4 connections (shortest paths) but not with 2, nor 1 GiB with 4."""


PLAIN_COLUMN_TYPES = frozenset({"STRING", "BOOL", "DATE", "DOUBLE", "FLOAT", "INT64", "INT32", "INT16", "INT8",
                                "UINT64", "UINT32", "UINT16", "UINT8"})
"""Column types whose values the driver already gives as plain Python values (graph/values.py): a result of only
these needs no conversion (a node's columns, ids, counts). Sums (INT128, as ``Decimal``), nodes, lists and
structs are converted."""


def _arrow(conn: ladybug.Connection, query: str) -> pa.Table:
    """All of a query's rows as an Arrow table (columns of plain values, not a Python object per value)."""
    result = conn.execute(query)
    assert not isinstance(result, list), "one statement, one result"
    try:
        return result.get_as_arrow()
    finally:
        result.close()


def _out_of_buffer(exc: RuntimeError) -> bool:
    return "Buffer manager exception" in str(exc)


COPY_MAX_ROWS = 4_000_000
"""Rows per ``COPY`` of record batches: each COPY into a relationship table rebuilds its adjacency lists, so one big
COPY is several times faster than many small ones (1.1M members' MEMBER_OF: 12 s in batches of ~250k rows);
the bound keeps the memory of a far bigger file in check."""


PREPARED_STATEMENTS_KEPT = 512
"""Statements a pooled connection keeps prepared (the catalog has ~60 queries, a few variants each)."""


_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*|/\*.*?\*/", re.S)
_ORDER_SKIP_LIMIT = re.compile(r"\bORDER\s+BY\b.*?\bSKIP\b.*?\bLIMIT\b", re.I | re.S)


def refuse_order_skip_limit(query: str) -> None:
    """Refuse a statement with ``ORDER BY … SKIP … LIMIT``: LadybugDB 0.22 crashes the whole process (after a few
    runs) when such a skip lies far past the last row (``tests/test_ladybug_skip.py``). orggraph's own queries never
    send that shape with a skip it does not know to be safe; a statement typed in the admin console is refused."""
    if _ORDER_SKIP_LIMIT.search(_STRINGS_AND_COMMENTS.sub(" ", query)):
        raise QueryError("ORDER BY … SKIP … LIMIT is refused on the embedded engine: LadybugDB 0.22 can crash on it. "
                         "Use LIMIT alone (SKIP + LIMIT rows) and skip the first rows yourself, or SKIP alone.")


def _forget_prepared_statements(conn: ladybug.Connection, *, above: int) -> None:
    """Close the statements ``conn`` keeps prepared once there are more than ``above`` of them.

    LadybugDB 0.22 prepares every new statement text once per connection and keeps it, with its bound values,
    until the connection closes: a long-running server that meets many different texts (the Cypher console,
    label slots, inlined nulls) would grow without end. The cache is private to the driver: if it is ever
    renamed this does nothing, which is what the driver did anyway.
    """
    cache = getattr(conn, "_pybind_implicit_prepared_cache", None)
    lock = getattr(conn, "_prepared_cache_lock", None)
    if not isinstance(cache, dict) or lock is None or len(cache) <= above:
        return
    with lock:
        for prepared in cache.values():
            close = getattr(prepared, "close", None)
            if callable(close):
                with contextlib.suppress(RuntimeError):
                    close()
        cache.clear()


def _chunked_tables(batches: Iterable[pa.RecordBatch], max_rows: int) -> Iterator[pa.Table]:
    """The batches gathered into tables of at most about ``max_rows`` rows."""
    gathered: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        gathered.append(batch)
        rows += batch.num_rows
        if rows >= max_rows:
            yield pa.Table.from_batches(gathered)
            gathered, rows = [], 0
    if gathered:
        yield pa.Table.from_batches(gathered)


class LadybugEngine(GraphEngine):
    """Embedded LadybugDB engine.

    Parameters
    ----------
    path:
        Database directory (created if missing). ``":memory:"`` keeps everything in memory.
    read_only:
        Open without write access (several processes may then share the files).
    buffer_pool_mb:
        Memory for the page cache; ``0`` lets LadybugDB choose (most of the machine's memory).
    timeout_s:
        Per-query time limit; ``0`` for none.
    connections:
        Most queries run at once (each on its own connection); more wait their turn. Default: one per
        256 MiB of page cache (``MB_PER_CONNECTION``), 1 to 8; 4 when LadybugDB sizes the cache.
    topology:
        Whether a read-only engine may keep every relationship in memory (:mod:`graph.topology`) once
        :meth:`prepare_topology` is called, for neighborhood walks and shortest paths.
    """

    kind: ClassVar[str] = "embedded"
    dialect: ClassVar[str] = "ladybug"

    def __init__(self, path: str | Path = DEFAULT_DB_PATH, *, read_only: bool = False, buffer_pool_mb: int = 1024,
                 timeout_s: float = 30.0, connections: int | None = None, topology: bool = True) -> None:
        self.path = str(path)
        self.read_only = read_only
        self.keeps_topology = topology and read_only  # only a read-only view is fixed (graph/topology.py)
        self._topology: Topology | None = None
        self._names: NameIndex | None = None
        # A read-only database is a snapshot: what is computed from it stays exact while it is open.
        self.kept_values = KeptValues(self, lambda: SNAPSHOT) if read_only else None
        self._node_rows: NodeRows | None = None
        self._topology_thread: threading.Thread | None = None
        self._topology_lock = threading.Lock()
        self.timeout_ms = int(timeout_s * 1000)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = ladybug.Database(self.path, read_only=read_only, buffer_pool_size=buffer_pool_mb * 1024 * 1024)
        except RuntimeError as exc:  # locked by another process, corrupt files, no permission
            raise EngineUnavailableError(f"cannot open the embedded database at {self.path}: {exc}") from exc
        auto = min(8, max(1, buffer_pool_mb // MB_PER_CONNECTION)) if buffer_pool_mb else 4
        self._max_connections = max(1, connections or auto)
        self._idle: queue.SimpleQueue[ladybug.Connection] = queue.SimpleQueue()
        self._pool_lock = threading.Lock()
        self._alone_lock = threading.Lock()
        self._connections: list[ladybug.Connection] = []
        self._write_lock = threading.Lock()
        self._closed = False

    # -- connections ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[ladybug.Connection]:
        """Borrow one of at most ``connections`` connections (waiting when all are busy).

        A pool, not one connection per thread: every LadybugDB connection keeps working memory in the
        one buffer pool, so a server's many threads (FastAPI's pool has 40) exhausted it under load,
        even with queries taken one at a time."""
        if self._closed:
            raise EngineUnavailableError("the embedded engine is closed")
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._new_connection() or self._idle.get()
        try:
            yield conn
        finally:
            self._give_back(conn)

    def _give_back(self, conn: ladybug.Connection) -> None:
        """Return a borrowed connection to the pool, its prepared statements trimmed: whichever path ran on it (a
        catalog query, the Cypher console's ``read_limited``), a pooled connection never grows without end."""
        _forget_prepared_statements(conn, above=PREPARED_STATEMENTS_KEPT)
        self._idle.put(conn)

    def _new_connection(self) -> ladybug.Connection | None:
        """A new connection, or ``None`` when the pool is full."""
        with self._pool_lock:
            if len(self._connections) >= self._max_connections:
                return None
            conn = ladybug.Connection(self._db)
            if self.timeout_ms:
                conn.set_query_timeout(self.timeout_ms)
            self._connections.append(conn)
            return conn

    def _execute(self, query: str, params: Mapping[str, Any] | None) -> list[Row]:
        query, given = inline_nulls(query, check_parameters(query, params))
        values = {k: to_parameter(v) for k, v in given.items()}
        try:
            with self._connection() as conn:
                return self._run(conn, query, values)
        except RuntimeError as exc:
            if not _out_of_buffer(exc):
                raise query_error(str(exc)) from exc
        # The page cache was full of other queries' working memory: run again alone, a few times (the
        # cache frees memory lazily), before calling it a capacity problem (503), not a bad query.
        for pause in ALONE_RETRY_PAUSES_S:
            time.sleep(pause)
            try:
                with self._alone() as conn:
                    return self._run(conn, query, values)
            except RuntimeError as exc:
                if not _out_of_buffer(exc):
                    raise query_error(str(exc)) from exc
                last = exc
        # Last, on new connections: memory a connection kept from its earlier queries goes with it, so a
        # long-running server is not left refusing every query until it restarts.
        try:
            with self._alone(renew=True) as conn:
                return self._run(conn, query, values)
        except RuntimeError as exc:
            if not _out_of_buffer(exc):
                raise query_error(str(exc)) from exc
            last = exc
        raise EngineUnavailableError(f"the embedded database's page cache is too small for this query now "
                                     f"(raise ORGGRAPH_EMBEDDED_BUFFER_MB): {last}") from last

    @staticmethod
    def _run(conn: ladybug.Connection, query: str, values: dict[str, Any]) -> list[Row]:
        result = conn.execute(query, values)
        results = result if isinstance(result, list) else [result]
        rows: list[Row] = []
        try:
            for res in results:  # several statements give several results; the last one answers
                columns = res.get_column_names()
                if PLAIN_COLUMN_TYPES.issuperset(res.get_column_data_types()):  # every value as the driver gives it
                    rows = [dict(zip(columns, row, strict=True)) for row in res.get_all()]
                else:
                    rows = [dict(zip(columns, map(from_ladybug, row), strict=True)) for row in res.get_all()]
        finally:
            for res in results:  # an open result keeps its memory in the page cache
                res.close()
        return rows

    @contextlib.contextmanager
    def _alone(self, *, renew: bool = False) -> Iterator[ladybug.Connection]:
        """Borrow every connection of the pool and run on one: no other query runs meanwhile.

        ``renew`` closes them all first and runs on a new one (the others are opened again when needed).
        """
        with self._alone_lock:
            held: list[ladybug.Connection] = []
            try:
                while len(held) < self._max_connections:
                    try:
                        held.append(self._idle.get_nowait())
                    except queue.Empty:
                        held.append(self._new_connection() or self._idle.get())
                if renew:
                    with self._pool_lock:
                        for conn in held:
                            conn.close()
                            self._connections.remove(conn)
                    held = [conn for conn in [self._new_connection()] if conn is not None]
                yield held[0]
            finally:
                for conn in held:
                    self._give_back(conn)

    # -- GraphEngine -----------------------------------------------------------------------------

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self._execute(query, params)

    def read_limited(self, query: str, params: Mapping[str, Any] | None = None, *, max_rows: int,
                     timeout_s: float) -> tuple[list[str], list[Row], bool]:
        refuse_order_skip_limit(query)  # a person's statement (the admin console): see refuse_order_skip_limit
        query, given = inline_nulls(query, check_parameters(query, params))
        values = {k: to_parameter(v) for k, v in given.items()}
        with self._connection() as conn:  # borrowed alone, so its timeout can be changed for one query
            conn.set_query_timeout(max(1, int(timeout_s * 1000)))
            try:
                result = conn.execute(query, values)
            except RuntimeError as exc:
                raise query_error(str(exc)) from exc
            finally:
                conn.set_query_timeout(self.timeout_ms)
            if isinstance(result, list):
                for res in result:
                    res.close()
                raise QueryError("only one statement may run at a time")
            columns = result.get_column_names()
            rows: list[Row] = []
            truncated = False
            try:
                while result.has_next():
                    if len(rows) == max_rows:
                        truncated = True
                        break
                    rows.append(dict(zip(columns, (from_ladybug(v) for v in result.get_next()), strict=True)))
            finally:
                result.close()
        return columns, rows, truncated

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        if self.read_only:
            raise QueryError("the embedded database is open read-only")
        with self._write_lock:
            return self._execute(query, params)

    def bulk_insert_nodes(self, query: str, label: str, rows: Iterable[Mapping[str, Any]], *,
                          batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int], None] | None = None) -> int:
        """``COPY`` the rows from a temporary CSV file: 20-50x faster than ``UNWIND … MERGE`` here."""
        return self._copy(label, list(stored_node_properties(allowed_label(label))), "", rows, on_batch)

    def bulk_insert_rels(self, query: str, rel_type: str, source_label: str, target_label: str,
                         rows: Iterable[Mapping[str, Any]], *, batch_size: int = DEFAULT_BATCH_SIZE,
                         on_batch: Callable[[int], None] | None = None) -> int:
        columns = ["source", "target", *stored_rel_properties(allowed_rel_type(rel_type))]
        options = f", from='{allowed_label(source_label)}', to='{allowed_label(target_label)}'"
        return self._copy(rel_type, columns, options, rows, on_batch)

    copies_record_batches: ClassVar[bool] = True

    def bulk_insert_batches(self, table: str, batches: Iterable[pa.RecordBatch], *, ends: tuple[str, str] | None = None,
                            on_batch: Callable[[int], None] | None = None) -> int:
        """``COPY`` each Arrow record batch straight from memory (no Python values, no CSV): ~500k rows/s here."""
        if ends is None:
            allowed_label(table)
            options = ""
        else:
            allowed_rel_type(table)
            options = f" (from='{allowed_label(ends[0])}', to='{allowed_label(ends[1])}')"
        if self.read_only:
            raise QueryError("the embedded database is open read-only")
        count = 0
        with self._write_lock:
            # A connection of its own, closed at the end: LadybugDB keeps every statement it prepared, with its
            # bound values, until its connection closes, and each COPY from memory is a new statement (it names a
            # new scan table): a pooled connection would keep every table copied (+300 MB at scale 100).
            conn = ladybug.Connection(self._db)
            try:
                for table_rows in _chunked_tables(batches, COPY_MAX_ROWS):
                    try:
                        conn.execute(f"COPY {table} FROM $batch{options}", {"batch": table_rows})
                    except RuntimeError as exc:
                        raise query_error(str(exc)) from exc
                    count += table_rows.num_rows
                    if on_batch:
                        on_batch(table_rows.num_rows)
            finally:
                conn.close()
        return count

    def _copy(self, table: str, columns: list[str], options: str, rows: Iterable[Mapping[str, Any]],
              on_batch: Callable[[int], None] | None) -> int:
        # The CSV is ours, so its columns are exactly the table's, in table order. Quoted newlines
        # need the sequential reader (parallel=false).
        count = 0
        with tempfile.TemporaryDirectory(prefix="orggraph-copy-") as tmp:
            path = Path(tmp) / f"{table}.csv"
            with open(path, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(columns)
                for row in rows:
                    writer.writerow([csv_text(row.get(c)) for c in columns])
                    count += 1
                    if on_batch and count % COPY_PROGRESS_ROWS == 0:
                        on_batch(COPY_PROGRESS_ROWS)
            if count:
                self.write(f"COPY {table} FROM '{path.as_posix()}' (header=true, parallel=false{options})")
        if on_batch and count % COPY_PROGRESS_ROWS:
            on_batch(count % COPY_PROGRESS_ROWS)
        return count

    def create_schema(self) -> None:
        for statement in ladybug_ddl():
            self.write(statement)

    def schema(self) -> GraphSchema:
        labels: dict[str, tuple[str, ...]] = {}
        rel_types: dict[str, tuple[str, ...]] = {}
        for table in self.read("CALL show_tables() RETURN name, type"):
            props = tuple(sorted(
                r["name"] for r in self.read(f"CALL table_info('{table['name']}') RETURN name")
            ))
            if table["type"] == "NODE":
                labels[table["name"]] = props
            elif table["type"] == "REL":
                rel_types[table["name"]] = props
        indexes = tuple(sorted(f"{label}.id" for label in labels))  # the primary key is the only index
        return GraphSchema(labels=labels, rel_types=rel_types, indexes=indexes)

    def node_counts(self) -> dict[str, int]:
        # A fresh database has no tables yet: count what exists, report the rest as 0.
        tables = {t["name"] for t in self.read("CALL show_tables() RETURN name")}
        return {label: (int(self.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]) if label in tables else 0)
                for label in NODE_MODELS}

    def ping(self) -> None:
        try:
            self.read("RETURN 1 AS ok")
        except QueryError as exc:
            raise EngineUnavailableError(f"the embedded database at {self.path} does not answer: {exc}") from exc

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"engine": self.kind, "path": self.path, "read_only": self.read_only}
        if self.keeps_topology:
            with self._topology_lock:  # both read at once: a build ending in between is not "neither ready nor building"
                topology, names, rows = self._topology, self._names, self._node_rows
                building = self._topology_thread is not None
            described["topology"] = topology_summary(topology, building=building)
            if names is not None:
                described["topology"]["search_names"] = name_index_summary(names)
            if rows is not None:
                described["topology"]["node_rows"] = node_rows_summary(rows)
        if kept := self.kept_summaries():
            described["kept"] = kept
        return described

    # -- topology (graph/topology.py) ------------------------------------------------------------

    def prepare_topology(self, *, wait: bool = False) -> None:
        """Start building the in-memory topology in the background (once); ``wait`` until it is built.

        Until it is ready, :meth:`topology` answers ``None`` and walks and paths take their queries. Does nothing
        on an engine that may be written to, or that was opened with ``topology=False``."""
        if not self.keeps_topology:
            return
        with self._topology_lock:
            if self._topology_thread is None and self._topology is None and not self._closed:
                self._topology_thread = threading.Thread(target=self._build_topology, name="orggraph-topology",
                                                         daemon=True)
                self._topology_thread.start()
            thread = self._topology_thread
        if wait and thread is not None:
            thread.join()

    def topology(self) -> Topology | None:
        """The in-memory topology once :meth:`prepare_topology` has built it, else ``None``."""
        return self._topology

    def name_index(self) -> NameIndex | None:
        """The searchable names in memory, built with the topology (:mod:`graph.name_index`), else ``None``."""
        return self._names

    def node_rows(self) -> NodeRows | None:
        """The nodes' stored properties in memory (members never), built with the topology (:mod:`graph.node_rows`),
        else ``None``."""
        return self._node_rows

    def _build_topology(self) -> None:
        labels = tuple(NODE_MODELS)
        types = tuple(REL_MODELS)
        # A connection of its own, without the query time limit (seconds at scale 300): the pool's stay free for
        # the queries that answer meanwhile, even when the pool has a single one.
        conn = ladybug.Connection(self._db)
        try:
            listed = _arrow(conn, "CALL show_tables() RETURN name, id").to_pylist()
            tables = {str(row["name"]): int(row["id"]) for row in listed}
            present_labels = tuple(label for label in labels if label in tables)
            present_types = tuple(rel for rel in types if rel in tables)

            def node_ids(label: str) -> pa.Table:
                return _arrow(conn, f"MATCH (n:{allowed_label(label)}) RETURN offset(id(n)) AS offset, n.id AS id")

            def rel_ends(rel_type: str) -> pa.Table:
                return _arrow(conn, f"MATCH (a)-[r:{allowed_rel_type(rel_type)}]->(b) RETURN id(a) AS source, "
                                    "id(b) AS target")

            built = build(present_labels, present_types, {label: tables[label] for label in present_labels},
                          node_ids, rel_ends, cancelled=lambda: self._closed)
        except Exception:  # a topology is a speed-up: without one, walks and paths take their queries
            log.warning("the in-memory topology could not be built; walks and paths use queries", exc_info=True)
            built = None
        names, rows = None, None
        try:
            if built is not None:  # not when closing, nor after a failure
                names = self._build_name_index(conn, [label for label in SEARCHABLE_LABELS if label in tables])
                rows = build_node_rows(
                    built.labels, lambda label, columns: _arrow(conn, f"MATCH (n:{allowed_label(label)}) RETURN {columns}"),
                    cancelled=lambda: self._closed)
        except Exception:  # speed-ups too: without them the search and the node reads ask the database
            log.warning("the in-memory names or node rows could not be built; they are read from the database",
                        exc_info=True)
        finally:
            conn.close()
        with self._topology_lock:
            self._topology = built
            self._names = names
            self._node_rows = rows
            self._topology_thread = None
        if built is not None:
            log.info("in-memory topology ready: %s; names: %s; node rows: %s", topology_summary(built),
                     name_index_summary(names), node_rows_summary(rows))

    def _build_name_index(self, conn: ladybug.Connection, labels: list[str]) -> NameIndex | None:
        if not labels:
            return None
        # The searchable tables only, read as one, as search_by_name reads them: never a member's name.
        found = _arrow(conn, f"MATCH (n:{':'.join(allowed_label(label) for label in labels)}) "
                             "RETURN n.id AS id, n.name AS name, label(n) AS label, n.name_initials AS initials")
        rows = zip(*(found.column(c).to_pylist() for c in ("id", "name", "label", "initials")), strict=True)
        return build_name_index(list(rows), cancelled=lambda: self._closed)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.kept_values is not None:
            self.kept_values.close(wait=True)  # a read runs its queries on this database's connections
        building = self._topology_thread
        if building is not None:
            building.join()  # it stops at its next read (cancelled), and holds a connection until then
        for conn in self._connections:
            conn.close()
        self._connections.clear()
        self._db.close()
