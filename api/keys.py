"""API keys: roles, issuing, hashing, the keys file and the in-memory store the API checks against.

A key is ``og_<id>_<secret>``: ``id`` (10 hex digits) names the key in logs, the audit log and the
keys file; ``secret`` is 32 random bytes (64 hex digits). Only ``sha256(key)`` is stored. A plain
SHA-256 is enough here because the secret has 256 bits of entropy: nobody can guess it from the digest,
and a slow password hash (bcrypt, argon2) would only add ~100 ms to every request without making a
random 256-bit secret any harder to find. Digests are compared in constant time.

The keys file holds one JSON object per line (``id``, ``role``, ``name``, ``created``, ``hash`` and,
once revoked, ``revoked``); ``ORGGRAPH_API_KEYS`` may hold the same records as a JSON list.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

log = logging.getLogger("orggraph.security")

KEY_PREFIX = "og"
_TOKEN = re.compile(r"^og_([0-9a-f]{10})_([0-9a-f]{64})$")
_HASH = r"^sha256:[0-9a-f]{64}$"


class Role(enum.StrEnum):
    """What a key may see. Each role sees everything the roles below it see."""

    viewer = "viewer"
    analyst = "analyst"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role) -> bool:
        """True when this role may use a route that needs ``needed``."""
        return self.rank >= needed.rank


_RANK = {Role.viewer: 1, Role.analyst: 2, Role.admin: 3}
_NEVER = object()


class ApiKeyRecord(BaseModel):
    """One line of the keys file (or one item of ``ORGGRAPH_API_KEYS``). Never holds the key itself."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{10}$")]
    role: Role
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    created: dt.datetime | None = None
    hash: Annotated[str, StringConstraints(pattern=_HASH)] = Field(description="sha256:<hex digest of the whole key>")
    revoked: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def digest(token: str) -> str:
    """The stored form of a key."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_key(role: Role, name: str, *, now: dt.datetime | None = None) -> tuple[ApiKeyRecord, str]:
    """Issue a key: return its record (to store) and the key itself (to show once, never stored)."""
    key_id = secrets.token_hex(5)
    token = f"{KEY_PREFIX}_{key_id}_{secrets.token_hex(32)}"
    created = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    return ApiKeyRecord(id=key_id, role=role, name=name, created=created, hash=digest(token)), token


def key_id_of(token: str) -> str | None:
    """The id part of a well-formed key, else ``None`` (so logs can name a key without its secret)."""
    match = _TOKEN.match(token)
    return match.group(1) if match else None


# ------------------------------------------------------------------------------------- the keys file


def _open_private(path: Path, flags: int) -> int:
    """Open ``path`` creating it 0600: it lists who may read member data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return os.open(path, flags | os.O_CREAT, 0o600)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialize writers of the keys file (two `orggraph keys` commands at once)."""
    fd = _open_private(path.with_name(path.name + ".lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def read_keys_file(path: Path) -> list[ApiKeyRecord]:
    """Every valid record of the keys file; a malformed line is skipped with a warning (never echoed)."""
    records: list[ApiKeyRecord] = []
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return records
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(ApiKeyRecord.model_validate_json(line))
        except ValidationError as exc:
            log.warning("%s line %d is not a valid key record (%d problem(s)); it is ignored", path, number, exc.error_count())
    return records


def add_key(path: Path, role: Role, name: str) -> tuple[ApiKeyRecord, str]:
    """Issue a key and append its record to the keys file (created 0600). Returns (record, key)."""
    record, token = new_key(role, name)
    with _locked(path):
        fd = _open_private(path, os.O_WRONLY | os.O_APPEND)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(record.model_dump_json(exclude_none=True) + "\n")
    return record, token


def revoke_key(path: Path, key_id: str) -> ApiKeyRecord:
    """Mark a key revoked (the record stays, for the audit trail). ``KeyError`` if no such key."""
    with _locked(path):
        records = read_keys_file(path)
        found = next((r for r in records if r.id == key_id), None)
        if found is None:
            raise KeyError(key_id)
        if found.active:
            found = found.model_copy(update={"revoked": dt.datetime.now(dt.UTC).replace(microsecond=0)})
            records = [found if r.id == key_id else r for r in records]
            tmp = path.with_name(path.name + ".tmp")
            fd = _open_private(tmp, os.O_WRONLY | os.O_TRUNC)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.writelines(r.model_dump_json(exclude_none=True) + "\n" for r in records)
            tmp.replace(path)  # atomic: a reader sees the old file or the new one
    return found


# ------------------------------------------------------------------------------------- the store


class KeyStore:
    """The keys the API accepts: from the environment and the keys file, re-read when the file changes
    (so ``orggraph keys revoke`` takes effect without a restart)."""

    def __init__(self, file: Path | None, env_records: Sequence[ApiKeyRecord] = ()) -> None:
        self.file = file
        self._file_name = os.fspath(file) if file is not None else None  # os.stat of a str: no pathlib per request
        self._env = list(env_records)
        self._lock = threading.Lock()
        self._loaded: object = _NEVER  # the file stamp of the records in memory
        self._by_id: dict[str, ApiKeyRecord] = {}
        self._reload()

    def configured(self) -> bool:
        """True when keys are configured at all (a keys file exists, even with every key revoked, or
        ``ORGGRAPH_API_KEYS`` is set): then every request needs a key."""
        return bool(self._env) or (self._file_name is not None and os.path.exists(self._file_name))

    def records(self) -> list[ApiKeyRecord]:
        self._reload()
        return list(self._by_id.values())

    def verify(self, token: str) -> ApiKeyRecord | None:
        """The active record of ``token``, or ``None`` for an unknown, revoked or malformed key."""
        key_id = key_id_of(token)
        if key_id is None:
            return None
        self._reload()
        record = self._by_id.get(key_id)
        if record is None or not record.active:
            return None
        return record if hmac.compare_digest(record.hash, digest(token)) else None

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self._file_name is None:
            return None
        try:
            st = os.stat(self._file_name)
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _reload(self) -> None:
        stamp = self._file_stamp()
        if stamp == self._loaded:
            return
        with self._lock:
            if stamp == self._loaded:
                return
            from_file = read_keys_file(self.file) if self.file is not None and stamp is not None else []
            by_id: dict[str, ApiKeyRecord] = {}
            for record in [*self._env, *from_file]:
                # A revocation anywhere wins: a key revoked in the file stays revoked even if the environment lists it.
                if record.id not in by_id or not record.active:
                    by_id[record.id] = record
            self._by_id = by_id
            self._loaded = stamp
