"""The query-plan check of bench/plans.py: scan detection on small plan trees, then the whole catalog on Neo4j."""

from __future__ import annotations

from typing import Any

import pytest

from bench.plans import (
    Index,
    check_catalog,
    conjuncts,
    find_scans,
    is_lookup,
    messages,
    missing_ids,
    property_predicates,
    read_indexes,
    run_text,
    stale_allow_entries,
    total_db_hits,
)
from graph.neo4j_engine import Neo4jEngine
from queries.examples import ABSENT_IDS, EXAMPLES

INDEXES = [
    Index("partyorg_id", "RANGE", "NODE", ("PartyOrg",), ("id",), "partyorg_id"),
    Index("partyorg_level", "RANGE", "NODE", ("PartyOrg",), ("level",)),
    Index("partyorg_name", "RANGE", "NODE", ("PartyOrg",), ("name",)),
    Index("covers_mode", "RANGE", "RELATIONSHIP", ("COVERS",), ("mode",)),
    Index("lookup", "LOOKUP", "NODE", (), ()),
]


def op(kind: str, details: str = "", *children: dict[str, Any], hits: int = 0, rows: int = 0) -> dict[str, Any]:
    """A plan operator shaped like the driver's ``ResultSummary.profile``."""
    return {"operatorType": f"{kind}@neo4j", "args": {"Details": details, "DbHits": hits, "Rows": rows},
            "identifiers": [], "children": list(children), "dbHits": hits, "rows": rows}


def produce(*children: dict[str, Any]) -> dict[str, Any]:
    return op("ProduceResults", "n", *children)


def test_a_label_scan_under_a_filter_on_an_indexed_property_fails() -> None:
    plan = produce(op("Filter", "cache[o.level] = $autostring_0 AND (o.founded IS NULL OR o.founded <= $as_of)",
                      op("NodeByLabelScan", "o:PartyOrg", hits=76_252, rows=76_251), hits=10))
    [scan] = find_scans(plan, INDEXES, query="q")
    assert (scan.operator, scan.variable, scan.labels) == ("NodeByLabelScan", "o", ("PartyOrg",))
    assert "o.level" in scan.violation and "partyorg_level" in scan.violation
    assert total_db_hits(plan) == 76_262


def test_the_filter_may_sit_higher_up_and_the_comparison_either_way_round() -> None:
    plan = produce(op("Filter", "$x <= o.name", op("Expand(All)", "(o)-[r:COVERS]->(x)", op("NodeByLabelScan", "o:PartyOrg"))))
    assert "o.name (range)" in find_scans(plan, INDEXES)[0].violation


def test_an_index_seek_passes() -> None:
    plan = produce(op("Filter", "o.founded <= $as_of", op("NodeUniqueIndexSeek", "UNIQUE o:PartyOrg(id) WHERE id = $id", hits=2)))
    assert find_scans(plan, INDEXES, lookup=True) == []


def test_a_scan_filtered_only_on_unindexed_or_disjunctive_predicates_passes() -> None:
    plan = produce(op("Filter", "(o.dissolved IS NULL OR o.dissolved > $as_of) AND ($level = '' OR o.level = $level) "
                                "AND o.name CONTAINS $q AND o.level <> $x",
                      op("NodeByLabelScan", "o:PartyOrg")))
    [scan] = find_scans(plan, INDEXES)
    assert scan.violation == ""  # OR, CONTAINS without a TEXT index and <> are nothing an index answers


def test_contains_counts_with_a_text_index() -> None:
    plan = produce(op("Filter", "o.name CONTAINS $q", op("NodeByLabelScan", "o:PartyOrg")))
    text = [*INDEXES, Index("partyorg_name_text", "TEXT", "NODE", ("PartyOrg",), ("name",))]
    assert "partyorg_name_text" in find_scans(plan, text)[0].violation


def test_a_filter_on_another_variable_or_label_does_not_count() -> None:
    plan = produce(op("Filter", "m.level = $x AND o.id = m.id", op("NodeByLabelScan", "o:Community")))
    assert find_scans(plan, INDEXES)[0].violation == ""


def test_an_allow_listed_aggregate_scan_passes() -> None:
    plan = produce(op("EagerAggregation", "o.level AS level, count(o) AS orgs",
                      op("Filter", "o.level IN $levels", op("NodeByLabelScan", "o:PartyOrg"))))
    allow = {("orgs_per_level", "PartyOrg"): "counts every org of those levels: the index would return most of them"}
    [scan] = find_scans(plan, INDEXES, query="orgs_per_level", allow=allow)
    assert scan.violation == "" and scan.allowed.startswith("counts every org")
    assert find_scans(plan, INDEXES, query="another_query", allow=allow)[0].violation  # keyed by query and label


def test_a_scan_in_a_lookup_fails_whatever_it_filters() -> None:
    plan = produce(op("Expand(All)", "(c)-[r:CLAIMED]->(p)", op("NodeByLabelScan", "c:Member")))
    assert "lookup" in find_scans(plan, INDEXES, lookup=True)[0].violation
    assert find_scans(plan, INDEXES, lookup=False)[0].violation == ""


def test_whole_graph_scans_fail() -> None:
    plan = produce(op("Filter", "n.name CONTAINS $q", op("AllNodesScan", "n")))
    assert "whole graph" in find_scans(plan, INDEXES)[0].violation
    rels = produce(op("DirectedAllRelationshipsScan", "(a)-[r]->(b)"))
    assert "whole graph" in find_scans(rels, INDEXES)[0].violation


def test_relationship_type_scans_check_relationship_indexes() -> None:
    plan = produce(op("Filter", "c.mode = $autostring_0", op("DirectedRelationshipTypeScan", "(o)-[c:COVERS]->(x)")))
    [scan] = find_scans(plan, INDEXES)
    assert (scan.variable, scan.labels) == ("c", ("COVERS",)) and "covers_mode" in scan.violation
    plain = produce(op("Filter", "c.since <= $as_of", op("UndirectedRelationshipTypeScan", "(o)-[c:COVERS]-(x)")))
    assert find_scans(plain, INDEXES)[0].violation == ""


def test_predicate_parsing() -> None:
    assert conjuncts("(a.x = 1 AND b.y = 2) AND c.z IN [1, 2] AND d.s = 'A AND B'") == ["a.x = 1 AND b.y = 2", "c.z IN [1, 2]",
                                                                                         "d.s = 'A AND B'"]
    assert property_predicates("o.name STARTS WITH $p", "o") == [("name", "prefix")]
    assert property_predicates("o.level IS NOT NULL", "o") == [("level", "exists")]
    assert property_predicates("o.level IS NULL", "o") == []
    assert property_predicates("o.a = o.b", "o") == []
    assert property_predicates("oo.level = 1", "o") == []


def test_lookups_are_the_queries_with_a_required_id_parameter() -> None:
    assert is_lookup("entity_by_id") and is_lookup("neighbors_step") and is_lookup("community_coverage")
    assert not is_lookup("gaps_compounds")  # its community is optional: empty means everywhere
    assert not is_lookup("coverage_compounds") and not is_lookup("search_by_name")


def test_violations_are_reported_one_line_each() -> None:
    from bench.plans import CaseResult

    plan = produce(op("Filter", "o.level = $x", op("NodeByLabelScan", "o:PartyOrg")))
    result = CaseResult(query="q", params={"x": 1}, lookup=False, scans=find_scans(plan, INDEXES))
    assert result.verdict == "VIOLATION"
    [line] = messages([result])
    assert line.startswith('q {"x": 1}: NodeByLabelScan o:PartyOrg then filters o.level')
    assert stale_allow_entries([result], {("q", "Member"): "why"}) == [("q", "Member")]


@pytest.mark.neo4j
def test_no_catalog_query_scans_where_an_index_should_be_used(reference_neo4j: Neo4jEngine) -> None:
    """Every catalog query once on the small reference dataset (every example of the labeled ones, whose text
    differs per label): Neo4j caches one plan per query text, so the other examples would show the same
    plans again (``python -m bench.plans`` runs them all, at scale 100)."""
    from queries.catalog import get_query

    driver = reference_neo4j._driver
    assert missing_ids(reference_neo4j, EXAMPLES) == []
    assert "nothing-here" in ABSENT_IDS
    examples = {name: cases if get_query(name).labeled else cases[:1] for name, cases in EXAMPLES.items()}
    results = check_catalog(driver, reference_neo4j.database, reference_neo4j, examples)
    assert {r.query for r in results} == set(EXAMPLES)
    assert messages(results) == []
    assert sum(1 for r in results if r.scans) > 5  # the aggregate queries do scan, legitimately
    # The check sees a real violating plan: the same filter, with the planner forced to scan.
    indexes = read_indexes(driver, reference_neo4j.database)
    _, summary = run_text(driver, reference_neo4j.database, "PROFILE MATCH (o:PartyOrg) USING SCAN o:PartyOrg "
                          "WHERE o.level = '社区党委' RETURN count(o) AS n", {})
    [scan] = find_scans(summary.profile, indexes)
    assert "partyorg_level" in scan.violation
