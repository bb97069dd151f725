"""Small hand-built bundles with known answers, shared by the loader and API tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from loaders.bundle import BundleWriter


def small_bundle(root: Path) -> Path:
    """Three compounds in one community: organizational, work-only and uncovered; one tower of 25 floors
    covered from 2010, one of 10 floors uncovered."""
    with BundleWriter(root, name="small", scope="small", as_of=dt.date(2020, 1, 1)) as w:
        w.write_nodes("District", [{"id": "440303", "name": "罗湖区"}])
        w.write_nodes("Subdistrict", [{"id": "440303001", "name": "桂园街道"}])
        w.write_nodes("Community", [{"id": "440303001011", "name": "老围社区"}])
        w.write_nodes("Compound", [{"id": f"cmp-{i}", "name": f"小区{i}", "kind": "商品房"} for i in (1, 2, 3)])
        w.write_nodes("Building", [{"id": "bld-1", "name": "高楼", "floors": 25}, {"id": "bld-2", "name": "矮楼", "floors": 10}])
        w.write_nodes("PartyOrg", [
            {"id": "org-d", "name": "区委", "level": "区委"},
            {"id": "org-s", "name": "街道党工委", "level": "街道党工委"},
            {"id": "org-c", "name": "老围社区党委", "level": "社区党委"},
            {"id": "org-b", "name": "支部", "level": "党支部", "founded": dt.date(2010, 1, 1)},
        ])
        w.write_rels("PART_OF", [{"source": "440303001", "target": "440303"}, {"source": "440303001011", "target": "440303001"}])
        w.write_rels("LOCATED_IN", [{"source": s, "target": "440303001011"} for s in ("cmp-1", "cmp-2", "cmp-3", "bld-1", "bld-2")])
        w.write_rels("REPORTS_TO", [{"source": "org-s", "target": "org-d"}, {"source": "org-c", "target": "org-s"},
                                    {"source": "org-b", "target": "org-c"}])
        w.write_rels("COVERS", [
            {"source": "org-s", "target": "440303001", "mode": "organizational"},
            {"source": "org-c", "target": "440303001011", "mode": "organizational"},
            {"source": "org-b", "target": "cmp-1", "mode": "organizational", "formation": "单独建"},
            {"source": "org-c", "target": "cmp-2", "mode": "work"},
            {"source": "org-b", "target": "bld-1", "mode": "organizational", "formation": "联合建"},
        ])
    return root
