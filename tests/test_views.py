"""The network views, the view routes, the web pages and ``orggraph viz``.

A tiny hand-built graph gives exact counts and colors; the reference dataset checks the views at
their real size (the cut, the fixed layouts) and that both engines draw the same picture.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.routes import pages
from api.settings import Settings
from graph.engine import GraphEngine
from graph.ladybug_engine import LadybugEngine
from graph.views import (
    DEFAULT_NODE_LIMIT,
    NetworkView,
    UnknownEntityError,
    coverage_view,
    ego_view,
    hierarchy_view,
    hometown_view,
    path_view,
)
from graph.views.layout import ROW_HEIGHT, leaf_columns, radial_layout, tree_layout
from graph.views.style import COVERAGE_COLORS, LABEL_STYLES, mask_personal, public_properties
from loaders.bundle import BundleWriter
from loaders.load import load_bundle
from queries.catalog import run_catalog

MEMBER_NAMES = ("张某1", "李某2", "王某3")
CDN_HOSTS = ("cdnjs", "jsdelivr", "unpkg", "googleapis", "bootcdn", "staticfile", "cloudflare", "bootstrapcdn")


def tiny_bundle(root: Path) -> Path:
    """One community: compounds with organizational (cmp-1), work-only (cmp-2) and no coverage (cmp-3);
    towers of 25 and 30 floors covered by a joint committee from 2012 and one of 10 floors; a hometown
    group of three members served by a mobile branch."""
    with BundleWriter(root, name="tiny", scope="tiny", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("District", [{"id": "440303", "name": "罗湖区"}])
        w.write_nodes("Subdistrict", [{"id": "440303001", "name": "桂园街道"}])
        w.write_nodes("Community", [{"id": "440303001011", "name": "老围社区"}])
        w.write_nodes("Compound", [{"id": f"cmp-{i}", "name": f"小区{i}", "kind": "商品房"} for i in (1, 2, 3)])
        w.write_nodes("Building", [{"id": "bld-1", "name": "高楼", "floors": 25}, {"id": "bld-2", "name": "矮楼", "floors": 10},
                                   {"id": "bld-3", "name": "大厦", "floors": 30}])
        w.write_nodes("PartyOrg", [
            {"id": "org-d", "name": "区委", "level": "区委"},
            {"id": "org-s", "name": "桂园街道党工委", "level": "街道党工委"},
            {"id": "org-c", "name": "老围社区党委", "level": "社区党委"},
            {"id": "org-b", "name": "小区1党支部", "level": "党支部", "founded": dt.date(2010, 1, 1)},
            {"id": "org-j", "name": "高楼联合党委", "level": "联合党委", "formation": "联合建", "founded": dt.date(2012, 5, 1)},
            {"id": "org-m", "name": "老围社区四川达州流动党支部", "level": "流动党支部", "founded": dt.date(2008, 1, 1)},
        ])
        w.write_nodes("HometownGroup", [{"id": "htg-1", "name": "老围四川达州同乡村", "origin": "四川达州", "size": 300}])
        w.write_nodes("Member", [{"id": f"mem-{i}", "name": name, "gender": "男", "birth_year": 1980, "joined": dt.date(2005, 7, 1),
                                  "mobile": True, "category": "其他"} for i, name in enumerate(MEMBER_NAMES, start=1)])
        w.write_rels("PART_OF", [{"source": "440303001", "target": "440303"}, {"source": "440303001011", "target": "440303001"}])
        w.write_rels("LOCATED_IN", [{"source": s, "target": "440303001011"}
                                    for s in ("cmp-1", "cmp-2", "cmp-3", "bld-1", "bld-2", "bld-3", "htg-1")])
        w.write_rels("REPORTS_TO", [{"source": "org-s", "target": "org-d"}, {"source": "org-c", "target": "org-s"},
                                    {"source": "org-b", "target": "org-c"}, {"source": "org-j", "target": "org-s"},
                                    {"source": "org-m", "target": "org-c"}])
        w.write_rels("COVERS", [
            {"source": "org-d", "target": "440303", "mode": "organizational"},
            {"source": "org-s", "target": "440303001", "mode": "organizational"},
            {"source": "org-c", "target": "440303001011", "mode": "organizational"},
            {"source": "org-b", "target": "cmp-1", "mode": "organizational", "formation": "单独建"},
            {"source": "org-c", "target": "cmp-2", "mode": "work"},
            {"source": "org-j", "target": "bld-1", "mode": "organizational", "formation": "联合建"},
            {"source": "org-j", "target": "bld-3", "mode": "organizational", "formation": "联合建"},
        ])
        w.write_rels("SERVES", [{"source": "org-m", "target": "htg-1"}])
        w.write_rels("BELONGS_TO", [{"source": f"mem-{i}", "target": "htg-1"} for i in (1, 2, 3)])
        w.write_rels("MEMBER_OF", [{"source": f"mem-{i}", "target": "org-m"} for i in (1, 2, 3)])
        w.write_rels("LIVES_IN", [{"source": "mem-1", "target": "cmp-1"}, {"source": "mem-2", "target": "cmp-1"},
                                  {"source": "mem-3", "target": "cmp-3"}])
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LadybugEngine]:
    """An embedded engine holding the tiny graph (read only by the tests)."""
    # LadybugDB's shortest-path search once ran out of a 128 MiB page cache here after a 3-step walk.
    engine = LadybugEngine(tmp_path_factory.mktemp("tiny-db") / "graph.lbug", buffer_pool_mb=512)
    load_bundle(engine, tiny_bundle(tmp_path_factory.mktemp("tiny-bundle")))
    yield engine
    engine.close()


def node(view: NetworkView, node_id: str) -> dict:
    [found] = [n for n in view.nodes if n["id"] == node_id]
    return found


def fill(view: NetworkView, node_id: str) -> str:
    color: str = node(view, node_id)["color"]["background"]
    return color


def edge_set(view: NetworkView) -> set[tuple[str, str]]:
    return {(e["from"], e["to"]) for e in view.edges}


def assert_offline_page(html: str) -> None:
    """One self-contained UTF-8 page: vis-network inline, a legend, no resource from any other host."""
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html
    assert "vis.Network" in html and "图例" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I), "a resource is loaded from elsewhere"
    assert not re.search(r"""@import|url\(\s*["']?https?:""", html, re.I)
    for host in CDN_HOSTS:
        assert host not in html.lower(), host


# ------------------------------------------------------------------ the builders on the tiny graph


def test_ego_counts_and_styles(tiny: GraphEngine) -> None:
    view = ego_view(tiny, "440303001011")
    assert view.node_count == 10 and view.edge_count == 9
    assert {n["id"] for n in view.nodes} == {"440303001011", "440303001", "org-c", "htg-1", "cmp-1", "cmp-2", "cmp-3",
                                             "bld-1", "bld-2", "bld-3"}
    assert ("cmp-1", "440303001011") in edge_set(view) and ("org-c", "440303001011") in edge_set(view)
    assert fill(view, "cmp-1") == LABEL_STYLES["Compound"].color and node(view, "cmp-1")["shape"] == "dot"
    assert node(view, "org-c")["shape"] == LABEL_STYLES["PartyOrg"].shape == "star"
    assert node(view, "org-c")["url"] == "/entities/org-c"
    assert node(view, "440303001011")["label"] == "老围社区" and "编号:440303001011" in node(view, "440303001011")["title"]
    assert view.physics and not view.notices
    assert [e.text for e in view.legend()] == ["街道", "社区", "党组织", "居民小区", "商务楼宇", "同乡村"]
    assert_offline_page(view.html())


def test_ego_depth_and_type_filter(tiny: GraphEngine) -> None:
    only = ego_view(tiny, "440303001011", types=["Compound"])
    assert sorted(n["id"] for n in only.nodes) == ["440303001011", "cmp-1", "cmp-2", "cmp-3"] and only.edge_count == 3
    assert any("只显示类型:居民小区" in s for s in only.summary)
    two = ego_view(tiny, "htg-1", depth=2)
    distances = {n["id"]: n["title"] for n in two.nodes}
    assert "距中心:2 步" in distances["org-c"] and "cmp-1" in distances
    with pytest.raises(ValueError, match="depth"):
        ego_view(tiny, "htg-1", depth=4)


def test_ego_cut_keeps_structure_and_says_what_it_left_out(tiny: GraphEngine) -> None:
    view = ego_view(tiny, "440303001011", limit=4)
    assert view.node_count == 4
    assert {n["id"] for n in view.nodes} == {"440303001011", "440303001", "org-c", "htg-1"}
    [notice] = view.notices
    assert "已截断" in notice and "最多显示 4 个节点" in notice and "另有 6 个节点" in notice
    assert "居民小区 3" in notice and "商务楼宇 3" in notice
    assert notice in view.html()
    deep = ego_view(tiny, "htg-1", depth=3, limit=5)
    assert deep.node_count == 5 and "未展开" in deep.notices[0]


def test_coverage_colors(tiny: GraphEngine) -> None:
    view = coverage_view(tiny, "440303001011")
    assert fill(view, "cmp-1") == COVERAGE_COLORS["organizational"]
    assert fill(view, "cmp-2") == COVERAGE_COLORS["work"]
    assert fill(view, "cmp-3") == COVERAGE_COLORS["none"]
    assert fill(view, "bld-1") == fill(view, "bld-3") == COVERAGE_COLORS["organizational"]
    assert not view.has("bld-2"), "towers only: 20 floors and up"
    assert {("org-b", "cmp-1"), ("org-c", "cmp-2"), ("org-j", "bld-1"), ("org-j", "bld-3")} <= edge_set(view)
    work_edge = next(e for e in view.edges if (e["from"], e["to"]) == ("org-c", "cmp-2"))
    assert work_edge["dashes"] is True
    assert "覆盖状况:未覆盖" in node(view, "cmp-3")["title"]
    assert "居民小区 3 个:组织覆盖 1,仅工作覆盖 1,未覆盖 1" in view.summary
    legend = {e.text: e.color for e in view.legend()}
    assert legend["地点:未覆盖"] == COVERAGE_COLORS["none"] and legend["居民小区"] != LABEL_STYLES["Compound"].color
    early = coverage_view(tiny, "440303001011", as_of=dt.date(2011, 1, 1), min_floors=1)
    assert fill(early, "bld-1") == fill(early, "bld-2") == COVERAGE_COLORS["none"]
    assert fill(early, "cmp-1") == COVERAGE_COLORS["organizational"]
    assert "2011-01-01" in early.title
    cut = coverage_view(tiny, "440303001011", limit=3)
    assert cut.node_count == 3 and "未覆盖的地点优先" in cut.notices[0]
    assert fill(cut, "cmp-3") == COVERAGE_COLORS["none"]


def test_hierarchy_is_a_tree_with_cross_links(tiny: GraphEngine) -> None:
    view = hierarchy_view(tiny, "org-d", depth=3)
    orgs = {"org-d", "org-s", "org-c", "org-b", "org-j", "org-m"}
    assert {n["id"] for n in view.nodes} == orgs | {"bld-1", "bld-3", "htg-1"}
    tree = [e for e in view.edges if e["title"] == "上级党组织"]
    cross = [e for e in view.edges if e["dashes"]]
    assert len(tree) == 5 and len(cross) == 3
    assert {(e["from"], e["to"]) for e in cross} == {("org-j", "bld-1"), ("org-j", "bld-3"), ("org-m", "htg-1")}
    assert not view.physics
    positions = {n["id"]: (n["x"], n["y"]) for n in view.vis_nodes()}
    assert positions["org-d"][1] == 0 and positions["org-s"][1] == ROW_HEIGHT
    for edge in tree:  # every organization sits below its parent
        assert positions[edge["from"]][1] > positions[edge["to"]][1]
    assert "服务同乡村" in [e.text for e in view.legend()]
    shallow = hierarchy_view(tiny, "org-d", depth=1)
    assert {n["id"] for n in shallow.nodes} == {"org-d", "org-s"}
    with pytest.raises(UnknownEntityError, match="not a PartyOrg"):
        hierarchy_view(tiny, "440303")


def test_path_view(tiny: GraphEngine) -> None:
    view = path_view(tiny, "cmp-1", "cmp-2")
    assert view.node_count == 3 and view.edge_count == 2
    assert all(e["label"] == "位于" for e in view.edges)
    assert "路径长度:2 步" in view.summary[0]
    xs = [n["x"] for n in view.vis_nodes()]
    assert xs == sorted(xs)
    none = path_view(tiny, "cmp-1", "cmp-2", max_length=1)
    assert none.node_count == 2 and "没有找到" in none.notices[0]
    assert path_view(tiny, "cmp-1", "cmp-1").node_count == 1


def test_hometown_view_hides_personal_data(tiny: GraphEngine) -> None:
    view = hometown_view(tiny, "htg-1")
    assert view.node_count == 8 and view.edge_count == 11
    assert node(view, "mem-1")["label"] == "党员 mem-1"
    assert ("org-m", "htg-1") in edge_set(view) and ("mem-3", "cmp-3") in edge_set(view)
    assert "党员 3 名(流动党员 3 名),居住在 2 个小区" in view.summary[0]
    html = view.html()
    for name in MEMBER_NAMES:
        assert name not in html
    assert "1980" not in html and "出生" not in html
    for builder in (lambda: ego_view(tiny, "htg-1", depth=2), lambda: ego_view(tiny, "mem-1")):
        page = builder().html()
        assert not any(name in page for name in MEMBER_NAMES)


def test_unknown_ids(tiny: GraphEngine) -> None:
    for build in (lambda: ego_view(tiny, "nope"), lambda: coverage_view(tiny, "cmp-1"), lambda: hometown_view(tiny, "org-m"),
                  lambda: path_view(tiny, "cmp-1", "nope")):
        with pytest.raises(UnknownEntityError):
            build()


def test_written_file_is_utf8(tiny: GraphEngine, tmp_path: Path) -> None:
    out = ego_view(tiny, "440303001011").write(tmp_path / "sub" / "ego.html")
    text = out.read_bytes().decode("utf-8")
    assert "老围社区 的关系网络" in text and "居民小区" in text
    assert_offline_page(text)


# ------------------------------------------------------------------ layouts and masking


def test_radial_layout_rings() -> None:
    edges = [("c", f"a{i}") for i in range(3)] + [("a0", f"b{i}") for i in range(200)] + [("x", "y")]
    nodes = ["c", *(f"a{i}" for i in range(3)), *(f"b{i}" for i in range(200)), "x", "y"]
    pos = radial_layout(nodes, edges, "c")
    assert set(pos) == set(nodes) and pos["c"] == (0.0, 0.0)
    radius = {n: round((x * x + y * y) ** 0.5, 3) for n, (x, y) in pos.items()}
    assert len({radius[f"a{i}"] for i in range(3)}) == 1 and radius["b0"] > radius["a0"]
    assert 2 * 3.1416 * radius["b0"] >= 200 * 40, "the crowded ring grows"
    assert radius["x"] > 0, "unconnected nodes still get a place"


def test_tree_layout_centers_parents() -> None:
    parents: dict[str, str | None] = {"r": None, "a": "r", "b": "r", **{f"l{i}": "a" for i in range(8)}, "k": "b", "kk": "k"}
    pos = tree_layout(parents, list(parents))
    assert pos["r"][1] == 0 and pos["a"][1] == pos["b"][1] == ROW_HEIGHT
    assert pos["a"][0] < pos["b"][0]
    leaves = [pos[f"l{i}"] for i in range(8)]
    assert len({x for x, _ in leaves}) == leaf_columns(8) == 2, "eight leaves in a grid of two columns"
    assert min(x for x, _ in leaves) < pos["a"][0] < max(x for x, _ in leaves)
    assert pos["kk"][1] > pos["k"][1] > pos["b"][1]


def test_mask_personal() -> None:
    member = {"id": "mem-9", "label": "Member", "name": "赵某9", "gender": "女", "birth_year": 1970, "category": "两新"}
    assert public_properties(member) == {"id": "mem-9", "label": "Member", "category": "两新"}
    rows = [{"member_id": "mem-9", "member_name": "赵某9", "node": member, "nodes": [member]}]
    assert "赵某9" not in str(mask_personal(rows)) and mask_personal(rows)[0]["member_name"] == "党员 mem-9"


# ------------------------------------------------------------------ the reference dataset, both engines


def test_reference_views_agree_on_both_engines(reference_pair: tuple[GraphEngine, GraphEngine]) -> None:
    drawn = []
    for engine in reference_pair:
        ego = ego_view(engine, "org-mb-01", depth=2)
        assert ego.node_count > 60 and not ego.notices
        assert node(ego, "htg-01")["shape"] == LABEL_STYLES["HometownGroup"].shape
        tree = hierarchy_view(engine, "org-luohu", depth=1)
        assert sum(n["title"].count("层级:街道党工委") for n in tree.nodes) == 10
        home = hometown_view(engine, "htg-01")
        assert ("org-mb-01", "htg-01") in edge_set(home)
        cover = coverage_view(engine, "440303002003")
        drawn.append([(sorted(edge_set(v)), sorted((n["id"], fill(v, n["id"])) for n in v.nodes)) for v in (ego, tree, home, cover)])
    assert drawn[0] == drawn[1], "the two engines draw different views"


@pytest.mark.parametrize("center_id", ["org-mb-01", "org-luohu", "440303002003", "cmp-000001"])
def test_views_walk_the_same_over_relationships_in_memory(reference_embedded: GraphEngine, reference_topology: GraphEngine,
                                                          center_id: str) -> None:
    """A served LadybugDB database walks a view over its relationships in memory (graph.topology.walk_until_cut):
    the same nodes, relationships, cut and counts left out as the walk in queries, at and around the cuts."""
    from graph.views.builders import walk

    assert reference_embedded.topology() is None and reference_topology.topology() is not None
    center = run_catalog(reference_embedded, "entity_by_id", {"id": center_id})[0]["n"]
    for depth, types, limit in ((1, None, 500), (2, None, 150), (3, None, 500), (2, ["PartyOrg", "Compound", "Community"], 40),
                                (3, ["Member", "HometownGroup"], 500), (2, None, 1), (1, None, 3)):
        by_queries = walk(reference_embedded, center, depth=depth, types=types, limit=limit)
        in_memory = walk(reference_topology, center, depth=depth, types=types, limit=limit)
        case = (center_id, depth, types, limit)
        assert in_memory.nodes == by_queries.nodes, case
        assert sorted(in_memory.edges) == sorted(by_queries.edges), case
        assert (in_memory.omitted, in_memory.cut_at) == (by_queries.omitted, by_queries.cut_at), case
    cut = walk(reference_topology, center, depth=3, types=None, limit=20)
    assert cut.cut_at is not None and sum(cut.omitted.values()) > 0 and len(cut.nodes) == 20


def test_reference_big_views_are_cut_and_laid_out(reference_embedded: GraphEngine) -> None:
    ego = ego_view(reference_embedded, "org-luohu", depth=3)
    assert ego.node_count == DEFAULT_NODE_LIMIT and not ego.physics
    assert all("x" in n and "y" in n for n in ego.vis_nodes())
    assert "党员" in ego.notices[0] and "已截断" in ego.notices[0]
    html = ego.html()
    assert_offline_page(html)
    assert '"physics":{"enabled":false' in html
    big = ego_view(reference_embedded, "org-luohu", depth=3, limit=2000)
    assert big.node_count == 2000
    tree = hierarchy_view(reference_embedded, "org-luohu", depth=3, limit=5000)
    assert not tree.notices and sum(1 for n in tree.nodes if n["kind"] == "党组织") == 975
    assert sum(1 for e in tree.edges if e["title"] == "服务") == 12, "the 12 mobile branches serve their groups"


def test_reference_coverage_shows_the_gaps(reference_embedded: GraphEngine) -> None:
    from queries.catalog import run_catalog

    gap = run_catalog(reference_embedded, "gaps_compounds", {})[0]
    view = coverage_view(reference_embedded, gap["community_id"])
    assert fill(view, gap["id"]) != COVERAGE_COLORS["organizational"]
    towers = coverage_view(reference_embedded, "440303001011")
    assert all(fill(towers, n["id"]) == COVERAGE_COLORS["organizational"] for n in towers.nodes if n["kind"] == "商务楼宇")


# ------------------------------------------------------------------ routes and pages


@pytest.fixture(scope="module")
def client(reference_embedded: GraphEngine) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(engine="embedded"), engine=reference_embedded)) as c:
        yield c


def problem(response: object, status: int) -> dict:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict = response.json()  # type: ignore[attr-defined]
    return body


@pytest.mark.parametrize("url", ["/viz/ego/org-mb-01?depth=2&types=Member&types=PartyOrg&limit=50", "/viz/hierarchy/org-luohu?depth=1",
                                 "/viz/path?source=htg-01&target=org-luohu", "/viz/coverage/440303002003?as_of=2012-12-31",
                                 "/viz/hometown/htg-01"])
def test_view_routes(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    assert_offline_page(response.text)


def test_view_routes_refuse_unknown_ids_and_bad_parameters(client: TestClient) -> None:
    assert "nope" in problem(client.get("/viz/ego/nope"), 404)["detail"]
    problem(client.get("/viz/hierarchy/440303"), 404)
    problem(client.get("/viz/coverage/org-luohu"), 404)
    problem(client.get("/viz/hometown/440303002003"), 404)
    problem(client.get("/viz/path", params={"source": "htg-01", "target": "nope"}), 404)
    problem(client.get("/viz/ego/htg-01", params={"depth": 4}), 422)
    problem(client.get("/viz/ego/htg-01", params={"types": "Tower"}), 422)
    problem(client.get("/viz/path", params={"source": "htg-01"}), 422)


def test_dashboard_page(client: TestClient) -> None:
    page = client.get("/").text
    assert "党的组织覆盖和工作覆盖" in page and "桂园街道" in page and "全区" in page
    assert ">929<" in page and "99.0%" in page
    assert 'href="/api/v1/coverage/gaps?target=compound&amp;as_of=2018-12-28&amp;limit=1000&amp;format=csv"' in page
    assert "/static/vendor/echarts/dist/echarts.min.js" in page and 'id="chart-data"' in page
    assert 'href="/viz/hierarchy/org-luohu"' in page
    assert client.get("/api/v1/coverage/gaps?target=compound&as_of=2018-12-28&limit=1000&format=csv").status_code == 200
    drill = client.get("/subdistricts/440303002").text
    assert "黄贝岭社区" in drill and "/viz/coverage/440303002003" in drill
    gaps = client.get("/gaps").text
    assert gaps.count("/entities/cmp-") >= 9 and "责任社区党委" in gaps
    assert "无人认领" in client.get("/gaps/unclaimed-projects").text


def test_entity_page(client: TestClient) -> None:
    page = client.get("/entities/440303002003").text
    assert "黄贝岭社区" in page and 'src="/viz/ego/440303002003?depth=1&limit=150"' in page
    assert "/viz/coverage/440303002003" in page and "/entities/org-cc-440303002003" in page
    org = client.get("/entities/org-mb-01").text
    assert "/viz/hierarchy/org-mb-01" in org and "中共深圳市罗湖区委员会" in org, "the chain up to the district committee"
    member = client.get("/entities/mem-0011304").text
    assert "党员 mem-0011304" in member and "某" not in member and "出生" not in member
    missing = client.get("/entities/nope")
    assert missing.status_code == 404 and "nope" in missing.text and missing.headers["content-type"].startswith("text/html")


def test_search_pages(client: TestClient) -> None:
    fragment = client.get("/search/results", params={"q": "黄贝岭"}).text
    assert "<html" not in fragment and 'href="/entities/440303002003"' in fragment
    assert client.get("/search/results", params={"q": ""}).text.strip() == ""
    full = client.get("/search", params={"q": "花园"}).text
    assert "条结果" in full and "下一页" in full
    assert "hx-get=\"/search/results\"" in client.get("/path").text, "a search box on every page"


def test_path_page(client: TestClient) -> None:
    page = client.get("/path", params={"source": "htg-01", "target": "org-luohu"}).text
    assert "<ol class=\"steps\">" in page and 'src="/viz/path?source=htg-01&amp;target=org-luohu&amp;max_length=6"' in page
    assert "no entity" in client.get("/path", params={"source": "htg-01", "target": "nope"}).text


def test_query_catalog_pages(client: TestClient) -> None:
    catalog = client.get("/queries").text
    assert catalog.count('<details class="query"') == len(client.get("/api/v1/queries").json())
    assert 'hx-get="/queries/gaps_compounds/rows"' in catalog and '<option selected>organizational</option>' in catalog
    rows = client.get("/queries/mobile_branches/rows").text
    assert "共 12 行" in rows and "黄贝岭社区四川达州流动党支部" in rows
    members = client.get("/queries/hometown_group_members/rows", params={"id": "htg-01"}).text
    assert "党员 mem-" in members and "某" not in members
    named = client.get("/queries/search_by_name/rows", params={"q": "某", "labels": "Member,Compound"}).text
    assert "某" not in named.replace("q=%E6%9F%90", "")
    bad = client.get("/queries/gaps_compounds/rows", params={"mode": "all"}).text
    assert "参数有误" in bad and "mode" in bad
    full = client.get("/queries/gaps_compounds", params={"mode": "work"}).text
    assert "共 0 行" in full and "<html" in full
    assert client.get("/queries/neighbors_step").status_code == 404


def test_static_files(client: TestClient) -> None:
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/vendor/htmx.org/dist/htmx.min.js").status_code == 200
    assert client.get("/static/vendor/echarts/dist/echarts.min.js").headers["content-type"].startswith("text/javascript")


def test_app_refuses_to_start_without_node_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    reference_embedded: GraphEngine) -> None:
    monkeypatch.setenv("ORGGRAPH_VENDOR_DIR", str(tmp_path))
    with pytest.raises(pages.VendorFilesMissingError, match="npm ci"):
        create_app(Settings(engine="embedded"), engine=reference_embedded)


# ------------------------------------------------------------------ orggraph viz


def test_cli_writes_views(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from api.cli_viz import viz_app

    db = tmp_path / "graph.lbug"
    with LadybugEngine(db, buffer_pool_mb=128) as engine:
        load_bundle(engine, tiny_bundle(tmp_path / "bundle"))
    monkeypatch.setenv("ORGGRAPH_DB_PATH", str(db))
    monkeypatch.setattr("api.cli._State.overrides", {})  # global options another test may have left
    runner = CliRunner()
    for args in (["ego", "htg-1", "--depth", "2", "-t", "Member", "-t", "HometownGroup"], ["hierarchy", "org-d", "--depth", "3"],
                 ["path", "cmp-1", "cmp-3"], ["coverage", "440303001011", "--as-of", "2011-01-01"], ["hometown", "htg-1"]):
        out = tmp_path / "out" / f"{args[0]}.html"
        result = runner.invoke(viz_app, [*args, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert "wrote" in result.output
        html = out.read_text(encoding="utf-8")
        assert_offline_page(html)
        assert "http://127.0.0.1:8000/entities/" in html
    result = runner.invoke(viz_app, ["ego", "nope", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and "nope" in result.output and not (tmp_path / "x.html").exists()
    assert runner.invoke(viz_app, ["ego", "htg-1", "-t", "Tower", "--out", str(tmp_path / "y.html")]).exit_code == 2
