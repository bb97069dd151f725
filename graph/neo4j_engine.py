"""The production engine: Neo4j 5 through the official driver.

* One driver per engine (and one engine per process): the driver owns the connection pool.
* ``execute_query`` gives managed transactions with retries on transient errors, and its bookmark
  manager makes a read after a write see the write, also on a cluster.
* Reads are routed as reads, so on a ``neo4j://`` cluster they go to secondaries.
* ``database_`` is always passed, which saves a round trip to resolve the home database.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import neo4j
from neo4j import GraphDatabase, Query, RoutingControl
from neo4j import exceptions as neo4j_errors

from graph.cypher import check_parameters
from graph.engine import GraphEngine, Row
from graph.errors import EngineUnavailableError, QueryError
from graph.schema import GraphSchema, neo4j_ddl
from graph.values import from_neo4j, to_parameter

_UNAVAILABLE = (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, neo4j_errors.AuthError, OSError)


class Neo4jEngine(GraphEngine):
    """Neo4j engine over Bolt.

    Parameters
    ----------
    uri:
        ``bolt://host:port`` for one server, ``neo4j://host:port`` for a cluster (routing).
    auth:
        ``(user, password)`` or ``None`` when the server has authentication off.
    database:
        The database name, passed with every query.
    timeout_s:
        Server-side time limit of each query's transaction.
    retry_s:
        How long a query is retried on transient errors (leader switch, server restarting) before failing.
    """

    kind: ClassVar[str] = "neo4j"
    dialect: ClassVar[str] = "neo4j"

    def __init__(self, uri: str, *, auth: tuple[str, str] | None = None, database: str = "neo4j", timeout_s: float = 30.0,
                 max_pool_size: int = 100, connection_timeout_s: float = 15.0, retry_s: float = 15.0) -> None:
        self.uri = uri
        self.database = database
        self.timeout_s = timeout_s
        try:
            self._driver = GraphDatabase.driver(
                uri, auth=auth, max_connection_pool_size=max_pool_size, connection_timeout=connection_timeout_s,
                connection_acquisition_timeout=connection_timeout_s, max_transaction_retry_time=retry_s,
            )
        except (ValueError, neo4j_errors.ConfigurationError) as exc:
            raise EngineUnavailableError(f"bad Neo4j address {uri!r}: {exc}") from exc

    def _run(self, query: str, params: Mapping[str, Any] | None, routing: RoutingControl) -> list[Row]:
        values = {k: to_parameter(v) for k, v in check_parameters(query, params).items()}
        try:
            records, _, keys = self._driver.execute_query(
                Query(query, timeout=self.timeout_s),  # type: ignore[arg-type,unused-ignore]  # text comes from the catalog
                values, routing_=routing, database_=self.database,
            )
        except _UNAVAILABLE as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri} is unreachable: {exc}") from exc
        except neo4j_errors.Neo4jError as exc:
            raise QueryError(exc.message or str(exc)) from exc
        except neo4j_errors.DriverError as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri}: {exc}") from exc
        return [{k: from_neo4j(record[k]) for k in keys} for record in records]

    def read(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self._run(query, params, RoutingControl.READ)

    def write(self, query: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self._run(query, params, RoutingControl.WRITE)

    def create_schema(self) -> None:
        for statement in neo4j_ddl():
            self.write(statement)
        self.write("CALL db.awaitIndexes(300)")

    def schema(self) -> GraphSchema:
        """Labels come from the uniqueness constraints; properties are those declared by an index or
        seen in the data (Neo4j itself declares no properties)."""
        constraints = self.read("SHOW CONSTRAINTS YIELD labelsOrTypes, properties, type "
                                "RETURN labelsOrTypes[0] AS label, properties, type")
        labels: dict[str, set[str]] = {c["label"]: set(c["properties"]) for c in constraints if c["type"] == "UNIQUENESS"}
        indexes = self.read("SHOW INDEXES YIELD labelsOrTypes, properties, type, entityType WHERE type = 'RANGE' "
                            "RETURN labelsOrTypes[0] AS name, properties, entityType")
        rel_types: dict[str, set[str]] = {}
        for index in indexes:
            target = labels if index["entityType"] == "NODE" else rel_types
            target.setdefault(index["name"], set()).update(index["properties"])
        for row in self.read("CALL db.schema.nodeTypeProperties() YIELD nodeLabels, propertyName "
                             "RETURN nodeLabels, propertyName"):
            for label in row["nodeLabels"]:
                labels.setdefault(label, set()).update([row["propertyName"]] if row["propertyName"] else [])
        for row in self.read("CALL db.schema.relTypeProperties() YIELD relType, propertyName RETURN relType, propertyName"):
            name = row["relType"].strip(":`")
            rel_types.setdefault(name, set()).update([row["propertyName"]] if row["propertyName"] else [])
        return GraphSchema(
            labels={k: tuple(sorted(v)) for k, v in labels.items()},
            rel_types={k: tuple(sorted(v)) for k, v in rel_types.items()},
            indexes=tuple(sorted(f"{i['name']}.{','.join(i['properties'])}" for i in indexes)),
        )

    def ping(self) -> None:
        # verify_connectivity fails at once when no server answers; a query would retry for retry_s.
        try:
            self._driver.verify_connectivity()
        except _UNAVAILABLE as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri} is unreachable: {exc}") from exc
        except neo4j_errors.DriverError as exc:
            raise EngineUnavailableError(f"Neo4j at {self.uri}: {exc}") from exc

    def describe(self) -> dict[str, Any]:
        return {"engine": self.kind, "uri": self.uri, "database": self.database}

    def close(self) -> None:
        self._driver.close()


__all__ = ["Neo4jEngine", "neo4j"]
