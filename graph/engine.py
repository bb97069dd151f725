"""The one interface both graph engines implement.

Callers (loaders, API, CLI, tests) only ever see :class:`GraphEngine`; which database is behind it
is a setting. Queries are plain Cypher text with ``$parameters``; results are lists of dicts of
plain Python values (see ``graph.values``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any, ClassVar

from graph.model import NODE_MODELS, REL_MODELS
from graph.schema import DERIVED_TABLES, GraphSchema

if TYPE_CHECKING:
    from graph.committed import KeptValues
    from graph.name_index import NameIndex
    from graph.node_rows import NodeRows
    from graph.topology import Topology

Row = dict[str, Any]
DEFAULT_BATCH_SIZE = 5000


class GraphEngine(ABC):
    """A graph database that runs the catalog's Cypher.

    ``kind`` is what users configure (``embedded`` or ``neo4j``); ``dialect`` picks a query's
    engine-specific override file (``ladybug`` or ``neo4j``).
    """

    kind: ClassVar[str]
    dialect: ClassVar[str]

    @abstractmethod
    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a read-only query and return its rows."""

    @abstractmethod
    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run one query that may write, in its own transaction, and return its rows."""

    @abstractmethod
    def create_schema(self) -> None:
        """Create the schema derived from the model; safe to call again."""

    @abstractmethod
    def schema(self) -> GraphSchema:
        """Describe the labels, relationship types and indexes the database holds now."""

    @abstractmethod
    def ping(self) -> None:
        """Raise :class:`graph.errors.EngineUnavailableError` if the database cannot answer."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and files. The engine cannot be used afterwards."""

    def describe(self) -> dict[str, Any]:
        """Where the data lives, for health checks and logs (never secrets)."""
        return {"engine": self.kind}

    def prepare_topology(self, *, wait: bool = False) -> None:
        """Build the in-memory topology of :mod:`graph.topology` where the engine keeps one (a read-only
        LadybugDB database); elsewhere nothing."""
        return None

    def topology(self) -> Topology | None:
        """Every relationship in memory, once prepared and where the graph cannot change; else ``None``."""
        return None

    def name_index(self) -> NameIndex | None:
        """The searchable names in memory (:mod:`graph.name_index`), prepared with the topology; else ``None``."""
        return None

    def node_rows(self) -> NodeRows | None:
        """The nodes' properties in memory, members never (:mod:`graph.node_rows`), prepared with the topology;
        else ``None``. The rows may still answer for members by reading them from the database another way
        (``NodeRows.read_elsewhere``: Neo4j's internal ids); an API hands them out only through its guard."""
        return None

    kept_values: KeptValues | None = None
    """What :meth:`keep` keeps (:class:`graph.committed.KeptValues`): set by an engine that can tell when its database
    changes; ``None`` (the default) keeps nothing."""

    def keep(self, what: str, compute: Callable[[GraphEngine], Any], summarize: Callable[[Any], dict[str, Any]], *,
             wait: bool = False) -> bool:
        """Keep ``compute(self)`` (a value computed by catalog queries, such as
        :mod:`queries.coverage_intervals`) in memory as ``what``, for :meth:`kept` to give while the database is
        unchanged. It is read in the background, now (``wait``: wait until read); never raises (a failed read is
        logged and tried again later). ``summarize`` gives its sizes for :meth:`describe`.

        Returns whether the engine keeps it: an engine that can tell when its database changes does (a read-only
        embedded database never does; Neo4j's bookmark says, :mod:`graph.committed`); by default not. An API's guard
        passes its own reads to ``compute`` (checked and redacted like every read)."""
        return self.kept_values is not None and self.kept_values.keep(what, compute, summarize, wait=wait)

    def kept(self, what: str) -> Any | None:
        """The value :meth:`keep` keeps as ``what``, when it is the database's as it is now; else ``None`` (not kept,
        being read, or out of date after a write: it is then read again in the background)."""
        return self.kept_values.kept(what) if self.kept_values is not None else None

    def kept_summaries(self) -> dict[str, dict[str, Any]]:
        """Per name kept, its sizes (or that it is being read), for :meth:`describe`."""
        return self.kept_values.summaries() if self.kept_values is not None else {}

    def held_topology(self) -> Topology | None:
        """The topology held now, without asking whether it is still current (Neo4j's may not be): only to choose
        how to answer (a node's degree), never as an answer. By default :meth:`topology`."""
        return self.topology()

    def node_rows_with(self, topology: Topology) -> NodeRows | None:
        """The node rows that belong with ``topology`` (one this engine gave out): read from the same database
        state. By default :meth:`node_rows`, which on an engine that keeps both as a snapshot is that."""
        return self.node_rows()

    def query_type(self, query: str, params: Mapping[str, Any] | None = None) -> str | None:
        """What the engine's planner says ``query`` does (``r`` for read only), without running it;
        ``None`` when the engine cannot tell (LadybugDB)."""
        return None

    def read_limited(self, query: str, params: Mapping[str, Any] | None = None, *, max_rows: int,
                     timeout_s: float) -> tuple[list[str], list[Row], bool]:
        """Run a read for a person (the admin console): return its columns, at most ``max_rows`` rows and
        whether more were cut. Engines override this to stop fetching at the limit and to apply ``timeout_s``."""
        rows = self.read(query, params)
        return list(rows[0]) if rows else [], rows[:max_rows], len(rows) > max_rows

    def write_batches(self, query: str, rows: Iterable[Mapping[str, Any]], *, batch_size: int = DEFAULT_BATCH_SIZE,
                      on_batch: Callable[[int], None] | None = None) -> int:
        """Run ``query`` once per batch of ``rows``, passed as ``$rows``; one transaction per batch.

        The query is expected to ``UNWIND $rows AS r``. Returns the number of rows sent.
        ``on_batch`` is called with each batch's size, for progress bars.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        total = 0
        for batch in _chunks(rows, batch_size):
            self.write(query, {"rows": batch})
            total += len(batch)
            if on_batch:
                on_batch(len(batch))
        return total

    def bulk_insert_nodes(self, query: str, label: str, rows: Iterable[Mapping[str, Any]], *,
                          batch_size: int = DEFAULT_BATCH_SIZE, on_batch: Callable[[int], None] | None = None) -> int:
        """Insert node rows of ``label`` into a database that has none of them yet.

        Engines with a faster bulk path (LadybugDB's ``COPY``) override this; the default runs the
        loader's ``MERGE`` ``query`` in batches, which is always correct.
        """
        return self.write_batches(query, rows, batch_size=batch_size, on_batch=on_batch)

    def bulk_insert_rels(self, query: str, rel_type: str, source_label: str, target_label: str,
                         rows: Iterable[Mapping[str, Any]], *, batch_size: int = DEFAULT_BATCH_SIZE,
                         on_batch: Callable[[int], None] | None = None) -> int:
        """Insert relationship rows between two labels into a database that has none of them yet."""
        return self.write_batches(query, rows, batch_size=batch_size, on_batch=on_batch)

    copies_record_batches: ClassVar[bool] = False
    """Whether :meth:`bulk_insert_batches` is available (the loader then hands over Arrow record batches)."""

    def bulk_insert_batches(self, table: str, batches: Iterable[Any], *, ends: tuple[str, str] | None = None,
                            on_batch: Callable[[int], None] | None = None) -> int:
        """Insert Arrow record batches, whose columns are exactly the stored properties of ``table`` (a label,
        or a relationship type between ``ends``, after ``source`` and ``target``) in order, into a database that
        has none of these rows yet. Only engines with ``copies_record_batches`` implement it."""
        raise NotImplementedError(f"{self.kind} has no bulk insert of record batches")

    def is_empty(self) -> bool:
        """True when the database holds no node of any label of the model."""
        return not any(self.node_counts().values())

    def node_counts(self) -> dict[str, int]:
        """Count the nodes of every label of the model (labels come from the model, not from users)."""
        return {label: int(self.read(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]) for label in NODE_MODELS}

    def rel_counts(self) -> dict[str, int]:
        """Count the relationships of every type of the model."""
        return {t: int(self.read(f"MATCH ()-[r:{t}]->() RETURN count(r) AS n")[0]["n"]) for t in REL_MODELS}

    def clear(self) -> None:
        """Delete every node and relationship, keeping the schema. For tests and ``load --replace``."""
        for label in (*NODE_MODELS, *DERIVED_TABLES):
            self.write(f"MATCH (n:{label}) DETACH DELETE n")

    def __enter__(self) -> GraphEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _chunks(rows: Iterable[Mapping[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(rows)
    while batch := [dict(r) for r in islice(it, size)]:
        yield batch
