"""A bundle into a new local Neo4j store in one step, by Neo4j's own bulk importer.

The transactional load (``loaders.load``) is what a running server, shared with other users, needs.
A big *first* load into a local server is about 2.5 times faster offline (scale 100 of the reference dataset,
docs/benchmarks.md, "Loading"):

1. ``export_for_neo4j_admin``: the loader's own validation (every problem with file, row, column and
   reason; nothing written on any problem), then the CSV files of ``neo4j-admin``, in a scratch directory
   inside the server home;
2. ``neo4j-admin database import full`` into the home's database, which must not exist yet;
3. the server started from the home;
4. the constraints and indexes created (Neo4j 5 Community's importer makes none);
5. the coverage roll-up computed, as every load ends.

The result is the same graph ``orggraph load`` gives into an empty database (``tests/test_neo4j_admin.py``
compares the two). The scratch files are removed in every case, and an import that fails or is interrupted
leaves no store. Once the store is imported it is kept: if the server then fails to start, or the schema or the
roll-up fails, the server is stopped and :class:`UnfinishedStore` says how to finish by hand.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import GraphError
from graph.neo4j_local import IMPORT_PLAN_NAME, ImportResult, LocalNeo4j, Neo4jLocalError, import_full, remove_store
from loaders.neo4j_admin import export_for_neo4j_admin

PHASES = {"validate": "validating the bundle and writing the importer's files", "import": "importing with neo4j-admin",
          "start": "starting Neo4j", "schema": "creating indexes and constraints", "roll-up": "computing the coverage roll-up"}
"""The phases ``on_phase`` is told of, in order, with what each does. :attr:`BulkLoad.seconds_by_phase` also splits
the first one into ``validate`` and ``write CSV``."""


class UnfinishedStore(Neo4jLocalError):
    """The store was imported, but starting it, its schema or its roll-up failed; the server is not running."""


@dataclass
class BulkLoad:
    """What :func:`bulk_load` did: rows, and seconds per phase; ``server`` runs unless ``start=False``."""

    nodes: int
    relationships: int
    seconds_by_phase: dict[str, float] = field(default_factory=dict)
    server: LocalNeo4j | None = None

    @property
    def rows(self) -> int:
        """Rows of the bundle (nodes and relationships), the ``Dataset`` node of the manifest included (``orggraph
        load`` and ``bench.load`` count without it: one row less)."""
        return self.nodes + self.relationships

    @property
    def seconds(self) -> float:
        return sum(self.seconds_by_phase.values())

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def check_new_home(home: str | Path, database: str = "neo4j") -> Path:
    """``home`` resolved, if a bulk load can build ``database`` there; else :class:`Neo4jLocalError` saying why.
    Cheap: run it before anything slow."""
    home = Path(home).resolve()
    if "," in str(home):
        raise Neo4jLocalError(f"{home}: neo4j-admin separates file names with ',', so the home's path must not hold one")
    if home.exists() and not home.is_dir():
        raise Neo4jLocalError(f"{home} is a file, not a server home directory")
    if (running := LocalNeo4j.attach(home)) is not None:
        raise Neo4jLocalError(f"a server runs from {home} (pid {running.pid}); a bulk load builds a new store offline")
    if (home / "data" / "databases" / database).exists():
        raise Neo4jLocalError(f"{home} already holds a Neo4j database: a bulk load only builds a new one "
                              f"(use `orggraph load` to add to it, or a new --home)")
    return home


def bulk_load(bundle: str | Path, home: str | Path, *, port: int | None = None, heap: str = "1g",
              server_heap: str = "1g", pagecache: str = "64m", start: bool = True, rejects_path: Path | None = None,
              on_phase: Callable[[str], None] | None = None) -> BulkLoad:
    """Validate ``bundle`` and build a new Neo4j store of it in ``home``; then, unless ``start`` is false, start the
    server there with its schema and coverage roll-up.

    ``heap`` is the importer's Java heap, ``server_heap`` and ``pagecache`` the server's. ``on_phase(name)`` is
    called as each phase of :data:`PHASES` begins. Raises :class:`~loaders.load.LoadRefused` (nothing written,
    problems in ``rejects.csv``) for an invalid bundle, :class:`~graph.neo4j_local.Neo4jLocalError` when the home
    cannot take a new store (:func:`check_new_home`) or the import fails, and :class:`UnfinishedStore` when the
    imported store could not be started and finished.
    """
    home = check_new_home(home)
    announce = on_phase or (lambda name: None)
    made_home = not home.exists()
    home.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="bulk-load-", dir=home))
    try:
        announce("validate")
        export = export_for_neo4j_admin(bundle, scratch / "export", rejects_path=rejects_path)
        result = BulkLoad(sum(export.nodes.values()), sum(export.relationships.values()),
                          {"validate": export.validate_seconds, "write CSV": export.write_seconds})
        announce("import")
        expected = (result.nodes, result.relationships)
        result.seconds_by_phase["import"] = import_checked(home, export.out_dir, expected=expected, heap=heap).seconds
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        if made_home and not any(home.iterdir()):
            home.rmdir()  # refused or failed before anything was built: leave no trace
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    if start:
        start_and_finish(result, home, port=port, heap=server_heap, pagecache=pagecache, on_phase=on_phase)
    return result


def import_export(export_dir: str | Path, home: str | Path, *, port: int | None = None, heap: str = "1g",
                  start: bool = True, on_phase: Callable[[str], None] | None = None) -> BulkLoad:
    """:func:`bulk_load` from a folder ``orggraph export --neo4j-admin`` wrote (its validation already done)."""
    home = check_new_home(home)
    plan_path = Path(export_dir) / IMPORT_PLAN_NAME
    try:
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        nodes, relationships = (sum(int(f["rows"]) for f in plan[key]) for key in ("nodes", "relationships"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Neo4jLocalError(f"{plan_path}: not the plan of an export for neo4j-admin ({exc})") from None
    if on_phase is not None:
        on_phase("import")
    result = BulkLoad(nodes, relationships)
    result.seconds_by_phase["import"] = import_checked(home, Path(export_dir), expected=(nodes, relationships), heap=heap).seconds
    if start:
        start_and_finish(result, home, port=port, on_phase=on_phase)
    return result


def import_checked(home: Path, export_dir: Path, *, expected: tuple[int, int], **options: Any) -> ImportResult:
    """:func:`~graph.neo4j_local.import_full` (``options`` passed on), checked: it must have imported the ``expected``
    (nodes, relationships), else the store is removed and :class:`Neo4jLocalError` raised."""
    imported = import_full(home, export_dir, **options)
    if (imported.nodes, imported.relationships) != expected:  # neo4j-admin skipped something it should not have
        remove_store(home)
        raise Neo4jLocalError(f"neo4j-admin imported {imported.nodes:,} nodes and {imported.relationships:,} relationships, "
                              f"the export holds {expected[0]:,} and {expected[1]:,}; no store was kept (see "
                              f"{imported.log_path})")
    return imported


def start_and_finish(result: BulkLoad, home: Path, *, port: int | None = None, heap: str = "1g", pagecache: str = "64m",
                     on_phase: Callable[[str], None] | None = None) -> None:
    """Start the server of an imported ``home``, create its schema and coverage roll-up (timed into ``result``, which
    then holds the running server). On a failure the server is stopped and :class:`UnfinishedStore` raised."""
    from graph.neo4j_engine import Neo4jEngine
    from queries import rollup

    announce = on_phase or (lambda name: None)
    announce("start")
    began = time.perf_counter()
    server: LocalNeo4j | None = None
    try:
        server = LocalNeo4j.start(home, port, heap=heap, pagecache=pagecache, timeout=300)
        result.seconds_by_phase["start"] = time.perf_counter() - began
        with Neo4jEngine(server.uri, timeout_s=3600) as engine:
            announce("schema")
            result.seconds_by_phase["schema"] = _timed(engine.create_schema)
            announce("roll-up")
            result.seconds_by_phase["roll-up"] = _timed(lambda: rollup.rebuild(engine))
    except (GraphError, Neo4jLocalError, OSError) as exc:
        if server is not None:
            server.stop()
        raise UnfinishedStore(f"the store was imported into {home}, but could not be finished: {exc}\n"
                              f"Finish it by hand: {finish_by_hand(home)}") from exc
    except BaseException:
        if server is not None:
            server.stop()
        raise
    result.server = server


def finish_by_hand(home: Path) -> str:
    """The commands that give an imported, unstarted store its server, schema and coverage roll-up."""
    return (f"`orggraph neo4j start --home {home}`, then `orggraph --engine neo4j --neo4j-uri URI rollup` "
            "(it creates the schema too).")


def _timed(work: Callable[[], object]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began
