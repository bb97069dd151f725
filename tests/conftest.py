"""Shared fixtures: a real embedded engine per test, and one real Neo4j server per test session.

Neo4j is never skipped: if it cannot start, every test that needs it errors with the server's log
tail. Set ``ORGGRAPH_TEST_NEO4J_URI`` to use a server that is already running instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from graph.neo4j_engine import Neo4jEngine

ENGINE_KINDS = ("embedded", "neo4j")


@pytest.fixture(scope="session")
def neo4j_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bolt URI of the session's Neo4j server (started from neo4j-local/, stopped at the end)."""
    given = os.environ.get("ORGGRAPH_TEST_NEO4J_URI")
    if given:
        yield given
        return
    from graph.neo4j_local import LocalNeo4j, Neo4jLocalError, ensure_jars

    try:
        ensure_jars()
        server = LocalNeo4j.start(tmp_path_factory.mktemp("neo4j-home"))
    except Neo4jLocalError as exc:
        pytest.fail(f"Neo4j could not start, so the Neo4j tests cannot run:\n{exc}", pytrace=False)
    print(f"\nNeo4j started on {server.uri} in {server.startup_seconds:.1f} s")
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def neo4j_session_engine(neo4j_uri: str) -> Iterator[Neo4jEngine]:
    engine = Neo4jEngine(neo4j_uri)
    engine.ping()
    engine.create_schema()
    yield engine
    engine.close()


@pytest.fixture
def neo4j_engine(neo4j_session_engine: Neo4jEngine) -> Neo4jEngine:
    """The session's Neo4j engine, emptied for this test."""
    neo4j_session_engine.clear()
    return neo4j_session_engine


@pytest.fixture
def embedded_engine(tmp_path: Path) -> Iterator[LadybugEngine]:
    """A fresh embedded database with the schema, in this test's temporary directory."""
    engine = LadybugEngine(tmp_path / "graph.lbug", buffer_pool_mb=256)
    engine.create_schema()
    yield engine
    engine.close()


@pytest.fixture(params=ENGINE_KINDS)
def engine(request: pytest.FixtureRequest) -> GraphEngine:
    """Each test using this runs once per engine, on an empty graph with the schema."""
    name = "embedded_engine" if request.param == "embedded" else "neo4j_engine"
    result: GraphEngine = request.getfixturevalue(name)
    return result


@pytest.fixture
def engine_pair(embedded_engine: LadybugEngine, neo4j_engine: Neo4jEngine) -> tuple[GraphEngine, GraphEngine]:
    """Both engines, empty, for differential tests."""
    return embedded_engine, neo4j_engine
