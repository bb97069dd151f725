"""The "Luohu 2018" reference generator: determinism, valid rows, and every seed figure, read back from the files.

The figures are recomputed here in plain Python from the CSV files (the database-level checks run the
catalog's Cypher queries elsewhere), with the same coverage rule the queries use: a COVERS row counts
at date D when its organization is founded by D (or undated) and not dissolved by D, and the row's
own since/until hold (``since <= D``, ``until`` empty or after D).
"""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graph.model import NODE_MODELS, REL_MODELS
from loaders.bundle import read_manifest
from loaders.reference import generate
from loaders.reference.real import DATA_DIR
from loaders.validate import validate_bundle

AS_OF = dt.date(2018, 12, 28)
PILOTS = {"440303005013", "440303006014"}

Row = dict[str, Any]


@dataclass
class Bundle:
    root: Path
    nodes: dict[str, list[Row]]
    rels: dict[str, list[Row]]

    def by_id(self, label: str) -> dict[str, Row]:
        return {r["id"]: r for r in self.nodes[label] if r["id"] is not None}

    def label_of(self) -> dict[str, str]:
        return {r["id"]: label for label, rows in self.nodes.items() for r in rows if r["id"] is not None}


def _read(path: Path) -> list[Row]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(handle)]


def _load(root: Path) -> Bundle:
    manifest = read_manifest(root)
    nodes: dict[str, list[Row]] = {label: [] for label in NODE_MODELS}
    rels: dict[str, list[Row]] = {rel_type: [] for rel_type in REL_MODELS}
    for f in manifest.files:
        (nodes if f.kind == "node" else rels)[f.name] = _read(root / f.path)
    return Bundle(root, nodes, rels)


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _valid(rel: Row, at: dt.date) -> bool:
    since, until = _date(rel.get("since")), _date(rel.get("until"))
    return (since is None or since <= at) and (until is None or until > at)


def _org_alive(org: Row, at: dt.date) -> bool:
    founded, dissolved = _date(org["founded"]), _date(org["dissolved"])
    return (founded is None or founded <= at) and (dissolved is None or dissolved > at)


def _covered(b: Bundle, targets: Iterable[str], at: dt.date, modes: tuple[str, ...]) -> set[str]:
    wanted = set(targets)
    orgs = b.by_id("PartyOrg")
    return {r["target"] for r in b.rels["COVERS"]
            if r["target"] in wanted and r["mode"] in modes and _valid(r, at) and _org_alive(orgs[r["source"]], at)}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("luohu") / "a"
    generate(out)
    return out


@pytest.fixture(scope="module")
def b(root: Path) -> Bundle:
    return _load(root)


# ------------------------------------------------------------------------------ the files


def test_deterministic_for_a_seed(root: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    generate(again, seed=2018)
    generate(other, seed=7)
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert filecmp.cmp(root / rel, again / rel, shallow=False), f"{rel} differs between two runs with the same seed"
    # Real records do not depend on the seed; invented ones do.
    for name in ("nodes/District.csv", "nodes/Subdistrict.csv", "nodes/Community.csv"):
        assert filecmp.cmp(root / name, other / name, shallow=False), name
    for name in ("nodes/Member.csv", "nodes/Compound.csv", "rels/COVERS.csv"):
        assert not filecmp.cmp(root / name, other / name, shallow=False), name


def test_manifest(root: Path) -> None:
    manifest = read_manifest(root)
    assert (manifest.name, manifest.scope, manifest.as_of, manifest.synthetic) == ("Luohu 2018", "luohu-2018", AS_OF, True)
    assert json.loads((root / "manifest.json").read_text(encoding="utf-8"))["files"]


def test_every_row_validates(b: Bundle) -> None:
    for label, rows in b.nodes.items():
        for row in rows:
            NODE_MODELS[label].model_validate({k: v for k, v in row.items() if v is not None})
    for rel_type, rows in b.rels.items():
        for row in rows:
            REL_MODELS[rel_type].model_validate({k: v for k, v in row.items() if v is not None})


def test_ids_unique_and_endpoints_allowed(b: Bundle) -> None:
    ids = Counter(r["id"] for rows in b.nodes.values() for r in rows)
    assert [i for i, n in ids.items() if n > 1] == []
    labels = b.label_of()
    for rel_type, rows in b.rels.items():
        allowed = set(REL_MODELS[rel_type].endpoints)
        pairs = Counter((r["source"], r["target"]) for r in rows)
        assert [p for p, n in pairs.items() if n > 1] == [], f"duplicate {rel_type} rows"
        for r in rows:
            assert r["source"] in labels and r["target"] in labels, (rel_type, r)
            assert (labels[r["source"]], labels[r["target"]]) in allowed, (rel_type, r)


def test_bundle_validator_accepts_it(root: Path) -> None:
    report = validate_bundle(root)
    assert report.ok, [str(p) for p in report.problems[:10]]


def test_real_and_synthetic_marks(b: Bundle) -> None:
    for label in ("District", "Subdistrict", "Community"):
        assert all(r["synthetic"] == "false" for r in b.nodes[label])
    assert all(r["synthetic"] == "true" and re.fullmatch(r".某\d{4}", r["name"] or "") for r in b.nodes["Member"])
    real_buildings = {r["name"] for r in b.nodes["Building"] if r["synthetic"] == "false"}
    assert {"京基100", "信兴广场(地王大厦)", "鸿隆世纪广场"} <= real_buildings
    real_compounds = {r["name"] for r in b.nodes["Compound"] if r["synthetic"] == "false"}
    assert real_compounds == {"东乐花园", "鸿翔花园"}


# ------------------------------------------------------------------- administrative units


def test_administrative_units(b: Bundle) -> None:
    assert [(r["id"], r["name"]) for r in b.nodes["District"]] == [("440303", "罗湖区")]
    assert len(b.nodes["Subdistrict"]) == 10
    communities = b.nodes["Community"]

    def valid_at(day: dt.date) -> set[str]:
        return {r["id"] for r in communities
                if (_date(r["valid_from"]) or dt.date.min) <= day <= (_date(r["valid_to"]) or dt.date.max)}

    with open(DATA_DIR / "communities_nbs2016.csv", encoding="utf-8") as f2016:
        assert valid_at(AS_OF) == {r["community_code"] for r in csv.DictReader(f2016)}
    assert len(valid_at(dt.date(2020, 6, 30))) == 112
    with open(DATA_DIR / "communities_nbs2023.csv", encoding="utf-8") as f2023:
        assert valid_at(dt.date(2023, 6, 30)) == {r["community_code"] for r in csv.DictReader(f2023)}
    part_of = {r["source"]: r["target"] for r in b.rels["PART_OF"]}
    assert all(part_of[r["id"]] == r["id"][:9] for r in communities)
    assert all(part_of[r["id"]] == "440303" for r in b.nodes["Subdistrict"])


# --------------------------------------------------------------------------- organizations


def test_org_tree_and_secretaries(b: Bundle) -> None:
    orgs = b.by_id("PartyOrg")
    parent: dict[str, str] = {}
    for r in b.rels["REPORTS_TO"]:
        assert r["source"] not in parent
        parent[r["source"]] = r["target"]
    assert set(orgs) - set(parent) == {"org-luohu"}
    for org in orgs:
        seen = set()
        while org != "org-luohu":
            assert org not in seen
            seen.add(org)
            org = parent[org]
    secretaries = Counter(r["target"] for r in b.rels["MEMBER_OF"] if r["role"] == "secretary" and _valid(r, AS_OF))
    alive = [o for o, row in orgs.items() if _org_alive(row, AS_OF)]
    assert [o for o in alive if secretaries[o] != 1] == []
    current = Counter(r["source"] for r in b.rels["MEMBER_OF"] if r["until"] is None)
    assert set(current.values()) == {1} and len(current) == len(b.nodes["Member"])


def test_community_committees(b: Bundle) -> None:
    orgs = b.by_id("PartyOrg")
    committees = {o for o, r in orgs.items() if r["level"] == "社区党委" and _org_alive(r, AS_OF)}
    assert len(committees) == 83
    parent = {r["source"]: r["target"] for r in b.rels["REPORTS_TO"]}
    assert sum(parent[c] == "org-sd-440303001" for c in committees) == 8  # 桂园: 8 workstations
    streets = [o for o, r in orgs.items() if r["level"] == "街道党工委"]
    assert len(streets) == 10 and all(parent[s] == "org-luohu" for s in streets)
    covered_by: dict[str, list[str]] = defaultdict(list)
    for r in b.rels["COVERS"]:
        if r["source"] in committees and r["target"].isdigit() and r["mode"] == "organizational" and _valid(r, AS_OF):
            covered_by[r["target"]].append(r["source"])
    valid = {r["id"] for r in b.nodes["Community"] if r["valid_from"] is None}
    assert set(covered_by) == valid and all(len(v) == 1 for v in covered_by.values())
    assert covered_by["440303005015"] == covered_by["440303005001"]  # 罗湖 workstation covers 罗湖 and 友谊
    streets_cover = {r["source"]: r["target"] for r in b.rels["COVERS"] if r["source"] in streets}
    assert all(streets_cover[s] == s.removeprefix("org-sd-") for s in streets)
    # Reserve cadres: one secretary and at least two reserves per committee (1:2).
    secretaries = Counter(r["target"] for r in b.rels["MEMBER_OF"] if r["role"] == "secretary" and _valid(r, AS_OF))
    reserves = Counter(r["target"] for r in b.rels["RESERVE_FOR"] if _valid(r, AS_OF))
    assert all(secretaries[c] == 1 and reserves[c] / secretaries[c] >= 2 for c in committees)


def test_service_centers(b: Bundle) -> None:
    centers = b.by_id("ServiceCenter")
    run_by = {r["source"]: r["target"] for r in b.rels["RUN_BY"]}
    orgs = b.by_id("PartyOrg")
    community_centers = [c for c, r in centers.items() if r["level"] == "社区" and r["certified"] == "true"]
    assert len(community_centers) == 83
    assert {run_by[c] for c in community_centers} == {o for o, r in orgs.items() if r["level"] == "社区党委"}
    streets = {r["name"] for r in centers.values() if r["level"] == "街道"}
    assert streets == {"桂园街道党群服务中心", "笋岗街道党群服务中心", "东晓街道党群服务中心"}
    assert sum(r["level"] == "两新" for r in centers.values()) == 8
    assert sum(r["level"] == "区" for r in centers.values()) == 1
    serves = defaultdict(set)
    for r in b.rels["SERVES"]:
        serves[r["source"]].add(r["target"])
    named = {r["name"]: c for c, r in centers.items()}
    buildings = {r["name"]: i for i, r in b.by_id("Building").items()}
    assert serves[named["鸿隆世纪广场党群服务中心"]] == {buildings["鸿隆世纪广场"]}
    assert serves[named["人民南商圈党群服务中心"]] == {"ba-01"} and centers[named["人民南商圈党群服务中心"]]["level"] == "商圈"
    assert serves[named["东门商圈党群服务中心"]] == {"ba-02"} and centers[named["东门商圈党群服务中心"]]["level"] == "商圈"


# ------------------------------------------------------------------------------ compounds


def test_compound_coverage(b: Bundle) -> None:
    compounds = [r["id"] for r in b.nodes["Compound"]]
    assert len(compounds) == 929
    assert sum(r["kind"] == "城中村" for r in b.nodes["Compound"]) == 42
    organizational = _covered(b, compounds, AS_OF, ("organizational",))
    work = _covered(b, compounds, AS_OF, ("organizational", "work"))
    assert len(organizational) == 920 and round(100 * len(organizational) / 929) == 99
    assert len(work) == 929
    # History: coverage grows, with the 2017 reorganization as the big step.
    rates = [len(_covered(b, compounds, dt.date(y, 12, 31), ("organizational",))) for y in (2009, 2012, 2016, 2017)]
    assert rates == sorted(rates) and rates[-1] < 920 and rates[0] < 400
    formations = Counter(r["formation"] for r in b.rels["COVERS"]
                         if r["target"].startswith("cmp-") and r["mode"] == "organizational" and r["until"] is None)
    assert set(formations) == {"单独建", "联合建", "挂靠建"}
    # 联合建: 2-4 compounds of one community.
    located = {r["source"]: r["target"] for r in b.rels["LOCATED_IN"]}
    joint: dict[str, list[str]] = defaultdict(list)
    for r in b.rels["COVERS"]:
        if r["target"].startswith("cmp-") and r["formation"] == "联合建" and r["source"].startswith("org-br-"):
            joint[r["source"]].append(r["target"])
    assert joint and all(2 <= len(v) <= 4 and len({located[c] for c in v}) == 1 for v in joint.values())


def test_special_compounds_and_four_in_one(b: Bundle) -> None:
    compounds = {r["name"]: r["id"] for r in b.nodes["Compound"]}
    located = {r["source"]: r["target"] for r in b.rels["LOCATED_IN"]}
    assert located[compounds["东乐花园"]] == "440303007009" and located[compounds["鸿翔花园"]] == "440303001016"
    bodies = b.by_id("CompoundBody")
    body_compound = {r["source"]: r["target"] for r in b.rels["PART_OF"] if r["source"].startswith("body-")}
    leads = {r["target"]: r for r in b.rels["LEADS"]}
    org_cover = {(r["source"], r["target"]) for r in b.rels["COVERS"] if r["mode"] == "organizational" and _valid(r, AS_OF)}
    led_kinds: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, set[str]] = defaultdict(set)
    for body, compound in body_compound.items():
        kinds[compound].add(bodies[body]["kind"] or "")
        lead = leads.get(body)
        if lead is not None and _valid(lead, AS_OF) and (lead["source"], compound) in org_cover:
            led_kinds[compound].add(bodies[body]["kind"] or "")
    full = {"居民小组", "业委会", "物业服务企业"}
    four = sorted(c for c, k in led_kinds.items() if k == full)
    assert len(four) == 8 and compounds["鸿翔花园"] in four
    starts = {c: min(dt.date.fromisoformat(leads[body]["since"]) for body, cc in body_compound.items() if cc == c) for c in four}
    assert starts[compounds["鸿翔花园"]] == min(starts.values()) and starts[compounds["鸿翔花园"]].year == 2012
    assert all(2013 <= s.year <= 2018 for c, s in starts.items() if c != compounds["鸿翔花园"])
    assert any(0 < len(k) < 3 for k in kinds.values())  # the gap list: compounds short of bodies


# ------------------------------------------------------------------------- towers, 两新


def test_towers(b: Bundle) -> None:
    buildings = b.by_id("Building")
    towers = [i for i, r in buildings.items() if int(r["floors"] or 0) >= 20]
    assert len(towers) == 31
    assert _covered(b, towers, AS_OF, ("organizational",)) == set(towers)
    low = [i for i, r in buildings.items() if int(r["floors"] or 0) < 20]
    low_covered = _covered(b, low, AS_OF, ("organizational",))
    assert 0 < len(low_covered) < len(low)
    orgs = b.by_id("PartyOrg")
    named = {r["name"]: i for i, r in orgs.items()}
    dw, jj = orgs[named["地王大厦联合党委"]], orgs[named["京基100联合党委"]]
    assert (dw["founded"] or "").startswith("2006-08") and dw["level"] == "联合党委"
    assert (jj["founded"] or "").startswith("2012")
    covers = defaultdict(set)
    for r in b.rels["COVERS"]:
        covers[r["source"]].add(r["target"])
    building_name = {i: r["name"] for i, r in buildings.items()}
    assert "信兴广场(地王大厦)" in {building_name.get(t) for t in covers[named["地王大厦联合党委"]]}
    assert "京基100" in {building_name.get(t) for t in covers[named["京基100联合党委"]]}
    building_orgs = {r["source"] for r in b.rels["COVERS"] if r["target"] in buildings}
    assert min(building_orgs, key=lambda o: orgs[o]["founded"] or "9999") == named["地王大厦联合党委"]
    assert any(len(ts & set(buildings)) > 1 for ts in covers.values())  # cross-links
    rmn = orgs[named["人民南商圈党委"]]
    assert rmn["founded"] == "2018-12-05"
    assert sum(r["target"] == rmn["id"] for r in b.rels["REPORTS_TO"]) == 10


def test_two_new(b: Bundle) -> None:
    orgs = b.by_id("PartyOrg")
    named = {r["name"]: i for i, r in orgs.items()}
    lawyers = orgs[named["罗湖区律师行业党委"]]
    parent = {r["source"]: r["target"] for r in b.rels["REPORTS_TO"]}
    assert lawyers["level"] == "行业党委" and parent[lawyers["id"]] == "org-luohu"
    enterprises = b.by_id("Enterprise")
    industries = Counter(r["industry"] for r in enterprises.values())
    assert {"金融", "商贸", "商务服务", "珠宝", "律师"} <= set(industries)
    located = {r["source"]: r["target"] for r in b.rels["LOCATED_IN"]}
    assert all(located[i] == "ba-03" for i, r in enterprises.items() if r["industry"] == "珠宝")
    law_orgs = {r["source"] for r in b.rels["COVERS"] if enterprises.get(r["target"], {}).get("industry") == "律师"}
    assert law_orgs and all(parent[o] == lawyers["id"] for o in law_orgs)
    covered = _covered(b, enterprises, AS_OF, ("organizational",))
    assert len(enterprises) / 2 < len(covered) < len(enterprises)
    # The gap rule has rows: 3+ members at work but no branch of their own.
    staff = Counter(r["target"] for r in b.rels["WORKS_AT"])
    own = {r["target"] for r in b.rels["COVERS"] if r["formation"] == "单独建" and r["target"] in enterprises}
    assert sum(1 for e, n in staff.items() if n >= 3 and e not in own) >= 3
    # About 300 两新 members recruited 2014-2018, 39 两新 delegates (all of them among those recruits).
    members = b.nodes["Member"]
    two_new = [r for r in members if r["category"] == "两新"]
    assert {r["id"] for r in two_new} == {r["source"] for r in b.rels["WORKS_AT"]}
    recruits = [r for r in two_new if dt.date(2014, 1, 1) <= _date(r["joined"]) <= AS_OF]  # type: ignore[operator]
    assert 270 <= len(recruits) <= 330
    delegates = [r for r in two_new if r["delegate"] in ("区", "市")]
    assert len(delegates) == 39 and {r["id"] for r in delegates} <= {r["id"] for r in recruits}


# -------------------------------------------------------------------------- mobile members


def test_mobile_branches(b: Bundle) -> None:
    orgs = b.by_id("PartyOrg")
    mobile = {o: r for o, r in orgs.items() if r["level"] == "流动党支部"}
    assert len(mobile) == 12
    serves = defaultdict(list)
    for r in b.rels["SERVES"]:
        if r["source"] in mobile:
            serves[r["source"]].append(r["target"])
    assert set(serves) == set(mobile) and all(len(v) == 1 for v in serves.values())
    located = {r["source"]: r["target"] for r in b.rels["LOCATED_IN"]}
    part_of = {r["source"]: r["target"] for r in b.rels["PART_OF"]}
    assert len({part_of[located[v[0]]] for v in serves.values()}) == 10
    first = min(mobile.values(), key=lambda r: r["founded"] or "")
    assert (first["founded"] or "").startswith("2007") and first["name"] == "黄贝岭社区四川达州流动党支部"
    group = b.by_id("HometownGroup")[serves[first["id"]][0]]
    assert located[group["id"]] == "440303002003" and group["origin"] == "四川达州"
    mobile_members = {r["id"] for r in b.nodes["Member"] if r["mobile"] == "true"}
    assert 450 <= len(mobile_members) <= 550
    assert {r["source"] for r in b.rels["MEMBER_OF"] if r["target"] in mobile} == mobile_members
    assert {r["source"] for r in b.rels["BELONGS_TO"]} == mobile_members


# -------------------------------------------------------------------------------- projects


def test_projects(b: Bundle) -> None:
    projects = b.by_id("Project")
    located = {r["source"]: r["target"] for r in b.rels["LOCATED_IN"] if r["source"] in projects}
    in_2013 = [p for p, r in projects.items() if (r["launched"] or "").startswith("2013")]
    assert in_2013 and {located[p] for p in in_2013} == PILOTS
    claims = defaultdict(list)
    for r in b.rels["CLAIMED"]:
        claims[r["target"]].append(r)
    assert all(claims[p] and all((c["since"] or "").startswith("2013") for c in claims[p]) for p in in_2013)
    assert min(c["since"] or "" for c in b.rels["CLAIMED"]).startswith("2013")
    valid = {r["id"] for r in b.nodes["Community"] if r["valid_from"] is None}
    per_community = Counter(located.values())
    assert set(per_community) == valid
    assert min(per_community[c] for c in PILOTS) > max(n for c, n in per_community.items() if c not in PILOTS)
    assert {r["category"] for r in projects.values()} == {"党建创新", "民生服务", "公益活动", "志愿服务"}
    unclaimed = [p for p in projects if not claims[p]]
    assert unclaimed and all(projects[p]["status"] == "进行中" for p in unclaimed)
    labels = b.label_of()
    assert {labels[r["source"]] for r in b.rels["CLAIMED"]} == {"PartyOrg", "Member", "Enterprise"}
    dongle = next(r for r in projects.values() if r["name"] == "东乐花园党员议事会")
    assert dongle["category"] == "党建创新" and (dongle["launched"] or "").startswith("2008")
    assert located[dongle["id"]] == "440303007009"
    dongle_compound = next(r["id"] for r in b.nodes["Compound"] if r["name"] == "东乐花园")
    branch = next(r["source"] for r in b.rels["COVERS"] if r["target"] == dongle_compound and r["mode"] == "organizational")
    assert [c["source"] for c in claims[dongle["id"]]] == [branch]


def test_members_about_twelve_thousand(b: Bundle) -> None:
    assert 11_000 <= len(b.nodes["Member"]) <= 13_000
    lives = Counter(r["source"] for r in b.rels["LIVES_IN"])
    assert set(lives.values()) == {1}
