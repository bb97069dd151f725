"""A bundle into a new local Neo4j store in one step, by Neo4j's own bulk importer.

The transactional load (``loaders.load``) is what a running server, shared with other users, needs.
A big *first* load into a local server is several times faster offline:

1. ``export_for_neo4j_admin``: the loader's own validation (every problem with file, row, column and
   reason; nothing written on any problem), then the CSV files of ``neo4j-admin``, in a scratch directory
   inside the server home;
2. ``neo4j-admin database import full`` into the home's database, which must not exist yet;
3. the server started from the home;
4. the constraints and indexes created (Neo4j 5 Community's importer makes none);
5. the coverage roll-up computed, as every load ends.

The result is the same graph ``orggraph load`` gives into an empty database (``tests/test_neo4j_admin.py``
compares the two). The scratch files are removed in every case; a failed import leaves no store.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graph.neo4j_local import LocalNeo4j, Neo4jLocalError, import_full
from loaders.neo4j_admin import AdminExport, export_for_neo4j_admin

PHASES = ("validate", "write CSV", "import", "start", "schema", "roll-up")
"""The phases of a bulk load, in order, as :attr:`BulkLoad.seconds_by_phase` names them."""


@dataclass
class BulkLoad:
    """What :func:`bulk_load` did: rows, and seconds per phase (:data:`PHASES`); ``server`` runs unless ``start=False``."""

    nodes: int
    relationships: int
    seconds_by_phase: dict[str, float] = field(default_factory=dict)
    server: LocalNeo4j | None = None

    @property
    def rows(self) -> int:
        """Rows of the bundle (nodes and relationships), the ``Dataset`` node of the manifest included."""
        return self.nodes + self.relationships

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_phase.values())

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def database_exists(home: Path, database: str = "neo4j") -> bool:
    """Whether ``home`` already holds ``database``'s store (the importer only builds new ones)."""
    return (Path(home) / "data" / "databases" / database).exists()


def bulk_load(bundle: str | Path, home: str | Path, *, port: int | None = None, heap: str = "1g",
              server_heap: str = "1g", pagecache: str = "64m", start: bool = True, rejects_path: Path | None = None,
              on_phase: Callable[[str], None] | None = None) -> BulkLoad:
    """Validate ``bundle`` and build a new Neo4j store of it in ``home``; then, unless ``start`` is false, start the
    server there with its schema and coverage roll-up.

    ``heap`` is the importer's Java heap, ``server_heap`` and ``pagecache`` the server's. ``on_phase(name)`` is
    called as each phase of :data:`PHASES` begins. Raises :class:`~loaders.load.LoadRefused` (nothing written,
    problems in ``rejects.csv``) for an invalid bundle and :class:`~graph.neo4j_local.Neo4jLocalError` when the
    home already has the database or a server, or when Neo4j fails. A server it started and could not finish
    (schema or roll-up failed) is stopped again.
    """
    home = Path(home).resolve()
    if (running := LocalNeo4j.attach(home)) is not None:
        raise Neo4jLocalError(f"a server runs from {home} (pid {running.pid}); a bulk load builds a new store offline")
    if database_exists(home):
        raise Neo4jLocalError(f"{home} already holds a Neo4j database: a bulk load only builds a new one "
                              f"(use `orggraph load` to add to it, or a new --home)")
    if "," in str(home):
        raise Neo4jLocalError(f"{home}: neo4j-admin separates file names with ',', so the home's path must not hold one")
    announce = on_phase or (lambda name: None)
    home.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bulk-load-", dir=home))
    try:
        announce("validate")
        export = export_for_neo4j_admin(bundle, scratch / "export", rejects_path=rejects_path)
        result = BulkLoad(sum(export.nodes.values()), sum(export.relationships.values()),
                          {"validate": export.validate_seconds, "write CSV": export.write_seconds})
        announce("import")
        result.seconds_by_phase["import"] = _timed(lambda: _import_checked(home, export, heap))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if start:
        start_and_finish(result, home, port=port, heap=server_heap, pagecache=pagecache, on_phase=on_phase)
    return result


def _import_checked(home: Path, export: AdminExport, heap: str) -> None:
    imported = import_full(home, export.out_dir, heap=heap)
    expected = (sum(export.nodes.values()), sum(export.relationships.values()))
    if (imported.nodes, imported.relationships) != expected:  # neo4j-admin skipped something it should not have
        raise Neo4jLocalError(f"neo4j-admin imported {imported.nodes:,} nodes and {imported.relationships:,} relationships, "
                              f"the export holds {expected[0]:,} and {expected[1]:,}; see {imported.log_path}")


def start_and_finish(result: BulkLoad, home: Path, *, port: int | None = None, heap: str = "1g", pagecache: str = "64m",
                     on_phase: Callable[[str], None] | None = None) -> None:
    """Start the server of an imported ``home``, create its schema and coverage roll-up (timed into ``result``, which
    then holds the running server). A server that could not be finished is stopped again."""
    from graph.neo4j_engine import Neo4jEngine
    from queries import rollup

    announce = on_phase or (lambda name: None)
    announce("start")
    began = time.perf_counter()
    server = LocalNeo4j.start(home, port, heap=heap, pagecache=pagecache, timeout=300)
    result.seconds_by_phase["start"] = time.perf_counter() - began
    try:
        with Neo4jEngine(server.uri, timeout_s=3600) as engine:
            announce("schema")
            result.seconds_by_phase["schema"] = _timed(engine.create_schema)
            announce("roll-up")
            result.seconds_by_phase["roll-up"] = _timed(lambda: rollup.rebuild(engine))
    except BaseException:
        server.stop()
        raise
    result.server = server


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
