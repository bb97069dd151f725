"""Every figure of the seed article (2018-12-28) holds in the reference dataset, each through a catalog query.

The article: ../shared/seed/000_06a8da3894a4e51f.txt. Each test quotes the sentence it checks and
runs on both engines.
"""

from __future__ import annotations

import datetime as dt

from graph.engine import GraphEngine
from queries import answers
from queries.catalog import run_catalog

AS_OF = dt.date(2018, 12, 28)


def district_row(engine: GraphEngine, target: answers.Target, **kw: int) -> dict:
    rows = answers.coverage_summary(engine, target, "district", as_of=AS_OF, **kw)["rows"]
    assert len(rows) == 1
    return rows[0]


def test_929_compounds_99_percent_organizational_100_percent_work(reference_engine: GraphEngine) -> None:
    """全区929个居民小区党的组织覆盖率达99%,工作覆盖率已达100%。"""
    row = district_row(reference_engine, "compound")
    assert row["total"] == 929
    assert round(row["organizational"]["rate"] * 100) == 99
    assert row["organizational"]["covered"] < 929
    assert row["work"]["covered"] == 929


def test_31_towers_of_20_floors_all_have_party_organizations(reference_engine: GraphEngine) -> None:
    """截至2018年,全区31栋20层以上商务楼宇已全部建成党组织。"""
    row = district_row(reference_engine, "building", min_floors=20)
    assert row["total"] == 31
    assert row["organizational"]["covered"] == 31
    assert run_catalog(reference_engine, "gaps_buildings", {"as_of": AS_OF, "min_floors": 20}) == []


def test_diwang_2006_and_kingkey100_2012_joint_committees(reference_engine: GraphEngine) -> None:
    """2006年8月,地王大厦联合党委成立,2012年京基100联合党委成立。"""
    founded = {r["name"]: r["founded"] for r in run_catalog(reference_engine, "orgs_named", {"q": "联合党委"})}
    assert (founded["地王大厦联合党委"].year, founded["地王大厦联合党委"].month) == (2006, 8)
    assert founded["京基100联合党委"].year == 2012
    first = min(founded.values())
    assert first == founded["地王大厦联合党委"], "the 地王 committee was the first building committee"


def test_12_mobile_branches_in_10_subdistricts_about_500_mobile_members(reference_engine: GraphEngine) -> None:
    """全区共有10个街道建立了12个"同乡村"流动党支部,管理流动党员近500名。"""
    rows = run_catalog(reference_engine, "mobile_branches", {"as_of": AS_OF})
    assert len(rows) == 12
    assert len({r["subdistrict_id"] for r in rows}) == 10
    members = sum(r["mobile_members"] for r in rows)
    assert 450 <= members < 500, "近500: close to, and below, 500"


def test_first_mobile_branch_huangbeiling_dazhou_2007(reference_engine: GraphEngine) -> None:
    """2007年,黄贝街道黄贝岭社区四川达州流动党支部成立。"""
    first = run_catalog(reference_engine, "mobile_branches", {"as_of": AS_OF})[0]
    assert first["name"] == "黄贝岭社区四川达州流动党支部"
    assert first["founded"].year == 2007
    assert (first["community_name"], first["subdistrict_name"], first["origin"]) == ("黄贝岭社区", "黄贝街道", "四川达州")
    assert run_catalog(reference_engine, "mobile_branches", {"as_of": dt.date(2006, 12, 31)}) == []


def test_about_300_liangxin_members_recruited_39_delegates(reference_engine: GraphEngine) -> None:
    """近5年来共发展了约300名"两新组织"党员,"两新"领域内39名党员当选市、区党代表。"""
    row = run_catalog(reference_engine, "members_recruited",
                      {"category": "两新", "from": dt.date(2014, 1, 1), "to": AS_OF})[0]
    assert 270 <= row["recruited"] <= 330
    assert row["delegates"] == 39


def test_dongle_garden_council_2008(reference_engine: GraphEngine) -> None:
    """2008年,东湖街道东乐花园发动离退休老党员成立"党员议事会"。"""
    hits = run_catalog(reference_engine, "search_by_name", {"q": "东乐花园", "labels": ["Project", "Compound"], "limit": 10})
    project = next(h for h in hits if h["label"] == "Project")
    assert "党员议事会" in project["name"]
    assert run_catalog(reference_engine, "entity_by_id", {"id": project["id"]})[0]["n"]["launched"].year == 2008
    claimants = run_catalog(reference_engine, "project_claimants", {"id": project["id"]})
    assert [c["name"] for c in claimants] == ["东乐花园党支部"]
    by_year = run_catalog(reference_engine, "projects_by_year", {"as_of": AS_OF})
    assert any(r["year"] == 2008 and r["community_name"] == "乐群社区" for r in by_year)


def test_hongxiang_four_in_one_2012_then_8_compounds(reference_engine: GraphEngine) -> None:
    """2012年,在桂园街道鸿翔花园探索……"四位一体"党建模式……罗湖在8个小区推广了这一党建模式。"""
    rows = run_catalog(reference_engine, "four_in_one_compounds", {"as_of": AS_OF})
    assert len(rows) == 8
    assert rows[0]["name"] == "鸿翔花园" and rows[0]["completed"].year == 2012
    assert [r["name"] for r in run_catalog(reference_engine, "four_in_one_compounds", {"as_of": dt.date(2012, 12, 31)})] == ["鸿翔花园"]


def test_project_claiming_piloted_2013_in_heping_and_sunxi(reference_engine: GraphEngine) -> None:
    """2013年,罗湖在南湖街道和平社区、笋岗街道笋西社区进行试点……"社区党建项目认领"。"""
    rows = run_catalog(reference_engine, "projects_by_year", {"as_of": AS_OF})
    claimed_2013 = {r["community_name"] for r in rows if r["year"] == 2013 and r["claimed"]}
    assert claimed_2013 == {"和平社区", "笋西社区"}
    assert not any(r["claimed"] for r in rows if r["year"] < 2013 and r["community_name"] != "乐群社区")
    pilots = {r["community_name"]: r["projects"] for r in rows if r["year"] > 2013}
    assert len(pilots) > 50, "after the pilot, projects are claimed across the district"


def test_83_certified_community_centers_and_three_subdistrict_centers(reference_engine: GraphEngine) -> None:
    """确保全区83个社区党群服务中心全部达标;建成桂园、笋岗、东晓三个街道党群服务中心。"""
    levels = {r["level"]: r for r in run_catalog(reference_engine, "service_centers_by_level", {"as_of": AS_OF})}
    assert levels["社区"]["centers"] == levels["社区"]["certified"] == 83
    assert levels["街道"]["centers"] == 3
    names = {r["name"] for r in run_catalog(reference_engine, "search_by_name",
                                            {"q": "街道党群服务中心", "labels": ["ServiceCenter"], "limit": 10})}
    assert {"桂园街道党群服务中心", "笋岗街道党群服务中心", "东晓街道党群服务中心"} <= names


def test_8_liangxin_centers_and_business_district_centers(reference_engine: GraphEngine) -> None:
    """建成8个两新领域党群服务中心;在鸿隆世纪广场、人民南商圈、东门商圈等……建立党群服务中心。"""
    levels = {r["level"]: r for r in run_catalog(reference_engine, "service_centers_by_level", {"as_of": AS_OF})}
    assert levels["两新"]["centers"] == 8
    centers = run_catalog(reference_engine, "search_by_name", {"q": "党群服务中心", "labels": ["ServiceCenter"], "limit": 200})
    text = " ".join(c["name"] for c in centers)
    for place in ("鸿隆世纪广场", "人民南商圈", "东门商圈"):
        assert place in text


def test_83_community_party_committees_and_reserve_ratio(reference_engine: GraphEngine) -> None:
    """"1+83+N"……按不低于1:2比例建立社区党委书记后备干部队伍。"""
    levels = {r["level"]: r["orgs"] for r in run_catalog(reference_engine, "orgs_by_level", {"as_of": AS_OF})}
    assert levels["社区党委"] == 83
    assert levels["街道党工委"] == 10
    assert levels["区委"] == 1
    assert run_catalog(reference_engine, "committees_below_reserve_ratio", {"as_of": AS_OF, "ratio": 2}) == []


def test_lawyers_committee_and_shuibei_jewelry_park(reference_engine: GraphEngine) -> None:
    """成立罗湖区律师行业党委;强化水贝珠宝园区等产业领域的组织设置和覆盖。"""
    orgs = run_catalog(reference_engine, "orgs_named", {"q": "律师行业党委"})
    assert [o["level"] for o in orgs] == ["行业党委"]
    park = run_catalog(reference_engine, "search_by_name", {"q": "水贝珠宝园区", "labels": ["BusinessArea"], "limit": 5})
    assert len(park) == 1
    hood = answers.neighbors(reference_engine, {"id": park[0]["id"], "label": "BusinessArea"}, depth=1, types=["Enterprise"])
    assert len(hood.nodes) > 1, "enterprises are located in the park"


def test_coverage_grew_over_time(reference_engine: GraphEngine) -> None:
    """From the first building committee (2006) to 2018 coverage rises; the dataset has a history."""
    early = district_row_at(reference_engine, dt.date(2007, 1, 1))
    late = district_row_at(reference_engine, AS_OF)
    assert early["organizational"]["covered"] < late["organizational"]["covered"]


def district_row_at(engine: GraphEngine, as_of: dt.date) -> dict:
    return answers.coverage_summary(engine, "compound", "district", as_of=as_of)["rows"][0]
