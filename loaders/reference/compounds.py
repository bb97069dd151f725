"""Residential compounds (居民小区), their branches, bodies and residents, one committee at a time.

Published figures this part carries: 929 compounds (x scale), 42 of them 城中村; organizational
coverage 99% (920 of 929, i.e. 99.03%) and work coverage 100% at 2018-12-28, the missing 9 having
only a ``work`` COVERS from their community committee; 东乐花园 and 鸿翔花园; four-in-one at 8
compounds, 鸿翔花园 first (2012).

History (so earlier as-of dates show lower coverage): before the 2017 reorganization each committee
had one or more 片区 branches (founded 2008-2012) covering many compounds; each committee dissolves
them on its reorganization day in spring 2017 and sets up compound branches (单独建 / 联合建 /
挂靠建) over the following weeks. About a fifth of the branches predate the reorganization and
were kept; some come in 2018.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from dataclasses import dataclass, field

from loaders.reference import names
from loaders.reference.context import LAST_EVENT, Ctx, Row, apportion, branch_id, compound_id, pick, rand_date, roles
from loaders.reference.real import HONGXIANG_FOUR_IN_ONE, SPECIAL_COMPOUNDS, URBAN_VILLAGE_COMMUNITIES, CommitteeGroup

COMPOUNDS = 929
URBAN_VILLAGES = 42
WITHOUT_ORG = 9
FOUR_IN_ONE = 8

KINDS = ("商品房", "城中村", "单位宿舍", "其他")
OTHER_KINDS = (("商品房", 0.72), ("单位宿舍", 0.14), ("其他", 0.14))
HOUSEHOLDS = {"商品房": (80, 1200, 300), "城中村": (200, 2500, 700), "单位宿舍": (30, 400, 100), "其他": (20, 300, 80)}
"""Triangular (low, high, mode): about 417k households in all, i.e. ~1.15 million residents (published)."""
RESIDENT_MIX = {
    "商品房": (("离退休", 0.45), ("其他", 0.25), ("高知", 0.20), ("产业工人", 0.10)),
    "城中村": (("离退休", 0.25), ("其他", 0.35), ("高知", 0.05), ("产业工人", 0.35)),
    "单位宿舍": (("离退休", 0.55), ("其他", 0.15), ("高知", 0.20), ("产业工人", 0.10)),
    "其他": (("离退休", 0.40), ("其他", 0.35), ("高知", 0.10), ("产业工人", 0.15)),
}
BORN = {"离退休": (1932, 1958), "其他": (1955, 1995), "高知": (1950, 1990), "产业工人": (1958, 1995)}
SPECIAL_RESIDENTS = {"东乐花园": 28, "鸿翔花园": 20}
SPECIAL_FOUNDED = {"东乐花园": dt.date(2008, 3, 18), "鸿翔花园": dt.date(2010, 5, 20)}
BODY_KINDS = ("居民小组", "业委会", "物业服务企业")


@dataclass
class Plan:
    order: list[str]
    first: dict[str, int]
    counts: dict[str, int]
    kinds: bytearray
    """Kind index (into KINDS) of compound number n at n - 1."""
    four: dict[int, int]
    """Four-in-one compounds -> year their branch starts leading the three bodies."""
    without_org: set[int]
    specials: dict[int, str]

    def kind(self, number: int) -> str:
        return KINDS[self.kinds[number - 1]]

    def forced(self, number: int) -> bool:
        """Compounds whose branch must be their own (单独建): the real ones and the four-in-one."""
        return number in self.four or number in self.specials


@dataclass
class Unit:
    """One compound branch: the compounds it was set up for, and those affiliated to it (挂靠建)."""

    compounds: list[int]
    affiliates: list[int] = field(default_factory=list)

    @property
    def formation(self) -> str:
        return "联合建" if len(self.compounds) > 1 else "单独建"


def make_plan(ctx: Ctx) -> Plan:
    """Decide counts, kinds and the special compounds up front: a few bytes per compound."""
    rng = ctx.rng("compound-plan")
    order = [code for group in ctx.groups for code in group.codes if ctx.communities[code].in_2016]
    scale = ctx.scale
    count_list = apportion(COMPOUNDS * scale, [rng.uniform(0.55, 1.45) for _ in order])
    counts = dict(zip(order, count_list, strict=True))
    first: dict[str, int] = {}
    number = 1
    for code in order:
        first[code] = number
        number += counts[code]
    ctx.compound_total = number - 1
    specials = {first[code]: name for code, (name, _) in SPECIAL_COMPOUNDS.items()}

    villages = [code for code in order if code in URBAN_VILLAGE_COMMUNITIES]
    wanted = apportion(URBAN_VILLAGES * scale, [rng.uniform(0.5, 1.5) for _ in villages])
    room = {code: counts[code] - 1 - (first[code] in specials) for code in villages}
    spill = 0
    for i, code in enumerate(villages):  # keep at least one other compound per community
        spill += max(0, wanted[i] - room[code])
        wanted[i] = min(wanted[i], room[code])
    for i, code in enumerate(villages):
        extra = min(spill, room[code] - wanted[i])
        wanted[i] += extra
        spill -= extra
    village_numbers: set[int] = set()
    for i, code in enumerate(villages):
        start = first[code] + (first[code] in specials)
        village_numbers.update(rng.sample(range(start, first[code] + counts[code]), wanted[i]))

    kinds = bytearray(ctx.compound_total)
    for n in range(1, ctx.compound_total + 1):
        kind = "城中村" if n in village_numbers else "商品房" if n in specials else pick(rng, OTHER_KINDS)
        kinds[n - 1] = KINDS.index(kind)

    hongxiang = next(n for n, name in specials.items() if name == "鸿翔花园")
    eligible = [n for n in range(1, ctx.compound_total + 1) if kinds[n - 1] == 0 and n not in specials]
    four = {hongxiang: HONGXIANG_FOUR_IN_ONE.year}
    for i, n in enumerate(rng.sample(eligible, FOUR_IN_ONE * scale - 1)):
        four[n] = 2013 + i % 6  # spread 2013-2018 after the 2012 pilot
    rest = [n for n in range(1, ctx.compound_total + 1) if n not in specials and n not in four]
    without_org = set(rng.sample(rest, WITHOUT_ORG * scale))
    return Plan(order, first, counts, kinds, four, without_org, specials)


def generate(ctx: Ctx) -> None:
    plan = make_plan(ctx)
    rng = ctx.rng("compounds")
    for group in ctx.groups:
        _Group(ctx, rng, plan, group).run()
        ctx.out.maybe_flush()


class _Group:
    """Everything under one community committee."""

    def __init__(self, ctx: Ctx, rng: random.Random, plan: Plan, group: CommitteeGroup) -> None:
        self.ctx, self.rng, self.plan, self.group = ctx, rng, plan, group
        self.cc = group.org_id
        self.cc_founded = ctx.committee_founded[self.cc]
        # The committee's 2017 reorganization day (社区"两委"换届), when the old 片区 branches go.
        self.reorg = rand_date(rng, dt.date(2017, 3, 1), dt.date(2017, 6, 30))
        self.residents: list[tuple[Row, str]] = []
        self.cover_start: dict[int, dt.date | None] = {}

    def run(self) -> None:
        for code in self.group.codes:
            if self.ctx.communities[code].in_2016:
                self._community(code)
        self._legacy()
        self._committee_members()

    # ----------------------------------------------------------------- compounds

    def _community(self, code: str) -> None:
        ctx, rng, plan = self.ctx, self.rng, self.plan
        stats = ctx.stats[code]
        numbers = range(plan.first[code], plan.first[code] + plan.counts[code])
        stats.compounds = numbers
        member_start = ctx.peek("member") + 1
        households: dict[int, int | None] = {}
        names_of: dict[int, str] = {}
        for n in numbers:
            kind = plan.kind(n)
            special = plan.specials.get(n)
            if special is not None:
                name, address, hh = special, SPECIAL_COMPOUNDS[code][1], None
            else:
                name, address = names.compound(n, kind), f"测试路{n}号"
                hh = int(rng.triangular(*HOUSEHOLDS[kind]))
            households[n], names_of[n] = hh, name
            if kind == "城中村":
                stats.villages.append(n)
            ctx.out.node("Compound", {"id": compound_id(n), "synthetic": special is None, "name": name, "kind": kind,
                                      "households": hh, "address": address})
            ctx.out.rel("LOCATED_IN", compound_id(n), code)

        last: tuple[str, dt.date] | None = None
        for unit in self._units(numbers):
            last = self._branch(code, unit, names_of, households)
        for n in numbers:
            if n in plan.without_org:
                # Work coverage only: the committee's instructor looks after the compound (工作覆盖).
                since = rand_date(rng, dt.date(2018, 2, 1), dt.date(2018, 10, 31))
                ctx.out.rel("COVERS", self.cc, compound_id(n), mode="work", since=since)
                self.cover_start[n] = None
                home = last or (self.cc, self.cc_founded)  # residents belong to a neighbouring branch
                for _ in range(rng.randint(0, 2)):
                    self._resident(n, home[0], home[1], "member")
                self._bodies(n, names_of[n], None, None)
        stats.members = range(member_start, ctx.peek("member") + 1)

    def _units(self, numbers: range) -> list[Unit]:
        """Group a community's compounds into branches: 单独建 62%, 联合建 20%, 挂靠建 18% of the draws."""
        plan, rng = self.plan, self.rng
        covered = [n for n in numbers if n not in plan.without_org]
        units: list[Unit] = []
        i = 0
        while i < len(covered):
            n = covered[i]
            r = rng.random()
            if plan.forced(n) or r < 0.62 or (r >= 0.82 and not units):
                units.append(Unit([n]))
                i += 1
            elif r < 0.82:
                size = rng.randint(2, 4)
                members = [n]
                while len(members) < size and i + len(members) < len(covered) and not plan.forced(covered[i + len(members)]):
                    members.append(covered[i + len(members)])
                units.append(Unit(members))
                i += len(members)
            else:
                units[-1].affiliates.append(n)
                i += 1
        return units

    def _founded(self, unit: Unit) -> tuple[dt.date, dt.date | None]:
        """The branch's founding day, and when it starts leading a four-in-one compound's bodies."""
        rng, plan = self.rng, self.plan
        head = unit.compounds[0]
        special = plan.specials.get(head)
        if special is not None:
            return SPECIAL_FOUNDED[special], (HONGXIANG_FOUR_IN_ONE if head in plan.four else None)
        if head in plan.four:
            year = plan.four[head]
            leads = rand_date(rng, dt.date(year, 1, 1), min(dt.date(year, 12, 31), dt.date(2018, 11, 30)))
            return rand_date(rng, dt.date(2008, 1, 1), leads - dt.timedelta(days=30)), leads
        r = rng.random()
        if r < 0.12:
            return rand_date(rng, dt.date(2008, 1, 1), dt.date(2014, 12, 31)), None
        if r < 0.20:
            return rand_date(rng, dt.date(2015, 1, 1), dt.date(2016, 12, 31)), None
        if r < 0.85:
            return self.reorg + dt.timedelta(days=rng.randint(0, 45)), None
        return rand_date(rng, dt.date(2018, 1, 5), dt.date(2018, 11, 30)), None

    def _branch(self, code: str, unit: Unit, names_of: dict[int, str], households: dict[int, int | None]) -> tuple[str, dt.date]:
        ctx, rng = self.ctx, self.rng
        number = ctx.next("branch")
        org = branch_id(number)
        founded, leads = self._founded(unit)
        head = unit.compounds[0]
        special = self.plan.specials.get(head)
        size = len(unit.compounds)
        name = f"{names_of[head]}党支部" if size == 1 else f"{names_of[head]}等{size}个小区联合党支部"
        if special is not None and special == "东乐花园":
            ctx.dongle_branch = org
        # 鸿翔花园's branch is attested by the article (小区党支部 of the four-in-one model).
        ctx.org(org, name, "党支部", founded=founded, parent=self.cc, formation=unit.formation,
                synthetic=special != "鸿翔花园")
        ctx.stats[code].branches.append((number, founded.toordinal()))
        starts: list[tuple[int, dt.date, str]] = [(n, founded, unit.formation) for n in unit.compounds]
        for n in unit.affiliates:
            since = max(founded, self.reorg) + dt.timedelta(days=rng.randint(0, 60))
            starts.append((n, min(since, LAST_EVENT), "挂靠建"))
        sizes = [self._resident_count(n, households[n]) for n, _, _ in starts]
        if sum(sizes) < 3:  # a branch needs three full members
            sizes[0] += 3 - sum(sizes)
        role_list = roles(sum(sizes))
        k = 0
        for (n, since, formation), size in zip(starts, sizes, strict=True):
            ctx.out.rel("COVERS", org, compound_id(n), mode="organizational", formation=formation, since=since)
            self.cover_start[n] = since
            ctx.res_branch.append(number)
            ctx.res_compound.append(n)
            ctx.res_founded.append(founded.toordinal())
            for _ in range(size):
                self._resident(n, org, founded, role_list[k])
                k += 1
            self._bodies(n, names_of[n], org, leads if n == head and leads is not None else since)
        return org, founded

    def _resident_count(self, n: int, households: int | None) -> int:
        special = self.plan.specials.get(n)
        if special is not None:
            return SPECIAL_RESIDENTS[special]
        assert households is not None
        return max(1, min(60, round(households / 45 * self.rng.uniform(0.6, 1.4))))

    def _resident(self, n: int, org: str, founded: dt.date, role: str) -> None:
        ctx, rng = self.ctx, self.rng
        category = pick(rng, RESIDENT_MIX[self.plan.kind(n)])
        r = rng.random()
        delegate = "区" if r < 0.010 else "市" if r < 0.012 else None
        row = ctx.member(rng, category, born=BORN[category], delegate=delegate, male=0.5 if category == "离退休" else 0.55)
        ctx.member_of(row, org, founded, role)
        ctx.out.rel("LIVES_IN", row["id"], compound_id(n))
        self.residents.append((row, role))
        if delegate is not None:
            code = self._community_of(n)
            ctx.stats[code].notables.append((int(row["id"][4:]), row["joined"].toordinal()))

    def _community_of(self, n: int) -> str:
        for code in self.group.codes:
            r = self.ctx.stats[code].compounds
            if n in r:
                return code
        raise AssertionError(n)

    def _bodies(self, n: int, name: str, org: str | None, start: dt.date | None) -> None:
        """The other three of the four-in-one: all led at the 8N four-in-one compounds, partial elsewhere."""
        ctx, rng, plan = self.ctx, self.rng, self.plan
        kind = plan.kind(n)
        if n in plan.four:
            present, led = list(BODY_KINDS), list(BODY_KINDS)
        else:
            r = rng.random()
            if kind == "商品房":
                present = (["业委会", "物业服务企业"] if r < 0.30 else ["物业服务企业"] if r < 0.65
                           else list(BODY_KINDS) if r < 0.72 else [])
            elif kind == "城中村":
                present = ["居民小组"] if r < 0.5 else ["居民小组", "物业服务企业"] if r < 0.7 else []
            else:
                present = ["物业服务企业"] if r < 0.4 else []
            led = [b for b in present if org is not None and rng.random() < 0.35]
            if len(led) == len(BODY_KINDS):
                led.pop()  # never a ninth four-in-one compound by accident
        for body in present:
            number = ctx.next("body")
            body_id = f"body-{number:06d}"
            ctx.out.node("CompoundBody", {"id": body_id, "synthetic": plan.specials.get(n) != "鸿翔花园",
                                          "name": f"{name}{body}", "kind": body})
            ctx.out.rel("PART_OF", body_id, compound_id(n))
            if org is not None and body in led:
                assert start is not None
                # Four-in-one bodies are led from the compound's start; elsewhere leading came later.
                since = start if n in plan.four else rand_date(rng, max(start, dt.date(2015, 1, 1)), dt.date(2018, 11, 30))
                ctx.out.rel("LEADS", org, body_id, since=since)

    # ------------------------------------------------------------ history, committee

    def _legacy(self) -> None:
        """The 片区 branches of before 2017: dissolved on the reorganization day, their coverage ended."""
        ctx, rng = self.ctx, self.rng
        all_compounds = [n for code in self.group.codes for n in ctx.stats[code].compounds]
        later = dt.date(2015, 1, 1)
        candidates = [n for n in all_compounds if (start := self.cover_start.get(n)) is None or start >= later]
        count = max(1, round(len(all_compounds) / 12))
        assigned: list[list[int]] = [[] for _ in range(count)]
        for n in candidates:
            if rng.random() < 0.6:
                assigned[rng.randrange(count)].append(n)
        head_name = ctx.communities[self.group.head].name
        # Residents by joining date, so each branch's possible secretaries are a prefix (linear, not quadratic).
        elders = sorted((row for row, _ in self.residents), key=lambda row: (row["joined"], row["id"]))
        joined = [row["joined"] for row in elders]
        for j, covered in enumerate(assigned, 1):
            if not covered:
                continue
            org = f"org-lg-{ctx.next('legacy'):05d}"
            founded = rand_date(rng, dt.date(2008, 1, 1), dt.date(2012, 12, 31))
            ctx.org(org, f"{head_name}原第{j}党支部", "党支部", founded=founded, parent=self.cc, formation="联合建",
                    dissolved=self.reorg)
            for n in covered:
                ctx.out.rel("COVERS", org, compound_id(n), mode="organizational", formation="联合建", since=founded,
                            until=self.reorg)
            count = bisect.bisect_left(joined, founded)
            if count:
                ctx.member_of(elders[rng.randrange(count)], org, founded, "secretary", until=self.reorg)

    def _committee_members(self) -> None:
        """The committee's own members (secretary, deputies, committee) and its reserve cadres (>= 1:2)."""
        ctx, rng = self.ctx, self.rng
        homes = [n for code in self.group.codes for n in ctx.stats[code].compounds]
        officers: list[Row] = []
        role_list = ["secretary"] + ["deputy"] * rng.randint(1, 2) + ["committee"] * rng.randint(3, 4)
        for role in role_list:
            category = "高知" if rng.random() < 0.4 else "其他"
            born = (1962, 1982) if role == "secretary" else (1965, 1992)
            r = rng.random()
            delegate = ("区" if r < 0.6 else None) if role == "secretary" else ("区" if r < 0.1 else None)
            row = ctx.member(rng, category, born=born, delegate=delegate)
            ctx.member_of(row, self.cc, self.cc_founded, role)
            if homes and rng.random() < 0.8:
                ctx.out.rel("LIVES_IN", row["id"], compound_id(rng.choice(homes)))
            notable = (int(row["id"][4:]), row["joined"].toordinal())
            if role == "secretary":
                ctx.committee_secretary[self.cc] = notable
            if role == "secretary" or delegate is not None:
                for code in self.group.codes:
                    ctx.stats[code].notables.append(notable)
            if role != "secretary":
                officers.append(row)
        # Reserve cadres: younger committee members and residents; 2 or 3 per secretary.
        pool = [row for row in officers if row["birth_year"] >= 1972]
        pool += [row for row, role in self.residents if role != "secretary" and row["birth_year"] >= 1975]
        if len(pool) < 3:
            pool = officers + [row for row, role in self.residents if role != "secretary"]
        for row in rng.sample(pool, 2 if rng.random() < 0.6 else 3):
            ctx.out.rel("RESERVE_FOR", row["id"], self.cc, since=rand_date(rng, dt.date(2017, 6, 1), dt.date(2018, 11, 30)))
