"""Mobile branches and hometown groups, committee officers, projects and service centers.

Published figures: 12 同乡村 mobile branches in 10 subdistricts, the first at 黄贝岭 (四川达州, 2007),
about 500 mobile members (496N); project claiming piloted 2013 in 和平 and 笋西; 东乐花园党员议事会
(2008); 83 certified community centers, subdistrict centers 桂园/笋岗/东晓, 8 两新 centers (鸿隆世纪广场
among them), centers at 人民南商圈 and 东门商圈.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random

from loaders.reference import names
from loaders.reference.context import LAST_EVENT, Ctx, Selector, apportion, branch_id, compound_id, pick, rand_date, roles
from loaders.reference.real import (
    AREAS,
    DISTRICT_ORG_ID,
    DONGLE_LAUNCHED,
    DONGLE_PROJECT,
    LAWYERS_ORG_ID,
    MOBILE_BRANCHES,
    PILOT_COMMUNITIES,
    STREET_CENTERS,
)

MOBILE_MEMBERS = 496
PILOT_PROJECTS = 12
"""Projects launched in 2013 in each pilot community (per unit of scale)."""
UNCLAIMED = 8
CATEGORIES = ("党建创新", "民生服务", "公益活动", "志愿服务")
CLAIM_ROLLOUT = dt.date(2014, 3, 1)
"""Claiming went district-wide after the 2013 pilot: 东乐花园's older project is claimed from then."""


def mobile(ctx: Ctx) -> None:
    """12 mobile branches, each serving one hometown group; 496N mobile members."""
    rng = ctx.rng("mobile")
    weights = [1.6] + [rng.uniform(0.7, 1.3) for _ in MOBILE_BRANCHES[1:]]
    counts = apportion(MOBILE_MEMBERS * ctx.scale, weights)
    for i, (fact, count) in enumerate(zip(MOBILE_BRANCHES, counts, strict=True), 1):
        community = ctx.communities[fact.community]
        group = f"htg-{i:02d}"
        ctx.out.node("HometownGroup", {"id": group, "synthetic": not fact.real, "name": f"{community.name}{fact.origin}同乡村",
                                       "origin": fact.origin,
                                       "size": None if fact.real else rng.randint(600, 4000) * ctx.scale})
        ctx.out.rel("LOCATED_IN", group, fact.community)
        org = f"org-mb-{i:02d}"
        ctx.org(org, f"{community.name}{fact.origin}流动党支部", "流动党支部", founded=fact.founded,
                parent=ctx.committee_of[fact.community].org_id, synthetic=not fact.real)
        ctx.out.rel("SERVES", org, group, since=fact.founded)
        villages = ctx.stats[fact.community].villages
        for role in roles(count):
            category = "产业工人" if rng.random() < 0.6 else "其他"
            row = ctx.member(rng, category, born=(1962, 1996), joined=(dt.date(1985, 1, 1), dt.date(2017, 12, 31)), mobile=True)
            ctx.member_of(row, org, fact.founded, role)
            ctx.out.rel("BELONGS_TO", row["id"], group, since=max(row["joined"], fact.founded))
            if villages and rng.random() < 0.7:
                ctx.out.rel("LIVES_IN", row["id"], compound_id(rng.choice(villages)))
    ctx.out.maybe_flush()


def officers(ctx: Ctx) -> None:
    """Members of the 区委 and the 街道党工委s (their founding dates are unknown: membership starts at joining)."""
    rng = ctx.rng("officers")
    teams = [(DISTRICT_ORG_ID, ["secretary"] + ["deputy"] * 3 + ["committee"] * 7, "市")]
    teams += [(sub.org_id, ["secretary"] + ["deputy"] * 2 + ["committee"] * 4, "区") for sub in ctx.subdistricts]
    for org, role_list, level in teams:
        for role in role_list:
            delegate = level if role != "committee" or rng.random() < 0.5 else None
            row = ctx.member(rng, "高知" if rng.random() < 0.5 else "其他", born=(1960, 1982), delegate=delegate)
            ctx.member_of(row, org, None, role)
            if rng.random() < 0.7:
                ctx.out.rel("LIVES_IN", row["id"], compound_id(rng.randint(1, ctx.compound_total)))


def projects(ctx: Ctx) -> None:
    """党建项目 in every community; 2013 ones only in the two pilots; 8N left unclaimed."""
    rng = ctx.rng("projects")
    codes = [c.code for c in ctx.communities.values() if c.in_2016]
    later = {code: rng.randint(2, 4) * ctx.scale + (3 * ctx.scale if code in PILOT_COMMUNITIES else 0) for code in codes}
    unclaimed = Selector(ctx.rng("projects-unclaimed"), UNCLAIMED * ctx.scale, sum(later.values()))

    def project(code: str, name: str, category: str, launched: dt.date, status: str, synthetic: bool = True) -> str:
        project_id = f"prj-{ctx.next('project'):06d}"
        ctx.out.node("Project", {"id": project_id, "synthetic": synthetic, "name": name, "category": category,
                                 "launched": launched, "status": status})
        ctx.out.rel("LOCATED_IN", project_id, code)
        return project_id

    for stats in ctx.stats.values():  # by date, so "who existed by then" is a prefix
        stats.branches.sort(key=lambda b: (b[1], b[0]))
        stats.notables.sort(key=lambda m: (m[1], m[0]))

    dongle = project("440303007009", DONGLE_PROJECT, "党建创新", DONGLE_LAUNCHED, "进行中", synthetic=False)
    assert ctx.dongle_branch is not None
    ctx.out.rel("CLAIMED", ctx.dongle_branch, dongle, since=CLAIM_ROLLOUT)

    for code in codes:
        if code in PILOT_COMMUNITIES:
            for _ in range(PILOT_PROJECTS * ctx.scale):
                category = rng.choice(CATEGORIES)
                launched = rand_date(rng, dt.date(2013, 3, 1), dt.date(2013, 10, 31))
                status = "已完成" if rng.random() < 0.6 else "进行中"
                prj = project(code, names.project(ctx.peek("project") + 1, category), category, launched, status)
                _claims(ctx, rng, code, prj, rand_date(rng, launched, dt.date(2013, 12, 31)))
        for _ in range(later[code]):
            category = rng.choice(CATEGORIES)
            launched = rand_date(rng, dt.date(2014, 1, 1), dt.date(2018, 11, 30))
            name = names.project(ctx.peek("project") + 1, category)
            if unclaimed():
                # Waiting for someone to take it on: the gap list of unclaimed projects.
                project(code, name, category, rand_date(rng, dt.date(2018, 6, 1), dt.date(2018, 11, 30)), "进行中")
                continue
            if launched.year < 2016:
                status = "已完成" if rng.random() < 0.7 else "进行中"
            elif launched.year < 2018:
                status = pick(rng, (("进行中", 0.6), ("已完成", 0.3), ("已暂停", 0.1)))
            else:
                status = "进行中"
            prj = project(code, name, category, launched, status)
            _claims(ctx, rng, code, prj, rand_date(rng, launched, min(launched + dt.timedelta(days=90), LAST_EVENT)))
        ctx.out.maybe_flush()


def _claims(ctx: Ctx, r: random.Random, code: str, project_id: str, since: dt.date) -> None:
    """Who claims a project: always an organization, sometimes a delegate or secretary, sometimes an enterprise."""
    stats = ctx.stats[code]
    day = since.toordinal()
    branches = bisect.bisect_right(stats.branches, (day, float("inf")), key=lambda b: (b[1], b[0]))
    if branches and r.random() < 0.75:
        ctx.out.rel("CLAIMED", branch_id(stats.branches[r.randrange(branches)][0]), project_id, since=since)
    else:
        ctx.out.rel("CLAIMED", ctx.committee_of[code].org_id, project_id, since=since)
    if r.random() < 0.35:
        people = bisect.bisect_right(stats.notables, (day, float("inf")), key=lambda m: (m[1], m[0]))
        if people:
            ctx.out.rel("CLAIMED", f"mem-{stats.notables[r.randrange(people)][0]:07d}", project_id, since=since)
    if stats.enterprises and r.random() < 0.2:
        ctx.out.rel("CLAIMED", f"ent-{r.choice(stats.enterprises):06d}", project_id, since=since)


def centers(ctx: Ctx, tower_ids: dict[str, str]) -> None:
    """党群服务中心: 1 district + 3 subdistrict + 83 community (all certified) + 8 两新 + 2 商圈."""
    rng = ctx.rng("centers")

    def center(name: str, level: str, certified: bool, opened: dt.date, run_by: str, synthetic: bool) -> str:
        center_id = f"svc-{ctx.next('center'):03d}"
        ctx.out.node("ServiceCenter", {"id": center_id, "synthetic": synthetic, "name": name, "level": level,
                                       "certified": certified, "opened": opened})
        ctx.out.rel("RUN_BY", center_id, run_by)
        return center_id

    # The "1" of the 1+83+N alliance; SERVES has no District target, so it serves through its committee only.
    center("罗湖区党群服务中心", "区", True, dt.date(2017, 6, 30), DISTRICT_ORG_ID, synthetic=False)
    subs = {s.code: s for s in ctx.subdistricts}
    for code, opened in STREET_CENTERS:
        sid = center(f"{subs[code].name}党群服务中心", "街道", True, opened, subs[code].org_id, synthetic=False)
        ctx.out.rel("SERVES", sid, code, since=opened)
    for group in ctx.groups:
        opened = rand_date(rng, dt.date(2014, 6, 1), dt.date(2018, 10, 31))
        sid = center(f"{ctx.communities[group.head].name}党群服务中心", "社区", True, opened, group.org_id, synthetic=True)
        for code in group.codes:
            community = ctx.communities[code]
            ctx.out.rel("SERVES", sid, code, since=community.valid_from or opened, until=community.until)
    twonew_centers = (
        ("鸿隆世纪广场党群服务中心", "org-bd-hl", tower_ids["鸿隆世纪广场"], dt.date(2018, 6, 28), False),
        ("地王大厦两新党群服务中心", "org-bd-dw", tower_ids["信兴广场"], dt.date(2016, 7, 1), True),
        ("京基100两新党群服务中心", "org-bd-jj100", tower_ids["京基100"], dt.date(2017, 6, 30), True),
        ("国贸大厦两新党群服务中心", "org-bd-gm", tower_ids["深圳国际贸易中心大厦"], dt.date(2017, 9, 15), True),
        ("发展中心大厦两新党群服务中心", "org-bd-fz", tower_ids["深圳发展中心大厦"], dt.date(2018, 3, 20), True),
        ("世界金融中心两新党群服务中心", "org-bd-wfc", tower_ids["世界金融中心"], dt.date(2018, 5, 18), True),
        ("水贝珠宝园区党群服务中心", "org-ba-sb", "ba-03", dt.date(2017, 12, 1), True),
        ("罗湖区律师行业党群服务中心", LAWYERS_ORG_ID, tower_ids["罗湖商务中心"], dt.date(2018, 9, 10), True),
    )
    for name, org, target, opened, synthetic in twonew_centers:
        sid = center(name, "两新", False, opened, org, synthetic)
        ctx.out.rel("SERVES", sid, target, since=opened)
    area_centers = (("人民南商圈党群服务中心", AREAS[0], AREAS[0].org_founded),
                    ("东门商圈党群服务中心", AREAS[1], dt.date(2018, 8, 18)))
    for name, area, opened in area_centers:
        sid = center(name, "商圈", False, opened, area.org_id, synthetic=False)
        ctx.out.rel("SERVES", sid, area.id, since=opened)
