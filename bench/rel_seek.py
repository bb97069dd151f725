"""How a transactional Neo4j load finds a relationship's ends: by the id index, or by the internal id of nodes it made.

``python -m bench.rel_seek [--members 300000] [--orgs 20000] [--batch 5000]``

A probe for issue #3 (the transactional Neo4j load: 11.9k rows/s at scale 100, against a 50k target; the server's
CPU is the limit). On a fresh server with orggraph's schema it creates ``--orgs`` party organizations and
``--members`` members with the loader's own ``UNWIND … CREATE`` queries, alternating batches that also return
the new nodes' internal ids with batches that do not; then one ``MEMBER_OF`` per member, alternating batches
whose ends are found by the loader's ``MATCH (a:Member {id: …})`` (the unique index) with batches found by
``WHERE id(a) = …`` (the internal ids just returned). Interleaving the two ways batch by batch gives both the
same server warmth. Prints rows/s of each way.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

from bench.common import md_table, neo4j_server

BY_INTERNAL_ID = ("UNWIND $rows AS r\nMATCH (a) WHERE id(a) = r.s\nMATCH (b) WHERE id(b) = r.t\n"
                  "CREATE (a)-[x:MEMBER_OF]->(b)\nSET x = r.props")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rel_seek", description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=300_000)
    parser.add_argument("--orgs", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--neo4j-heap", default="2g")
    parser.add_argument("--neo4j-pagecache", default="2g")
    args = parser.parse_args(argv)
    from neo4j import Query, RoutingControl

    from graph.neo4j_engine import Neo4jEngine, _create_nodes_query, _create_rels_query

    with neo4j_server(heap=args.neo4j_heap, pagecache=args.neo4j_pagecache) as server:
        engine = Neo4jEngine(server.uri, timeout_s=600)
        try:
            engine.create_schema()

            def run(query: str, rows: list[dict[str, Any]]) -> list[Any]:
                records, _, _ = engine._driver.execute_query(Query(query, timeout=600),  # type: ignore[arg-type,unused-ignore]
                                                             {"rows": rows}, routing_=RoutingControl.WRITE,
                                                             database_=engine.database)
                return list(records)

            internal: dict[str, int] = {}
            returning = "\nRETURN collect([n.id, id(n)]) AS ids"
            orgs = [{"id": f"org-{i:06d}", "name": f"支部{i}", "level": "党支部"} for i in range(args.orgs)]
            for start in range(0, len(orgs), args.batch):
                internal.update(dict(run(_create_nodes_query("PartyOrg") + returning, orgs[start:start + args.batch])[0]["ids"]))
            members = [{"id": f"mem-{i:07d}", "name": f"党员{i}", "category": "在职", "mobile": f"13{i:09d}"}
                       for i in range(args.members)]
            seconds = {"plain": 0.0, "returning ids": 0.0, "by id index": 0.0, "by internal id": 0.0}
            for n, start in enumerate(range(0, len(members), args.batch)):
                batch = members[start:start + args.batch]
                began = time.perf_counter()
                if n % 2:
                    internal.update(dict(run(_create_nodes_query("Member") + returning, batch)[0]["ids"]))
                    seconds["returning ids"] += time.perf_counter() - began
                else:
                    run(_create_nodes_query("Member"), batch)
                    seconds["plain"] += time.perf_counter() - began
            internal.update({r["id"]: r["i"] for r in engine.read("MATCH (n:Member) RETURN n.id AS id, id(n) AS i")})
            rng = random.Random(2018)
            rels: list[dict[str, Any]] = [{"source": m["id"], "target": f"org-{rng.randrange(args.orgs):06d}", "props": {"role": "member"}}
                    for m in members]
            by_index = _create_rels_query("MEMBER_OF", "Member", "PartyOrg")
            for n, start in enumerate(range(0, len(rels), args.batch)):
                rel_batch = rels[start:start + args.batch]
                began = time.perf_counter()
                if n % 2:
                    run(BY_INTERNAL_ID, [{"s": internal[r["source"]], "t": internal[r["target"]], "props": r["props"]}
                                         for r in rel_batch])
                    seconds["by internal id"] += time.perf_counter() - began
                else:
                    run(by_index, rel_batch)
                    seconds["by id index"] += time.perf_counter() - began
            made = engine.read("MATCH ()-[x:MEMBER_OF]->() RETURN count(x) AS n")[0]["n"]
            if made != len(rels):
                raise SystemExit(f"{made} relationships made, {len(rels)} expected")
        finally:
            engine.close()
    half = args.members / 2
    print(md_table(["rows", "way", "rows/s"], [
        ["Member nodes", "UNWIND … CREATE (the loader's)", f"{half / seconds['plain']:,.0f}"],
        ["Member nodes", "… RETURN collect([n.id, id(n)])", f"{half / seconds['returning ids']:,.0f}"],
        ["MEMBER_OF", "ends by the id index (the loader's)", f"{half / seconds['by id index']:,.0f}"],
        ["MEMBER_OF", "ends by internal id", f"{half / seconds['by internal id']:,.0f}"],
    ]))


if __name__ == "__main__":
    main()
