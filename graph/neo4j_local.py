"""Start, find and stop a real Neo4j Community 5.26 server from the jars in ``neo4j-local/target/lib``.

No Docker and no Neo4j distribution: ``neo4j-local/pom.xml`` copies the server's jars from Maven Central and
the official entry point ``org.neo4j.server.CommunityEntryPoint`` runs them. Each server gets its own home
directory (store lock) and loopback Bolt port; HTTP is off. People default to ``NEO4J_LOCAL_DIR / "run"``.

>>> LocalNeo4j(home=Path("/tmp/x"), port=7999, pid=1).uri
'bolt://127.0.0.1:7999'
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import neo4j

REPO_ROOT = Path(__file__).resolve().parent.parent
NEO4J_LOCAL_DIR = REPO_ROOT / "neo4j-local"
LIB_DIR = NEO4J_LOCAL_DIR / "target" / "lib"
DEFAULT_HOME = NEO4J_LOCAL_DIR / "run"
MAIN_CLASS = "org.neo4j.server.CommunityEntryPoint"
ADMIN_CLASS = "org.neo4j.cli.AdminTool"
STATE_NAME = "orggraph-neo4j.json"
_OPENS = ("java.lang", "java.nio", "java.io", "java.util", "java.util.concurrent", "sun.nio.ch")
_EXTRA = ("-Dio.netty.tryReflectionSetAccessible=true", "-Djdk.nio.maxCachedBufferSize=1024", "-XX:+ExitOnOutOfMemoryError")
JVM_FLAGS = (*(f"--add-opens=java.base/{p}=ALL-UNNAMED" for p in _OPENS), *_EXTRA, "-Dfile.encoding=UTF-8")


class Neo4jLocalError(RuntimeError):
    """The local Neo4j server could not be built, started or reached."""


def ensure_jars(quiet: bool = True) -> Path:
    """Return LIB_DIR, running ``mvn -B [-q] package`` in NEO4J_LOCAL_DIR first if the server jars are missing."""
    if any(LIB_DIR.glob("neo4j-server-*.jar")) and any(LIB_DIR.glob("neo4j-5*.jar")):
        return LIB_DIR
    cmd = ["mvn", "-B", *(["-q"] if quiet else []), "package"]
    try:  # output is captured either way; `quiet` only drops Maven's progress noise from the error tail
        res = subprocess.run(cmd, cwd=NEO4J_LOCAL_DIR, capture_output=True, text=True, check=False)
    except OSError as e:
        raise Neo4jLocalError(f"cannot run {' '.join(cmd)}: {e}") from e
    if res.returncode != 0 or not any(LIB_DIR.glob("neo4j-server-*.jar")):
        tail = "\n".join((res.stdout + res.stderr).splitlines()[-40:])
        raise Neo4jLocalError(f"{' '.join(cmd)} failed in {NEO4J_LOCAL_DIR} (exit {res.returncode}):\n{tail}")
    return LIB_DIR


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (the server fails clearly if it is taken since)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _java() -> str:
    return str(Path(os.environ["JAVA_HOME"]) / "bin" / "java") if os.environ.get("JAVA_HOME") else "java"


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(missing)"


def _pid_alive(pid: int, home: Path) -> bool:
    """True if ``pid`` runs (not a zombie) and is the Neo4j server JVM of ``home`` (guards against pid reuse)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z" and f"--home-dir={home}\0".encode() in cmdline


def _config(port: int, pagecache: str, auth: bool) -> str:
    """neo4j.conf text: loopback Bolt only, small memory, no telemetry (strict validation rejects unknown keys)."""
    return f"""# Written by graph/neo4j_local.py on every start; edits are overwritten.
server.default_listen_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:{port}
server.bolt.advertised_address=127.0.0.1:{port}
server.http.enabled=false
server.https.enabled=false
server.directories.import=import
server.memory.pagecache.size={pagecache}
db.tx_log.preallocate=false
db.tx_log.rotation.size=1m
dbms.usage_report.enabled=false
dbms.security.auth_enabled={str(auth).lower()}
# Internal but valid key: Bolt's Netty event loops otherwise idle 5 s each on shutdown.
internal.dbms.bolt.netty_server_shutdown_quiet_period=0
"""


def _set_initial_password(home: Path, password: str) -> None:
    """Run ``neo4j-admin dbms set-initial-password`` via a 0600 picocli @file, so the password is never in argv."""
    if len(password) < 8 or any(ord(c) < 32 for c in password):
        raise ValueError("password must be at least 8 characters without control characters")
    quoted = '"' + password.replace("\\", "\\\\").replace('"', '\\"') + '"\n'
    fd, arg_file = tempfile.mkstemp(dir=home / "run", prefix="pw-")  # mkstemp files are 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write(quoted)
        env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
        cmd = [_java(), "-cp", f"{LIB_DIR}/*", ADMIN_CLASS, "dbms", "set-initial-password", f"@{arg_file}"]
        res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=120)
    finally:
        os.unlink(arg_file)
    if res.returncode != 0:
        raise Neo4jLocalError(f"set-initial-password failed (exit {res.returncode}):\n{res.stderr[-2000:]}")


@dataclass
class LocalNeo4j:
    """Handle on a Neo4j server process running from ``home``; the state file is ``home/run/orggraph-neo4j.json``."""

    home: Path
    port: int
    pid: int
    startup_seconds: float | None = None
    auth: tuple[str, str] | None = field(default=None, repr=False)
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """The server's stdout/stderr (``debug.log`` and ``neo4j.log`` sit next to it)."""
        return self.home / "logs" / "console.log"

    @property
    def state_path(self) -> Path:
        return self.home / "run" / STATE_NAME

    @classmethod
    def start(
        cls,
        home: Path,
        port: int | None = None,
        *,
        timeout: float = 120,
        heap: str = "1g",
        pagecache: str = "64m",
        auth: tuple[str, str] | None = None,
    ) -> LocalNeo4j:
        """Start a server in ``home`` on ``port`` (default: a free one) and wait until Bolt answers.

        With ``auth=("neo4j", password)`` auth is enabled and, if the DBMS was never started in ``home``, the
        initial password is set first (Neo4j ignores it afterwards; Community's only admin user is ``neo4j``).
        Raises Neo4jLocalError (with the log tails) if the server dies, times out or rejects the credentials.
        """
        home = Path(home).resolve()
        if auth is not None and auth[0] != "neo4j":
            raise ValueError("Neo4j Community's initial user is 'neo4j'")
        if (running := cls.attach(home)) is not None:
            raise Neo4jLocalError(f"a server already runs from {home} (pid {running.pid}, {running.uri})")
        lib = ensure_jars()
        for sub in ("conf", "data", "import", "logs", "plugins", "run"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        (home / "conf" / "neo4j.conf").write_text(_config(port, pagecache, auth is not None))
        if auth is not None and not (home / "data" / "databases" / "system").exists():
            _set_initial_password(home, auth[1])
        args = [f"--home-dir={home}", f"--config-dir={home / 'conf'}", "--console-mode"]
        cmd = [_java(), f"-Xmx{heap}", *JVM_FLAGS, "-cp", f"{lib}/*", MAIN_CLASS, *args]
        began = time.monotonic()
        with open(home / "logs" / "console.log", "wb") as log:
            proc = subprocess.Popen(cmd, cwd=home, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self = cls(home=home, port=port, pid=proc.pid, auth=auth, _proc=proc)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": proc.pid, "port": port, "uri": self.uri, "auth_enabled": auth is not None}))
        tmp.replace(self.state_path)
        try:
            self._wait_ready(began + timeout)
        except BaseException as e:
            self.stop(timeout=10)
            if isinstance(e, Neo4jLocalError):
                raise Neo4jLocalError(f"{e}\n{self._logs()}") from None
            raise
        self.startup_seconds = round(time.monotonic() - began, 2)
        return self

    def _wait_ready(self, deadline: float) -> None:
        """Poll every 0.5 s until Bolt answers and the server reports our data dir (not another Neo4j on the port)."""
        last: Exception | None = None
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise Neo4jLocalError(f"Neo4j exited with code {self._proc.returncode} during startup on {self.uri}")
            if time.monotonic() > deadline:
                raise Neo4jLocalError(f"Neo4j did not answer on {self.uri} in time (last error: {last!r})")
            try:
                with neo4j.GraphDatabase.driver(self.uri, auth=self.auth, connection_timeout=2, connection_acquisition_timeout=3) as driver:
                    driver.verify_connectivity()
                    records, _, _ = driver.execute_query(
                        "SHOW SETTINGS YIELD name, value WHERE name = 'server.directories.data' RETURN value", database_="system"
                    )
            except neo4j.exceptions.AuthError as e:
                raise Neo4jLocalError(f"Neo4j on {self.uri} rejected the credentials: {e.message}") from None
            except (neo4j.exceptions.DriverError, neo4j.exceptions.Neo4jError, OSError) as e:
                last = e
                time.sleep(0.5)
                continue
            if records and Path(records[0]["value"]).resolve() != (self.home / "data").resolve():
                raise Neo4jLocalError(f"{self.uri} is answered by another Neo4j (data dir {records[0]['value']})")
            return

    def _logs(self) -> str:
        return "\n".join(f"--- {p} (last 40 lines) ---\n{_tail(p)}" for p in (self.log_path, self.home / "logs" / "debug.log"))

    @classmethod
    def attach(cls, home: Path) -> LocalNeo4j | None:
        """Return a handle on the server recorded in ``home``'s state file if it still runs; drop a stale file."""
        state = Path(home).resolve() / "run" / STATE_NAME
        try:
            data = json.loads(state.read_text())
            pid, port = int(data["pid"]), int(data["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _pid_alive(pid, Path(home).resolve()):
            state.unlink(missing_ok=True)
            return None
        return cls(home=Path(home).resolve(), port=port, pid=pid)

    def is_running(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            return False
        return _pid_alive(self.pid, self.home)

    def status(self) -> dict[str, Any]:
        """Plain-data summary (never includes the password)."""
        running = self.is_running()
        return dict(running=running, pid=self.pid if running else None, port=self.port, uri=self.uri,
                    home=str(self.home), log=str(self.log_path))  # fmt: skip

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM (Neo4j shuts down cleanly), SIGKILL after ``timeout`` s, remove the state file. Idempotent."""
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
            if not self.is_running():
                break
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)
            deadline = time.monotonic() + wait
            while self.is_running() and time.monotonic() < deadline:
                time.sleep(0.2)
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if json.loads(self.state_path.read_text()).get("pid") == self.pid:
                self.state_path.unlink()

    def __enter__(self) -> LocalNeo4j:
        """``with LocalNeo4j.start(...) as server:`` stops the server on exit."""
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


# ------------------------------------------------------------------------------------ bulk import

IMPORT_PLAN_NAME = "neo4j-admin.json"
"""The list of files of an export for neo4j-admin (written by ``loaders/neo4j_admin.py``)."""
_DATABASE_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{2,62}")  # Neo4j's rule for database names


def check_database_name(database: str) -> str:
    """Return ``database`` if Neo4j accepts it as a database name, else raise ValueError saying why."""
    if not _DATABASE_NAME.fullmatch(database):
        raise ValueError(f"{database!r} is not a Neo4j database name (3-63 of a-z 0-9 . -, starting with a letter or digit)")
    return database


def import_arguments(import_dir: Path, database: str = "neo4j", options: tuple[str, ...] = ()) -> list[str]:
    """``neo4j-admin`` arguments (after the program name) that import the export in ``import_dir`` into ``database``.

    Paths are absolute, each label's and type's header file before its data file; ``options`` go
    before the database name.
    """
    check_database_name(database)
    base = Path(import_dir).resolve()
    try:
        plan = json.loads((base / IMPORT_PLAN_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Neo4jLocalError(f"{base} is not an export for neo4j-admin (`orggraph export --neo4j-admin`): {e}") from e
    args = ["database", "import", "full"]
    args += [f"--nodes={base / f['header']},{base / f['data']}" for f in plan["nodes"]]
    args += [f"--relationships={base / f['header']},{base / f['data']}" for f in plan["relationships"]]
    if plan.get("multiline_fields"):
        args.append("--multiline-fields=true")
    return [*args, *options, database]


@dataclass(frozen=True)
class ImportResult:
    """What ``neo4j-admin database import full`` reported."""

    seconds: float
    nodes: int
    relationships: int
    properties: int
    log_path: Path


def import_full(home: Path, import_dir: Path, *, database: str = "neo4j", heap: str = "1g", max_off_heap: str = "1g",
                threads: int | None = None, timeout: float = 4 * 3600) -> ImportResult:
    """Build ``database``'s store in ``home`` from an export for neo4j-admin, with Neo4j's own bulk importer.

    Runs before the server starts, into a database that does not exist yet (the importer refuses an
    existing one). Neo4j 5 Community's importer creates no indexes or constraints (its ``--schema``
    needs Enterprise's block format), so create them once the server is up: ``LocalNeo4j.start(home)``,
    then ``Neo4jEngine(uri).create_schema()``. On failure the half-built store is removed and
    Neo4jLocalError carries the importer's output (bad data names the file and line).
    """
    home = Path(home).resolve()
    if (running := LocalNeo4j.attach(home)) is not None:
        raise Neo4jLocalError(f"a server runs from {home} (pid {running.pid}); stop it before importing")
    store = home / "data" / "databases" / database
    if store.exists():
        raise Neo4jLocalError(f"database {database!r} already exists in {store}; import into a fresh home")
    lib = ensure_jars()
    if not any(lib.glob("neo4j-import-tool-*.jar")):
        raise Neo4jLocalError(f"no neo4j-import-tool jar in {lib}: run `mvn -B package` in {NEO4J_LOCAL_DIR}")
    for sub in ("conf", "data", "logs", "run"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    # --verbose: without it a failure says only "Error in input data", not which file, line and id.
    options = ["--verbose", f"--max-off-heap-memory={max_off_heap}", f"--report-file={home / 'logs' / 'import.report'}",
               *([f"--threads={threads}"] if threads else [])]
    cmd = [_java(), f"-Xmx{heap}", *JVM_FLAGS, "-cp", f"{lib}/*", ADMIN_CLASS,
           *import_arguments(import_dir, database, tuple(options))]
    env = {**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")}
    log_path = home / "logs" / "import.log"
    began = time.monotonic()
    try:
        with open(log_path, "wb") as log:
            res = subprocess.run(cmd, cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                 check=False, timeout=timeout)
        failed = f"exit {res.returncode}" if res.returncode != 0 else None
    except subprocess.TimeoutExpired:
        failed = f"no result after {timeout:.0f} s"
    except OSError as e:
        raise Neo4jLocalError(f"cannot run {cmd[0]}: {e}") from e
    except BaseException:  # interrupted (Ctrl-C): subprocess.run has killed the importer; leave no half store
        remove_store(home, database)
        raise
    output = log_path.read_text(errors="replace")
    done = re.search(r"IMPORT DONE.*?(\d+) nodes\s+(\d+) relationships\s+(\d+) properties", output, re.S)
    if failed or done is None:
        remove_store(home, database)  # the importer leaves an unusable store behind
        raise Neo4jLocalError(f"neo4j-admin database import full failed ({failed or 'no summary'}); see {log_path}:\n"
                              f"{_import_errors(output)}")
    nodes, rels, props = map(int, done.groups())
    return ImportResult(round(time.monotonic() - began, 2), nodes, rels, props, log_path)


def remove_store(home: Path, database: str = "neo4j") -> None:
    """Delete ``database``'s store and transaction logs in ``home`` (after a failed import: the server must not run)."""
    home = Path(home).resolve()
    shutil.rmtree(home / "data" / "databases" / database, ignore_errors=True)
    shutil.rmtree(home / "data" / "transactions" / database, ignore_errors=True)


def _import_errors(output: str, lines: int = 30) -> str:
    """The end of the importer's output without its progress dots and Java stack frames."""
    noise = re.compile(r"^(\s*\.{10}|\s+at |\s+\.\.\. \d+ more|\s*$)")
    return "\n".join([line for line in output.splitlines() if not noise.match(line)][-lines:])
