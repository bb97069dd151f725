"""The failure paths of the one-step bulk load (``loaders.neo4j_bulk``), without a Neo4j: the importer and the server
are replaced, so each failure happens exactly where the test puts it. The successful path, with the real importer and
server, is tested in ``tests/test_neo4j_admin.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import loaders.neo4j_bulk as bulk
from graph.errors import QueryError
from graph.neo4j_local import ImportResult, Neo4jLocalError
from loaders.load import LoadRefused
from loaders.neo4j_bulk import BulkLoad, UnfinishedStore, bulk_load, start_and_finish
from tests.bundles import small_bundle


def _store(home: Path) -> Path:
    return home / "data" / "databases" / "neo4j"


def test_a_failed_import_leaves_no_scratch_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_import(home: Path, export_dir: Path, **_: Any) -> ImportResult:
        assert (export_dir / "nodes" / "Compound.csv").is_file()  # the files were written before the import
        (home / "logs").mkdir(parents=True)
        raise Neo4jLocalError("neo4j-admin database import full failed (exit 1)")

    monkeypatch.setattr(bulk, "import_full", failing_import)
    home = tmp_path / "home"
    with pytest.raises(Neo4jLocalError, match="exit 1"):
        bulk_load(small_bundle(tmp_path / "b"), home)
    assert not list(home.glob("bulk-load-*")) and not _store(home).exists()


def test_an_import_short_of_rows_keeps_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def short_import(home: Path, export_dir: Path, **_: Any) -> ImportResult:
        _store(home).mkdir(parents=True)
        (home / "data" / "transactions" / "neo4j").mkdir(parents=True)
        return ImportResult(1.0, nodes=3, relationships=1, properties=9, log_path=home / "import.log")

    monkeypatch.setattr(bulk, "import_full", short_import)
    home = tmp_path / "home"
    with pytest.raises(Neo4jLocalError, match="no store was kept"):
        bulk_load(small_bundle(tmp_path / "b"), home)
    assert not _store(home).exists() and not (home / "data" / "transactions" / "neo4j").exists()
    assert not list(home.glob("bulk-load-*"))


def test_a_refused_bundle_leaves_no_home_behind(tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    (bundle / "nodes" / "Compound.csv").write_text("id,name,kind\ncmp-1,小区1,别墅\n", encoding="utf-8")
    with pytest.raises(LoadRefused, match="problem"):
        bulk_load(bundle, tmp_path / "new-home")
    assert not (tmp_path / "new-home").exists()


class _FakeServer:
    uri, pid = "bolt://127.0.0.1:1", 1

    def __init__(self) -> None:
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


def test_a_schema_that_fails_stops_the_server_and_says_how_to_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import graph.neo4j_engine

    server = _FakeServer()
    monkeypatch.setattr(bulk.LocalNeo4j, "start", classmethod(lambda cls, *a, **k: server))

    class FailingEngine:
        def __init__(self, uri: str, **_: Any) -> None:
            pass

        def __enter__(self) -> FailingEngine:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def create_schema(self) -> None:
            raise QueryError("an index with the same definition but another name is in the way")

    monkeypatch.setattr(graph.neo4j_engine, "Neo4jEngine", FailingEngine)
    result = BulkLoad(3, 2)
    with pytest.raises(UnfinishedStore) as refused:
        start_and_finish(result, tmp_path / "home")
    assert server.stopped and result.server is None
    message = str(refused.value)
    assert "in the way" in message and f"orggraph neo4j start --home {tmp_path / 'home'}" in message and "rollup" in message


def test_a_server_that_cannot_start_is_an_unfinished_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_start(cls: type, *a: Any, **k: Any) -> Any:
        raise Neo4jLocalError("Neo4j did not answer within 300 s")

    monkeypatch.setattr(bulk.LocalNeo4j, "start", classmethod(no_start))
    with pytest.raises(UnfinishedStore, match="did not answer"):
        start_and_finish(BulkLoad(3, 2), tmp_path / "home")
