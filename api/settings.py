"""Settings of every entry point (API, CLI, loaders), from ``ORGGRAPH_*`` environment variables or ``.env``.

Example::

    ORGGRAPH_ENGINE=neo4j ORGGRAPH_NEO4J_URI=neo4j://cluster:7687 ORGGRAPH_NEO4J_PASSWORD=... orggraph serve

docs/deployment.md says which to set for one machine, one Neo4j server and a Neo4j cluster.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.keys import ApiKeyRecord
from graph.engine import GraphEngine

EngineKind = Literal["embedded", "neo4j"]


class Settings(BaseSettings):
    """All settings, with defaults that run the embedded demo on a laptop."""

    model_config = SettingsConfigDict(env_prefix="ORGGRAPH_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    engine: EngineKind = Field("embedded", description="embedded (LadybugDB, in-process) or neo4j")
    db_path: Path = Field(Path("data/orggraph.lbug"), description="embedded engine: database directory")
    embedded_buffer_mb: int = Field(1024, ge=64, description="embedded engine: page cache in MiB")
    embedded_connections: int | None = Field(None, ge=1, le=64, description="embedded engine: queries run at once (more "
                                             "wait); default one per 256 MiB of page cache")
    embedded_topology: bool = Field(True, description="embedded engine, when served (read-only): keep every relationship "
                                    "in memory (about 100 MB at scale 100, built in seconds in the background) for "
                                    "neighborhoods and shortest paths, the searchable names for the search and "
                                    "the properties of every node but members; until they are built these use "
                                    "queries")
    neo4j_uri: str = Field("bolt://127.0.0.1:7687", description="bolt:// for one server, neo4j:// for a cluster")
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = Field(None, description="leave unset when the server has auth off")
    neo4j_database: str = "neo4j"
    # Neo4j driver (docs/deployment.md): one pool per process, so a server or cluster member sees up to
    # (API workers + CLI processes) x pool size connections.
    neo4j_pool_size: int = Field(100, ge=1, le=10_000, description="Neo4j: most connections per server, per process")
    neo4j_connection_timeout_s: float = Field(15.0, gt=0, description="Neo4j: time limit to open one connection")
    neo4j_acquisition_timeout_s: float = Field(30.0, gt=0, description="Neo4j: how long a query waits for a free "
                                               "connection of the pool before the API answers 503")
    neo4j_query_timeout_s: float | None = Field(None, gt=0, description="Neo4j: time limit of one query's "
                                                "transaction, enforced by the server; default query_timeout_s")
    neo4j_retry_s: float = Field(15.0, ge=0, description="Neo4j: how long a query is retried on transient errors "
                                 "(unreachable server, leader switch) before the API answers 503 (max transaction retry time)")
    neo4j_max_connection_lifetime_s: float = Field(3600.0, gt=0, description="Neo4j: connections older than this are "
                                                   "replaced; keep it below any proxy's or firewall's idle cut-off")
    neo4j_search_names: bool = Field(True, description="Neo4j, when served: keep the searchable names in memory for the "
                                     "search (about 130 MB at scale 100), used while no transaction has committed since "
                                     "they were read (one round trip per search asks); after a write they are read "
                                     "again in the background, and the search uses queries meanwhile")
    neo4j_topology: bool = Field(True, description="Neo4j, when served: keep every relationship and the properties of "
                                 "every node but members in memory for neighborhoods and shortest paths (about 150 MB "
                                 "at scale 100), used on the terms of the search names (one round trip asks)")
    coverage_intervals: bool = Field(True, description="when served: keep when each coverage relationship counts in "
                                     "memory (about 8 MB at scale 100, read in seconds in the background), so coverage "
                                     "summaries and trends at any date take milliseconds instead of a live query each "
                                     "(queries/coverage_intervals.py); on Neo4j used while no transaction has committed "
                                     "since they were read; until then the roll-up or the live queries answer")
    query_timeout_s: float = Field(30.0, gt=0, description="time limit of one query")
    worker_threads: int = Field(40, ge=1, le=1000, description="threads that run the engine work of the lookup routes "
                                "(entities, neighbors, org chains and subtrees, paths) off the event loop; the other "
                                "routes use anyio's thread pool (40)")
    opentelemetry: bool = Field(False, description="FastAPI's own OpenTelemetry spans, metrics and logs, through the "
                                "providers configured in the process (e.g. by opentelemetry-instrument); off, the "
                                "app does not look for providers on every request")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    # Security (docs/security.md). Keys are configured when the keys file exists or ORGGRAPH_API_KEYS is set.
    api_keys_file: Path | None = Field(Path("data/api-keys.jsonl"), description="API keys, one JSON record a line "
                                       "(written by `orggraph keys create`); only hashes are stored")
    api_keys: list[ApiKeyRecord] = Field(default_factory=list, description="more key records, as a JSON list")
    audit_log: Path = Field(Path("data/audit.jsonl"), description="JSON lines: who read member data or ran raw Cypher")
    cypher_timeout_s: float = Field(10.0, gt=0, le=600, description="time limit of an admin console query")
    cypher_max_rows: int = Field(1000, ge=1, le=100_000, description="rows an admin console query returns at most")
    cookie_secure: bool | None = Field(None, description="mark the login cookie Secure even over http (TLS ends at a proxy "
                                   "that does not send X-Forwarded-Proto); by default Secure only over https")

    def open_engine(self, *, read_only: bool = False) -> GraphEngine:
        """Open the configured engine. The caller closes it. ``read_only``: as served, the embedded database opened
        read-only (with what it keeps in memory), Neo4j with the search names and the topology in memory (its guard keeps it read-only)."""
        if self.engine == "neo4j":
            from graph.neo4j_engine import Neo4jEngine

            auth = (self.neo4j_user, self.neo4j_password.get_secret_value()) if self.neo4j_password else None
            return Neo4jEngine(self.neo4j_uri, auth=auth, database=self.neo4j_database, **self.neo4j_driver_options(),
                               search_names=read_only and self.neo4j_search_names,
                               topology=read_only and self.neo4j_topology)
        from graph.ladybug_engine import LadybugEngine

        return LadybugEngine(self.db_path, read_only=read_only, buffer_pool_mb=self.embedded_buffer_mb,
                             timeout_s=self.query_timeout_s, connections=self.embedded_connections,
                             topology=self.embedded_topology)

    def neo4j_driver_options(self) -> dict[str, Any]:
        """The Neo4j engine's pool, timeout and retry arguments, from the ``ORGGRAPH_NEO4J_*`` settings."""
        return {
            "timeout_s": self.neo4j_query_timeout_s or self.query_timeout_s,
            "max_pool_size": self.neo4j_pool_size,
            "connection_timeout_s": self.neo4j_connection_timeout_s,
            "acquisition_timeout_s": self.neo4j_acquisition_timeout_s,
            "retry_s": self.neo4j_retry_s,
            "max_connection_lifetime_s": self.neo4j_max_connection_lifetime_s,
        }


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
