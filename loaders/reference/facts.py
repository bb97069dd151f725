"""The published figures of the seed article, as ``Fact`` rows: value, tolerance, sentence, and the
catalog query that computes each (see ``queries/facts.py``)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

SOURCE = "读特 2018-12-28《从“质量党建”到“力量党建” 罗湖基层党建阶梯式跨越发展》"
AS_OF = dt.date(2018, 12, 28)
DISTRICT = "440303"

# id suffix, title, value, unit, tolerance, margin, query, params, metric, sentence, gap list, what it describes
FACTS: list[tuple[str, str, float, str, str, float, str, dict[str, Any], str, str, str | None, list[str]]] = [
    ("compounds", "居民小区数", 929, "个", "exact", 0, "coverage_compounds", {}, "sum:total",
     "全区929个居民小区党的组织覆盖率达99%,工作覆盖率已达100%。", None, [DISTRICT]),
    ("compounds-org", "居民小区党的组织覆盖率", 99, "%", "exact", 0, "coverage_compounds", {},
     "pct:organizational_covered/total", "全区929个居民小区党的组织覆盖率达99%", "/api/v1/coverage/gaps?target=compound",
     [DISTRICT]),
    ("compounds-work", "居民小区党的工作覆盖率", 100, "%", "exact", 0, "coverage_compounds", {}, "pct:work_covered/total",
     "工作覆盖率已达100%。", "/api/v1/coverage/gaps?target=compound&mode=work", [DISTRICT]),
    ("towers", "20层以上商务楼宇数", 31, "栋", "exact", 0, "coverage_buildings", {"min_floors": 20}, "sum:total",
     "截至2018年,全区31栋20层以上商务楼宇已全部建成党组织。", None, [DISTRICT]),
    ("towers-org", "20层以上商务楼宇党组织覆盖率", 100, "%", "exact", 0, "coverage_buildings", {"min_floors": 20},
     "pct:organizational_covered/total", "全区31栋20层以上商务楼宇已全部建成党组织。",
     "/api/v1/coverage/gaps?target=building&min_floors=20", [DISTRICT]),
    ("mobile-branches", "同乡村流动党支部数", 12, "个", "exact", 0, "mobile_branches", {}, "count",
     "目前,全区共有10个街道建立了12个“同乡村”流动党支部", "/api/v1/coverage/gaps/hometown-groups-without-branch", [DISTRICT]),
    ("mobile-subdistricts", "建立流动党支部的街道数", 10, "个", "exact", 0, "mobile_branches", {}, "distinct:subdistrict_id",
     "全区共有10个街道建立了12个“同乡村”流动党支部", None, [DISTRICT]),
    ("mobile-members", "流动党员数", 500, "名", "about", 0.1, "mobile_branches", {}, "sum:mobile_members",
     "管理流动党员近500名。", None, [DISTRICT]),
    ("liangxin-recruits", "近5年发展两新组织党员数", 300, "名", "about", 0.1, "members_recruited",
     {"category": "两新", "from": "2014-01-01", "to": "2018-12-28"}, "first:recruited",
     "近5年来共发展了约300名“两新组织”党员", None, [DISTRICT]),
    ("liangxin-delegates", "两新领域党代表数", 39, "名", "exact", 0, "members_recruited",
     {"category": "两新", "from": "2014-01-01", "to": "2018-12-28"}, "first:delegates",
     "“两新”领域内39名党员当选市、区党代表。", None, [DISTRICT]),
    ("four-in-one", "推广“四位一体”模式的小区数", 8, "个", "exact", 0, "four_in_one_compounds", {}, "count",
     "经过多年探索,罗湖在8个小区推广了这一党建模式。", "/api/v1/coverage/gaps/compounds-short-of-four-in-one", [DISTRICT]),
    ("community-centers", "达标社区党群服务中心数", 83, "个", "exact", 0, "service_centers_by_level", {},
     "pick:level=社区:certified", "确保全区83个社区党群服务中心全部达标。",
     "/api/v1/coverage/gaps/communities-without-certified-center", [DISTRICT]),
    ("community-committees", "社区党委数", 83, "个", "exact", 0, "orgs_by_level", {}, "pick:level=社区党委:orgs",
     "打造“1+83+N”三级党群服务中心联盟体系", None, [DISTRICT]),
    ("subdistrict-centers", "街道党群服务中心数", 3, "个", "exact", 0, "service_centers_by_level", {}, "pick:level=街道:centers",
     "建成桂园、笋岗、东晓三个街道党群服务中心", None, ["440303001", "440303006", "440303009"]),
    ("liangxin-centers", "两新领域党群服务中心数", 8, "个", "exact", 0, "service_centers_by_level", {}, "pick:level=两新:centers",
     "建成8个两新领域党群服务中心。", None, [DISTRICT]),
    ("reserve-ratio", "后备干部不足1:2的社区党委数", 0, "个", "exact", 0, "committees_below_reserve_ratio", {"ratio": 2}, "count",
     "按不低于1:2比例建立社区党委书记后备干部队伍。", "/api/v1/coverage/gaps/committees-below-reserve-ratio", [DISTRICT]),
]


def fact_rows() -> Iterator[dict[str, Any]]:
    """The Fact node rows (real published figures: synthetic=false)."""
    for key, title, value, unit, tolerance, margin, query, params, metric, sentence, gap, _ in FACTS:
        yield {"id": f"fact-{key}", "name": title, "value": float(value), "unit": unit, "tolerance": tolerance,
               "margin": float(margin), "as_of": AS_OF, "publication": SOURCE, "sentence": sentence, "query": query,
               "params": json.dumps(params, ensure_ascii=False, sort_keys=True), "metric": metric, "gap": gap,
               "synthetic": False}


def describes_rows() -> Iterator[dict[str, Any]]:
    """What each fact is about."""
    for key, *_, about in FACTS:
        for target in about:
            yield {"source": f"fact-{key}", "target": target}
