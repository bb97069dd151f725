"""Search by name (queries/search.py): one page and the number of matches, the same on both engines.

On Neo4j a two-character Chinese term is answered from the full-text index of character pairs, any other term from
each label's TEXT index; on LadybugDB both are a scan of the searchable tables. All must give the rows of
``CONTAINS``: the pair index only proposes candidates.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import name_index
from graph.engine import GraphEngine
from graph.initials import initials_term, name_initials
from graph.neo4j_engine import Neo4jEngine, committed_names
from graph.schema import NAME_BIGRAM_INDEX, SEARCHABLE_LABELS, expected_schema, ladybug_ddl, neo4j_ddl
from queries.catalog import get_query, run_catalog, run_query
from queries.search import bigram_phrase, page_params, search, search_rows

LADYBUG_SEARCHES = ("search_by_name", "search_count", "search_page")


def _names(engine: GraphEngine) -> list[str]:
    return [r["name"] for label in SEARCHABLE_LABELS
            for r in engine.read(f"MATCH (n:{label}) RETURN n.name AS name ORDER BY n.id LIMIT 300")]


def _terms(engine: GraphEngine) -> list[str]:
    """Every two-character Chinese substring of a sample of names, and terms the pair index must not answer."""
    pairs = sorted({name[i:i + 2] for name in _names(engine) for i in range(len(name) - 1)
                    if bigram_phrase(name[i:i + 2])})
    others = ["湖", "党支部", "罗湖区委", "KK", "100", "花 园", 'a"b', "*", "\\", "无此名称", "社区党委"]
    return pairs[::max(1, len(pairs) // 150)] + others


def _initials_terms(engine: GraphEngine) -> list[str]:
    """Parts of the pinyin initials of a sample of names (2 to 4 letters, some upper-cased), and Latin terms that
    match a name and an initials alike (kk: KK100 by name, every 空港… by initials)."""
    parts = sorted({initials[i:i + n] for name in _names(engine) if (initials := name_initials(name))
                    for n in (2, 3, 4) for i in range(len(initials) - n + 1) if initials_term(initials[i:i + n])})
    sample = parts[::max(1, len(parts) // 15)]
    return [*sample, *(t.upper() for t in sample[::6]), "kk", "KK100", "lhq", "q", "zzzzz"]


@pytest.mark.parametrize(("q", "phrase"), [
    ("花园", '"花园"'), (" 花园 ", '"花园"'), ("花园小区", None), ("园", None), ("KK", None), ("花a", None), ("ＫＫ", None),
    ("花\n园", None), ('"花', None),
])
def test_only_two_chinese_characters_go_to_the_pair_index(q: str, phrase: str | None) -> None:
    assert bigram_phrase(q) == phrase


def test_the_searches_read_exactly_the_searchable_labels() -> None:
    """A label left out would never be found; one too many (Member) would search personal names."""
    for name in LADYBUG_SEARCHES:
        matched = re.findall(r"MATCH \(n:([\w:]+)\)", get_query(name).text_for("ladybug"))
        assert matched and all(m.split(":") == list(SEARCHABLE_LABELS) for m in matched), name
    neo4j_page = get_query("search_page").text_for("neo4j")
    assert re.findall(r"MATCH \(n:(\w+)\) WHERE n.name CONTAINS \$q", neo4j_page) == list(SEARCHABLE_LABELS)
    assert f"queryNodes('{NAME_BIGRAM_INDEX}'" in neo4j_page
    (fulltext,) = [s for s in neo4j_ddl() if s.startswith("CREATE FULLTEXT INDEX")]
    assert re.search(r"FOR \(n:([\w|]+)\)", fulltext)[1].split("|") == list(SEARCHABLE_LABELS)  # type: ignore[index]
    assert f"INDEX {NAME_BIGRAM_INDEX} " in fulltext and "'cjk'" in fulltext


@pytest.fixture
def neo4j_names(reference_neo4j: Neo4jEngine, neo4j_uri: str) -> Iterator[Neo4jEngine]:
    """The reference dataset on Neo4j as served: the search names in memory (graph/committed.py), read."""
    engine = Neo4jEngine(neo4j_uri, search_names=True)
    engine.prepare_topology(wait=True)
    yield engine
    engine.close()


def test_a_page_of_the_search_is_the_same_on_both_engines(reference_pair: tuple[GraphEngine, GraphEngine],
                                                          reference_topology: GraphEngine, neo4j_names: Neo4jEngine) -> None:
    """Every two-character term of a sample of names (the pair index on Neo4j) and terms of other kinds (the TEXT
    indexes): the same page and total on both engines, and with the names in memory (graph/name_index.py) of a
    served embedded database and of Neo4j, and the rows of search_by_name with search_count's total."""
    embedded, neo4j = reference_pair
    assert embedded.name_index() is None and reference_topology.name_index() is not None
    assert neo4j.name_index() is None and neo4j_names.name_index() is not None
    labels = list(SEARCHABLE_LABELS)
    terms = [*_terms(embedded), "党支部委员会", "罗湖区", "湖区", "花园花", *_initials_terms(embedded)]
    assert len(terms) > 130
    found_some = 0
    for q in terms:
        for limit, offset, only in ((20, 0, labels), (5, 3, labels), (500, 0, ["Compound", "PartyOrg"])):
            on_embedded = search(embedded, q, only, limit, offset)
            assert search(neo4j, q, only, limit, offset).as_dict() == on_embedded.as_dict(), (q, limit, offset, only)
            assert search(reference_topology, q, only, limit, offset).as_dict() == on_embedded.as_dict(), (q, limit, only)
            assert search(neo4j_names, q, only, limit, offset).as_dict() == on_embedded.as_dict(), (q, limit, only)
            if only != labels:
                continue
            rows = run_catalog(embedded, "search_by_name", {"q": q, "labels": labels, "limit": limit, "offset": offset})
            total = run_catalog(embedded, "search_count", {"q": q, "labels": labels})[0]["total"]
            assert (on_embedded.rows, on_embedded.total) == (rows, total), q
            found_some += bool(rows)
    assert found_some > 120


def test_a_latin_term_finds_names_by_their_pinyin_initials(reference_pair: tuple[GraphEngine, GraphEngine],
                                                           reference_topology: GraphEngine) -> None:
    """Against an oracle in Python: the ids whose name contains the term, or whose initials (computed here from
    the name read back) contain it lower-cased. So the loader stored the initials of every searchable name, and
    the queries and the names in memory match on either."""
    embedded, _ = reference_pair
    labels = list(SEARCHABLE_LABELS)
    everything = [(r["id"], r["name"]) for label in labels
                  for r in embedded.read(f"MATCH (n:{label}) RETURN n.id AS id, n.name AS name")]
    checked = 0
    for q in ("lhq", "LHQ", "hy", "sqdw", "kk", "KK100", "jj100", "dmjd"):
        term = q.lower()
        expected = {node_id for node_id, name in everything
                    if name is not None and (q in name or term in (name_initials(name) or ""))}
        for engine in (*reference_pair, reference_topology):
            found = search(engine, q, labels, 500, 0)
            assert found.total == len(expected), (q, engine.dialect)
            if found.total <= 500:
                assert {r["id"] for r in found.rows} == expected, (q, engine.dialect)
        checked += bool(expected)
    assert checked >= 6
    (district,) = search(reference_topology, "LHQ", ["District"], 20).rows
    assert district["name"] == "罗湖区"
    stored = embedded.read("MATCH (n:District) RETURN n.name_initials AS initials")
    assert stored == [{"initials": "lhq"}]


def test_the_total_past_the_last_match_and_of_no_match(reference_pair: tuple[GraphEngine, GraphEngine],
                                                       reference_topology: GraphEngine) -> None:
    """search_page's rows carry the total; where there are none the count is asked."""
    for engine in (*reference_pair, reference_topology):
        everything = search(engine, "罗湖", ["Subdistrict", "Community", "PartyOrg"], 500, 0)
        assert everything.total == len(everything.rows) > 0
        past = search(engine, "罗湖", ["Subdistrict", "Community", "PartyOrg"], 20, everything.total + 5)
        assert (past.rows, past.total) == ([], everything.total)
        assert (search(engine, "无此名称", list(SEARCHABLE_LABELS), 20, 0).total) == 0
        only = search(engine, "罗湖", ["Community"], 500, 0)
        assert only.rows and {r["label"] for r in only.rows} == {"Community"}


def test_members_are_never_searched(reference_embedded: GraphEngine, reference_topology: GraphEngine) -> None:
    for engine in (reference_embedded, reference_topology):
        with pytest.raises(ValueError, match="Member"):
            search(engine, "某", ["PartyOrg", "Member"], 20)
        with pytest.raises(ValueError, match="Member"):
            search_rows(engine, "某", ["Member"], 20)
    assert search_rows(reference_topology, "花园", ["Compound"], 7, 3) == search_rows(reference_embedded, "花园", ["Compound"], 7, 3)


def test_neo4j_takes_a_two_character_term_from_the_pair_index(reference_neo4j: GraphEngine) -> None:
    """Given the phrase of another term, Neo4j must answer from the pair index alone: names with both terms.
    Were the TEXT-index branch run too (or instead), names with only ``q`` would come back."""
    q = "党委"
    params = {**page_params(q, list(SEARCHABLE_LABELS), 500, 0), "phrase": bigram_phrase("罗湖")}
    rows = run_query(reference_neo4j, "search_page", params)
    plain = search(reference_neo4j, q, list(SEARCHABLE_LABELS), 500, 0)
    assert rows and all("罗湖" in r["name"] and q in r["name"] for r in rows)
    assert len(rows) < plain.total


def test_neo4j_schema_says_when_an_equivalent_index_is_in_the_way(neo4j_engine: GraphEngine) -> None:
    """``CREATE … IF NOT EXISTS`` does nothing when the same index exists under another name, and the search would
    then fail on every request: creating the schema says which of ours is missing instead."""
    from graph.errors import QueryError

    fulltext = next(s for s in neo4j_ddl() if s.startswith("CREATE FULLTEXT INDEX"))
    neo4j_engine.write(f"DROP INDEX {NAME_BIGRAM_INDEX}")
    neo4j_engine.write(fulltext.replace(f"INDEX {NAME_BIGRAM_INDEX} ", "INDEX someone_elses_names "))
    try:
        with pytest.raises(QueryError, match=NAME_BIGRAM_INDEX):
            neo4j_engine.create_schema()
    finally:
        neo4j_engine.write("DROP INDEX someone_elses_names IF EXISTS")
        neo4j_engine.create_schema()
    assert NAME_BIGRAM_INDEX in {r["name"] for r in neo4j_engine.read("SHOW FULLTEXT INDEXES YIELD name RETURN name")}


def test_names_in_memory_answer_as_contains_does() -> None:
    """Pairs held in another order are not the term; no name, no match; shortest names first, then by id."""
    index = name_index.build([(node_id, name, label, None) for node_id, name, label in (
        ("b", "abXbc", "Compound"), ("a", "xabc", "Compound"), ("c", None, "Compound"),
        ("d", "abc", "PartyOrg"), ("e", "ab", "Project"), ("f", "ＡＢ", "Project"))])
    assert index is not None and index.ids == ["e", "f", "d", "a", "b"]  # by length, then id; no name: left out
    labels = ["Compound", "PartyOrg", "Project"]
    assert index.search("abc", labels, 20) == ([{"id": "d", "name": "abc", "label": "PartyOrg"},
                                                {"id": "a", "name": "xabc", "label": "Compound"}], 2)
    assert [r["id"] for r in index.search("ab", labels, 20)[0]] == ["e", "d", "a", "b"]
    assert [r["id"] for r in index.search("b", labels, 2, 1)[0]] == ["d", "a"]
    assert index.search("b", labels, 2, 1)[1] == 4
    assert index.search("AB", labels, 20) == ([], 0)  # case and width as given, as CONTAINS
    assert index.search("ab", ["Compound"], 20) == ([{"id": "a", "name": "xabc", "label": "Compound"},
                                                     {"id": "b", "name": "abXbc", "label": "Compound"}], 2)
    assert index.search("zz", labels, 20) == ([], 0) and index.search("abcd", labels, 20) == ([], 0)
    assert index.search("", labels, 20)[1] == 5
    assert name_index.build([("a", "x", "Compound", None)] * 3, cancelled=lambda: True) is None


def test_names_in_memory_match_initials_too() -> None:
    """A Latin term matches a name or its initials, each name once, in the order of the names."""
    rows = [(f"n{i}", name, "Compound", name_initials(name))
            for i, name in enumerate(["罗湖区", "KK100", "京基100", "黄贝岭", "罗湖口岸", "kkk"])]
    index = name_index.build(rows)
    assert index is not None
    assert [r["name"] for r in index.search("lh", ["Compound"], 20)[0]] == ["罗湖区", "罗湖口岸"]
    assert [r["name"] for r in index.search("KK", ["Compound"], 20)[0]] == ["kkk", "KK100"]  # by name and initials
    assert [r["name"] for r in index.search("100", ["Compound"], 20)[0]] == ["KK100", "京基100"]  # by name only
    assert [r["name"] for r in index.search("jj1", ["Compound"], 20)[0]] == ["京基100"]
    assert index.search("hbl", ["Compound"], 20)[1] == 1 and index.search("罗湖", ["Compound"], 20)[1] == 2


def test_a_served_database_reports_its_names_in_memory(reference_topology: GraphEngine) -> None:
    described = reference_topology.describe()["topology"]
    assert described["ready"] and described["search_names"]["names"] == reference_topology.read(
        "MATCH (n:District:Subdistrict:Community:Compound:Building:BusinessArea:Enterprise:PartyOrg:HometownGroup:"
        "Project:ServiceCenter:CompoundBody:Fact) WHERE n.name IS NOT NULL RETURN count(n) AS n")[0]["n"]


def test_an_embedded_table_made_before_the_initials_gets_them(tmp_path: Path) -> None:
    """A LadybugDB database made before ``name_initials`` was stored: creating the schema adds the column where a
    fresh table has it (last), so the bulk copy into its empty tables fills each column with its own values, and the
    search finds the loaded names by their initials."""
    from graph.ladybug_engine import LadybugEngine
    from loaders.load import load_bundle
    from tests.bundles import small_bundle

    engine = LadybugEngine(tmp_path / "old.lbug", buffer_pool_mb=256)
    try:
        (today,) = [s for s in ladybug_ddl() if s.startswith("CREATE NODE TABLE IF NOT EXISTS PartyOrg(")]
        assert ", name_initials STRING" in today
        engine.write(today.replace(", name_initials STRING", ""))  # as the versions before made it
        load_bundle(engine, small_bundle(tmp_path / "bundle"))
        assert engine.schema().labels == expected_schema().labels
        assert engine.read("MATCH (n:PartyOrg {id: 'org-c'}) RETURN n.name_initials AS initials, n.scope AS scope"
                           ) == [{"initials": "lwsqdw", "scope": "small"}]
        assert [r["name"] for r in search(engine, "SQDW", ["PartyOrg"], 20).rows] == ["老围社区党委"]
    finally:
        engine.close()


def test_neo4j_names_in_memory_are_used_only_until_a_commit(neo4j_names: Neo4jEngine, reference_neo4j: Neo4jEngine) -> None:
    """Another writer adds a compound: the names in memory are no longer the database's, so the search asks the
    database, and finds it. Removing it commits again: the copy read before is still not used."""
    kept = neo4j_names.name_index()
    assert kept is not None and neo4j_names.name_index() is kept  # nothing committed: the same copy
    assert neo4j_names.describe()["search_names"]["names"] == kept.count
    reference_neo4j.write("CREATE (:Compound:Entity {id: 'cmp-initials-test', name: '拼音测试花园', "
                          "name_initials: 'pycshy', scope: 'test'})")
    try:
        assert neo4j_names.name_index() is None
        for q in ("拼音测试", "PYCS"):
            assert [r["id"] for r in search(neo4j_names, q, ["Compound"], 20).rows] == ["cmp-initials-test"], q
    finally:
        reference_neo4j.write("MATCH (n:Compound {id: 'cmp-initials-test'}) DETACH DELETE n")
    assert neo4j_names.name_index() is None
    assert search(neo4j_names, "拼音测试", ["Compound"], 20).total == 0


def test_names_read_while_the_database_changed_are_not_kept() -> None:
    """A copy is kept only when the bookmark before reading it equals the one after; one read at a time; after a
    read the next one waits (``min_wait_s``)."""
    at = {"bookmark": "tx1"}
    reads: list[int] = []
    release = threading.Event()

    def read_names() -> list[tuple[str, str | None, str, str | None]]:
        reads.append(1)
        release.wait(10)
        if len(reads) == 1:
            at["bookmark"] = "tx2"  # a commit while the first copy is read
        return [("n1", "罗湖区", "District", "lhq")]

    names = committed_names(lambda: at["bookmark"], read_names, min_wait_s=0.0, max_wait_s=0.0)
    assert names.current() is None  # nothing kept yet: a read starts
    assert names.current() is None  # and is not doubled while it runs
    release.set()
    names.wait()
    assert len(reads) == 1 and names.summary() is None  # tx1 before, tx2 after: not kept
    time.sleep(0.5)  # the next read waits twice as long as the last one took (milliseconds here)
    assert names.current() is None  # a second read: tx2 before and after
    names.wait()
    kept = names.current()
    assert kept is not None and kept.search("LHQ", ["District"], 20)[1] == 1 and len(reads) == 2
    at["bookmark"] = "tx3"
    assert names.current() is None  # a commit since: not used
    names.close()

    count: list[int] = []
    slow = committed_names(lambda: at["bookmark"], lambda: count.append(1) or [], min_wait_s=60.0)
    assert slow.current() is None
    slow.wait()
    assert slow.current() is not None  # an empty database has an (empty) copy too
    at["bookmark"] = "tx4"
    assert slow.current() is None
    slow.wait()
    assert len(count) == 1  # the next read waits a minute
    slow.close()

    def unreachable() -> str:
        raise ConnectionError("the server is down")

    down = committed_names(unreachable, lambda: [])
    down.start()  # as serve starts it: it must not raise, the API starts anyway
    down.wait()
    assert down.summary() is None
    with pytest.raises(ConnectionError):
        down.current()  # a search, though, fails as its queries would (503)
