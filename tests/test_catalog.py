"""The catalog: every query is read-only, has a spec, and gives the same rows on both engines."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import ValidationError

from graph.engine import GraphEngine
from graph.model import NODE_MODELS
from queries.catalog import get_query, load_catalog, prepare_params, run_catalog
from queries.examples import EXAMPLES as CASES
from queries.specs import SPECS
from tests.differential import canonical, differential

# Where several answers are right, the engines may pick different ones: compare what is determined. The raw
# shortest_path query (the catalog endpoint) picks any shortest path; the API's answer
# (queries.answers.shortest_path) picks the least one, and is compared in full below.
DETERMINED_COLUMNS = {"shortest_path": ["length"]}


def test_every_query_file_has_a_spec_and_every_spec_a_file() -> None:
    assert set(load_catalog()) == set(SPECS)
    assert set(CASES) == set(SPECS), "every catalog query needs differential test cases"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_query_parameters_match_the_parameter_model(name: str) -> None:
    fields = {f.alias or k for k, f in SPECS[name].params.model_fields.items()}
    fields |= getattr(SPECS[name].params, "computed_params", frozenset())
    query = get_query(name)
    for dialect in ("neo4j", "ladybug"):
        from graph.cypher import parameter_names

        ends = {param: "PartyOrg" for param in query.endpoint_params}
        used = parameter_names(query.text_for(dialect, "PartyOrg" if query.labeled else None, endpoint_labels=ends))
        assert used <= fields, f"{name} ({dialect}) uses parameters the model lacks: {used - fields}"


def test_catalog_refuses_write_clauses(tmp_path: Any) -> None:
    (tmp_path / "bad.cypher").write_text("// a bad query\nMATCH (n) DETACH DELETE n", encoding="utf-8")
    with pytest.raises(ValueError, match="read-only"):
        load_catalog.__wrapped__(tmp_path)


def test_bad_parameters_are_rejected_before_running(embedded_engine: GraphEngine) -> None:
    with pytest.raises(ValidationError, match="mode"):
        prepare_params(embedded_engine, "gaps_compounds", {"mode": "everything"})
    with pytest.raises(ValidationError, match="as_of"):
        prepare_params(embedded_engine, "coverage_compounds", {"as_of": "2018-13-45"})
    with pytest.raises(ValidationError, match=r"unexpected|Extra"):
        prepare_params(embedded_engine, "coverage_compounds", {"sneaky": "1"})


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_engines_agree_on_every_query(name: str, reference_pair: tuple[GraphEngine, GraphEngine]) -> None:
    for raw in CASES[name]:
        params = prepare_params(reference_pair[0], name, raw)
        if name in DETERMINED_COLUMNS:
            keep = DETERMINED_COLUMNS[name]
            first, second = ([{k: r[k] for k in keep} for r in run_catalog(e, name, raw)] for e in reference_pair)
            assert first == second and first, f"{name}{raw}: {first} != {second}"
            continue
        differential(reference_pair, name, params)


def test_queries_find_something_on_the_reference_dataset(reference_embedded: GraphEngine) -> None:
    """A differential test passes trivially when both engines return nothing: make sure most don't."""
    empty = [name for name, cases in CASES.items() if not run_catalog(reference_embedded, name, cases[0])]
    # Gap lists that the published figures say are empty at 2018-12-28 (all 31 towers covered,
    # every community centre certified, every reserve ratio met, every hometown group served).
    expected_empty = {"gaps_buildings", "communities_without_certified_center", "committees_below_reserve_ratio",
                      "hometown_groups_without_branch"}
    assert set(empty) <= expected_empty, f"queries that unexpectedly found nothing: {sorted(set(empty) - expected_empty)}"


def test_canonical_comparison_sees_differences() -> None:
    assert canonical([{"a": 1}], ordered=True) != canonical([{"a": 2}], ordered=True)
    assert canonical([{"a": 1}, {"a": 2}], ordered=False) == canonical([{"a": 2}, {"a": 1}], ordered=False)
    assert canonical([{"a": 1}, {"a": 2}], ordered=True) != canonical([{"a": 2}, {"a": 1}], ordered=True)


@pytest.mark.parametrize("name", ["search_by_name", "search_count"])
def test_neo4j_search_has_one_branch_per_searchable_label(name: str) -> None:
    """The Neo4j search reads each label's TEXT index in a branch of its own: a label left out would silently
    never be found, one too many would search members."""
    from graph.schema import SEARCHABLE_LABELS

    text = get_query(name).text_for("neo4j")
    assert re.findall(r"MATCH \(n:(\w+)\) WHERE '(\w+)' IN \$labels", text) == [(label, label) for label in SEARCHABLE_LABELS]


def test_stepwise_org_chain_gives_the_rows_of_the_catalog_query(reference_engine: GraphEngine) -> None:
    """On LadybugDB the API walks an org's chain a step at a time (queries.answers.walk_org_chain), on Neo4j it runs
    the catalog's org_chain (one round trip); on both engines the walk must answer exactly what the variable-length
    org_chain does, for every kind of org, and the served chain is ordered by distance, then id."""
    from queries import answers

    orgs = reference_engine.read("MATCH (o:PartyOrg) RETURN o.id AS id, o.name AS name, o.level AS level ORDER BY id")
    sample = [o for i, o in enumerate(orgs) if i % 7 == 0 or o["level"] != "党支部"]  # every level, a seventh of the branches
    assert len(sample) > 100
    for org in sample:
        walked = answers.walk_org_chain(reference_engine, org)
        served = answers.org_chain(reference_engine, org)
        matched = run_catalog(reference_engine, "org_chain", {"id": org["id"]})
        assert canonical(walked, ordered=False) == canonical(matched, ordered=False), org["id"]
        assert served == walked, org["id"]
        assert [(r["distance"], r["id"]) for r in walked] == sorted((r["distance"], r["id"]) for r in walked)


@pytest.mark.parametrize("node_id", ["org-luohu", "440303002003", "htg-01", "org-mb-01"])
def test_neighbors_of_one_node_equal_a_step_from_a_list_of_one(reference_engine: GraphEngine, node_id: str) -> None:
    """The walk's single-node step (neighbors_one, from the primary key) gives the rows of neighbors_step."""
    one = run_catalog(reference_engine, "neighbors_one", {"id": node_id})
    step = run_catalog(reference_engine, "neighbors_step", {"ids": [node_id]})
    assert one and canonical(one, ordered=False) == canonical(step, ordered=False)


def test_endpoint_label_slots_are_filled_from_the_ids(reference_engine: GraphEngine) -> None:
    """common_neighbors names each end's label from its id's form: the same rows as matching without labels."""
    query = get_query("common_neighbors")
    assert query.endpoint_params == ["source", "target"]
    text = query.text_for("ladybug", endpoint_labels={"source": "Community", "target": "Subdistrict"})
    assert "(a:Community {id: $source})" in text and "(b:Subdistrict {id: $target})" in text
    with pytest.raises(ValueError, match=r"\$source"):
        query.text_for("ladybug")
    with pytest.raises(ValueError):
        query.text_for("ladybug", endpoint_labels={"source": "Community) DETACH DELETE (x", "target": "Subdistrict"})
    unlabeled = ("MATCH (a {id: $source})--(x)--(b {id: $target}) WHERE x.id <> a.id AND x.id <> b.id "
                 "RETURN DISTINCT x AS node ORDER BY node.id")
    for pair in ({"source": "440303002003", "target": "440303002001"}, {"source": "org-luohu", "target": "440303"},
                 {"source": "org-mb-01", "target": "htg-01"}):
        rows = run_catalog(reference_engine, "common_neighbors", pair)
        assert rows == reference_engine.read(unlabeled, pair)
    assert run_catalog(reference_engine, "common_neighbors", {"source": "zz-unknown", "target": "440303"}) == []


def test_both_engines_answer_the_same_shortest_path(reference_pair: tuple[GraphEngine, GraphEngine]) -> None:
    """Among equally short paths the API's answer is the one with the least node ids: the same path, nodes and
    relationships on both engines (where the catalog query may pick different ones)."""
    from queries import answers

    pairs = [(c["source"], c["target"]) for c in CASES["shortest_path"]]
    pairs += [("440303002003", "org-luohu"), ("htg-01", "htg-02"), ("org-mb-01", "440303005013"), ("prj-000001", "org-luohu")]
    for source, target in pairs:
        first, second = (answers.shortest_path(e, source, target, 10) for e in reference_pair)
        assert first is not None and second is not None, (source, target)
        assert canonical([first], ordered=True) == canonical([second], ordered=True), (source, target)


def test_every_label_slot_runs_the_query_once_per_label() -> None:
    """``__EVERY_LABEL__`` (path_step_any on LadybugDB): one UNION ALL part per model label, each by primary key;
    the Neo4j override finds every id through :Entity(id) instead."""
    from graph.model import NODE_MODELS

    text = get_query("path_step_any").text_for("ladybug")
    assert "__EVERY_LABEL__" not in text
    for label in NODE_MODELS:
        assert text.count(f"MATCH (a:{label} {{id: id}})") == 2, label  # both directions
    assert text.count("UNION ALL") == 2 * len(NODE_MODELS) - 1
    assert ":Entity {id: id}" in get_query("path_step_any").text_for("neo4j")


def test_served_on_names_dialects() -> None:
    assert all(set(spec.served_on) <= {"ladybug", "neo4j"} and spec.served_on for spec in SPECS.values())
    assert SPECS["nodes_by_any_ids"].served_on == ("neo4j",)


def test_what_is_served_runs_only_queries_served_on_its_engine(reference_walker: GraphEngine,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """QuerySpec.served_on is what the answers and views really run on each engine (and what the benchmarks time):
    every walk, path, chain and view, on both engines and on LadybugDB with its relationships in memory."""
    import queries.catalog as catalog
    from graph.views import ego_view, path_view
    from queries import answers

    ran: set[str] = set()
    real = catalog.run_query

    def spy(engine: GraphEngine, name: str, *args: Any, **kwargs: Any) -> Any:
        ran.add(name)
        return real(engine, name, *args, **kwargs)

    monkeypatch.setattr(catalog, "run_query", spy)
    for center_id in ("org-mb-01", "cmp-000001", "440303002003"):
        center = run_catalog(reference_walker, "entity_by_id", {"id": center_id})[0]["n"]
        for depth, limit in ((1, 500), (2, 500), (2, 20), (3, 50)):
            answers.neighbors(reference_walker, center, depth=depth, limit=limit)
        ego_view(reference_walker, center_id, depth=2)
    answers.org_chain(reference_walker, run_catalog(reference_walker, "entity_by_id", {"id": "org-mb-01"})[0]["n"])
    for source, target in (("htg-01", "org-luohu"), ("440303001011", "440303009001")):
        answers.shortest_path(reference_walker, source, target)
        path_view(reference_walker, source, target)
    wrong = {name for name in ran if reference_walker.dialect not in SPECS[name].served_on}
    assert not wrong, f"run on {reference_walker.dialect} but not served there: {sorted(wrong)}"
    # Nodes are read by these queries, but where every label's rows are in memory or read another way (Neo4j's
    # copy: members by internal id).
    rows = reference_walker.node_rows()
    by_queries = rows is None or not all(rows.holds(label) for label in NODE_MODELS)
    assert ("nodes_by_ids" in ran or "nodes_by_any_ids" in ran) == by_queries, (reference_walker.describe(), sorted(ran))


def test_slots_are_filled_once_per_dialect_and_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    query = get_query("nodes_by_ids")
    filled: list[tuple[Any, ...]] = []
    real = type(query)._fill

    def counting(self: Any, *args: Any) -> str:
        filled.append(args)
        return real(self, *args)

    monkeypatch.setattr(type(query), "_fill", counting)
    query._filled.clear()
    first = [query.text_for("ladybug", "Member"), query.text_for("ladybug", "Member"), query.text_for("ladybug", "Compound")]
    assert first[0] == first[1] != first[2] and "'Member' AS label" in first[0] and "n.households AS households" in first[2]
    assert len(filled) == 2
