"""Example parameters for every catalog query on the reference dataset.

Real ids of the Luohu 2018 reference dataset, and some that find nothing. The generator keeps the
scale-1 ids at every scale (it adds entities, it does not rename them), so the same examples serve the
differential tests (``tests/test_catalog.py``, scale 1) and the query-plan benchmark (``bench/plans.py``,
scale 100 by default), which checks that every id below exists in the database it profiles.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "dataset_as_of": [{}],
    "coverage_compounds": [{}, {"as_of": "2010-01-01"}, {"as_of": "2016-06-30"}],
    "coverage_buildings": [{}, {"min_floors": 1}, {"as_of": "2008-01-01"}],
    "coverage_enterprises": [{}, {"as_of": "2015-01-01"}],
    "coverage_buildings_by_floors": [{"as_of": "2018-12-28"}, {"as_of": "2008-01-01"}],
    "coverage_rollup": [{"counted": "compound", "as_of": "2018-12-28"}, {"counted": "building", "as_of": "2018-12-28"},
                        {"counted": "building", "as_of": "2018-12-28", "min_floors": 20},
                        {"counted": "enterprise", "as_of": "2018-12-28"}, {"counted": "compound", "as_of": "2010-01-01"}],
    "coverage_rollups": [{}],
    "coverage_units": [{}],
    "coverage_intervals": [{}],
    "community_areas": [{}],
    "gaps_compounds": [{}, {"mode": "work"}, {"subdistrict": "440303001"}, {"community": "440303001011"},
                       {"as_of": "2012-12-31", "mode": "work"}],
    "gaps_buildings": [{"min_floors": 1}, {"min_floors": 1, "mode": "work", "subdistrict": "440303005"}],
    "gaps_enterprises": [{}, {"mode": "work", "subdistrict": "440303004"}],
    "enterprises_without_own_branch": [{}, {"min_members": 5}],
    "communities_without_certified_center": [{}, {"as_of": "2015-01-01"}],
    "committees_below_reserve_ratio": [{}, {"ratio": 3}],
    "hometown_groups_without_branch": [{}, {"as_of": "2006-01-01"}],
    "unclaimed_projects": [{}],
    "compounds_short_of_four_in_one": [{}],
    "four_in_one_compounds": [{}, {"as_of": "2013-06-30"}],
    "entity_by_id": [{"id": "org-luohu"}, {"id": "440303002003"}, {"id": "nothing-here"}],
    "org_parents": [{"id": "org-mb-01"}, {"id": "org-luohu"}, {"id": "org-cc-440303005013"}],
    "org_chain": [{"id": "org-mb-01"}, {"id": "org-luohu"}],
    "org_subtree": [{"id": "org-luohu", "depth": 2}, {"id": "org-luohu", "depth": 12}],
    "neighbors_one": [{"id": "org-luohu"}, {"id": "440303002003"}, {"id": "htg-01"}, {"id": "nothing-here"}],
    "neighbors_least": [{"ids": ["org-mb-01"], "seen": ["org-mb-01"], "k": 5},
                        {"ids": ["440303002003"], "seen": ["440303002003", "440303002"], "labels": ["Compound", "PartyOrg"], "k": 3},
                        {"ids": ["htg-01", "htg-02", "nothing-here"], "seen": ["htg-01", "htg-02"], "k": 1000},
                        {"ids": ["cmp-000001"], "seen": ["cmp-000001"], "labels": ["Fact"], "k": 10}],
    "neighbors_hood": [{"id": "org-mb-01", "k": 5}, {"id": "440303002003", "labels": ["Compound", "PartyOrg"], "k": 3},
                       {"id": "cmp-000001", "k": 500}, {"id": "htg-01", "labels": ["Fact"], "k": 10}, {"id": "nothing-here", "k": 5}],
    "neighbors_degree": [{"ids": ["org-mb-01"]}, {"ids": ["440303002003", "440303002001"]}, {"ids": ["nothing-here", "htg-02"]}],
    "neighbors_links": [{"ids": ["org-mb-01", "org-luohu"], "kept": ["440303002003", "htg-01", "org-luohu", "org-mb-01"]},
                        {"ids": ["cmp-000001", "cmp-000002", "nothing-here"], "kept": ["440303001001"]}],
    "nodes_by_ids": [{"ids": ["org-luohu", "org-mb-01", "nothing-here"]}, {"ids": ["440303002003"]}],
    "nodes_by_any_ids": [{"ids": ["org-luohu", "440303002003", "cmp-000001", "mem-0000001", "nothing-here"]}],
    "neighbors_step": [{"ids": ["org-luohu"]}, {"ids": ["440303002003", "440303002001"]}, {"ids": ["htg-01", "htg-02"]}],
    "shortest_path": [{"source": "htg-01", "target": "org-luohu"}, {"source": "440303001011", "target": "440303009001"}],
    "least_shortest_path": [{"source": "htg-01", "target": "org-luohu"}, {"source": "440303001011", "target": "440303009001"},
                            {"source": "cmp-000001", "target": "cmp-000002", "max_length": 3}],
    "path_step": [{"ids": ["org-luohu"]}, {"ids": ["440303002003", "440303002001"]}, {"ids": ["htg-01", "htg-02", "nothing-here"]}],
    "path_step_any": [{"ids": ["org-mb-01", "440303002003", "cmp-000001", "nothing-here"]}],
    "path_edges": [{"pairs": [{"source": "440303002003", "target": "440303002"}]}],
    "common_neighbors": [{"source": "440303002003", "target": "440303002001"}, {"source": "org-luohu", "target": "440303"}],
    "hometown_group_members": [{"id": "htg-01"}],
    "projects_claimed_by": [{"id": "org-cc-440303005013"}],
    "project_claimants": [{"id": "prj-000001"}],
    "search_by_name": [{"q": "花园", "labels": ["Compound"], "limit": 50}, {"q": "党委", "labels": ["PartyOrg"], "offset": 10}],
    "search_page": [{"q": "花园", "labels": ["Compound", "Project"], "limit": 50}, {"q": "党支部", "labels": ["PartyOrg"], "offset": 10},
                    {"q": "罗湖", "labels": ["District", "Subdistrict", "Community", "PartyOrg", "Fact"]},
                    {"q": "湖", "labels": ["Community"]}],
    "search_count": [{"q": "社区", "labels": ["Community", "PartyOrg", "ServiceCenter"]}],
    "mobile_branches": [{}, {"as_of": "2010-01-01"}],
    "members_recruited": [{}, {"category": "离退休", "from": "2000-01-01"}],
    "orgs_by_level": [{}, {"as_of": "2010-01-01"}],
    "service_centers_by_level": [{}],
    "projects_by_year": [{}],
    "orgs_named": [{"q": "联合党委"}],
    "facts": [{}],
    "community_coverage": [{"community": "440303001011"}, {"community": "440303001011", "min_floors": 1, "as_of": "2010-01-01"},
                           {"community": "440303002003"}, {"community": "nothing-here"}],
    "org_cross_links": [{"ids": ["org-luohu", "org-mb-01", "org-bd-jj100", "org-bd-dw", "org-mb-12"]}],
}

ABSENT_IDS: frozenset[str] = frozenset({"nothing-here"})
"""Ids of the examples above that exist at no scale, on purpose (a lookup that finds nothing)."""
