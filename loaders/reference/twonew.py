"""两新组织: towers and their committees, business areas, enterprises, their branches and members.

Published figures this part carries: 31 towers of 20+ floors all with a party organization in 2018,
地王大厦联合党委 (2006-08, the earliest) and 京基100联合党委 (2012); 人民南商圈党委 (2018-12-05, 10
branches); 水贝珠宝园区; 罗湖区律师行业党委; about 300 两新 members recruited 2014-2018 (302N) of
whom 39N are delegates (the only 两新 delegates).

Two passes: the first writes enterprises and organizations and keeps, per enterprise, a small tuple
(number, members, organization); the second writes the members, because choosing exactly 302N
recruits needs the total number of 两新 members first.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loaders.reference import names
from loaders.reference.context import LAST_EVENT, Ctx, Row, Selector, branch_id, compound_id, pick, rand_date
from loaders.reference.real import (
    AREAS,
    DISTRICT_ORG_ID,
    LAWYERS_FOUNDED,
    LAWYERS_ORG_ID,
    LAWYERS_ORG_NAME,
    RMN_BRANCHES,
    RMN_TOWERS,
    TOWER_ORGS,
)

if TYPE_CHECKING:
    from loaders.reference.generator import BuildingInfo

RECRUITS = 302
DELEGATES = 39
RECRUIT_START = dt.date(2014, 1, 1)
INDUSTRIES = (("金融", 80), ("商务服务", 100), ("商贸", 90), ("珠宝", 70), ("律师", 45), ("社会服务", 15))
"""Enterprises per unit of scale: the three pillar industries (金融, 商贸, 商务服务), 水贝 jewellery, law firms."""
SOCIAL = frozenset({"律师", "社会服务"})
OFFICERS = ("secretary", "deputy", "committee", "committee", "committee")

STATES: dict[str, tuple[tuple[str, float], ...]] = {
    # own: 单独建 branch; joint: 联合建 branch of 2-5 enterprises; affil: 挂靠建 to a neighbour's branch;
    # rmn / bjoint: covered by the 商圈 branch / the building's branch; work: work coverage only; none.
    "rmn": (("rmn", 0.75), ("none", 0.25)),
    "shuibei": (("own", 0.25), ("joint", 0.35), ("work", 0.20), ("none", 0.20)),
    "dongmen": (("own", 0.15), ("joint", 0.50), ("work", 0.15), ("none", 0.20)),
    "committee": (("own", 0.35), ("joint", 0.25), ("affil", 0.10), ("work", 0.15), ("none", 0.15)),
    "bbranch": (("bjoint", 0.50), ("own", 0.25), ("affil", 0.05), ("none", 0.20)),
    "bare": (("own", 0.25), ("affil", 0.10), ("none", 0.65)),
    "law": (("own", 0.45), ("joint", 0.35), ("affil", 0.05), ("none", 0.15)),
}
GAP_SHARE = 0.04
"""Enterprises without a branch of their own that still have 3+ members: the 两新 gap rule's rows."""


@dataclass
class Loc:
    """Where enterprises are: a building or a business area, and which organization is in charge there."""

    node_id: str
    community: str
    subdistrict: str
    context: str
    floors: int = 0
    committee: str | None = None
    committee_since: dt.date | None = None
    building_org: str | None = None
    building_since: dt.date | None = None
    rmn: list[str] = field(default_factory=list)
    industries: list[str] = field(default_factory=list)


@dataclass
class EntPlan:
    number: int
    members: int
    org: str | None
    org_founded: dt.date | None


def generate(ctx: Ctx, buildings: list[BuildingInfo]) -> None:
    locs, officer_orgs = _organizations(ctx, buildings)
    _allocate(ctx, locs)
    plans, officer_pool = _enterprises(ctx, locs)
    _members(ctx, plans, officer_orgs, officer_pool)


def _street(ctx: Ctx, community: str) -> str:
    return f"org-sd-{ctx.communities[community].subdistrict}"


def _organizations(ctx: Ctx, buildings: list[BuildingInfo]) -> tuple[list[Loc], list[tuple[str, dt.date]]]:
    """Committees of towers, areas and the law sector, and the locations enterprises go to."""
    rng = ctx.rng("twonew-orgs")
    officer_orgs: list[tuple[str, dt.date]] = []
    ctx.org(LAWYERS_ORG_ID, LAWYERS_ORG_NAME, "行业党委", founded=LAWYERS_FOUNDED, parent=DISTRICT_ORG_ID, synthetic=False)
    officer_orgs.append((LAWYERS_ORG_ID, LAWYERS_FOUNDED))
    area_locs: list[Loc] = []
    rmn_area = AREAS[0]
    for area in AREAS:
        ctx.org(area.org_id, area.org_name, area.org_level, founded=area.org_founded, parent=_street(ctx, area.community),
                synthetic=not area.org_real)
        ctx.out.rel("COVERS", area.org_id, area.id, mode="organizational", since=area.org_founded)
        officer_orgs.append((area.org_id, area.org_founded))
        context = {"ba-01": "rmn", "ba-02": "dongmen", "ba-03": "shuibei"}[area.id]
        area_locs.append(Loc(area.id, area.community, ctx.communities[area.community].subdistrict, context,
                             committee=area.org_id, committee_since=area.org_founded))
    # 人民南商圈党委's 10 branches (published count): one per listed tower, three for the street-front shops.
    rmn_tower_orgs: dict[str, str] = {}
    shop_orgs: list[str] = []
    by_key = {b.key: b for b in buildings if b.key is not None}
    for i in range(1, RMN_BRANCHES + 1):
        org = f"org-rmn-{i:02d}"
        if i <= len(RMN_TOWERS):
            key = RMN_TOWERS[i - 1]
            name = f"{by_key[key].name}联合党支部"
            rmn_tower_orgs[key] = org
        else:
            name = f"人民南商圈商户第{i - len(RMN_TOWERS)}联合党支部"
            shop_orgs.append(org)
        ctx.org(org, name, "联合党支部", founded=rmn_area.org_founded, parent=rmn_area.org_id, formation="联合建")
        if i <= len(RMN_TOWERS):
            ctx.out.rel("COVERS", org, by_key[RMN_TOWERS[i - 1]].id, mode="organizational", formation="联合建",
                        since=rmn_area.org_founded)
    area_locs[0].rmn = shop_orgs

    tower_org: dict[str, tuple[str, str, dt.date]] = {}  # towers.csv name -> (org id, level, since)
    for fact in TOWER_ORGS:
        org = f"org-bd-{fact.key}"
        first = by_key[fact.towers[0][0]]
        ctx.org(org, fact.name, fact.level, founded=fact.founded, parent=fact.parent or _street(ctx, first.community),
                formation="联合建", synthetic=not fact.real)
        if fact.level == "联合党委":
            officer_orgs.append((org, fact.founded))
        for key, since in fact.towers:
            start = since or fact.founded
            ctx.out.rel("COVERS", org, by_key[key].id, mode="organizational", formation="联合建", since=start)
            tower_org[key] = (org, fact.level, start)

    locs: list[Loc] = []
    for b in buildings:
        sub = ctx.communities[b.community].subdistrict
        if b.key in rmn_tower_orgs:
            locs.append(Loc(b.id, b.community, sub, "rmn", b.floors, rmn=[rmn_tower_orgs[b.key]]))
        elif b.key is not None:
            org, level, since = tower_org[b.key]
            if level == "联合党委":
                locs.append(Loc(b.id, b.community, sub, "committee", b.floors, committee=org, committee_since=since))
            else:
                locs.append(Loc(b.id, b.community, sub, "bbranch", b.floors, building_org=org, building_since=since))
        elif b.covered:
            org = f"org-bd-{b.id[4:]}"
            latest = dt.date(2018, 6, 30) if b.floors >= 20 else dt.date(2018, 10, 31)
            founded = rand_date(rng, dt.date(2010, 1, 1), latest)
            ctx.org(org, f"{b.name}联合党支部", "联合党支部", founded=founded, parent=_street(ctx, b.community),
                    formation="联合建")
            ctx.out.rel("COVERS", org, b.id, mode="organizational", formation="联合建", since=founded)
            locs.append(Loc(b.id, b.community, sub, "bbranch", b.floors, building_org=org, building_since=founded))
        else:
            locs.append(Loc(b.id, b.community, sub, "bare", b.floors))
    return locs + area_locs, officer_orgs


def _allocate(ctx: Ctx, locs: list[Loc]) -> None:
    """Spread the enterprises of each industry over towers, low-rise buildings and areas."""
    rng = ctx.rng("twonew-allocate")
    towers = [loc for loc in locs if loc.floors >= 20]
    low = [loc for loc in locs if 0 < loc.floors < 20]
    rmn_towers = [loc for loc in locs if loc.context == "rmn" and loc.floors]
    area = {loc.context: loc for loc in locs if loc.node_id.startswith("ba-")}
    cumulative: list[float] = []
    total = 0.0
    for loc in towers:
        total += loc.floors
        cumulative.append(total)

    def tower() -> Loc:
        return towers[bisect.bisect(cumulative, rng.random() * total)]

    for industry, per_scale in INDUSTRIES:
        for _ in range(per_scale * ctx.scale):
            r = rng.random()
            if industry == "金融":
                loc = tower()
            elif industry == "商务服务":
                loc = tower() if r < 0.5 else rng.choice(low)
            elif industry == "商贸":
                loc = (area["dongmen"] if r < 0.4 else area["rmn"] if r < 0.6 else rng.choice(rmn_towers) if r < 0.8
                       else rng.choice(low))
            elif industry == "珠宝":
                loc = area["shuibei"]
            elif industry == "律师":
                loc = tower() if r < 0.6 else rng.choice(low)
            else:
                loc = rng.choice(low)
            loc.industries.append(industry)
    for loc in locs:
        # Organizations need somebody in them: make sure there is an ordinary enterprise to host their first members.
        needed = 3 if loc.node_id == "ba-01" else 1 if loc.context in ("rmn", "bbranch", "committee") else 0
        while sum(1 for i in loc.industries if i not in SOCIAL) < needed:
            loc.industries.insert(0, "商务服务")


def _members_for(rng: random.Random, state: str, industry: str) -> int:
    if state == "own":
        return rng.randint(4, 20) if industry == "金融" else rng.randint(3, 12)
    if rng.random() < GAP_SHARE:
        return rng.randint(3, 6)
    return rng.randint(1, 2) if state in ("joint", "affil", "rmn", "bjoint") else rng.randint(0, 2)


def _enterprises(ctx: Ctx, locs: list[Loc]) -> tuple[list[EntPlan], dict[str, list[int]]]:
    """First pass: enterprises, their coverage and branches; returns what the member pass needs."""
    rng = ctx.rng("twonew-enterprises")
    plans: list[EntPlan] = []
    officer_pool: dict[str, list[int]] = {}
    for loc in locs:
        hosts: dict[bool, tuple[str, dt.date]] = {}
        joints: dict[bool, list[tuple[EntPlan, str]]] = {False: [], True: []}
        forced = 3 if loc.node_id == "ba-01" else 1 if loc.context in ("rmn", "bbranch") else 0
        rmn_seen = 0
        for industry in loc.industries:
            number = ctx.next("enterprise")
            ent = f"ent-{number:06d}"
            ent_name = names.enterprise(number, industry)
            law = industry == "律师"
            if not law and forced:
                state = "rmn" if loc.context == "rmn" else "bjoint"
                forced -= 1
                members = 2
            else:
                state = pick(rng, STATES["law" if law else loc.context])
                members = _members_for(rng, state, industry)
            employees = max(members * 4, rng.randint(20, 600) if state == "own" else rng.randint(3, 300))
            if industry == "金融":
                employees *= 2
            ctx.out.node("Enterprise", {"id": ent, "synthetic": True, "name": ent_name,
                                        "kind": "社会组织" if industry in SOCIAL else "非公企业", "industry": industry,
                                        "employees": employees})
            ctx.out.rel("LOCATED_IN", ent, loc.node_id)
            ctx.stats[loc.community].enterprises.append(number)
            pool = LAWYERS_ORG_ID if law else loc.committee if loc.context != "rmn" else "org-ba-rmn"
            if pool is not None:
                officer_pool.setdefault(pool, []).append(number)
            plan = EntPlan(number, members, None, None)
            parent = LAWYERS_ORG_ID if law else loc.committee or _street(ctx, loc.community)
            # Branches start after the committee they report to (law firms: from 2010).
            earliest = dt.date(2010, 1, 1) if law else max(dt.date(2008, 1, 1), loc.committee_since or dt.date(2008, 1, 1))
            if state == "affil" and law not in hosts:
                state = "none"  # nobody to affiliate to
            if state == "own":
                org = f"org-eb-{ctx.next('enterprise-branch'):06d}"
                founded = rand_date(rng, earliest, dt.date(2018, 11, 30))
                # Law firm branches predate the 2018 行业党委: they report to it from its founding.
                ctx.org(org, f"{ent_name}党支部", "党支部", founded=founded, parent=parent, formation="单独建",
                        reports_since=LAWYERS_FOUNDED if law and founded < LAWYERS_FOUNDED else None)
                ctx.out.rel("COVERS", org, ent, mode="organizational", formation="单独建", since=founded)
                hosts[law] = (org, founded)
                plan.org, plan.org_founded = org, founded
            elif state == "affil":
                org, founded = hosts[law]
                since = rand_date(rng, founded, dt.date(2018, 11, 30))
                ctx.out.rel("COVERS", org, ent, mode="organizational", formation="挂靠建", since=since)
                plan.org, plan.org_founded = org, founded
            elif state == "rmn":
                org = loc.rmn[rmn_seen % len(loc.rmn)]
                rmn_seen += 1
                ctx.out.rel("COVERS", org, ent, mode="organizational", formation="联合建", since=AREAS[0].org_founded)
                plan.org, plan.org_founded = org, AREAS[0].org_founded
            elif state == "bjoint":
                assert loc.building_org is not None and loc.building_since is not None
                ctx.out.rel("COVERS", loc.building_org, ent, mode="organizational", formation="联合建", since=loc.building_since)
                plan.org, plan.org_founded = loc.building_org, loc.building_since
            elif state == "work":
                assert loc.committee is not None and loc.committee_since is not None
                since = rand_date(rng, max(loc.committee_since, dt.date(2012, 1, 1)), dt.date(2018, 11, 30))
                ctx.out.rel("COVERS", loc.committee, ent, mode="work", since=since)
            elif state == "joint":
                joints[law].append((plan, ent_name))
            plans.append(plan)
        for law, waiting in joints.items():
            _joint_branches(ctx, rng, loc, law, waiting)
        ctx.out.maybe_flush()
    return plans, officer_pool


def _joint_branches(ctx: Ctx, rng: random.Random, loc: Loc, law: bool, waiting: list[tuple[EntPlan, str]]) -> None:
    """联合建: neighbouring enterprises of one location share a branch (2-4, a straggler joins the last)."""
    chunks: list[list[tuple[EntPlan, str]]] = []
    i = 0
    while i < len(waiting):
        size = rng.randint(2, 4)
        chunk = waiting[i:i + size]
        if len(chunk) == 1 and chunks:
            chunks[-1].extend(chunk)
        elif len(chunk) > 1:
            chunks.append(chunk)
        i += size
    parent = LAWYERS_ORG_ID if law else loc.committee or _street(ctx, loc.community)
    earliest = dt.date(2010, 1, 1) if law else max(dt.date(2008, 1, 1), loc.committee_since or dt.date(2008, 1, 1))
    for chunk in chunks:
        org = f"org-eb-{ctx.next('enterprise-branch'):06d}"
        founded = rand_date(rng, earliest, dt.date(2018, 11, 30))
        what = "律师事务所" if law else "企业"
        ctx.org(org, f"{chunk[0][1]}等{len(chunk)}家{what}联合党支部", "联合党支部", founded=founded, parent=parent,
                formation="联合建", reports_since=LAWYERS_FOUNDED if law and founded < LAWYERS_FOUNDED else None)
        for plan, _ in chunk:
            ctx.out.rel("COVERS", org, f"ent-{plan.number:06d}", mode="organizational", formation="联合建", since=founded)
            plan.org, plan.org_founded = org, founded


def _members(ctx: Ctx, plans: list[EntPlan], officer_orgs: list[tuple[str, dt.date]], officer_pool: dict[str, list[int]]) -> None:
    """Second pass: 两新 members, exactly 302N recruited 2014-2018 and 39N delegates among those."""
    rng = ctx.rng("twonew-members")
    total = sum(p.members for p in plans) + len(OFFICERS) * len(officer_orgs)
    recruit = Selector(ctx.rng("twonew-recruits"), RECRUITS * ctx.scale, total)
    delegate = Selector(ctx.rng("twonew-delegates"), DELEGATES * ctx.scale, RECRUITS * ctx.scale)
    seen: dict[str, int] = {}

    def member(ent: int) -> Row:
        if recruit():
            d = ("区" if rng.random() < 0.8 else "市") if delegate() else None
            row = ctx.member(rng, "两新", born=(1978, 1996), joined=(RECRUIT_START, LAST_EVENT), delegate=d)
        else:
            row = ctx.member(rng, "两新", born=(1960, 1992), joined=(dt.date(1980, 1, 1), RECRUIT_START - dt.timedelta(days=1)))
        ctx.out.rel("WORKS_AT", row["id"], f"ent-{ent:06d}")
        return row

    for plan in plans:
        for _ in range(plan.members):
            row = member(plan.number)
            if plan.org is not None:
                k = seen.get(plan.org, 0)
                seen[plan.org] = k + 1
                ctx.member_of(row, plan.org, plan.org_founded, "secretary" if k == 0 else "committee" if k <= 2 else "member")
                if rng.random() < 0.5:
                    ctx.out.rel("LIVES_IN", row["id"], compound_id(rng.randint(1, ctx.compound_total)))
            else:
                # No organization at work: the member's organization is where they live (组织关系在居住地).
                i = rng.randrange(len(ctx.res_branch))
                ctx.member_of(row, branch_id(ctx.res_branch[i]), dt.date.fromordinal(ctx.res_founded[i]), "member")
                ctx.out.rel("LIVES_IN", row["id"], compound_id(ctx.res_compound[i]))
        ctx.out.maybe_flush()
    for org, founded in officer_orgs:
        pool = officer_pool[org]
        for role in OFFICERS:
            row = member(rng.choice(pool))
            ctx.member_of(row, org, founded, role)
    if recruit.wanted or delegate.wanted:
        raise AssertionError("recruit/delegate selection did not finish")
