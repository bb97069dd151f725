"""Coverage of compounds at any date from validity intervals in memory, against the live query (Neo4j).

``python -m bench.coverage_intervals [--scale 100] [--repeat 20] [--dates 2013-07-01,2016-01-01,2018-06-30]``

A probe of a design, not of anything the API does yet. At a date other than the roll-up's, the coverage summary
runs ``coverage_compounds`` live; on Neo4j at scale 100 that takes ~300-340 ms, most of it expanding ``COVERS``
into compounds that are not dense nodes (docs/benchmarks.md, "Scale", session 9). Here one query reads, once,
every ``COVERS`` of a compound with the interval when it counts (its ``since``/``until`` cut by its org's
``founded``/``dissolved``) and the compound's community; numpy then counts the covered compounds per community
at any date. For each date the bench checks that the counts equal the live query's, and prints both medians
and their ratio. The database is ``bench.api``'s cached scale-``--scale`` Neo4j store (built if missing, with
``--neo4j-load``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

import numpy as np

from bench.api import _database
from bench.common import md_table, parse_list
from bench.scale import time_call

INTERVALS_QUERY = """
MATCH (o:PartyOrg)-[c:COVERS]->(x:Compound)-[:LOCATED_IN]->(m:Community)
WITH m, x, c.mode = 'organizational' AS organizational,
     CASE WHEN c.since IS NULL THEN o.founded WHEN o.founded IS NULL THEN c.since
          WHEN c.since > o.founded THEN c.since ELSE o.founded END AS start,
     CASE WHEN c.until IS NULL THEN o.dissolved WHEN o.dissolved IS NULL THEN c.until
          WHEN c.until < o.dissolved THEN c.until ELSE o.dissolved END AS stop
RETURN collect(m.id) AS communities, collect(id(x)) AS compounds, collect(organizational) AS organizational,
       collect(coalesce(toString(start), '')) AS starts, collect(coalesce(toString(stop), '')) AS stops
"""
"""One record of lists, aligned (``collect`` drops nulls, so open ends come as empty text)."""
OPEN_START, OPEN_STOP = -(1 << 40), 1 << 40


class CoverageIntervals:
    """Every ``COVERS`` of a compound as arrays: its compound, community, mode and the days it counts."""

    def __init__(self, values: list[Any]) -> None:
        communities, compounds, organizational, starts, stops = values
        self.communities, community_of_row = np.unique(np.array(communities, dtype=object), return_inverse=True)
        compound_ids, self.compound_of_row = np.unique(np.array(compounds, dtype=np.int64), return_inverse=True)
        self.community_of_compound = np.zeros(len(compound_ids), dtype=np.int64)
        self.community_of_compound[self.compound_of_row] = community_of_row
        self.organizational = np.array(organizational, dtype=bool)
        self.start = _days(starts, OPEN_START)
        self.stop = _days(stops, OPEN_STOP)

    def covered_at(self, as_of: dt.date) -> dict[str, tuple[int, int]]:
        """Per community with a covered compound: (organizationally covered, work covered) compounds at ``as_of``."""
        day = as_of.toordinal()
        valid = (self.start <= day) & (day < self.stop)
        work = np.zeros(len(self.community_of_compound), dtype=bool)
        work[self.compound_of_row[valid]] = True
        organizational = np.zeros_like(work)
        organizational[self.compound_of_row[valid & self.organizational]] = True
        count = len(self.communities)
        work_per = np.bincount(self.community_of_compound, weights=work, minlength=count)
        org_per = np.bincount(self.community_of_compound, weights=organizational, minlength=count)
        return {str(c): (int(o), int(w)) for c, o, w in zip(self.communities, org_per, work_per, strict=True)}


def _days(texts: list[str], open_end: int) -> np.ndarray:
    return np.array([dt.date.fromisoformat(t).toordinal() if t else open_end for t in texts], dtype=np.int64)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coverage_intervals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each way per date (after one untimed)")
    parser.add_argument("--dates", default="2013-07-01,2016-01-01,2018-06-30")
    parser.add_argument("--neo4j-load", choices=("transactions", "admin"), default="admin",
                        help="how a Neo4j store not cached yet is built (see bench.scale)")
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    args = parser.parse_args(argv)
    args.keep_data = True
    dates = [dt.date.fromisoformat(text) for text in parse_list(args.dates)]
    from graph.neo4j_engine import Neo4jEngine

    with _database("neo4j", args.scale, args) as where:
        neo = Neo4jEngine(where["uri"], timeout_s=600)
        try:
            intervals, read_s, build_s, rows = _measure(neo, dates, args.repeat)
        finally:
            neo.close()
    print(f"\nScale {args.scale}: {len(intervals.start):,} intervals of {len(intervals.community_of_compound):,} "
          f"compounds with a COVERS read in {read_s:.2f} s, arrays built in {build_s:.2f} s.\n")
    print(md_table(["as_of", "live coverage_compounds ms", "from the intervals ms", "ratio"], rows))


def _measure(neo: Any, dates: list[dt.date], repeat: int) -> tuple[CoverageIntervals, float, float, list[list[Any]]]:
    """Read the intervals once, then per date: check them against the live query, and time both."""
    from queries.catalog import run_catalog

    started = time.perf_counter()
    with neo._driver.session(database=neo.database, notifications_min_severity="OFF") as session:
        values = session.run(INTERVALS_QUERY).single(strict=True).values()
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    intervals = CoverageIntervals(values)
    build_s = time.perf_counter() - started
    rows = []
    for as_of in dates:
        live = run_catalog(neo, "coverage_compounds", {"as_of": as_of})
        expected = {r["community_id"]: (r["organizational_covered"], r["work_covered"]) for r in live
                    if r["work_covered"]}
        got = {community: counts for community, counts in intervals.covered_at(as_of).items() if counts[1]}
        if got != expected:
            raise SystemExit(f"{as_of}: the counts from the intervals differ from the live query's")
        live_ms = time_call(lambda d=as_of: run_catalog(neo, "coverage_compounds", {"as_of": d}), repeat)["p50_ms"]
        memory_ms = time_call(lambda d=as_of: intervals.covered_at(d), repeat)["p50_ms"]
        rows.append([as_of.isoformat(), round(live_ms, 1), round(memory_ms, 2), f"{live_ms / memory_ms:.0f}×"])
    return intervals, read_s, build_s, rows


if __name__ == "__main__":
    main()
