"""The published-facts web page (``/facts``), the facts on an entity page and in a community's coverage
view, on both engines: every fact agrees (or is within tolerance) on the reference dataset; a changed
graph shows the right facts disagreeing, each linked to the web gap list that explains it."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from pathlib import Path

from api.fact_display import web_gap_link
from api.keys import Role
from graph.engine import GraphEngine
from loaders.load import load_bundle
from loaders.reference.facts import FACTS
from queries.catalog import run_catalog
from tests.secure import SecureApp, member_personal_values, secure_app

AS_OF = "2018-12-28"
FACT_ROW = re.compile(r'<tr id="(fact-[^"]+)" class="(\w+)">(.*?)</tr>', re.S)
COMMUNITY_FACT = "fact-test-community-org"


def fact_rows(page: str) -> dict[str, tuple[str, str]]:
    """fact id → (status, the row's HTML) of the facts table of a page."""
    return {fact_id: (status, row) for fact_id, status, row in FACT_ROW.findall(page)}


def gap_links(row: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(r'<a class="gap" href="([^"]+)"', row)]


def test_facts_page_lists_every_fact_with_its_status(reference_engine: GraphEngine, tmp_path: Path) -> None:
    app = secure_app(reference_engine, tmp_path)
    with app.client:
        assert app.get(None, "/facts").status_code == 401, "the page declares the viewer role, like every page"
        response = app.get(Role.viewer, "/facts")
        tolerant = app.get(Role.viewer, "/facts", params={"status": "within_tolerance"}).text
        district = app.get(Role.viewer, "/entities/440303").text
        subdistrict = app.get(Role.viewer, "/entities/440303001").text
        one_fact = app.get(Role.viewer, "/entities/fact-compounds-org").text
    assert response.status_code == 200
    page = response.text
    rows = fact_rows(page)
    assert set(rows) == {f"fact-{key}" for key, *_ in FACTS}
    # 近500 (496) and 约300 (302) are "about" figures within their margin; every other figure agrees exactly.
    assert Counter(status for status, _ in rows.values()) == {"agrees": 14, "within_tolerance": 2}
    assert page.count('<span class="badge agrees" title="agrees">相符</span>') == 14
    assert page.count('<span class="badge within_tolerance" title="within_tolerance">在误差范围内</span>') == 2
    row = rows["fact-compounds-org"][1]
    assert "全区929个居民小区党的组织覆盖率达99%" in row and "读特 2018-12-28" in row
    assert "99 %" in row and "99.03 %" in row and AS_OF in row and not gap_links(row)
    assert '<a href="/entities/440303">罗湖区</a>' in row
    assert "约数(±10%)" in rows["fact-mobile-members"][1] and "496 名" in rows["fact-mobile-members"][1]
    assert set(fact_rows(tolerant)) == {"fact-mobile-members", "fact-liangxin-recruits"}
    assert '<a href="/facts">公开数据核对</a>' in page, "the navigation links the page"
    # What a fact describes shows it: the district 15 facts, 桂园街道 its service center.
    assert len(fact_rows(district)) == 15 and "fact-subdistrict-centers" not in fact_rows(district)
    assert set(fact_rows(subdistrict)) == {"fact-subdistrict-centers"}
    assert fact_rows(one_fact)["fact-compounds-org"][0] == "agrees"
    names, _ = member_personal_values(reference_engine)
    assert not [n for n in names if n in page or n in district], "no member's personal data on the pages"


def add_community_fact(engine: GraphEngine, community: str) -> int:
    """Publish a figure about one community (its compounds with organizational coverage), as it is now."""
    row = next(r for r in run_catalog(engine, "coverage_compounds", {}) if r["community_id"] == community)
    engine.write(
        "CREATE (f:Fact {id: $id, name: $name, value: $value, unit: '个', tolerance: 'exact', margin: 0.0, as_of: $as_of, "
        "publication: '测试公报', sentence: $sentence, query: 'coverage_compounds', params: '{}', metric: $metric, gap: $gap, "
        "synthetic: true})",
        {"id": COMMUNITY_FACT, "name": "有组织覆盖的居民小区数", "value": float(row["organizational_covered"]),
         "as_of": dt.date(2018, 12, 28), "sentence": f"{row['community_name']}{row['organizational_covered']}个小区建有党组织。",
         "metric": f"pick:community_id={community}:organizational_covered",
         "gap": f"/api/v1/coverage/gaps?target=compound&community={community}"})
    engine.write("MATCH (f:Fact {id: $fact}), (c:Community {id: $community}) CREATE (f)-[:DESCRIBES]->(c)",
                 {"fact": COMMUNITY_FACT, "community": community})
    return int(row["organizational_covered"])


def coverage_view_facts(app: SecureApp, community: str) -> tuple[list[dict[str, object]], str]:
    """The Fact nodes drawn in a community's coverage view, and the view's HTML."""
    view = app.get(Role.viewer, f"/viz/coverage/{community}").text
    data = json.loads(re.search(r'<script type="application/json" id="view-data">(.*?)</script>', view, re.S).group(1))  # type: ignore[union-attr]
    return [n for n in data["nodes"] if n["id"].startswith("fact-")], view


def test_a_changed_dataset_shows_the_right_facts_disagreeing(engine: GraphEngine, reference_bundle: Path,
                                                             tmp_path: Path) -> None:
    load_bundle(engine, reference_bundle)
    # As in test_facts.py: 20 compounds lose their organizational coverage (they had no other), so the
    # district's 99 % and 100 % no longer hold; the first one's community gets a figure of its own.
    ids = [r["id"] for r in engine.read("MATCH (x:Compound)<-[c:COVERS]-(:PartyOrg) WHERE c.mode = 'organizational' "
                                        "RETURN DISTINCT x.id AS id ORDER BY id LIMIT 20")]
    community = engine.read("MATCH (:Compound {id: $id})-[:LOCATED_IN]->(c:Community) RETURN c.id AS id", {"id": ids[0]})[0]["id"]
    covered = add_community_fact(engine, community)
    app = secure_app(engine, tmp_path)
    with app.client:
        before = fact_rows(app.get(Role.viewer, f"/entities/{community}").text)
        drawn_before, view_before = coverage_view_facts(app, community)
        engine.write("UNWIND $ids AS i MATCH (:PartyOrg)-[c:COVERS]->(x:Compound {id: i}) WHERE c.mode = 'organizational' "
                     "DELETE c", {"ids": ids})
        page = app.get(Role.viewer, "/facts").text
        only_disagreeing = fact_rows(app.get(Role.viewer, "/facts", params={"status": "disagrees"}).text)
        after = fact_rows(app.get(Role.viewer, f"/entities/{community}").text)
        drawn_after, _ = coverage_view_facts(app, community)
        [district_gaps] = gap_links(fact_rows(page)["fact-compounds-org"][1])
        gap_page = app.get(Role.viewer, district_gaps).text
    # The community page and its coverage view show the figure published about it.
    assert before[COMMUNITY_FACT][0] == "agrees" and f"{covered} 个" in before[COMMUNITY_FACT][1]
    assert [n["id"] for n in drawn_before] == [COMMUNITY_FACT] and "公开数据 1 条:相符 1" in view_before
    assert "公开数据:不符" in view_before, "the legend explains the fact colors"
    # After the change: exactly the facts it touches disagree, each linked to its web gap list.
    rows = fact_rows(page)
    disagreeing = {fact_id for fact_id, (status, _) in rows.items() if status == "disagrees"}
    assert disagreeing == {"fact-compounds-org", "fact-compounds-work", COMMUNITY_FACT}
    assert set(only_disagreeing) == disagreeing
    assert page.count('<span class="badge disagrees" title="disagrees">不符</span>') == 3
    assert district_gaps == f"/gaps?target=compound&as_of={AS_OF}"
    assert gap_links(rows["fact-compounds-work"][1]) == [f"/gaps?target=compound&mode=work&as_of={AS_OF}"]
    assert all(f'href="/entities/{i}"' in gap_page for i in ids), "the gap list names the compounds that lost coverage"
    assert after[COMMUNITY_FACT][0] == "disagrees"
    assert gap_links(after[COMMUNITY_FACT][1]) == [f"/gaps?target=compound&community={community}&as_of={AS_OF}"]
    assert "#dc2626" in json.dumps(drawn_after), "the view draws the disagreeing fact red"


def test_gap_links_lead_only_to_our_gap_pages() -> None:
    day = dt.date(2018, 12, 28)
    assert web_gap_link("/api/v1/coverage/gaps?target=compound&mode=work", day) == "/gaps?target=compound&mode=work&as_of=2018-12-28"
    assert web_gap_link("/api/v1/coverage/gaps/committees-below-reserve-ratio", day) == \
        "/gaps/committees-below-reserve-ratio?as_of=2018-12-28"
    assert web_gap_link("/api/v1/coverage/gaps?target=<script>&community=1", day) == "/gaps?as_of=2018-12-28"
    for link in (None, "", "//evil.example/api/v1/coverage/gaps", "javascript:alert(1)", "/api/v1/coverage/gaps/nope",
                 "/api/v1/entities/440303"):
        assert web_gap_link(link, day) is None, link
