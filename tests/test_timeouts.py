"""A query stopped at its time limit is told apart from a failed one: the API answers 503 with
Retry-After (try again, or ask for less), never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.problems import PROBLEM_JSON, install_problem_handlers
from graph.errors import QueryError, QueryTimeoutError, query_error
from graph.ladybug_engine import LadybugEngine

SLOW = "UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b WITH a, b WHERE a * b % 7 = 3 RETURN count(*) AS n"


@pytest.mark.parametrize("message", [
    "Interrupted.",  # LadybugDB
    "The transaction has been terminated. Retry your operation in a new transaction, and you should see a successful "
    "result. The transaction has not completed within the timeout specified at its start by the client.",  # Neo4j
])
def test_engine_timeout_messages_become_timeouts(message: str) -> None:
    assert isinstance(query_error(message), QueryTimeoutError)


def test_other_failures_stay_query_errors() -> None:
    error = query_error("Parser exception: invalid input")
    assert type(error) is QueryError


def test_the_embedded_engine_raises_a_timeout(tmp_path: Path) -> None:
    engine = LadybugEngine(tmp_path / "t.lbug", buffer_pool_mb=64, timeout_s=0.05)
    try:
        with pytest.raises(QueryTimeoutError):
            engine.read(SLOW)
    finally:
        engine.close()


def test_the_api_answers_a_timeout_with_503_and_retry_after() -> None:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/slow")
    def slow() -> None:
        raise QueryTimeoutError("Interrupted.")

    @app.get("/broken")
    def broken() -> None:
        raise QueryError("Binder exception: 'secret value'")

    client = TestClient(app)
    response = client.get("/slow")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["title"] == "Query timed out"
    failed = client.get("/broken")
    assert failed.status_code == 500 and "secret" not in failed.text
