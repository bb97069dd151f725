"""Errors raised by the engines, shared by the loaders, the API and the CLI."""

from __future__ import annotations


class GraphError(Exception):
    """Base of every engine error."""


class EngineUnavailableError(GraphError):
    """The database cannot be reached (server down, wrong address, store locked, bad credentials)."""


class QueryError(GraphError):
    """The database rejected a query (syntax, types, constraint violation, timeout)."""


class QueryTimeoutError(QueryError):
    """The query ran past its time limit and the engine stopped it (a capacity problem, not a bad query)."""


_TIMEOUT_WORDS = ("timeout", "timed out", "interrupted", "terminated")
"""How the engines word a stopped query: Neo4j ``TransactionTimedOut…``/``Terminated``, LadybugDB ``Interrupted``."""


def query_error(message: str) -> QueryError:
    """The error for an engine's failure ``message``: :class:`QueryTimeoutError` when it says the query was stopped."""
    lowered = message.lower()
    return QueryTimeoutError(message) if any(word in lowered for word in _TIMEOUT_WORDS) else QueryError(message)


class MissingParameterError(QueryError):
    """A query uses ``$parameters`` that were not given. Raised before the query reaches the engine."""

    def __init__(self, missing: list[str]) -> None:
        self.missing = missing
        names = ", ".join(f"${name}" for name in missing)
        super().__init__(f"missing query parameter{'s' if len(missing) > 1 else ''}: {names}")
