"""Real-server tests of graph.neo4j_local: two Neo4j starts (one succeeds with auth, one fails on a taken port),
and what one read of ``Neo4jEngine`` costs on the wire (see docs/benchmarks.md, "Neo4j round trip")."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path

import neo4j
import pytest

from graph.errors import QueryError
from graph.neo4j_engine import Neo4jEngine
from graph.neo4j_local import LIB_DIR, LocalNeo4j, Neo4jLocalError, ensure_jars, free_port

pytestmark = pytest.mark.neo4j

PASSWORD = 'orggraph "test" pw\\#1'  # quotes, backslash, '#' and a space exercise the @file quoting


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def test_jars_and_port() -> None:
    assert ensure_jars() == LIB_DIR
    assert any(LIB_DIR.glob("neo4j-server-*.jar"))
    assert 1024 < free_port() < 65536


def test_start_query_attach_stop_with_initial_password(tmp_path: Path) -> None:
    home = tmp_path / "neo4j"
    with LocalNeo4j.start(home, timeout=180, auth=("neo4j", PASSWORD)) as server:
        assert server.startup_seconds is not None and server.startup_seconds > 0
        print(f"Neo4j startup: {server.startup_seconds} s")
        status = server.status()
        assert status == {
            "running": True,
            "pid": server.pid,
            "port": server.port,
            "uri": f"bolt://127.0.0.1:{server.port}",
            "home": str(home.resolve()),
            "log": str(home.resolve() / "logs" / "console.log"),
        }
        state = json.loads((home / "run" / "orggraph-neo4j.json").read_text())
        assert (state["pid"], state["port"], state["uri"]) == (server.pid, server.port, server.uri)
        for text in (json.dumps(state), json.dumps(status), repr(server), server.log_path.read_text()):
            assert PASSWORD not in text
        assert not list((home / "run").glob("pw-*")), "the password @file must be deleted"

        with neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", PASSWORD)) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS x", database_="neo4j")
            assert records[0]["x"] == 1
        with (
            neo4j.GraphDatabase.driver(server.uri, auth=("neo4j", "wrong-password")) as driver,
            pytest.raises(neo4j.exceptions.AuthError),
        ):
            driver.verify_connectivity()

        attached = LocalNeo4j.attach(home)
        assert attached is not None
        assert (attached.pid, attached.port, attached.uri) == (server.pid, server.port, server.uri)
        assert attached.is_running()
        with pytest.raises(Neo4jLocalError, match="already runs"):
            LocalNeo4j.start(home)

        attached.stop()  # stopping through the attached handle (as another process would)
        assert _gone(server.pid)
        assert not server.is_running()
        assert LocalNeo4j.attach(home) is None
        assert not (home / "run" / "orggraph-neo4j.json").exists()
        pid = server.pid
    # __exit__ stopped again: idempotent
    server.stop()
    assert _gone(pid)
    assert server.status()["running"] is False
    assert "Stopped." in server.log_path.read_text()


def test_port_in_use_fails_with_log_text(tmp_path: Path) -> None:
    home = tmp_path / "neo4j"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(Neo4jLocalError) as info:
            LocalNeo4j.start(home, port, timeout=180)
    message = str(info.value)
    assert "console.log" in message and "debug.log" in message
    assert "Address already in use" in message
    assert LocalNeo4j.attach(home) is None
    assert not (home / "run" / "orggraph-neo4j.json").exists()


def _sent(caplog: pytest.LogCaptureFixture, message: str) -> int:
    """How many Bolt ``message``s (BEGIN, RUN, …) the driver logged as sent."""
    return sum(f"C: {message} " in r.getMessage() or r.getMessage().endswith(f"C: {message}") for r in caplog.records)


def test_a_read_is_one_auto_commit_round_trip(neo4j_engine: Neo4jEngine, caplog: pytest.LogCaptureFixture) -> None:
    neo4j_engine.read("RETURN 1 AS one")  # the pool has its connection: no handshake in what is counted
    with caplog.at_level(logging.DEBUG, logger="neo4j.io"):
        assert neo4j_engine.read("MATCH (n) RETURN count(n) AS n") == [{"n": 0}]
    # RUN and PULL go out in one write; no BEGIN or COMMIT round trips (three with execute_read)
    assert (_sent(caplog, "RUN"), _sent(caplog, "PULL"), _sent(caplog, "BEGIN"), _sent(caplog, "COMMIT")) == (1, 1, 0, 0)
    with pytest.raises(QueryError, match="read access mode"):  # still a READ session: the server refuses writes
        neo4j_engine.read("CREATE (n:District {id: 'x'}) RETURN n.id AS id")


def test_a_read_retries_transient_errors_within_retry_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver retries only managed transactions, so the engine retries its auto-commit reads itself."""
    sleeps: list[float] = []
    monkeypatch.setattr("graph.neo4j_engine.time.sleep", sleeps.append)
    engine = Neo4jEngine("bolt://127.0.0.1:1", retry_s=30)  # never connects: `_retrying` is given the work
    try:
        failures = [neo4j.exceptions.TransientError("leader switch"), neo4j.exceptions.ServiceUnavailable("restarting")]

        def flaky() -> list[dict[str, int]]:
            if failures:
                raise failures.pop(0)
            return [{"one": 1}]

        assert engine._retrying(flaky) == [{"one": 1}]
        assert len(sleeps) == 2 and 0.8 <= sleeps[0] <= 1.2 and 1.6 <= sleeps[1] <= 2.4

        def refused() -> list[dict[str, int]]:
            raise neo4j.exceptions.ClientError("syntax")

        sleeps.clear()
        with pytest.raises(neo4j.exceptions.ClientError):  # not retryable: raised at once
            engine._retrying(refused)
        assert sleeps == []
    finally:
        engine.close()
