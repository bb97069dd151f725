"""Coverage summaries at any date from the coverage intervals a served engine keeps, against the live queries.

``python -m bench.coverage_intervals [--scale 100] [--engines embedded,neo4j] [--repeat 20]
[--dates 2013-07-01,2016-01-01,2018-06-30]``

At a date other than the dataset's (whose counts the loader rolled up), a coverage summary used to run its live
query (``coverage_compounds`` …): 300-400 ms on Neo4j at scale 100. A served engine now keeps the validity
intervals of every ``COVERS`` in memory (``queries/coverage_intervals.py``) and computes the same rows at any
date. Per engine this prints how long reading them took and what they hold, then, per date and target, the
median of the summary per subdistrict as the API computes it (``queries.answers.coverage_summary``: on Neo4j
with the round trip that asks whether they are current) against the live query's, after checking the two
answers equal. The databases are ``bench.api``'s cached stores (built when missing; Neo4j's with
``--neo4j-load``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from bench.api import _database, _open
from bench.common import md_table, parse_list
from bench.scale import SUMMARY_CASES, time_call


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coverage_intervals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--engines", default="embedded,neo4j", help="comma-separated: embedded, neo4j")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each way per date (after one untimed)")
    parser.add_argument("--dates", default="2013-07-01,2016-01-01,2018-06-30")
    parser.add_argument("--neo4j-load", choices=("transactions", "admin"), default="admin",
                        help="how a Neo4j store not cached yet is built (see bench.scale)")
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    args = parser.parse_args(argv)
    args.keep_data = True
    dates = [dt.date.fromisoformat(text) for text in parse_list(args.dates)]
    rows: list[list[Any]] = []
    for kind in parse_list(args.engines):
        with _database(kind, args.scale, args) as where:
            engine = _open(kind, where, timeout_s=600, topology=False)
            try:
                rows += measure(engine, kind, args.scale, dates, args.repeat)
            finally:
                engine.close()
    print()
    print(md_table(["engine", "as_of", "summary per subdistrict", "live ms", "from the intervals ms", "ratio"], rows))


def measure(engine: Any, kind: str, scale: int, dates: list[dt.date], repeat: int) -> list[list[Any]]:
    """Keep the intervals (timed), then per date and case: check the answers equal, and time both ways."""
    from queries import answers, coverage_intervals

    started = time.perf_counter()
    if not coverage_intervals.keep(engine, wait=True) or coverage_intervals.kept(engine) is None:
        raise SystemExit(f"{kind}: the coverage intervals were not kept (see the log)")
    kept_s = time.perf_counter() - started
    print(f"{kind}, scale {scale}: coverage intervals kept in {kept_s:.2f} s: "
          f"{engine.describe()['kept'][coverage_intervals.KEPT_AS]}", flush=True)
    rows = []
    for as_of in dates:
        for name, target, floors in SUMMARY_CASES:
            def summary(live: bool, t: Any = target, f: int = floors, d: dt.date = as_of) -> dict[str, Any]:
                return answers.coverage_summary(engine, t, "subdistrict", as_of=d, min_floors=f, live=live)

            if summary(True) != summary(False):
                raise SystemExit(f"{kind} {as_of} {name}: the intervals' summary differs from the live one")
            live_ms = time_call(lambda: summary(True), repeat)["p50_ms"]
            kept_ms = time_call(lambda: summary(False), repeat)["p50_ms"]
            rows.append([kind, as_of.isoformat(), name, round(live_ms, 1), round(kept_ms, 2), f"{live_ms / kept_ms:.0f}×"])
            print("  " + " | ".join(map(str, rows[-1])), flush=True)
    return rows


if __name__ == "__main__":
    main()
