"""The analyst notebooks run top to bottom against the reference dataset (and are stored without outputs)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

from graph.ladybug_engine import LadybugEngine
from loaders.load import load_bundle

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
ALL = ("coverage_gaps.ipynb", "network_exploration.ipynb", "api_client.ipynb")


@pytest.fixture(scope="module")
def notebook_db(reference_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of its own: the notebooks' kernels are other processes, and LadybugDB locks its files."""
    path = tmp_path_factory.mktemp("notebook-db") / "graph.lbug"
    engine = LadybugEngine(path, buffer_pool_mb=256)
    load_bundle(engine, reference_bundle)
    engine.close()
    return path


def execute(name: str, env: dict[str, str], cwd: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return notebook


def outputs_text(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


@pytest.mark.parametrize("name", ALL)
def test_notebooks_are_stored_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not c.get("outputs") and not c.get("execution_count") for c in notebook.cells if c.cell_type == "code")


def test_coverage_gap_notebook(notebook_db: Path, tmp_path: Path) -> None:
    ran = execute("coverage_gaps.ipynb", {"ORGGRAPH_DB_PATH": str(notebook_db), "ORGGRAPH_NOTEBOOK_OUT": str(tmp_path)},
                  tmp_path)
    text = outputs_text(ran)
    assert "居民小区" in text and "image/png" in str(ran.cells)
    assert (tmp_path / "gaps-440303001.xlsx").exists()


def test_network_notebook(notebook_db: Path, tmp_path: Path) -> None:
    text = outputs_text(execute("network_exploration.ipynb", {"ORGGRAPH_DB_PATH": str(notebook_db)}, tmp_path))
    assert "黄贝岭社区四川达州流动党支部" in text and "中共深圳市罗湖区委员会" in text
    assert "cuts off" in text


@pytest.fixture
def served(notebook_db: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ORGGRAPH_DB_PATH": str(notebook_db), "ORGGRAPH_ENGINE": "embedded"}
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--log-level", "warning"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                pytest.fail(f"the server exited: {process.stdout.read().decode() if process.stdout else ''}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_api_client_notebook(served: str, tmp_path: Path) -> None:
    text = outputs_text(execute("api_client.ipynb", {"ORGGRAPH_API_URL": served}, tmp_path))
    assert "929 个小区" in text and "99%" in text and "application/problem+json" in text
