"""The coverage roll-up (queries/rollup.py): the same answers as the live queries, rebuilt by every load."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from graph.engine import GraphEngine
from loaders.load import LoadRefused, load_bundle
from queries import answers, rollup
from queries.catalog import run_catalog
from tests.bundles import small_bundle

SMALL_AS_OF = dt.date(2020, 1, 1)
TARGETS = ("compound", "building", "enterprise")
LEVELS = ("district", "subdistrict", "community")


def stored_rows(engine: GraphEngine) -> list[dict[str, Any]]:
    rows = engine.read("MATCH (r:CoverageRollup) RETURN r.id AS id, r.total AS total, "
                       "r.organizational_covered AS org, r.work_covered AS work")
    return sorted(rows, key=lambda r: r["id"])


@pytest.mark.parametrize("target", TARGETS)
def test_rollup_answers_equal_the_live_queries_on_the_reference_dataset(reference_engine: GraphEngine, target: str) -> None:
    as_of = answers.dataset_as_of(reference_engine)
    assert (target, as_of) in rollup.complete(reference_engine)
    for min_floors in ((1, 10, 20, 30, 300) if target == "building" else (20,)):
        live_params: dict[str, Any] = {"as_of": as_of} | ({"min_floors": min_floors} if target == "building" else {})
        live = run_catalog(reference_engine, answers.COVERAGE_QUERY[target], live_params)
        stored = rollup.stored_coverage(reference_engine, target, as_of, min_floors=min_floors)  # type: ignore[arg-type]
        assert stored == live
        for level in LEVELS:
            fast = answers.coverage_summary(reference_engine, target, level, min_floors=min_floors)  # type: ignore[arg-type]
            slow = answers.coverage_summary(reference_engine, target, level, min_floors=min_floors,  # type: ignore[arg-type]
                                            live=True)
            assert fast == slow


def test_the_reference_rollup_holds_the_seed_figures(reference_engine: GraphEngine) -> None:
    district = answers.coverage_summary(reference_engine, "compound", "district")["rows"][0]
    assert district["total"] == 929
    assert round(district["organizational"]["rate"] * 100) == 99
    assert district["work"]["rate"] == 1.0


def test_only_the_dataset_date_is_rolled_up(reference_engine: GraphEngine) -> None:
    as_of = answers.dataset_as_of(reference_engine)
    assert rollup.complete(reference_engine) == {(t, as_of) for t in TARGETS}
    assert rollup.stored_coverage(reference_engine, "compound", dt.date(2010, 1, 1)) is None
    earlier = answers.coverage_summary(reference_engine, "compound", "district", as_of=dt.date(2010, 1, 1))
    assert earlier["rows"][0]["total"] == 929  # computed live: compounds have no dates


def test_the_summary_reads_the_rollup_and_a_rebuild_repairs_it(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "small"))
    live = answers.coverage_summary(engine, "compound", "community", live=True)
    assert answers.coverage_summary(engine, "compound", "community") == live
    # Tamper with the stored counts: the summary now shows them, proving it reads the roll-up.
    engine.write("MATCH (r:CoverageRollup) WHERE r.target = 'compound' AND r.community_id <> '' SET r.total = 99")
    assert answers.coverage_summary(engine, "compound", "community")["rows"][0]["total"] == 99
    assert rollup.rebuild(engine) > 0
    assert answers.coverage_summary(engine, "compound", "community") == live


def test_rebuilding_twice_gives_the_same_rollup(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "small"))
    first = stored_rows(engine)
    rollup.rebuild(engine)
    load_bundle(engine, tmp_path / "small")
    assert stored_rows(engine) == first
    assert {r["id"] for r in first} >= {f"{t}|2020-01-01||-1" for t in TARGETS}  # one marker per target


def append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    """Add rows to a bundle CSV (columns not given are left empty)."""
    with open(path, encoding="utf-8", newline="") as handle:
        fields = next(csv.reader(handle))
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields).writerows(rows)


def _changed_bundle(root: Path, *, cover_third: bool, fourth_compound: bool) -> Path:
    """The small bundle, with the third compound covered and/or a fourth, uncovered compound."""
    small_bundle(root)
    if fourth_compound:
        append_csv(root / "nodes/Compound.csv", [{"id": "cmp-4", "name": "小区4", "kind": "商品房"}])
        append_csv(root / "rels/LOCATED_IN.csv", [{"source": "cmp-4", "target": "440303001011"}])
    if cover_third:
        append_csv(root / "rels/COVERS.csv", [{"source": "org-c", "target": "cmp-3", "mode": "organizational"}])
    return root


def test_a_changed_bundle_and_sync_update_the_rollup(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, _changed_bundle(tmp_path / "v1", cover_third=False, fourth_compound=True))
    row = answers.coverage_summary(engine, "compound", "community")["rows"][0]
    assert (row["total"], row["organizational"]["covered"], row["work"]["covered"]) == (4, 1, 2)
    load_bundle(engine, _changed_bundle(tmp_path / "v2", cover_third=True, fourth_compound=False), sync=True)
    row = answers.coverage_summary(engine, "compound", "community")["rows"][0]
    assert (row["total"], row["organizational"]["covered"], row["work"]["covered"]) == (3, 2, 3)
    assert answers.coverage_summary(engine, "compound", "community", live=True)["rows"][0] == row


def test_a_refused_load_leaves_the_rollup_as_it_was(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "small"))
    before = stored_rows(engine)
    bad = Path(shutil.copytree(tmp_path / "small", tmp_path / "bad"))
    append_csv(bad / "rels/COVERS.csv", [{"source": "org-nowhere", "target": "cmp-3", "mode": "organizational"}])
    with pytest.raises(LoadRefused):
        load_bundle(engine, bad)
    assert stored_rows(engine) == before
    assert rollup.complete(engine) == {(t, SMALL_AS_OF) for t in TARGETS}


def test_a_load_that_fails_half_way_leaves_no_rollup_to_trust(engine: GraphEngine, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    load_bundle(engine, small_bundle(tmp_path / "small"))
    changed = _changed_bundle(tmp_path / "changed", cover_third=True, fourth_compound=True)
    real = type(engine).write_batches
    calls = {"n": 0}

    def failing(self: GraphEngine, *args: Any, **kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("the engine went away")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(type(engine), "write_batches", failing)
    with pytest.raises(RuntimeError, match="went away"):
        load_bundle(engine, changed)
    monkeypatch.undo()
    assert rollup.complete(engine) == set()
    assert rollup.stored_coverage(engine, "compound", SMALL_AS_OF) is None
    assert answers.coverage_summary(engine, "compound", "community") == answers.coverage_summary(
        engine, "compound", "community", live=True)


def test_clearing_the_graph_removes_the_rollup(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, small_bundle(tmp_path / "small"))
    engine.clear()
    assert stored_rows(engine) == []
    assert engine.is_empty()


def test_rollup_nodes_are_no_entities(reference_engine: GraphEngine) -> None:
    assert run_catalog(reference_engine, "entity_by_id", {"id": "compound|2018-12-28||-1"}) == []
    assert "CoverageRollup" not in reference_engine.node_counts()  # counts, clear-less exports: the model's labels
    assert reference_engine.read("MATCH (r:CoverageRollup) RETURN count(r) AS n")[0]["n"] > 0


def test_a_store_made_before_rollups_existed_answers_live(tmp_path: Path) -> None:
    from graph.ladybug_engine import LadybugEngine

    engine = LadybugEngine(tmp_path / "old.lbug", buffer_pool_mb=128)
    try:
        load_bundle(engine, small_bundle(tmp_path / "small"))
        engine.write("DROP TABLE CoverageRollup")  # as a store written by an older orggraph
        assert rollup.complete(engine) == set()
        assert answers.coverage_summary(engine, "compound", "district")["rows"][0]["total"] == 3
        engine.create_schema()
        rollup.rebuild(engine)
        assert rollup.complete(engine) == {(t, SMALL_AS_OF) for t in TARGETS}
    finally:
        engine.close()


def test_no_warning_is_logged_for_a_graph_without_rollup(neo4j_engine: GraphEngine, caplog: pytest.LogCaptureFixture) -> None:
    """Neo4j warns about an unknown property on every roll-up check of a graph that has none yet; the
    engine turns that class of notification off, so the log does not fill with it."""
    with caplog.at_level("DEBUG", logger="neo4j"):
        assert rollup.complete(neo4j_engine) == set()
    assert not [r for r in caplog.records if "does not exist" in r.getMessage()]
