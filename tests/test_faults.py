"""Faults: Neo4j stopped during a load and while serving (a dedicated server, stopped and restarted on its
port), and two loads at once on both engines (the second is refused or waits; they never interleave)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.keys import Role
from graph.engine import GraphEngine
from graph.errors import EngineUnavailableError
from graph.ladybug_engine import LadybugEngine
from graph.neo4j_engine import Neo4jEngine
from graph.neo4j_local import LocalNeo4j, Neo4jLocalError, ensure_jars
from loaders.export import snapshot
from loaders.load import load_bundle
from loaders.lock import LOCK_LABEL, LoadLockedError, load_lock
from tests.bundles import small_bundle
from tests.secure import secure_app


class FaultServer:
    """A Neo4j server of this module's own, which the tests stop and start again on the same port."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.server = LocalNeo4j.start(home, heap="512m")
        self.port = self.server.port

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(timeout=2)  # 2 s to shut down, then killed: an outage, not a maintenance stop

    def start(self) -> None:
        self.server = LocalNeo4j.start(self.home, self.port, heap="512m")

    def engine(self) -> Neo4jEngine:
        # Short retries and timeouts: a test waits seconds, not the 15 s a production request may.
        return Neo4jEngine(self.uri, retry_s=1, connection_timeout_s=2)


@pytest.fixture(scope="module")
def fault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultServer]:
    try:
        ensure_jars()
        server = FaultServer(tmp_path_factory.mktemp("fault-neo4j"))
    except Neo4jLocalError as exc:
        pytest.fail(f"the fault tests' own Neo4j could not start:\n{exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_bundle(tmp_path_factory.mktemp("small"))


class StopServerAfter:
    """A loader progress that stops the server once ``rows`` rows were written."""

    def __init__(self, server: FaultServer, rows: int) -> None:
        self.server, self.rows, self.seen, self.stopped = server, rows, 0, False

    def start(self, name: str, total: int | None) -> None:
        pass

    def advance(self, rows: int) -> None:
        self.seen += rows
        if self.seen >= self.rows and not self.stopped:
            self.stopped = True
            self.server.stop()


def _wait_until_up(engine: GraphEngine, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            engine.ping()
            return
        except EngineUnavailableError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_neo4j_stopped_during_a_load_and_while_serving(fault_server: FaultServer, bundle: Path, tmp_path: Path) -> None:
    """One outage, both sides: Neo4j stops in the middle of a load while the API serves. The load fails
    clearly and the API answers 503 with Retry-After; Neo4j comes back on its port: the API recovers by
    itself, and rerunning the load completes with exactly the graph of a clean load.
    (One restart for both: starting Neo4j is the slow part of these tests.)"""
    engine = fault_server.engine()
    app = secure_app(engine, tmp_path / "app")
    try:
        engine.create_schema()
        engine.clear()
        with app.client:
            assert app.get(Role.viewer, "/api/v1/health").status_code == 200
            progress = StopServerAfter(fault_server, rows=6)
            with pytest.raises(EngineUnavailableError, match="unreachable"):
                load_bundle(engine, bundle, batch_size=1, progress=progress)
            assert progress.stopped
            for path in ("/api/v1/health", "/api/v1/coverage/summary"):
                response = app.get(Role.viewer, path)
                assert response.status_code == 503, (path, response.text)
                assert response.headers["retry-after"] == "5"
                assert response.headers["content-type"] == "application/problem+json"
                assert response.json()["title"] == "Graph engine unavailable" and "bolt" not in response.text
            fault_server.start()
            deadline = time.monotonic() + 60
            while (status := app.get(Role.viewer, "/api/v1/health").status_code) != 200 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert status == 200, "the API recovers by itself, without a restart"
            partial = app.get(Role.viewer, "/api/v1/health").json()["total_nodes"]
            assert partial > 0, "the cut-off load had written something (else this test proves nothing)"
            load_bundle(engine, bundle)  # the same engine; the failed load's stale lock is taken over
            clean = LadybugEngine(tmp_path / "clean.lbug", buffer_pool_mb=128)
            load_bundle(clean, bundle)
            assert snapshot(engine) == snapshot(clean), "the rerun gives exactly the graph of a clean load"
            [row] = app.get(Role.viewer, "/api/v1/coverage/summary", params={"level": "community"}).json()["rows"]
            assert row["total"] == 3 and row["organizational"]["covered"] == 1
            clean.close()
        assert not engine.read(f"MATCH (l:{LOCK_LABEL}) RETURN l"), "the rerun released its lock"
    finally:
        engine.close()


# ------------------------------------------------------------------------------------------ two loads at once


class HoldInside:
    """A loader progress that holds the load (inside its lock) until released."""

    def __init__(self) -> None:
        self.inside, self.release = threading.Event(), threading.Event()

    def start(self, name: str, total: int | None) -> None:
        self.inside.set()
        assert self.release.wait(60)

    def advance(self, rows: int) -> None:
        pass


def _second_engine(engine: GraphEngine) -> GraphEngine:
    # Neo4j: another driver, as another loader (process, host) would have. LadybugDB: another process
    # cannot even open the database (the last test); within a process, loads share the engine.
    return Neo4jEngine(engine.uri) if isinstance(engine, Neo4jEngine) else engine


def test_a_second_load_is_refused_while_one_runs(engine: GraphEngine, bundle: Path) -> None:
    hold = HoldInside()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            load_bundle(engine, bundle, progress=hold)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert hold.inside.wait(60)
    other = _second_engine(engine)
    try:
        with pytest.raises(LoadLockedError, match=r"another load|still running"):
            load_bundle(other, bundle)
        assert sum(engine.node_counts().values()) == 0, "the refused load wrote nothing"
    finally:
        hold.release.set()
        thread.join(60)
    assert not errors, errors
    load_bundle(other, bundle)  # the lock is free again
    if other is not engine:
        other.close()
    assert engine.node_counts()["Compound"] == 3


def test_a_second_load_may_wait_and_then_runs_after(engine: GraphEngine, bundle: Path) -> None:
    hold = HoldInside()
    thread = threading.Thread(target=load_bundle, args=(engine, bundle), kwargs={"progress": hold})
    thread.start()
    assert hold.inside.wait(60)
    assert sum(engine.node_counts().values()) == 0
    threading.Timer(1.0, hold.release.set).start()
    with load_lock(engine, wait_s=60):  # waits for the first load, then holds the lock itself
        counts = engine.node_counts()
    thread.join(60)
    assert counts["Compound"] == 3 and counts["PartyOrg"] == 4, "the waiting load got in only after the first was done"


def test_stale_and_foreign_neo4j_locks(neo4j_engine: Neo4jEngine, bundle: Path) -> None:
    with load_lock(neo4j_engine):
        pass  # creates the constraint
    lock = f"CREATE (:{LOCK_LABEL} {{name: 'load', owner: 'elsewhere:1:x', host: 'elsewhere', pid: 1, started: 'then', expires: $e}})"
    neo4j_engine.write(lock, {"e": int(time.time() * 1000) + 600_000})
    with pytest.raises(LoadLockedError, match="process 1 on elsewhere"):
        load_bundle(neo4j_engine, bundle)
    neo4j_engine.write(f"MATCH (l:{LOCK_LABEL}) SET l.expires = 0")  # its loader died: no heartbeat since
    load_bundle(neo4j_engine, bundle)
    assert neo4j_engine.node_counts()["Compound"] == 3
    assert not neo4j_engine.read(f"MATCH (l:{LOCK_LABEL}) RETURN l")


def test_another_process_cannot_open_an_embedded_database_being_loaded(tmp_path: Path) -> None:
    path = tmp_path / "graph.lbug"
    LadybugEngine(path, buffer_pool_mb=64).close()
    holder = subprocess.Popen([sys.executable, "-c", "import ladybug, sys, time; d = ladybug.Database(sys.argv[1]); "
                               "print('open', flush=True); time.sleep(60)", str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(EngineUnavailableError, match="lock"):
            LadybugEngine(path, buffer_pool_mb=64)
    finally:
        holder.kill()
        holder.wait()


def test_a_full_page_cache_is_retried_alone_then_on_new_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory a LadybugDB connection kept from earlier queries is freed with it: when retrying alone does not
    help, the engine renews its connections rather than refusing every query until a restart."""
    import graph.ladybug_engine as lbe

    engine = lbe.LadybugEngine(tmp_path / "g.lbug", buffer_pool_mb=512)
    try:
        engine.create_schema()
        engine.read("RETURN 1 AS x")  # opens the first pooled connection
        worn = set(map(id, engine._connections))
        real_run = lbe.LadybugEngine._run
        calls: list[bool] = []

        def run(conn: Any, query: str, values: dict[str, Any]) -> list[dict[str, Any]]:
            calls.append(id(conn) in worn)
            if id(conn) in worn:
                raise RuntimeError("Buffer manager exception: Unable to allocate memory! The buffer pool is full")
            return real_run(conn, query, values)

        monkeypatch.setattr(lbe.LadybugEngine, "_run", staticmethod(run))
        monkeypatch.setattr(lbe, "ALONE_RETRY_PAUSES_S", (0.0,))
        assert engine.read("RETURN 2 AS x") == [{"x": 2}]
        assert calls[0] and calls[-1] is False  # first on a worn connection, last on a new one
        assert not worn & set(map(id, engine._connections))
    finally:
        engine.close()


def test_embedded_connections_keep_a_bounded_number_of_prepared_statements(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """LadybugDB keeps every statement a connection prepared until it closes: a server meeting many different
    statement texts (the Cypher console) must not grow without end; the answers stay right after a trim."""
    import graph.ladybug_engine as ladybug_engine

    monkeypatch.setattr(ladybug_engine, "PREPARED_STATEMENTS_KEPT", 20)
    engine = LadybugEngine(tmp_path / "graph.lbug", connections=1)
    try:
        for n in range(100):
            assert engine.read(f"RETURN $x + {n} AS n", {"x": 1}) == [{"n": n + 1}]
        conn = engine._connections[0]
        cache = conn._pybind_implicit_prepared_cache  # the driver's private cache this guards
        assert 0 < len(cache) <= 21
        assert engine.read("RETURN $x AS x", {"x": 5}) == [{"x": 5}]
    finally:
        engine.close()


def test_bulk_copies_leave_no_prepared_statement_behind(tmp_path: Path) -> None:
    """Each COPY from memory is a new statement holding its table: it runs on a connection closed afterwards."""
    engine = LadybugEngine(tmp_path / "graph.lbug", connections=1)
    try:
        load_bundle(engine, small_bundle(tmp_path / "bundle"))
        for conn in engine._connections:
            assert not any("COPY" in key[0] for key in conn._pybind_implicit_prepared_cache)
        assert engine.node_counts()["Compound"] == 3
    finally:
        engine.close()
