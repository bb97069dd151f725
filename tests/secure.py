"""Helpers for the security tests: an app with a key per role, and the members' personal values."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.audit import AuditLog
from api.keys import Role, add_key
from api.settings import Settings
from graph.engine import GraphEngine


@dataclass
class SecureApp:
    """A keyed app: ``get``/``post`` as a role, the keys, the audit log."""

    client: TestClient
    keys: dict[Role, str]
    keys_file: Path
    audit: AuditLog

    def headers(self, role: Role | None) -> dict[str, str]:
        return {"X-API-Key": self.keys[role]} if role else {}

    def get(self, role: Role | None, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(role), **kwargs)

    def post(self, role: Role | None, path: str, **kwargs: Any) -> Any:
        return self.client.post(path, headers=self.headers(role), **kwargs)


def secure_settings(engine: GraphEngine, tmp: Path, **extra: Any) -> Settings:
    return Settings(engine=engine.kind, api_keys_file=tmp / "keys.jsonl", audit_log=tmp / "audit.jsonl",  # type: ignore[arg-type]
                    **extra)


def issue_keys(tmp: Path) -> dict[Role, str]:
    return {role: add_key(tmp / "keys.jsonl", role, f"test {role.value}")[1] for role in Role}


def secure_app(engine: GraphEngine, tmp: Path, **settings: Any) -> SecureApp:
    """An app over ``engine`` (not entered: use ``with app.client``) with one key per role."""
    tmp.mkdir(parents=True, exist_ok=True)
    keys = issue_keys(tmp)
    config = secure_settings(engine, tmp, **settings)
    return SecureApp(client=TestClient(create_app(config, engine=engine)), keys=keys, keys_file=tmp / "keys.jsonl",
                     audit=AuditLog(tmp / "audit.jsonl"))


def serving_client(db_path: Path, tmp: Path, role: Role = Role.viewer, **settings: Any) -> TestClient:
    """A client (not entered: use ``with``) of an app that opens its own embedded engine on ``db_path``, as ``serve``
    does (read-only, with what it keeps in memory), sending a key of ``role``; ``settings`` override the rest."""
    _, key = add_key(tmp / "keys.jsonl", role, "test")
    config = Settings(engine="embedded", db_path=db_path, embedded_buffer_mb=128, api_keys_file=tmp / "keys.jsonl",
                      audit_log=tmp / "audit.jsonl", **settings)
    return TestClient(create_app(config), headers={"X-API-Key": key})


def health_when_ready(client: TestClient, part: str, busy: str, *, wait: bool = True, timeout_s: float = 60) -> dict[str, Any]:
    """``GET /api/v1/health`` once ``health[part]["ready"]`` (what the app keeps in memory, read in the background);
    while not ready, ``health[part][busy]`` must say it is being read. Without ``wait``, the first answer."""
    deadline = time.monotonic() + timeout_s
    health: dict[str, Any] = client.get("/api/v1/health").json()
    while wait and not health[part]["ready"] and time.monotonic() < deadline:
        assert health[part][busy] is True
        time.sleep(0.05)
        health = client.get("/api/v1/health").json()
    return health


def member_personal_values(engine: GraphEngine) -> tuple[list[str], list[int]]:
    """Every member's name and birth year, read from the engine itself (not through the API)."""
    rows = engine.read("MATCH (m:Member) RETURN m.name AS name, m.birth_year AS birth_year ORDER BY m.id")
    return [r["name"] for r in rows], [r["birth_year"] for r in rows]
