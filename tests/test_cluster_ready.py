"""Ready for a Neo4j cluster, tested against the one real server the tests start (a cluster cannot run here).

What one server can show: a ``neo4j://`` (routing) driver connects and serves the API, reads run in READ
sessions (on a cluster: routed to secondaries) that refuse writes, every read carries the bookmarks of
the engine's writes (on a cluster: a secondary waits until it has them), and the ``ORGGRAPH_NEO4J_*``
settings reach the driver, shown by what the driver then does. See docs/deployment.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from api.settings import Settings
from graph.errors import EngineUnavailableError, QueryError, QueryTimeoutError
from graph.neo4j_engine import Neo4jEngine
from loaders.load import load_bundle
from tests.bundles import small_bundle

SLOW_QUERY = "UNWIND range(1, 4000000000) AS x WITH x WHERE x = -1 RETURN count(x) AS n"
"""A read that runs for minutes unless a time limit stops it."""


def routing_uri(bolt_uri: str) -> str:
    """The ``neo4j://`` (routing) form of the test server's ``bolt://`` address."""
    assert bolt_uri.startswith("bolt://")
    return "neo4j://" + bolt_uri.removeprefix("bolt://")


@pytest.fixture
def routed(neo4j_engine: Neo4jEngine, neo4j_uri: str) -> Iterator[Neo4jEngine]:
    """An engine over the routing driver, on the session's server emptied for this test."""
    engine = Neo4jEngine(routing_uri(neo4j_uri))
    yield engine
    engine.close()


@pytest.fixture
def neo4j_env(neo4j_uri: str, monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """``ORGGRAPH_*`` variables pointing at the test server through a routing URI."""
    monkeypatch.setenv("ORGGRAPH_ENGINE", "neo4j")
    monkeypatch.setenv("ORGGRAPH_NEO4J_URI", routing_uri(neo4j_uri))
    return monkeypatch


def record_sessions(engine: Neo4jEngine, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every session the engine's driver opens from now on."""
    opened: list[dict[str, Any]] = []
    driver = engine._driver
    real = driver.session

    def session(**kwargs: Any) -> neo4j.Session:
        opened.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(driver, "session", session)
    return opened


def test_routing_driver_serves_the_api_from_settings(neo4j_engine: Neo4jEngine, neo4j_env: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    load_bundle(neo4j_engine, small_bundle(tmp_path / "bundle"))
    settings = Settings()
    assert settings.neo4j_uri.startswith("neo4j://")
    with TestClient(create_app(settings)) as api:  # the app opens its own engine from the settings
        assert isinstance(api.app.state.engine.inner._driver, neo4j.Neo4jDriver), "a routing driver"  # type: ignore[attr-defined]
        health = api.get("/api/v1/health").json()
        assert health["status"] == "ok" and health["engine"] == "neo4j"
        assert any(q["name"] == "gaps_compounds" for q in api.get("/api/v1/queries").json())
        gaps = api.get("/api/v1/queries/gaps_compounds").json()
        assert [r["id"] for r in gaps["rows"]] == ["cmp-2", "cmp-3"]
        download = api.get("/api/v1/coverage/gaps", params={"format": "csv"})
        assert download.status_code == 200 and download.content.decode("utf-8-sig").count("cmp-") == 2
        # Served, it reads the search names and the topology into memory (graph/committed.py), through the routing
        # driver too.
        deadline = time.monotonic() + 60
        while ((health := api.get("/api/v1/health").json())["search_names"] is None or not health["topology"]["ready"]
               ) and time.monotonic() < deadline:
            time.sleep(0.2)
        names = health["search_names"]
        assert names is not None and names["names"] == 12, "every named node of the bundle but the dataset's"
        assert api.app.state.engine.inner.name_index() is not None  # type: ignore[attr-defined]
        found = api.get("/api/v1/search", params={"q": "LWSQ"}).json()  # 老围社区 by its initials
        assert [r["name"] for r in found["rows"]] == ["老围社区", "老围社区党委"] and found["total"] == 2
        assert health["topology"]["nodes"] == health["total_nodes"] and health["topology"]["node_rows"]["nodes"] > 0
        assert api.app.state.engine.inner.topology() is not None  # type: ignore[attr-defined]
        path = api.get("/api/v1/paths", params={"source": "cmp-2", "target": "cmp-3"}).json()
        assert path["nodes"][0]["id"] == "cmp-2" and path["nodes"][-1]["id"] == "cmp-3"


def test_reads_run_in_read_sessions_with_the_engines_bookmarks(routed: Neo4jEngine,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    opened = record_sessions(routed, monkeypatch)
    assert routed.read("RETURN 1 AS one") == [{"one": 1}]
    assert routed.read_limited("RETURN 2 AS two", max_rows=5, timeout_s=5) == (["two"], [{"two": 2}], False)
    assert routed.query_type("MATCH (n) RETURN n") == "r"
    assert len(opened) == 3
    assert all(s["default_access_mode"] == neo4j.READ_ACCESS for s in opened), "routed to readers on a cluster"
    assert all(s["bookmark_manager"] is routed.bookmarks for s in opened), "a read waits for the engine's writes"
    with pytest.raises(QueryError):  # the server itself refuses a write in a read transaction
        routed.read("CREATE (d:District {id: 'x'}) RETURN d.id AS id")
    assert routed.read("MATCH (d:District) RETURN count(d) AS n") == [{"n": 0}]


def test_a_read_right_after_a_write_sees_it(routed: Neo4jEngine, tmp_path: Path) -> None:
    before = routed.bookmarks.get_bookmarks()
    routed.write("MERGE (d:District {id: $id}) SET d.name = $name", {"id": "440303", "name": "罗湖区"})
    after_write = routed.bookmarks.get_bookmarks()
    assert after_write and after_write != before, "the write's bookmark is kept for the next read"
    assert routed.read("MATCH (d:District {id: $id}) RETURN d.name AS name", {"id": "440303"}) == [{"name": "罗湖区"}]
    load_bundle(routed, small_bundle(tmp_path / "bundle"))  # batched and bulk writes share the bookmarks too
    assert routed.bookmarks.get_bookmarks() != after_write
    counts = routed.node_counts()
    assert (counts["Compound"], counts["PartyOrg"], counts["Building"]) == (3, 4, 2)


def test_pool_size_and_acquisition_timeout_reach_the_driver(neo4j_engine: Neo4jEngine,
                                                            neo4j_env: pytest.MonkeyPatch) -> None:
    neo4j_env.setenv("ORGGRAPH_NEO4J_POOL_SIZE", "1")
    neo4j_env.setenv("ORGGRAPH_NEO4J_ACQUISITION_TIMEOUT_S", "0.5")
    engine = Settings().open_engine()
    assert isinstance(engine, Neo4jEngine)
    try:
        assert engine.read("RETURN 1 AS one") == [{"one": 1}]
        with engine._driver.session(database=engine.database) as session:
            held = session.begin_transaction()  # takes the pool's only connection
            started = time.monotonic()
            with pytest.raises(EngineUnavailableError):  # a 503 in the API, not a hang
                engine.read("RETURN 1 AS one")
            assert time.monotonic() - started < 10
            held.close()
        assert engine.read("RETURN 1 AS one") == [{"one": 1}], "the connection is back in the pool"
    finally:
        engine.close()


def test_query_timeout_reaches_the_server(neo4j_engine: Neo4jEngine, neo4j_env: pytest.MonkeyPatch) -> None:
    neo4j_env.setenv("ORGGRAPH_QUERY_TIMEOUT_S", "60")
    neo4j_env.setenv("ORGGRAPH_NEO4J_QUERY_TIMEOUT_S", "1")  # the Neo4j setting wins over the general one
    engine = Settings().open_engine()
    assert engine.timeout_s == 1  # type: ignore[attr-defined]
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError):  # a timeout is told apart: the API answers 503, not 500
            engine.read(SLOW_QUERY)
        assert time.monotonic() - started < 15
    finally:
        engine.close()


def test_retry_time_reaches_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGGRAPH_ENGINE", "neo4j")
    monkeypatch.setenv("ORGGRAPH_NEO4J_URI", "neo4j://127.0.0.1:1")  # nothing listens there
    monkeypatch.setenv("ORGGRAPH_NEO4J_RETRY_S", "0.5")
    monkeypatch.setenv("ORGGRAPH_NEO4J_CONNECTION_TIMEOUT_S", "1")
    engine = Settings().open_engine()
    try:
        started = time.monotonic()
        with pytest.raises(EngineUnavailableError):
            engine.read("RETURN 1 AS one")
        assert time.monotonic() - started < 8, "given up after about 0.5 s of retries, not the default 15 s"
    finally:
        engine.close()


def test_driver_settings_are_checked_and_mapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORGGRAPH_NEO4J_POOL_SIZE", "0")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("ORGGRAPH_NEO4J_POOL_SIZE", "25")
    monkeypatch.setenv("ORGGRAPH_NEO4J_MAX_CONNECTION_LIFETIME_S", "900")
    options = Settings(query_timeout_s=12).neo4j_driver_options()
    assert options == {"timeout_s": 12, "max_pool_size": 25, "connection_timeout_s": 15.0, "acquisition_timeout_s": 30.0,
                       "retry_s": 15.0, "max_connection_lifetime_s": 900.0}


@pytest.mark.parametrize(("names", "topology"), [(True, True), (False, True), (True, False), (False, False)])
def test_what_a_served_neo4j_engine_keeps_in_memory_follows_the_settings(monkeypatch: pytest.MonkeyPatch, names: bool,
                                                                          topology: bool) -> None:
    """ORGGRAPH_NEO4J_SEARCH_NAMES and ORGGRAPH_NEO4J_TOPOLOGY turn each copy on or off for ``serve`` (read_only);
    an engine opened to write (the CLI, the loaders) keeps neither. No server is needed: nothing is read until
    prepare_topology."""
    monkeypatch.setenv("ORGGRAPH_NEO4J_SEARCH_NAMES", str(names).lower())
    monkeypatch.setenv("ORGGRAPH_NEO4J_TOPOLOGY", str(topology).lower())
    settings = Settings(engine="neo4j", neo4j_uri="bolt://127.0.0.1:1")
    served, writer = settings.open_engine(read_only=True), settings.open_engine()
    try:
        assert ("search_names" in served.describe(), "topology" in served.describe()) == (names, topology)
        assert "search_names" not in writer.describe() and "topology" not in writer.describe()
        if topology:
            assert served.describe()["topology"] == {"ready": False, "building": False}
    finally:
        served.close()
        writer.close()
