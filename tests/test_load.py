"""Loading bundles: atomic, idempotent, incremental, --sync, and the same graph on both engines."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any

import pytest

from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from graph.model import NODE_MODELS
from loaders.export import export_bundle, snapshot
from loaders.load import LoadRefused, load_bundle
from tests.bundles import small_bundle


def rewrite_csv(path: Path, keep: object = lambda row: True, change: object = lambda row: row) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0]) if rows else []
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(change(r) for r in rows if keep(r))  # type: ignore[operator]


def append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Add rows to a bundle CSV file (columns they leave out stay empty)."""
    rewrite_csv(path)  # the header, as it is
    with open(path, encoding="utf-8", newline="") as handle:
        fields = next(csv.reader(handle))
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields).writerows(rows)


def test_loading_twice_gives_the_same_graph(engine: GraphEngine, tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    first = load_bundle(engine, bundle)
    once = snapshot(engine)
    second = load_bundle(engine, bundle)
    assert snapshot(engine) == once
    assert first.written == second.written and first.total_rows == 27


def test_reference_dataset_is_the_same_graph_on_both_engines(reference_pair: tuple[GraphEngine, GraphEngine]) -> None:
    embedded, neo4j = (snapshot(e) for e in reference_pair)
    for key in embedded:
        assert embedded[key] == neo4j[key], key
    assert len(embedded["Compound"]) == 929 and len(embedded["Member"]) > 10_000


def test_reloading_the_reference_dataset_changes_nothing(reference_bundle: Path, tmp_path: Path) -> None:
    engine = LadybugEngine(tmp_path / "db", buffer_pool_mb=256)
    load_bundle(engine, reference_bundle)  # a fresh database: bulk insert
    bulk = snapshot(engine)
    load_bundle(engine, reference_bundle)  # not fresh: MERGE
    assert snapshot(engine) == bulk
    engine.close()


def test_invalid_bundle_writes_nothing(engine: GraphEngine, tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    rewrite_csv(bundle / "nodes/Compound.csv", change=lambda r: {**r, "kind": "别墅"} if r["id"] == "cmp-2" else r)
    with pytest.raises(LoadRefused) as refused:
        load_bundle(engine, bundle)
    problems = refused.value.report.problems
    assert (problems[0].file, problems[0].row, problems[0].column) == ("nodes/Compound.csv", 3, "kind")
    assert "别墅" in problems[0].reason
    # the two relationships that point at the bad compound are reported too, as not loadable
    assert [(p.file, p.column) for p in problems[1:]] == [("rels/LOCATED_IN.csv", "source"), ("rels/COVERS.csv", "target")]
    assert not any(engine.node_counts().values())
    rejects = (bundle / "rejects.csv").read_text(encoding="utf-8-sig")
    assert "nodes/Compound.csv,3,kind" in rejects


def test_skip_invalid_writes_the_valid_rows(engine: GraphEngine, tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    rewrite_csv(bundle / "nodes/Compound.csv", change=lambda r: {**r, "kind": "别墅"} if r["id"] == "cmp-2" else r)
    result = load_bundle(engine, bundle, skip_invalid=True)
    assert engine.node_counts()["Compound"] == 2
    assert len(result.problems) >= 1 and result.rejects_path and result.rejects_path.exists()
    # the COVERS and LOCATED_IN rows pointing at the rejected compound are not loaded either
    assert not engine.read("MATCH (x:Compound {id: 'cmp-2'}) RETURN x")


def test_a_changed_row_updates_in_place(engine: GraphEngine, tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    load_bundle(engine, bundle)
    rewrite_csv(bundle / "nodes/Building.csv", change=lambda r: {**r, "floors": "30"} if r["id"] == "bld-1" else r)
    rewrite_csv(bundle / "rels/COVERS.csv",
                change=lambda r: {**r, "mode": "work", "formation": ""} if r["target"] == "cmp-1" else r)
    load_bundle(engine, bundle)
    assert engine.read("MATCH (b:Building {id: 'bld-1'}) RETURN b.floors AS f") == [{"f": 30}]
    assert engine.read("MATCH (:PartyOrg)-[c:COVERS]->(:Compound {id: 'cmp-1'}) RETURN c.mode AS m, c.formation AS f") == [
        {"m": "work", "f": None}]
    assert engine.node_counts()["Building"] == 2


def test_sync_removes_what_the_bundle_no_longer_holds(engine: GraphEngine, tmp_path: Path) -> None:
    bundle = small_bundle(tmp_path / "b")
    load_bundle(engine, bundle)
    rewrite_csv(bundle / "nodes/Compound.csv", keep=lambda r: r["id"] != "cmp-3")
    rewrite_csv(bundle / "rels/LOCATED_IN.csv", keep=lambda r: r["source"] != "cmp-3")
    rewrite_csv(bundle / "rels/COVERS.csv", keep=lambda r: r["target"] != "bld-1")
    load_bundle(engine, bundle)  # without --sync nothing disappears
    assert engine.node_counts()["Compound"] == 3
    result = load_bundle(engine, bundle, sync=True)
    assert engine.node_counts()["Compound"] == 2
    assert not engine.read("MATCH (:PartyOrg)-[c:COVERS]->(:Building {id: 'bld-1'}) RETURN c")
    assert result.removed == 3  # cmp-3, its LOCATED_IN (detached with it) counted once, and the COVERS of bld-1
    assert snapshot(engine) == snapshot_of_fresh_load(bundle, tmp_path)


def snapshot_of_fresh_load(bundle: Path, tmp_path: Path) -> dict:
    fresh = LadybugEngine(tmp_path / "fresh.lbug", buffer_pool_mb=128)
    load_bundle(fresh, bundle)
    result = snapshot(fresh)
    fresh.close()
    return result


def test_sync_leaves_other_scopes_alone(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "a"))
    other = small_bundle(tmp_path / "b")
    manifest = (other / "manifest.json").read_text(encoding="utf-8").replace('"scope": "small"', '"scope": "other"')
    (other / "manifest.json").write_text(manifest, encoding="utf-8")
    rewrite_csv(other / "nodes/Compound.csv", keep=lambda r: r["id"] == "cmp-1")
    load_bundle(engine, other, sync=True)
    assert engine.node_counts()["Compound"] == 3, "the other scope's bundle cannot remove scope 'small' entities"


def test_export_round_trip(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "b"))
    before = snapshot(engine)
    export_bundle(engine, tmp_path / "out", scope="small")
    copy = LadybugEngine(tmp_path / "copy.lbug", buffer_pool_mb=128)
    load_bundle(copy, tmp_path / "out")
    after = snapshot(copy)
    copy.close()
    assert {k: v for k, v in after.items() if k != "Dataset"} == {k: v for k, v in before.items() if k != "Dataset"}


def test_relationship_to_an_id_already_in_the_graph(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "base"))
    extra = tmp_path / "extra"
    shutil.copytree(tmp_path / "base", extra)
    for f in (extra / "nodes").glob("*.csv"):
        if f.stem != "Compound":
            f.unlink()
    for f in (extra / "rels").glob("*.csv"):
        f.unlink()
    import json

    manifest = json.loads((extra / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = [f for f in manifest["files"] if f["path"] == "nodes/Compound.csv"]
    manifest["files"].append({"path": "rels/LOCATED_IN.csv", "kind": "rel", "name": "LOCATED_IN", "format": "csv"})
    (extra / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rewrite_csv(extra / "nodes/Compound.csv", keep=lambda r: r["id"] == "cmp-1",
                change=lambda r: {**r, "id": "cmp-9", "name": "新小区"})
    (extra / "rels/LOCATED_IN.csv").write_text("source,target,since,until\ncmp-9,440303001011,,\n", encoding="utf-8")
    load_bundle(engine, extra)
    assert engine.read("MATCH (:Compound {id: 'cmp-9'})-[:LOCATED_IN]->(m:Community) RETURN m.id AS m") == [{"m": "440303001011"}]
    assert set(engine.node_counts()) == set(NODE_MODELS)


def test_a_problem_found_after_files_were_written_leaves_an_empty_graph_empty(engine: GraphEngine, tmp_path: Path) -> None:
    """Into an empty graph files are written while the next are validated; a problem found at the very end (a
    COVERS outside the organization's subdistrict is only known once every anchor is) still writes nothing."""
    bundle = small_bundle(tmp_path / "b")
    append_csv(bundle / "nodes/Subdistrict.csv", [{"id": "440303002", "name": "黄贝街道"}])
    append_csv(bundle / "nodes/Community.csv", [{"id": "440303002001", "name": "别处社区"}])
    append_csv(bundle / "nodes/Compound.csv", [{"id": "cmp-9", "name": "别处小区", "kind": "商品房"}])
    append_csv(bundle / "rels/PART_OF.csv", [{"source": "440303002", "target": "440303"},
                                             {"source": "440303002001", "target": "440303002"}])
    append_csv(bundle / "rels/LOCATED_IN.csv", [{"source": "cmp-9", "target": "440303002001"}])
    append_csv(bundle / "rels/COVERS.csv", [{"source": "org-b", "target": "cmp-9", "mode": "work"}])
    written: list[str] = []
    with pytest.raises(LoadRefused) as refused:
        load_bundle(engine, bundle, progress=_Recording(written))
    assert [p.file for p in refused.value.report.problems] == ["rels/COVERS.csv"]
    assert "COVERS" in written  # the pipeline had written it (and more) before the problem was found
    assert not any(engine.node_counts().values()) and not any(engine.rel_counts().values())


def test_after_a_problem_the_pipeline_writes_no_more_files(engine: GraphEngine, tmp_path: Path) -> None:
    """A problem found early (a compound of an unknown kind) stops the writing at once: the files after it are
    validated (every problem is reported) but not written, only to be removed again."""
    bundle = small_bundle(tmp_path / "b")
    rewrite_csv(bundle / "nodes/Compound.csv", change=lambda r: {**r, "kind": "城堡"} if r["id"] == "cmp-1" else r)
    written: list[str] = []
    with pytest.raises(LoadRefused) as refused:
        load_bundle(engine, bundle, progress=_Recording(written))
    assert refused.value.report.problems[0].file == "nodes/Compound.csv"  # and what refers to cmp-1 after it
    assert written and "Compound" not in written and "LOCATED_IN" not in written and "COVERS" not in written
    assert not any(engine.node_counts().values()) and not any(engine.rel_counts().values())


def test_a_failing_write_during_validation_leaves_an_empty_graph_empty(engine: GraphEngine, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = small_bundle(tmp_path / "b")
    name = "bulk_insert_batches" if engine.copies_record_batches else "bulk_insert_rels"
    original = getattr(engine, name)
    calls = []

    def failing(*args: Any, **kwargs: Any) -> int:
        calls.append(args[0])
        if len(calls) == 6:
            raise RuntimeError("disk full")
        result: int = original(*args, **kwargs)
        return result

    monkeypatch.setattr(engine, name, failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_bundle(engine, bundle)
    monkeypatch.undo()
    assert len(calls) == 6
    assert not any(engine.node_counts().values()) and not any(engine.rel_counts().values())
    load_bundle(engine, bundle)  # and the same bundle then loads
    assert engine.node_counts()["Compound"] == 3


class _Recording:
    """A progress reporter that notes the files as they are written."""

    def __init__(self, names: list[str]) -> None:
        self.names = names

    def start(self, name: str, total: int | None) -> None:
        self.names.append(name)

    def advance(self, rows: int) -> None:
        pass


def test_a_big_first_load_into_neo4j_points_at_the_bulk_importer(tmp_path: Path) -> None:
    from dataclasses import replace

    from loaders.load import BULK_TIP_ROWS, bulk_load_tip

    engine = LadybugEngine(tmp_path / "db", buffer_pool_mb=64)
    try:
        first = load_bundle(engine, small_bundle(tmp_path / "b"))
        again = load_bundle(engine, tmp_path / "b")
    finally:
        engine.close()
    assert first.into_empty and not again.into_empty
    big = replace(first, engine="neo4j", written={"Member": BULK_TIP_ROWS})
    tip = bulk_load_tip(big)
    assert tip is not None and "orggraph neo4j import BUNDLE" in tip
    assert bulk_load_tip(replace(big, into_empty=False)) is None  # the importer only builds new stores
    assert bulk_load_tip(replace(big, written={"Member": BULK_TIP_ROWS - 1})) is None
    assert bulk_load_tip(replace(big, engine="embedded")) is None  # LadybugDB's COPY is already its bulk path
