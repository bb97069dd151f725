"""One hand-made, fully filled record of every node label and relationship type of the model."""

from __future__ import annotations

import datetime as dt
from typing import Any

from graph.model import NODE_MODELS, REL_MODELS

D = dt.date
NODES: dict[str, dict[str, Any]] = {
    "District": {"id": "440303", "name": "罗湖区"},
    "Subdistrict": {"id": "440303001", "name": "桂园街道"},
    "Community": {"id": "440303001011", "name": "老围社区", "valid_from": D(2001, 1, 1), "valid_to": D(2030, 1, 1)},
    "Compound": {"id": "cmp-0001", "name": "测试花园", "kind": "商品房", "households": 420, "address": "测试路1号",
                 "synthetic": True},
    "Building": {"id": "bld-0001", "name": "京基100", "floors": 100, "address": "深南东路5016号"},
    "BusinessArea": {"id": "ba-0001", "name": "人民南商圈", "kind": "商圈"},
    "Enterprise": {"id": "ent-0001", "name": "测试律师事务所", "kind": "社会组织", "industry": "律师", "employees": 35},
    "PartyOrg": {"id": "org-0001", "name": "京基100联合党委", "level": "联合党委", "formation": "联合建",
                 "founded": D(2012, 5, 1), "dissolved": D(2030, 1, 1)},
    "Member": {"id": "mem-0001", "name": "张某0001", "gender": "女", "birth_year": 1980, "joined": D(2005, 7, 1),
               "mobile": True, "category": "两新", "delegate": "区", "synthetic": True},
    "HometownGroup": {"id": "htg-0001", "name": "四川达州同乡村", "origin": "四川达州", "size": 800},
    "Project": {"id": "prj-0001", "name": "社区助老服务", "category": "民生服务", "launched": D(2013, 3, 1), "status": "已完成"},
    "ServiceCenter": {"id": "svc-0001", "name": "老围社区党群服务中心", "level": "社区", "certified": True,
                      "opened": D(2016, 6, 1)},
    "CompoundBody": {"id": "body-0001", "name": "测试花园业委会", "kind": "业委会"},
    "Fact": {"id": "fact-0001", "name": "小区数", "value": 929.0, "unit": "个", "tolerance": "about", "margin": 0.1,
             "as_of": D(2018, 12, 28), "publication": "读特", "sentence": "全区929个居民小区", "query": "coverage_compounds",
             "params": "{}", "metric": "sum:total", "gap": "/api/v1/coverage/gaps"},
    "Dataset": {"id": "ds-test", "name": "Test data", "scope": "test", "as_of": D(2018, 12, 28)},
}
RELS: dict[str, dict[str, Any]] = {
    "PART_OF": {"source": "440303001", "target": "440303", "since": D(1990, 1, 1)},
    "LOCATED_IN": {"source": "cmp-0001", "target": "440303001011", "since": D(2000, 1, 1), "until": D(2030, 1, 1)},
    "REPORTS_TO": {"source": "org-0001", "target": "org-0001"},
    "COVERS": {"source": "org-0001", "target": "cmp-0001", "mode": "organizational", "formation": "联合建",
               "since": D(2012, 5, 1)},
    "MEMBER_OF": {"source": "mem-0001", "target": "org-0001", "role": "secretary", "since": D(2012, 5, 1)},
    "RESERVE_FOR": {"source": "mem-0001", "target": "org-0001", "since": D(2018, 1, 1)},
    "LIVES_IN": {"source": "mem-0001", "target": "cmp-0001"},
    "WORKS_AT": {"source": "mem-0001", "target": "ent-0001"},
    "BELONGS_TO": {"source": "mem-0001", "target": "htg-0001"},
    "SERVES": {"source": "svc-0001", "target": "440303001011"},
    "RUN_BY": {"source": "svc-0001", "target": "org-0001"},
    "CLAIMED": {"source": "org-0001", "target": "prj-0001", "since": D(2013, 4, 1)},
    "LEADS": {"source": "org-0001", "target": "body-0001", "since": D(2012, 6, 1)},
    "DESCRIBES": {"source": "fact-0001", "target": "440303"},
}
ID_LABELS = {row["id"]: label for label, row in NODES.items()}


def validated_nodes() -> dict[str, dict[str, Any]]:
    """The sample nodes after model validation, as the loader would send them."""
    return {label: NODE_MODELS[label].model_validate(row).model_dump() for label, row in NODES.items()}


def validated_rels() -> dict[str, dict[str, Any]]:
    return {t: REL_MODELS[t].model_validate(row).model_dump() for t, row in RELS.items()}


def assert_samples_cover_model() -> None:
    assert set(NODES) == set(NODE_MODELS) and set(RELS) == set(REL_MODELS)
