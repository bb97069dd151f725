"""The production engine: Neo4j 5 through the official driver.

* One driver per engine (and one engine per process): the driver owns the connection pool, sized and
  timed by the constructor's arguments (``ORGGRAPH_NEO4J_*`` settings, see ``api/settings.py``).
* ``execute_query`` gives managed transactions with retries on transient errors.
* Causal consistency: every write and every read of an engine share one bookmark manager
  (:attr:`Neo4jEngine.bookmarks`), so a read after a write (a load, then a query) sees the write, also
  when a ``neo4j://`` cluster sends the read to a secondary that has not caught up yet: the server waits
  until it has. Bookmarks live in the process; another process (the API after a CLI load) does not get them.
* Reads run in READ sessions: on a ``neo4j://`` cluster they go to secondaries, and on any server a write
  inside them fails (``Neo.ClientError.Statement.AccessMode``) instead of running. :meth:`Neo4jEngine.read`
  sends each as one auto-commit query, one round trip (see there).
* ``database_`` is always passed, which saves a round trip to resolve the home database.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from itertools import islice
from typing import Any, ClassVar, TypeVar

import neo4j
from neo4j import GraphDatabase, NotificationDisabledClassification, NotificationMinimumSeverity, Query, RoutingControl
from neo4j import exceptions as neo4j_errors
from neo4j.api import BookmarkManager

from graph.committed import CommittedCopy, KeptValues
from graph.cypher import allowed_label, allowed_rel_type, check_parameters
from graph.engine import DEFAULT_BATCH_SIZE, GraphEngine, Row
from graph.errors import EngineUnavailableError, QueryError, query_error
from graph.name_index import NameIndex, name_index_summary
from graph.name_index import build as build_name_index
from graph.neo4j_copy import (
    GraphCopy,
    RawGraph,
    build_copy,
    copy_summary,
    read_graph,
    rows_by_internal_ids_query,
    rows_of_lists,
)
from graph.node_rows import NodeRows
from graph.schema import ENTITY_LABEL, SEARCHABLE_LABELS, GraphSchema, neo4j_ddl
from graph.topology import Topology, topology_summary
from graph.values import from_neo4j, to_parameter

_T = TypeVar("_T")
_DDL_NAME = re.compile(r"CREATE (?:CONSTRAINT|(?:TEXT |FULLTEXT )?INDEX) (\w+) ")
"""The name in one of ``graph.schema.neo4j_ddl``'s statements."""
_UNAVAILABLE = (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, neo4j_errors.AuthError, OSError)
NameRow = tuple[str, str | None, str, str | None]
"""id, name, label, name initials: what :func:`graph.name_index.build` takes."""
_SEARCHABLE_NAMES = "\nUNION ALL\n".join(
    f"MATCH (n:{label}) RETURN n.id AS id, n.name AS name, '{label}' AS label, n.name_initials AS initials"
    for label in SEARCHABLE_LABELS)
"""Every searchable node's name and initials, label by label (members never)."""


@cache
def _create_nodes_query(label: str) -> str:
    """``UNWIND $rows … CREATE`` nodes of ``label`` (and :Entity) with every stored property (a null sets none).

    The row is the property map (the loader's rows hold exactly the stored properties): one ``SET n = r``
    costs the server about two thirds of the CPU of one ``SET n.p = r.p`` per property.
    """
    allowed_label(label)
    return f"UNWIND $rows AS r\nCREATE (n:{label}:{ENTITY_LABEL})\nSET n = r"


@cache
def _create_rels_query(rel_type: str, source_label: str, target_label: str) -> str:
    """``UNWIND $rows … CREATE`` one ``rel_type`` relationship per row between existing nodes.

    Rows are ``{"source", "target", "props"}`` (:func:`_rel_with_props`): ``SET x = r.props`` in one go.
    """
    allowed_rel_type(rel_type)
    return (f"UNWIND $rows AS r\nMATCH (a:{allowed_label(source_label)} {{id: r.source}})\n"
            f"MATCH (b:{allowed_label(target_label)} {{id: r.target}})\nCREATE (a)-[x:{rel_type}]->(b)\nSET x = r.props")


def _rel_with_props(row: Mapping[str, Any]) -> dict[str, Any]:
    """A loader relationship row (source, target and the stored properties) as ``{"source", "target", "props"}``."""
    props = dict(row)
    return {"source": props.pop("source"), "target": props.pop("target"), "props": props}


def committed_names(last_commit: Callable[[], str], read: Callable[[], list[NameRow]], *,
                    commit_around_read: Callable[[], str] | None = None, min_wait_s: float = 5.0,
                    max_wait_s: float = 120.0) -> CommittedCopy[list[NameRow], NameIndex]:
    """The search names as a served Neo4j engine keeps them (:mod:`graph.committed`): ``read`` gives every
    searchable node's :data:`NameRow`, indexed by :func:`graph.name_index.build`."""
    return CommittedCopy("search names", last_commit, read,
                         lambda rows, cancelled: build_name_index(rows, cancelled=cancelled),
                         lambda names: name_index_summary(names) or {}, commit_around_read=commit_around_read,
                         min_wait_s=min_wait_s, max_wait_s=max_wait_s)


class Neo4jEngine(GraphEngine):
    """Neo4j engine over Bolt.

    Parameters
    ----------
    uri:
        ``bolt://host:port`` for one server, ``neo4j://host:port`` for a cluster (routing).
    auth:
        ``(user, password)`` or ``None`` when the server has authentication off.
    database:
        The database name, passed with every query.
    timeout_s:
        Server-side time limit of each query's transaction.
    max_pool_size:
        Most connections the driver keeps open per server.
    connection_timeout_s:
        Time limit to open one connection (TCP and handshake).
    acquisition_timeout_s:
        How long a query waits for a connection from the pool (opening one included) before it fails as
        unavailable; default ``connection_timeout_s``.
    retry_s:
        How long a query is retried on transient errors (leader switch, server restarting) before failing.
    max_connection_lifetime_s:
        Connections older than this are closed and replaced (keep it below any proxy's or firewall's idle cut).
    search_names:
        Keep the searchable names in memory for the search, used while no transaction has committed since they
        were read (:mod:`graph.committed`); ``serve`` turns it on (``ORGGRAPH_NEO4J_SEARCH_NAMES``).
    topology:
        Keep every relationship and the properties of every node but members in memory
        (:mod:`graph.neo4j_copy`) for walks and shortest paths, used on the same terms; ``serve`` turns it on
        (``ORGGRAPH_NEO4J_TOPOLOGY``). With ``search_names`` too, the names are indexed from this copy's node rows
        instead of being read again.
    """

    kind: ClassVar[str] = "neo4j"
    dialect: ClassVar[str] = "neo4j"

    def __init__(self, uri: str, *, auth: tuple[str, str] | None = None, database: str = "neo4j", timeout_s: float = 30.0,
                 max_pool_size: int = 100, connection_timeout_s: float = 15.0, acquisition_timeout_s: float | None = None,
                 retry_s: float = 15.0, max_connection_lifetime_s: float = 3600.0, search_names: bool = False,
                 topology: bool = False) -> None:
        self.uri = uri
        self.database = database
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self._closed = False
        try:
            self._driver = GraphDatabase.driver(
                uri, auth=auth, user_agent="orggraph", max_connection_pool_size=max_pool_size,
                connection_timeout=connection_timeout_s,
                connection_acquisition_timeout=connection_timeout_s if acquisition_timeout_s is None else acquisition_timeout_s,
                max_transaction_retry_time=retry_s, max_connection_lifetime=max_connection_lifetime_s,
                # "Label/property does not exist (yet)": the schema comes from the model, so these only mean
                # an empty graph or one loaded before a derived table existed (queries/rollup.py), which the
                # queries handle; logged, they would repeat on every request.
                notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
            )
        except (ValueError, TypeError, neo4j_errors.ConfigurationError) as exc:
            raise EngineUnavailableError(f"bad Neo4j address {uri!r}: {exc}") from exc
        # The one bookmark manager of this engine (see the module docstring). It is the driver's own
        # execute_query manager, so the bulk writes, which call execute_query without naming one, share it too.
        self.bookmarks: BookmarkManager = self._driver.execute_query_bookmark_manager
        # With the topology, the search names are indexed from its node rows (one read of them); alone, they have
        # a copy of their own, read by one query.
        self._search_names = search_names
        self._names: CommittedCopy[list[NameRow], NameIndex] | None = None
        self._graph: CommittedCopy[RawGraph, GraphCopy] | None = None
        if topology:
            self._graph = CommittedCopy(
                "topology", self.last_commit, self._read_graph,
                lambda raw, cancelled: build_copy(raw, cancelled, names=search_names,
                                                  read_by_internal_ids=self._rows_by_internal_ids), copy_summary,
                commit_around_read=self._last_commit_once)
        # What is computed from the database is kept while the bookmark says it is unchanged (GraphEngine.keep).
        self.kept_values: KeptValues = KeptValues(self, self.last_commit, commit_around_read=self._last_commit_once)
        if not topology and search_names:
            self._names = committed_names(self.last_commit, self._searchable_names,
                                          commit_around_read=self._last_commit_once)

    def last_commit(self) -> str:
        """The bookmark of the database's last committed transaction, as the server returns it after a read
        (``RETURN 1``, one round trip): equal strings, no commit in between (:mod:`graph.committed`)."""
        with self._errors():
            return self._retrying(self._bookmark_now)

    def _last_commit_once(self) -> str:
        """:meth:`last_commit` without retries."""
        with self._errors():
            return self._bookmark_now()

    def _bookmark_now(self) -> str:
        with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                  bookmark_manager=self.bookmarks) as session:
            session.run("RETURN 1").consume()
            return " ".join(sorted(session.last_bookmarks().raw_values))

    def _searchable_names(self) -> list[NameRow]:
        """Every searchable node as (id, name, label, name initials), streamed into tuples (340,938 at scale 100)."""
        with self._errors(), self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                                  bookmark_manager=self.bookmarks) as session:
            result = session.run(Query(_SEARCHABLE_NAMES, timeout=self.timeout_s * 10))  # type: ignore[arg-type,unused-ignore]
            return [(r[0], r[1], r[2], r[3]) for r in result]

    def _read_graph(self) -> RawGraph:
        """Every relationship and node for :mod:`graph.neo4j_copy`, a query per label and per type in one READ
        session (notifications off: ``id()`` is deprecated in Neo4j 5 but still the cheapest handle on a node)."""
        with self._errors(), self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                                  bookmark_manager=self.bookmarks,
                                                  notifications_min_severity=NotificationMinimumSeverity.OFF) as session:
            def run_one(query: str) -> list[Any]:
                record = session.run(Query(query, timeout=self.timeout_s * 10)).single(strict=True)  # type: ignore[arg-type,unused-ignore]
                return list(record.values())

            return read_graph(run_one, cancelled=lambda: self._closed)

    def _rows_by_internal_ids(self, label: str, internal: list[int]) -> list[Row]:
        """The rows of the nodes of ``label`` with these internal ids, for the copy's rows of members
        (:func:`graph.neo4j_copy.rows_by_internal_ids_query`): a READ session with the engine's bookmarks, retried
        like :meth:`read`, notifications off (``id()``)."""
        query = Query(rows_by_internal_ids_query(label), timeout=self.timeout_s)  # type: ignore[arg-type,unused-ignore]

        def once() -> list[Row]:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                      bookmark_manager=self.bookmarks,
                                      notifications_min_severity=NotificationMinimumSeverity.OFF) as session:
                lists = session.run(query, {"internal": internal}).single(strict=True)[0]
            return rows_of_lists(label, internal, lists)

        with self._errors():
            return self._retrying(once)

    def topology(self) -> Topology | None:
        """Every relationship in memory when the copy is the database as it is now (one round trip to ask), else
        ``None``: walks and paths then run their queries, and a new copy is read in the background."""
        copy = self._graph.current() if self._graph is not None else None
        return copy.topology if copy is not None else None

    def node_rows(self) -> NodeRows | None:
        """The properties of every node but members, on the terms of :meth:`topology`."""
        copy = self._graph.current() if self._graph is not None else None
        return copy.rows if copy is not None else None

    def held_topology(self) -> Topology | None:
        """The copy's topology held now, current or not, without a round trip (see :meth:`GraphEngine.held_topology`)."""
        held = self._graph.held() if self._graph is not None else None
        return held.topology if held is not None else None

    def node_rows_with(self, topology: Topology) -> NodeRows | None:
        """The rows of the copy ``topology`` came from, while that copy is still the one held, without asking for
        the bookmark again: ``topology()`` asked, and rows of the same copy show the database as it was then, as
        the walk over ``topology`` does. ``None`` once another copy replaced it (the caller reads the nodes)."""
        held = self._graph.held() if self._graph is not None else None
        return held.rows if held is not None and held.topology is topology else None

    def name_index(self) -> NameIndex | None:
        """The searchable names in memory when they are the database's as it is now (one round trip to ask),
        else ``None``: the search then runs its queries, and a new copy is read in the background."""
        if self._graph is not None:
            copy = self._graph.current()
            return copy.names if copy is not None else None
        return self._names.current() if self._names is not None else None

    def prepare_topology(self, *, wait: bool = False) -> None:
        """Start reading what the engine keeps in memory (the search names, the topology) in the background, and
        with ``wait``, wait until it is read. Never raises: the server may be down when the API starts, and the API
        must still start (its health answers 503 until the server is back)."""
        copies = [copy for copy in (self._names, self._graph) if copy is not None]
        for copy in copies:
            copy.start()
        if wait:
            for copy in copies:
                copy.wait()

    def _run(self, query: str, params: Mapping[str, Any] | None, routing: RoutingControl) -> list[Row]:
        values = {k: to_parameter(v) for k, v in check_parameters(query, params).items()}
        with self._errors():
            records, _, keys = self._driver.execute_query(
                Query(query, timeout=self.timeout_s),  # type: ignore[arg-type,unused-ignore]  # text comes from the catalog
                values, routing_=routing, database_=self.database, bookmark_manager_=self.bookmarks,
            )
        return [{k: from_neo4j(record[k]) for k in keys} for record in records]

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a read-only query as one auto-commit query of a READ session: one round trip (RUN and PULL in one
        write), against three for a managed read transaction (``execute_read``: BEGIN, RUN and PULL, COMMIT)
        and two for ``execute_query``. A round trip is CPU on both sides (~0.4 ms in the driver, ~0.35 ms in the
        Bolt server on the 2-core benchmark machine, several ms while the server's JIT is still cold), so a
        small read took ~1.5x as long (``bench/roundtrip.py``, docs/benchmarks.md "Neo4j round trip").

        Nothing is lost: the session's READ mode travels with RUN, so the server still refuses a write
        (``Neo.ClientError.Statement.AccessMode``) and a cluster routes the read to a secondary; the engine's
        bookmarks still make it wait for earlier writes; the time limit is the query's. The driver retries
        only managed transactions, so transient errors are retried here the same way (see :meth:`_retrying`).
        """
        values = {k: to_parameter(v) for k, v in check_parameters(query, params).items()}
        text = Query(query, timeout=self.timeout_s)  # type: ignore[arg-type,unused-ignore]  # text comes from the catalog

        def once() -> list[Row]:
            with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                      bookmark_manager=self.bookmarks) as session:
                result = session.run(text, values)
                keys = result.keys()
                return [{k: from_neo4j(record[k]) for k in keys} for record in result]

        with self._errors():
            return self._retrying(once)

    def _retrying(self, once: Callable[[], _T]) -> _T:
        """``once()``, tried again while it fails with an error the driver calls retryable (a leader switch, a
        server restarting or unreachable) and ``retry_s`` has not passed since the first failure; the delays
        are the driver's own for managed transactions (1 s, doubling, ±20 % jitter). Only for reads: a read
        can always be run again."""
        first_failure: float | None = None
        delay = 1.0
        while True:
            try:
                return once()
            except (neo4j_errors.DriverError, neo4j_errors.Neo4jError) as exc:
                if not exc.is_retryable():
                    raise
                now = time.monotonic()
                first_failure = now if first_failure is None else first_failure
                if now - first_failure > self.retry_s:
                    raise
            time.sleep(delay * random.uniform(0.8, 1.2))
            delay *= 2

    def query_type(self, query: str, params: Mapping[str, Any] | None = None) -> str:
        """What Neo4j's planner says the query does, without running it (``EXPLAIN``): ``r`` read only,
        ``rw`` read and write, ``w`` write only, ``s`` schema or administration."""
        values = {k: to_parameter(v) for k, v in check_parameters(query, params).items()}
        with self._errors(), self._console_session() as session:
            summary = session.run(f"EXPLAIN {query}", values).consume()  # type: ignore[arg-type,unused-ignore]
        return str(summary.query_type)

    def read_limited(self, query: str, params: Mapping[str, Any] | None = None, *, max_rows: int,
                     timeout_s: float) -> tuple[list[str], list[Row], bool]:
        values = {k: to_parameter(v) for k, v in check_parameters(query, params).items()}
        with self._errors(), self._console_session() as session:
            tx = session.begin_transaction(timeout=timeout_s)
            try:
                result = tx.run(query, values)  # type: ignore[arg-type,unused-ignore]
                keys = list(result.keys())
                records = result.fetch(max_rows + 1)  # stop pulling at the limit: a huge result is never fetched
            finally:
                tx.close()  # rolls back: nothing to keep from a read
        rows = [{k: from_neo4j(record[k]) for k in keys} for record in records[:max_rows]]
        return keys, rows, len(records) > max_rows

    def _console_session(self) -> neo4j.Session:
        # Notifications are off: the driver would log them with the query text, which a person typed.
        # A READ session with the engine's bookmarks: routed to a secondary, and it sees the latest load.
        return self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                    bookmark_manager=self.bookmarks,
                                    notifications_min_severity=NotificationMinimumSeverity.OFF)

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Map the driver's errors to the engine's: unreachable (503 in the API) or a rejected query."""
        try:
            yield
        except _UNAVAILABLE as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri} is unreachable: {exc}") from exc
        except neo4j_errors.Neo4jError as exc:
            raise query_error(exc.message or str(exc)) from exc
        except neo4j_errors.DriverError as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri}: {exc}") from exc

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self._run(query, params, RoutingControl.WRITE)

    def bulk_insert_nodes(self, query: str, label: str, rows: Iterable[Mapping[str, Any]], *,
                          batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int], None] | None = None) -> int:
        """Into a database without nodes of ``label``: ``CREATE`` rather than ``MERGE`` (no index lookup per
        row; the uniqueness constraints still hold), the loader's rows sent as they are (plain values)."""
        return self._write_rows(_create_nodes_query(label), rows, batch_size, on_batch)

    def bulk_insert_rels(self, query: str, rel_type: str, source_label: str, target_label: str,
                         rows: Iterable[Mapping[str, Any]], *, batch_size: int = DEFAULT_BATCH_SIZE,
                         on_batch: Callable[[int], None] | None = None) -> int:
        """Into a database without ``rel_type`` relationships: ``CREATE`` one per (validated, unique) row."""
        return self._write_rows(_create_rels_query(rel_type, source_label, target_label), map(_rel_with_props, rows),
                                batch_size, on_batch)

    def _write_rows(self, query: str, rows: Iterable[Mapping[str, Any]], batch_size: int,
                    on_batch: Callable[[int], None] | None) -> int:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        total = 0
        it = iter(rows)
        with self._errors():
            while batch := list(islice(it, batch_size)):
                if not all(isinstance(row, dict) for row in batch):
                    batch = [dict(row) for row in batch]
                self._driver.execute_query(Query(query, timeout=self.timeout_s),  # type: ignore[arg-type,unused-ignore]
                                           {"rows": batch}, routing_=RoutingControl.WRITE, database_=self.database)
                total += len(batch)
                if on_batch:
                    on_batch(len(batch))
        return total

    def create_schema(self) -> None:
        """Create the constraints and indexes that are missing, then wait until they are online.

        Each DDL statement is a transaction of its own (a few hundred ms on a busy server, even with ``IF NOT
        EXISTS``), so the ones already there, by name, are not sent again: every load calls this.
        """
        existing = self._schema_names()
        for statement in neo4j_ddl():
            named = _DDL_NAME.match(statement)
            if named is None or named[1] not in existing:
                self.write(statement)
        self.write("CALL db.awaitIndexes(300)")
        # IF NOT EXISTS also does nothing when an equivalent index has another name; queries name ours.
        missing = {m[1] for s in neo4j_ddl() if (m := _DDL_NAME.match(s))} - self._schema_names()
        if missing:
            raise QueryError(f"the database lacks {', '.join(sorted(missing))}: an index or constraint with the same "
                             "definition but another name is in the way (SHOW INDEXES); drop it and load again")

    def _schema_names(self) -> set[str]:
        names = {r["name"] for r in self.read("SHOW CONSTRAINTS YIELD name RETURN name")}
        return names | {r["name"] for r in self.read("SHOW INDEXES YIELD name RETURN name")}

    def schema(self) -> GraphSchema:
        """Labels come from the uniqueness constraints; properties are those declared by an index or
        seen in the data (Neo4j itself declares no properties)."""
        constraints = self.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
                                "RETURN labelsOrTypes[0] AS label, properties, type")
        labels: dict[str, set[str]] = {c["label"]: set(c["properties"]) for c in constraints if c["type"] == "UNIQUENESS"}
        indexes = self.read("SHOW INDEXES YIELD labelsOrTypes, properties, type, entityType WHERE type = 'RANGE' "
                            "RETURN labelsOrTypes[0] AS name, properties, entityType")
        rel_types: dict[str, set[str]] = {}
        for index in indexes:
            target = labels if index["entityType"] == "NODE" else rel_types
            target.setdefault(index["name"], set()).update(index["properties"])
        for row in self.read("CALL db.schema.nodeTypeProperties() YIELD nodeLabels, propertyName "
                             "RETURN nodeLabels, propertyName"):
            for label in row["nodeLabels"]:
                labels.setdefault(label, set()).update([row["propertyName"]] if row["propertyName"] else [])
        for row in self.read("CALL db.schema.relTypeProperties() YIELD relType, propertyName RETURN relType, propertyName"):
            name = row["relType"].strip(":`")
            rel_types.setdefault(name, set()).update([row["propertyName"]] if row["propertyName"] else [])
        return GraphSchema(
            labels={k: tuple(sorted(v)) for k, v in labels.items()},
            rel_types={k: tuple(sorted(v)) for k, v in rel_types.items()},
            indexes=tuple(sorted(f"{i['name']}.{','.join(i['properties'])}" for i in indexes)),
        )

    def ping(self) -> None:
        # verify_connectivity fails at once when no server answers; a query would retry for retry_s.
        try:
            self._driver.verify_connectivity()
        except _UNAVAILABLE as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri} is unreachable: {exc}") from exc
        except neo4j_errors.DriverError as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri}: {exc}") from exc

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"engine": self.kind, "uri": self.uri, "database": self.database}
        if self._graph is not None:
            described["topology"] = self._graph.summary() or topology_summary(None, building=self._graph.reading)
        if self._search_names:
            held = self._graph.held() if self._graph is not None else None
            described["search_names"] = (name_index_summary(held.names) if held is not None
                                         else self._names.summary() if self._names is not None else None)
        if kept := self.kept_summaries():
            described["kept"] = kept
        return described

    def close(self) -> None:
        self._closed = True
        for copy in (self._names, self._graph):
            if copy is not None:
                copy.close()
        self.kept_values.close()
        self._driver.close()


__all__ = ["Neo4jEngine", "neo4j"]
