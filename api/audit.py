"""The audit log: one JSON object a line, for each request that read member records or ran raw Cypher.

It says who (key id, role), when, where (path) and how much (member records, rows), never the data:
no names, no parameter values, no query text (only its SHA-256 and length, so a query can be matched
against one the admin kept, without the log holding the values written into it).
"""

from __future__ import annotations

import contextlib
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
    """Appends events to a JSON lines file (created 0600), from any thread.

    The file stays open between events (opening, and making sure its folder exists, cost more than the
    write), but each event first checks that the path still names the open file: after an external log
    rotation (rename + new file) or a removal the next event opens the file at the path anew, so
    rotation needs no signal. Each line goes out in one ``write`` on an ``O_APPEND`` descriptor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._identity: tuple[int, int] | None = None  # (device, inode) of the open file

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"), "event": event, **fields}
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            try:
                fd = self._file()
                while data:
                    data = data[os.write(fd, data):]
            except OSError as exc:
                # Losing an audit line must be visible to operators, but must not fail the request.
                self._close()
                log.error("cannot write the audit log %s: %s", self.path, exc.strerror)

    def _file(self) -> int:
        """The descriptor to append to: the open one while the path still names its file, else a new one."""
        if self._fd is not None:
            try:
                st = os.stat(self.path)
                if (st.st_dev, st.st_ino) == self._identity:
                    return self._fd
            except FileNotFoundError:
                pass
            self._close()  # rotated or removed: write to the file that is at the path now
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        st = os.fstat(fd)
        self._fd, self._identity = fd, (st.st_dev, st.st_ino)
        return fd

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self._identity = None, None

    def close(self) -> None:
        """Close the file (the next event opens it again)."""
        with self._lock:
            self._close()

    def __del__(self) -> None:
        self._close()

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
