"""What both benchmarks share: cached bundles, the machine's description, Neo4j servers, workers, tables."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "data" / "bench"
RESULTS_DIR = BENCH_DIR / "results"
DEFAULT_SEED = 2018
WORKER_TAG = "BENCH-RESULT "


# ------------------------------------------------------------------------------------------------ bundles


def bundle(scale: int, *, seed: int = DEFAULT_SEED, cache: Path = BENCH_DIR, log: bool = True) -> Path:
    """The reference bundle at ``scale``, generated once into ``cache`` (atomically: a half-written one is redone)."""
    root = cache / f"reference-s{scale}-seed{seed}"
    stamp = root / ".complete"
    if stamp.is_file():
        return root
    from loaders.reference import generate

    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".reference-s{scale}-", dir=cache))
    if log:
        print(f"generating the reference bundle at scale {scale} into {root} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        generate(tmp, scale=scale, seed=seed)
        if root.exists():
            shutil.rmtree(root)
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - started
    stamp.write_text(json.dumps({"scale": scale, "seed": seed, "rows": bundle_rows(root), "bytes": dir_size(root),
                                 "generate_seconds": round(seconds, 1)}))
    if log:
        print(f"  done in {seconds:.0f} s", file=sys.stderr, flush=True)
    return root


def bundle_rows(root: Path) -> int:
    """Data rows of a CSV bundle (physical lines minus headers; the generator writes no quoted newlines)."""
    total = 0
    for path in (*root.glob("nodes/*.csv"), *root.glob("rels/*.csv")):
        with open(path, "rb") as handle:
            total += sum(1 for _ in handle) - 1
    return total


def bundle_info(root: Path) -> dict[str, Any]:
    info: dict[str, Any] = json.loads((root / ".complete").read_text())
    return info


# ------------------------------------------------------------------------------------------------ machine


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gb() -> float:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


def _java_version() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30, check=False).stderr
        return out.splitlines()[0] if out else "-"
    return "-"


def _neo4j_server_version() -> str:
    from graph.neo4j_local import LIB_DIR

    jars = sorted(LIB_DIR.glob("neo4j-kernel-5*.jar"))
    return jars[0].stem.removeprefix("neo4j-kernel-") if jars else "-"


def machine() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _mem_total_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "ladybug": _version("ladybug"),
        "neo4j_server": _neo4j_server_version(),
        "neo4j_driver": _version("neo4j"),
        "neo4j_rust_ext": _version("neo4j-rust-ext"),
        "java": _java_version(),
        "pydantic": _version("pydantic"),
        "fastapi": _version("fastapi"),
        "uvicorn": _version("uvicorn"),
        "httpx": _version("httpx"),
        "loadavg_start": os.getloadavg(),
    }


def cpu_pressure() -> float | None:
    """Share of the last 10 s in which some runnable task waited for a CPU (Linux PSI), in percent."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return float(Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1])
    return None


def speed_probe() -> float:
    """Nanoseconds to build a 3-item dict in a Python loop (best of 5): about 40-60 on an idle modern core.

    Other engineers share the 2 cores, so each figure comes with this probe: when it is several times
    that, the machine was busy and every Python-bound figure is slower by about as much.
    """
    import timeit

    number = 200_000
    return round(min(timeit.repeat("d = {'a': 1, 'b': 2, 'c': 3}", number=number, repeat=5)) / number * 1e9, 1)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (from /proc; e.g. the Neo4j server's JVM)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def own_cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads, e.g. LadybugDB's)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def loadavg() -> tuple[float, float, float]:
    """1, 5 and 15 minute load averages: other engineers' tests share the 2 cores, so every figure notes them."""
    return os.getloadavg()


def describe_machine(info: dict[str, Any]) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, {info['os']}; Python {info['python']}, "
            f"LadybugDB {info['ladybug']}, Neo4j {info['neo4j_server']} Community ({info['java']}), "
            f"driver {info['neo4j_driver']} + rust-ext {info['neo4j_rust_ext']}")


# ------------------------------------------------------------------------------------------------ disk


def path_size(path: Path) -> int:
    """Bytes of a file or of a directory tree (0 when missing)."""
    if path.is_file():
        return path.stat().st_size
    return dir_size(path)


def dir_size(root: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def embedded_store_size(db_path: Path) -> int:
    """A LadybugDB database: its file (or directory) plus the write-ahead log and other siblings of that name."""
    return sum(path_size(p) for p in db_path.parent.glob(db_path.name + "*"))


# ------------------------------------------------------------------------------------------------ Neo4j


@contextlib.contextmanager
def neo4j_server(*, heap: str, pagecache: str, keep: bool = False) -> Iterator[Any]:
    """A fresh Neo4j server (empty database) in a temporary home under ``data/bench``; stopped and removed after."""
    from graph.neo4j_local import LocalNeo4j

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="neo4j-", dir=BENCH_DIR))
    server = LocalNeo4j.start(home, heap=heap, pagecache=pagecache, timeout=180)
    try:
        yield server
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def neo4j_store_size(home: Path) -> int:
    """The ``neo4j`` database's store files and its transaction logs."""
    return dir_size(home / "data" / "databases" / "neo4j") + dir_size(home / "data" / "transactions" / "neo4j")


def process_peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a running process, e.g. the Neo4j server's JVM."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


# ------------------------------------------------------------------------------------------------ workers


def run_worker(module: str, payload: dict[str, Any], *, timeout: float) -> dict[str, Any]:
    """Run ``python -m module --worker JSON`` in a child process and return the JSON it reports.

    A child per measurement keeps runs from polluting each other (imports, caches, the RSS high-water mark).
    """
    cmd = [sys.executable, "-m", module, "--worker", json.dumps(payload)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(WORKER_TAG):
            result: dict[str, Any] = json.loads(line.removeprefix(WORKER_TAG))
            return result
    raise RuntimeError(f"worker {module} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def report_to_parent(result: dict[str, Any]) -> None:
    print(WORKER_TAG + json.dumps(result, default=str), flush=True)


def peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (Linux reports KiB)."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ------------------------------------------------------------------------------------------------ output


def md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A markdown table (numbers right-aligned)."""
    def cell(value: Any) -> str:
        if value is None:
            return "–"
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 100 else f"{value:,.2f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    numeric = [bool(rows) and all(isinstance(r[i], int | float) or r[i] is None for r in rows) for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---:" if n else "---" for n in numeric) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def save_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False), encoding="utf-8")
    return path


def parse_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]
