"""The audit log: one JSON object a line, for each request that read member records or ran raw Cypher.

It says who (key id, role), when, where (path) and how much (member records, rows), never the data:
no names, no parameter values, no query text (only its SHA-256 and length, so a query can be matched
against one the admin kept, without the log holding the values written into it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger("orggraph.audit")


class AuditLog:
    """Appends events to a JSON lines file (created 0600), from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # Opened per event: cheap, and an external log rotation (rename + new file) needs no signal.
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as handle:
                    handle.write(line)
            except OSError as exc:
                # Losing an audit line must be visible to operators, but must not fail the request.
                log.error("cannot write the audit log %s: %s", self.path, exc.strerror)

    def read(self) -> list[dict[str, Any]]:
        """Every event so far (for tests and for `jq`-less inspection)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def query_fingerprint(query: str) -> dict[str, Any]:
    """What the audit log keeps of a query: its hash and length, not its text."""
    return {"query_sha256": hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest(), "query_length": len(query)}
