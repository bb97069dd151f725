"""Coverage at any date from the intervals a served engine keeps (queries/coverage_intervals.py): the rows of the live
queries, kept only while they are the database's, used by the summaries and the API."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from api.guard import guard
from graph.committed import KeptValues
from graph.engine import GraphEngine, Row
from graph.ladybug_engine import LadybugEngine
from graph.neo4j_engine import Neo4jEngine
from loaders.bundle import BundleWriter
from loaders.load import load_bundle
from queries import answers, coverage_intervals
from queries.catalog import get_query, run_catalog

A, B, C = "440303001011", "440303002001", "440303001012"
"""Three communities: A in subdistrict 001, B in 002, and C part of both (a community that moved)."""
S1, S2 = "440303001", "440303002"
CASES: list[tuple[answers.Target, int]] = [("compound", 20), ("building", 20), ("building", 1), ("enterprise", 20)]


def interval_bundle(root: Path) -> Path:
    """Compounds, buildings and enterprises whose coverage starts and stops at known dates (see EXPECTED)."""
    with BundleWriter(root, name="intervals", scope="intervals", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("District", [{"id": "440303", "name": "罗湖区"}])
        w.write_nodes("Subdistrict", [{"id": S1, "name": "桂园街道"}, {"id": S2, "name": "黄贝街道"}])
        w.write_nodes("Community", [{"id": A, "name": "老围社区"}, {"id": B, "name": "黄贝岭社区"},
                                    {"id": C, "name": "搬迁社区"}])
        w.write_nodes("Compound", [{"id": f"cmp-{i}", "name": f"小区{i}", "kind": "商品房"} for i in (1, 2, 3)])
        w.write_nodes("Building", [{"id": "bld-1", "name": "高楼", "floors": 25}, {"id": "bld-2", "name": "矮楼", "floors": 10}])
        w.write_nodes("Enterprise", [{"id": "ent-1", "name": "两地公司", "kind": "非公企业", "industry": "商贸"},
                                     {"id": "ent-2", "name": "黄贝公司", "kind": "非公企业", "industry": "商贸"}])
        w.write_nodes("PartyOrg", [
            {"id": "org-d", "name": "区委", "level": "区委"},
            {"id": "org-b", "name": "支部", "level": "党支部", "founded": dt.date(2010, 1, 1),
             "dissolved": dt.date(2015, 1, 1)},
        ])
        w.write_rels("PART_OF", [{"source": S1, "target": "440303"}, {"source": S2, "target": "440303"},
                                 {"source": A, "target": S1}, {"source": B, "target": S2},
                                 {"source": C, "target": S1}, {"source": C, "target": S2}])
        w.write_rels("LOCATED_IN", [
            {"source": "cmp-1", "target": A}, {"source": "cmp-2", "target": A}, {"source": "cmp-2", "target": B},
            {"source": "cmp-3", "target": C}, {"source": "bld-1", "target": A}, {"source": "bld-2", "target": B},
            {"source": "ent-1", "target": "bld-1"}, {"source": "ent-1", "target": "bld-2"},
            {"source": "ent-2", "target": "bld-2"},
        ])
        w.write_rels("REPORTS_TO", [{"source": "org-b", "target": "org-d"}])
        w.write_rels("COVERS", [
            {"source": "org-b", "target": "cmp-1", "mode": "organizational"},  # counts while org-b exists
            {"source": "org-d", "target": "cmp-2", "mode": "work", "since": dt.date(2012, 6, 1)},
            {"source": "org-d", "target": "cmp-3", "mode": "organizational", "since": dt.date(2011, 1, 1),
             "until": dt.date(2013, 1, 1)},
            {"source": "org-b", "target": "bld-1", "mode": "organizational", "since": dt.date(2008, 1, 1),
             "until": dt.date(2020, 1, 1)},  # cut by org-b's dates: 2010 to 2015
            {"source": "org-d", "target": "bld-2", "mode": "work"},
            {"source": "org-d", "target": "ent-1", "mode": "organizational", "since": dt.date(2014, 1, 1)},
            {"source": "org-d", "target": A, "mode": "organizational"},  # an area: no summary counts it
        ])
    return root


Counts = dict[tuple[str, str], tuple[int, int, int]]
EXPECTED: dict[tuple[str, int, dt.date], Counts] = {
    # compounds: cmp-2 counts in A and in B; cmp-3 in C, once per subdistrict C is part of
    ("compound", 20, dt.date(2009, 12, 31)): {(A, S1): (2, 0, 0), (B, S2): (1, 0, 0), (C, S1): (1, 0, 0), (C, S2): (1, 0, 0)},
    ("compound", 20, dt.date(2010, 1, 1)): {(A, S1): (2, 1, 1), (B, S2): (1, 0, 0), (C, S1): (1, 0, 0), (C, S2): (1, 0, 0)},
    ("compound", 20, dt.date(2012, 6, 1)): {(A, S1): (2, 1, 2), (B, S2): (1, 0, 1), (C, S1): (1, 1, 1), (C, S2): (1, 1, 1)},
    ("compound", 20, dt.date(2013, 1, 1)): {(A, S1): (2, 1, 2), (B, S2): (1, 0, 1), (C, S1): (1, 0, 0), (C, S2): (1, 0, 0)},
    ("compound", 20, dt.date(2015, 1, 1)): {(A, S1): (2, 0, 1), (B, S2): (1, 0, 1), (C, S1): (1, 0, 0), (C, S2): (1, 0, 0)},
    # buildings: bld-1 is covered from 2010 (org-b's founding) to 2015
    ("building", 20, dt.date(2009, 12, 31)): {(A, S1): (1, 0, 0)},
    ("building", 20, dt.date(2014, 12, 31)): {(A, S1): (1, 1, 1)},
    ("building", 20, dt.date(2015, 1, 1)): {(A, S1): (1, 0, 0)},
    ("building", 1, dt.date(2012, 6, 1)): {(A, S1): (1, 1, 1), (B, S2): (1, 0, 1)},
    # enterprises: ent-1 once, in the first of its communities by id (A); ent-2 in B
    ("enterprise", 20, dt.date(2013, 12, 31)): {(A, S1): (1, 0, 0), (B, S2): (1, 0, 0)},
    ("enterprise", 20, dt.date(2014, 1, 1)): {(A, S1): (1, 1, 1), (B, S2): (1, 0, 0)},
}


def counts(rows: list[Row]) -> Counts:
    found: Counts = {}
    for r in rows:
        key = (r["community_id"], r["subdistrict_id"])
        assert key not in found, f"{key} twice"
        found[key] = (r["total"], r["organizational_covered"], r["work_covered"])
    return found


def live_rows(engine: GraphEngine, target: str, as_of: dt.date, min_floors: int) -> list[Row]:
    params: dict[str, Any] = {"as_of": as_of} | ({"min_floors": min_floors} if target == "building" else {})
    return run_catalog(engine, answers.COVERAGE_QUERY[target], params)


def in_order(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r["community_id"], r["subdistrict_id"]))


def test_they_count_as_the_live_queries_on_a_hand_built_graph(engine: GraphEngine, tmp_path: Path) -> None:
    load_bundle(engine, interval_bundle(tmp_path / "intervals"))
    intervals = coverage_intervals.read(engine)
    for (target, min_floors, as_of), expected in EXPECTED.items():
        live = live_rows(engine, target, as_of, min_floors)
        assert counts(live) == expected, (target, min_floors, as_of)
        assert in_order(intervals.rows(target, as_of, min_floors=min_floors)) == in_order(live), (target, as_of)
    assert intervals.summary()["units"] == 4 + 2 + 2  # compounds per community, buildings, enterprises
    assert intervals.summary()["intervals"] == 6  # not the area's COVERS


def test_a_community_in_two_subdistricts_counts_in_each_and_once_in_the_district(engine: GraphEngine,
                                                                                  tmp_path: Path) -> None:
    load_bundle(engine, interval_bundle(tmp_path / "intervals"))
    as_of = dt.date(2012, 6, 1)  # cmp-1 organizational, cmp-2 work (in A and B), cmp-3 (in C) organizational
    for live in (True, False):  # the same sums from the live rows and from the intervals' rows
        def summary(level: answers.Level, x: bool = live) -> list[tuple[str, int, int, int]]:
            rows = answers.coverage_summary(engine, "compound", level, as_of=as_of, live=x)["rows"]
            return [(r["area_id"], r["total"], r["organizational"]["covered"], r["work"]["covered"]) for r in rows]

        assert summary("community") == [(A, 2, 1, 2), (C, 1, 1, 1), (B, 1, 0, 1)]
        assert summary("subdistrict") == [(S1, 3, 2, 3), (S2, 2, 1, 2)]
        assert summary("district") == [("440303", 4, 2, 4)]


def boundary_dates(intervals: coverage_intervals.CoverageIntervals, count: int = 12) -> list[dt.date]:
    """Days on which some coverage starts or stops, and the days before them: where an off-by-one shows."""
    days = np.unique(np.concatenate([np.concatenate([t.start, t.stop]) for t in intervals.targets.values()]))
    finite = days[(days > coverage_intervals.OPEN_START) & (days < coverage_intervals.OPEN_STOP)]
    chosen = finite[np.linspace(0, len(finite) - 1, count).astype(int)]
    return sorted({dt.date.fromordinal(int(d) + shift) for d in chosen for shift in (-1, 0)})


def test_they_give_the_live_rows_around_the_boundaries_of_the_reference_dataset(reference_engine: GraphEngine) -> None:
    intervals = coverage_intervals.read(reference_engine)
    dates = boundary_dates(intervals)
    assert len(dates) >= 20 and dates[0].year < 2010 and dates[-1].year >= 2018
    changes = set()
    for as_of in dates:
        for target, min_floors in CASES:
            live = live_rows(reference_engine, target, as_of, min_floors)
            assert in_order(intervals.rows(target, as_of, min_floors=min_floors)) == in_order(live), (target, as_of)
            changes.add((target, min_floors, sum(r["work_covered"] + r["organizational_covered"] for r in live)))
    assert len(changes) > 4 * 5  # the dates do see the coverage change


def test_an_engine_that_cannot_tell_when_it_changed_keeps_nothing(embedded_engine: LadybugEngine, tmp_path: Path) -> None:
    load_bundle(embedded_engine, interval_bundle(tmp_path / "intervals"))
    assert coverage_intervals.keep(embedded_engine, wait=True) is False
    assert coverage_intervals.kept(embedded_engine) is None
    assert "kept" not in embedded_engine.describe()
    summary = answers.coverage_summary(embedded_engine, "compound", "community", as_of=dt.date(2012, 6, 1))
    assert [row["work"]["covered"] for row in summary["rows"]] == [2, 1, 1]  # A, C, B: live


class QueryLog:
    """The texts of the queries an engine ran."""

    def __init__(self, engine: GraphEngine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.texts: list[str] = []
        self.engine_dialect = engine.dialect
        real = engine.read

        def read(query: str, params: Any = None) -> list[Row]:
            self.texts.append(query)
            return real(query, params)

        monkeypatch.setattr(engine, "read", read)

    def coverage_queries(self) -> list[str]:
        """The live coverage queries and the roll-up's that ran (not the intervals' own reads)."""
        names = (*answers.COVERAGE_QUERY.values(), "coverage_rollup", "coverage_rollups")
        dialect = self.engine_dialect
        texts = {get_query(name).text_for(dialect) for name in names}
        return [text for text in self.texts if text in texts]


@pytest.fixture
def read_only_reference(reference_store: Path) -> Iterator[LadybugEngine]:
    engine = LadybugEngine(reference_store, read_only=True, buffer_pool_mb=256, topology=False)
    yield engine
    engine.close()


def test_a_read_only_database_keeps_them_and_summaries_and_trends_use_them(
        read_only_reference: LadybugEngine, reference_embedded: LadybugEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    served = guard(read_only_reference)  # as the API sees it
    assert coverage_intervals.keep(served, wait=True) is True
    kept = coverage_intervals.kept(served)
    assert kept is not None and coverage_intervals.kept(served) is kept  # one snapshot, kept for the engine's life
    described = served.describe()["kept"][coverage_intervals.KEPT_AS]
    assert described["units"] > 1000 and described["intervals"] > 1000 and described["megabytes"] > 0
    log = QueryLog(read_only_reference, monkeypatch)
    as_of = dt.date(2013, 7, 1)
    for target, min_floors in CASES:
        for level in ("district", "subdistrict", "community"):
            fast = answers.coverage_summary(served, target, level, as_of=as_of, min_floors=min_floors)  # type: ignore[arg-type]
            assert fast == answers.coverage_summary(reference_embedded, target, level, as_of=as_of,  # type: ignore[arg-type]
                                                    min_floors=min_floors, live=True)
    for name, params in (("coverage_compounds", {"as_of": "2013-07-01"}), ("coverage_enterprises", {}),
                         ("coverage_buildings", {"as_of": "2010-01-01", "min_floors": 1})):
        assert answers.catalog_rows(served, name, params) == run_catalog(reference_embedded, name, params)  # in order
    trend = answers.coverage_trend(served, "building", dt.date(2006, 1, 1), dt.date(2018, 12, 28))
    assert trend == answers.coverage_trend(reference_embedded, "building", dt.date(2006, 1, 1), dt.date(2018, 12, 28))
    assert trend[0]["work"]["covered"] < trend[-1]["work"]["covered"] == 31
    assert log.coverage_queries() == []  # neither the live queries nor the roll-up were asked


def test_neo4j_keeps_them_while_nothing_commits(neo4j_engine: Neo4jEngine, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KeptValues, "min_wait_s", 0.05)  # read again at once after the write below
    load_bundle(neo4j_engine, interval_bundle(tmp_path / "intervals"))
    raw = Neo4jEngine(neo4j_engine.uri)
    served = guard(raw)  # as the API sees it: the intervals are read through the guard
    try:
        assert coverage_intervals.keep(served, wait=True) is True
        before = coverage_intervals.kept(served)
        assert before is not None
        early = dt.date(2009, 12, 31)
        log = QueryLog(raw, monkeypatch)
        summary = answers.coverage_summary(served, "compound", "community", as_of=early)
        assert log.coverage_queries() == []
        assert [row["work"]["covered"] for row in summary["rows"]] == [0, 0, 0]
        # A write from elsewhere: cmp-1 covered from the start. The kept intervals are out of date at once.
        neo4j_engine.write("MATCH (o:PartyOrg {id: $org}), (x:Compound {id: $compound}) "
                           "CREATE (o)-[:COVERS {mode: 'work'}]->(x)", {"org": "org-d", "compound": "cmp-1"})
        assert coverage_intervals.kept(served) is None
        summary = answers.coverage_summary(served, "compound", "community", as_of=early)
        assert [row["work"]["covered"] for row in summary["rows"]] == [1, 0, 0]  # live: it sees the write
        assert get_query("coverage_compounds").text_for("neo4j") in log.coverage_queries()
        deadline = time.monotonic() + 30
        while (after := coverage_intervals.kept(served)) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert after is not None and after is not before
        assert counts(after.rows("compound", early))[(A, S1)] == (2, 0, 1)
    finally:
        raw.close()


def test_a_bound_that_is_not_a_date_never_counts_as_in_the_live_queries(neo4j_engine: Neo4jEngine,
                                                                          tmp_path: Path) -> None:
    """Neo4j holds whatever a hand-written query stored: a text or a datetime where a date belongs compares as null
    in the live queries, which then never count that COVERS; the intervals must not either (nor fail to read)."""
    load_bundle(neo4j_engine, interval_bundle(tmp_path / "intervals"))
    neo4j_engine.write("MATCH (:PartyOrg)-[c:COVERS]->(:Compound {id: $id}) SET c.since = $text", {"id": "cmp-2",
                                                                                                   "text": "2012-06-01"})
    neo4j_engine.write("MATCH (o:PartyOrg {id: $id}) SET o.founded = datetime($when)", {"id": "org-b",
                                                                                        "when": "2010-01-01T00:00:00"})
    intervals = coverage_intervals.read(neo4j_engine)
    for as_of in (dt.date(2009, 1, 1), dt.date(2012, 6, 1), dt.date(2014, 6, 1), dt.date(2030, 1, 1)):
        for target, min_floors in CASES:
            live = live_rows(neo4j_engine, target, as_of, min_floors)
            assert in_order(intervals.rows(target, as_of, min_floors=min_floors)) == in_order(live), (target, as_of)
    # cmp-1 (org-b's) and cmp-2 (text since) never count now; cmp-3 still does in 2012
    assert counts(intervals.rows("compound", dt.date(2012, 6, 1)))[(A, S1)] == (2, 0, 0)
    assert counts(intervals.rows("compound", dt.date(2012, 6, 1)))[(C, S1)] == (1, 1, 1)


@pytest.mark.parametrize("enabled", [True, False])
def test_serve_keeps_them_and_health_says_so(reference_store: Path, reference_embedded: LadybugEngine, tmp_path: Path,
                                             enabled: bool) -> None:
    """An app that opens its own engine (as ``serve`` does) starts reading them; ORGGRAPH_COVERAGE_INTERVALS=false
    keeps none. The health answer says which, and the summaries are the same either way."""
    from tests.secure import health_when_ready, serving_client

    with serving_client(reference_store, tmp_path, embedded_topology=False, coverage_intervals=enabled) as client:
        health = health_when_ready(client, "coverage_intervals", "reading", wait=enabled)
        status = health["coverage_intervals"]
        if enabled:
            assert status["ready"] and status["units"] > 1000 and status["read_s"] >= 0
        else:
            assert status is None
        answer = client.get("/api/v1/coverage/summary",
                            params={"target": "enterprise", "level": "community", "as_of": "2016-06-30"}).json()
        query = {"as_of": "2016-06-30", "min_floors": "1"}
        catalog = client.get("/api/v1/queries/coverage_buildings", params=query | {"limit": 500}).json()
        csv_text = client.get("/api/v1/queries/coverage_buildings", params=query | {"format": "csv"}).text
    live = answers.coverage_summary(reference_embedded, "enterprise", "community", as_of=dt.date(2016, 6, 30), live=True)
    assert answer["rows"] == live["rows"] and len(live["rows"]) > 40
    live_rows = run_catalog(reference_embedded, "coverage_buildings", query)
    assert catalog["rows"] == live_rows and catalog["total"] == len(live_rows) > 20
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert len(lines) == len(live_rows) + 1 and lines[1].split(",")[4] == live_rows[0]["community_id"]
