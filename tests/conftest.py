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
WALK_ENGINE_KINDS = (*ENGINE_KINDS, "embedded-topology", "neo4j-topology")
"""The engines, and each as served, with its relationships and node properties in memory."""


@pytest.fixture(scope="session", autouse=True)
def _no_keys_or_audit_from_the_working_tree(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Settings() reads data/api-keys.jsonl and writes data/audit.jsonl by default: point them into a
    temporary directory, so a developer's keys never change what the tests see (open mode on loopback)."""
    tmp = tmp_path_factory.mktemp("security")
    saved = {k: os.environ.get(k) for k in ("ORGGRAPH_API_KEYS_FILE", "ORGGRAPH_AUDIT_LOG", "ORGGRAPH_API_KEYS")}
    os.environ.update(ORGGRAPH_API_KEYS_FILE=str(tmp / "no-keys.jsonl"), ORGGRAPH_AUDIT_LOG=str(tmp / "audit.jsonl"),
                      ORGGRAPH_API_KEYS="[]")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


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


class _Neo4jContents:
    """What the session's Neo4j holds, so the reference dataset is loaded once, not per module."""

    holds_reference = False
    served: Neo4jEngine | None = None
    """An engine with the reference dataset in memory (graph/neo4j_copy.py), kept while its copy is current."""


@pytest.fixture
def neo4j_engine(neo4j_session_engine: Neo4jEngine) -> Neo4jEngine:
    """The session's Neo4j engine, emptied for this test."""
    neo4j_session_engine.clear()
    _Neo4jContents.holds_reference = False
    return neo4j_session_engine


@pytest.fixture(scope="session")
def reference_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Luohu 2018 reference bundle at scale 1, generated once per session."""
    from loaders.reference import generate

    root = tmp_path_factory.mktemp("reference")
    generate(root)
    return root


@pytest.fixture(scope="session")
def reference_store(reference_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store holding the reference dataset, loaded once per session."""
    from loaders.load import load_bundle

    path = tmp_path_factory.mktemp("reference-db") / "graph.lbug"
    loader = LadybugEngine(path, buffer_pool_mb=512)
    load_bundle(loader, reference_bundle)
    loader.close()  # checkpointed: the tests read a clean store, as the API serves one (read-only)
    return path


@pytest.fixture(scope="module")
def reference_embedded(reference_store: Path) -> Iterator[LadybugEngine]:
    """An embedded engine holding the reference dataset, read-only, opened per test module: each module
    starts with an empty page cache, whatever the modules before it kept there."""
    engine = LadybugEngine(reference_store, read_only=True, buffer_pool_mb=2048)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def reference_topology(reference_store: Path) -> Iterator[LadybugEngine]:
    """The reference dataset read-only with every relationship in memory (graph/topology.py), as ``serve`` opens
    it: neighborhood walks and shortest paths take their steps there instead of in queries."""
    engine = LadybugEngine(reference_store, read_only=True, buffer_pool_mb=512)
    engine.prepare_topology(wait=True)
    assert engine.topology() is not None
    yield engine
    engine.close()


@pytest.fixture(params=WALK_ENGINE_KINDS)
def reference_walker(request: pytest.FixtureRequest) -> GraphEngine:
    """Each test using this runs on both engines holding the reference dataset, and once more on LadybugDB with
    its relationships in memory, and on Neo4j with its copy in memory: the walks and paths of queries.answers
    have a third way there."""
    name = {"embedded": "reference_embedded", "neo4j": "reference_neo4j", "embedded-topology": "reference_topology",
            "neo4j-topology": "reference_neo4j_topology"}
    result: GraphEngine = request.getfixturevalue(name[request.param])
    return result


@pytest.fixture
def reference_neo4j_topology(reference_neo4j: Neo4jEngine) -> Neo4jEngine:
    """The reference dataset on Neo4j as served: its relationships, node properties and search names in memory
    (graph/neo4j_copy.py), current. One engine is kept across tests while nothing commits; after a write (another
    test's) a new one reads the copy again, rather than wait for the background read's pause."""
    served = _Neo4jContents.served
    if served is None or served.topology() is None:
        if served is not None:
            served.close()
        served = _Neo4jContents.served = Neo4jEngine(reference_neo4j.uri, topology=True, search_names=True)
        served.prepare_topology(wait=True)
    assert served.topology() is not None and served.node_rows() is not None
    return served


@pytest.fixture(scope="session", autouse=True)
def _close_the_served_neo4j() -> Iterator[None]:
    yield
    if _Neo4jContents.served is not None:
        _Neo4jContents.served.close()


@pytest.fixture
def reference_neo4j(neo4j_session_engine: Neo4jEngine, reference_bundle: Path) -> Neo4jEngine:
    """The session's Neo4j holding the reference dataset (loaded when it does not already)."""
    from loaders.load import load_bundle

    if not _Neo4jContents.holds_reference:
        neo4j_session_engine.clear()
        load_bundle(neo4j_session_engine, reference_bundle)
        _Neo4jContents.holds_reference = True
    return neo4j_session_engine


@pytest.fixture
def reference_pair(reference_embedded: LadybugEngine, reference_neo4j: Neo4jEngine) -> tuple[GraphEngine, GraphEngine]:
    """Both engines holding the reference dataset, for differential tests."""
    return reference_embedded, reference_neo4j


@pytest.fixture(params=ENGINE_KINDS)
def reference_engine(request: pytest.FixtureRequest) -> GraphEngine:
    """Each test using this runs on both engines holding the reference dataset (read-only)."""
    result: GraphEngine = request.getfixturevalue("reference_embedded" if request.param == "embedded" else "reference_neo4j")
    return result


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
