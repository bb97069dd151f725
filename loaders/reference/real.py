"""Real facts behind the "Luohu 2018" reference dataset, and the fixed choices made on top of them.

Everything read from ``data/`` is public (see ``data/README.md``). The tables below hold what the
files do not say: estimated floor counts, inferred communities, the grouping of the 115 residents'
committees into 83 community party committees, and the organizations the seed article names.
Nothing here depends on the random seed, so the skeleton of the dataset is the same for every seed.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

AS_OF = dt.date(2018, 12, 28)
"""Date of the seed article: the date the dataset describes."""

DISTRICT_ID = "440303"
DISTRICT_NAME = "罗湖区"
DISTRICT_ORG_ID = "org-luohu"
DISTRICT_ORG_NAME = "中共深圳市罗湖区委员会"


@dataclass(frozen=True)
class SubdistrictFact:
    code: str
    name: str

    @property
    def org_id(self) -> str:
        return f"org-sd-{self.code}"

    @property
    def org_name(self) -> str:
        return f"{self.name}党工委"


@dataclass(frozen=True)
class CommunityFact:
    code: str
    name: str
    subdistrict: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    """Last day the committee exists (inclusive); relationships to it end the day after (``until``)."""

    @property
    def in_2016(self) -> bool:
        return self.valid_from is None

    @property
    def until(self) -> dt.date | None:
        """Exclusive end for relationships, matching coverage's ``until > D`` rule."""
        return None if self.valid_to is None else self.valid_to + dt.timedelta(days=1)


# Changes between the 2016 and later NBS editions (data/README.md). valid_to is the last valid day.
ENDED: dict[str, dt.date] = {
    "440303009008": dt.date(2019, 12, 31),  # 港发新村
    "440303009009": dt.date(2019, 12, 31),  # 木棉岭 (old code)
    "440303009011": dt.date(2019, 12, 31),  # 马岗
    "440303009012": dt.date(2019, 12, 31),  # 木棉花
    "440303004015": dt.date(2020, 12, 31),  # 翠辉
    "440303004034": dt.date(2020, 12, 31),  # 翠锦
    "440303009007": dt.date(2020, 12, 31),  # 马山
}
ADDED: tuple[tuple[str, str, str, dt.date], ...] = (
    ("440303009014", "木棉岭社区", "440303009", dt.date(2020, 1, 1)),  # 木棉岭 re-established under a new code
)


@cache
def load_admin() -> tuple[tuple[SubdistrictFact, ...], tuple[CommunityFact, ...]]:
    """The 10 subdistricts and 116 communities (115 of 2016 plus the new 木棉岭), in code order."""
    subdistricts: dict[str, SubdistrictFact] = {}
    communities: list[CommunityFact] = []
    with open(DATA_DIR / "communities_nbs2016.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            subdistricts.setdefault(row["subdistrict_code"], SubdistrictFact(row["subdistrict_code"], row["subdistrict_name"]))
            code = row["community_code"]
            communities.append(CommunityFact(code, row["community_name"], row["subdistrict_code"], None, ENDED.get(code)))
    for code, name, subdistrict, since in ADDED:
        communities.append(CommunityFact(code, name, subdistrict, since, None))
    communities.sort(key=lambda c: c.code)
    return tuple(sorted(subdistricts.values(), key=lambda s: s.code)), tuple(communities)


# ------------------------------------------------------------------ community party committees

@dataclass(frozen=True)
class CommitteeGroup:
    """One 社区党委 and the residents' committees (workstation) it covers."""

    head: str
    name: str
    subdistrict: str
    codes: tuple[str, ...]
    """Covered communities in code order of the 2016 ones, then any created later."""

    @property
    def org_id(self) -> str:
        return f"org-cc-{self.head}"


COMMITTEE_TARGETS: dict[str, int] = {
    "440303001": 8, "440303002": 10, "440303003": 11, "440303004": 9, "440303005": 11,
    "440303006": 7, "440303007": 8, "440303008": 7, "440303009": 6, "440303010": 6,
}
"""Community party committees per subdistrict: 桂园 is published (8); the rest is a choice that sums to 83."""

FIXED_GROUPS: dict[str, tuple[str, ...]] = {
    # 桂园: 12 committees, 8 published workstations; which committee joins which workstation is a guess.
    "440303001002": ("440303001005",),  # 桂木园 + 红岭
    "440303001004": ("440303001017",),  # 人民桥 + 洪围
    "440303001008": ("440303001007",),  # 红村 + 红南
    "440303001010": ("440303001009",),  # 鹿丹村 + 滨苑
    "440303005015": ("440303005001",),  # the 罗湖 workstation covers 罗湖 and 友谊 (published)
    # 东晓: the four committees merged into 木棉岭 by 2020 share one committee, which takes over the new code.
    "440303009009": ("440303009008", "440303009011", "440303009012", "440303009014"),
}

KEEP_SINGLE: frozenset[str] = frozenset({
    "440303002003",  # 黄贝岭 (first mobile branch)
    "440303002007",  # 新秀 (named in the article)
    "440303003009",  # 立新 (named in the article)
    "440303003020",  # 东门 (东门商圈)
    "440303004011",  # 水贝 (水贝珠宝园区)
    "440303005013",  # 和平 (project pilot)
    "440303006014",  # 笋西 (project pilot)
    "440303007009",  # 乐群 (东乐花园)
})
"""Communities the article names: each keeps a committee of its own."""


@cache
def committee_groups() -> tuple[CommitteeGroup, ...]:
    """Group the communities into the 83 community party committees, deterministically.

    Fixed groups first; then, per subdistrict, adjacent (by code) single communities are paired until
    the subdistrict's target is reached, skipping the communities the article names.
    """
    subdistricts, communities = load_admin()
    names = {c.code: c.name for c in communities}
    absorbed = {code for extra in FIXED_GROUPS.values() for code in extra}
    groups: list[CommitteeGroup] = []
    for sub in subdistricts:
        units = [[c.code, *FIXED_GROUPS.get(c.code, ())] for c in communities
                 if c.subdistrict == sub.code and c.in_2016 and c.code not in absorbed]
        merges = len(units) - COMMITTEE_TARGETS[sub.code]
        i = 0
        while merges > 0 and i < len(units) - 1:
            a, b = units[i], units[i + 1]
            if len(a) == 1 and len(b) == 1 and a[0] not in KEEP_SINGLE and b[0] not in KEEP_SINGLE:
                units[i] = a + b
                del units[i + 1]
                merges -= 1
            i += 1
        if merges or len(units) != COMMITTEE_TARGETS[sub.code]:
            raise AssertionError(f"{sub.name}: cannot form {COMMITTEE_TARGETS[sub.code]} committees")
        for unit in units:
            groups.append(CommitteeGroup(unit[0], f"{names[unit[0]]}党委", sub.code, tuple(unit)))
    return tuple(groups)


# ------------------------------------------------------------------------------------ towers

@dataclass(frozen=True)
class TowerFact:
    name: str
    floors: int
    floors_known: bool
    community: str
    address: str | None


TOWER_CHOICES: dict[str, tuple[int | None, str]] = {
    # name in towers.csv: (floors when towers.csv has no verified count, community code)
    "京基100": (None, "440303001011"),                  # 老围 (address record)
    "信兴广场": (None, "440303001008"),                  # 红村 (address record)
    "深圳国际贸易中心大厦": (None, "440303005019"),        # 嘉北 (address record)
    "鸿隆世纪广场": (38, "440303001004"),                # >=26; 桂园, community inferred (人民桥)
    "罗湖商务中心": (36, "440303003011"),                # >=33; subdistrict unverified, inferred 东门 城东 (深南东路2028号)
    "华润大厦": (28, "440303001005"),                   # >=18; 桂园 inferred, 红岭 inferred
    "中民时代广场": (30, "440303006008"),                # >=20; 笋岗 inferred
    "深圳发展中心大厦": (43, "440303005015"),             # >=30; 南湖 inferred, 罗湖社区 inferred
    "世界金融中心": (50, "440303005013"),                # unknown; 南湖, 和平 inferred (深南东路4003号)
    "国际商业大厦": (30, "440303005020"),                # >=14; 嘉南 inferred (嘉宾路)
    "南方证券大厦": (26, "440303005006"),                # >=12; 建南 inferred (建设路)
    "百货广场大厦": (32, "440303003014"),                # >=13; 螺岭 inferred
    "金丰城大厦": (30, "440303001011"),                  # >=15; 老围 inferred (next to 京基100)
    "朝花大厦": (18, "440303003001"),                    # >=12; 湖贝 (address record); an older, lower block
    "深房广场": (48, "440303005019"),                    # unknown; 人民南, 嘉北 inferred
    "金光华广场": (40, "440303005015"),                  # unknown; 人民南, 罗湖 inferred
    "嘉里中心(深圳)": (30, "440303005005"),              # unknown; 人民南, 罗湖桥 inferred
    "佳宁娜广场": (38, "440303005020"),                  # unknown; 人民南, 嘉南 inferred
    "东方广场": (28, "440303005015"),                    # unknown; 人民南, 罗湖 inferred
    "海外联谊大厦": (24, "440303005019"),                # unknown; 人民南, 嘉北 inferred
    "国贸商业大厦": (26, "440303005019"),                # unknown; 人民南, 嘉北 inferred (国贸)
    "建设集团大厦": (29, "440303001005"),                # unknown; 桂园, 红岭 inferred (红岭中路)
    "水贝壹号": (32, "440303004034"),                    # unknown; 翠锦 (address record)
    "黄贝岭经泽大厦": (22, "440303002003"),              # unknown; 黄贝岭 (address record)
    "国速世纪(国速中心)": (28, "440303006001"),           # unknown; location unverified, 笋岗 田贝 chosen
}

EXCLUDED_TOWERS: dict[str, str] = {
    "城脉中心": "under construction in 2018 (topped out years later), so not one of the 2018 towers",
}

DISPLAY_NAMES: dict[str, str] = {"信兴广场": "信兴广场(地王大厦)"}
"""The article calls 信兴广场 地王大厦: keep both in the name so either finds it."""

RMN_TOWERS: tuple[str, ...] = (
    "深房广场", "金光华广场", "嘉里中心(深圳)", "佳宁娜广场", "东方广场", "海外联谊大厦", "国贸商业大厦",
)
"""Towers listed in 人民南商圈 (dutenews 2018): each gets one of the 商圈党委's 10 branches."""


@cache
def load_towers() -> tuple[TowerFact, ...]:
    """The real towers of towers.csv (minus the excluded), with floors and community, in file order."""
    towers: list[TowerFact] = []
    with open(DATA_DIR / "towers.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["name"]
            if name in EXCLUDED_TOWERS:
                continue
            estimate, community = TOWER_CHOICES[name]
            known = row["approx_floors"].isdigit() and row["floors_basis"].startswith("verified")
            floors = int(row["approx_floors"]) if known else estimate
            if floors is None:
                raise AssertionError(f"{name}: no floor count")
            address = row["address"] if row["address"] and "unverified" not in row["address"] else None
            towers.append(TowerFact(DISPLAY_NAMES.get(name, name), floors, known, community, address))
    return tuple(towers)


def tower_key(display_name: str) -> str:
    """The towers.csv name of a tower (display names may add an alias)."""
    for name, shown in DISPLAY_NAMES.items():
        if shown == display_name:
            return name
    return display_name


@dataclass(frozen=True)
class TowerOrgFact:
    key: str
    name: str
    level: str
    founded: dt.date
    real: bool
    towers: tuple[tuple[str, dt.date | None], ...]
    """Covered towers (towers.csv names) and since when, ``None`` meaning since founding."""
    parent: str | None = None
    """Parent org id; ``None`` means the 街道党工委 of the first tower."""


TOWER_ORGS: tuple[TowerOrgFact, ...] = (
    # Published: 地王大厦联合党委 2006-08, 京基100联合党委 2012 (days invented). The rest is synthetic.
    TowerOrgFact("dw", "地王大厦联合党委", "联合党委", dt.date(2006, 8, 18), True,
                 (("信兴广场", None), ("金丰城大厦", dt.date(2009, 10, 1)))),
    TowerOrgFact("jj100", "京基100联合党委", "联合党委", dt.date(2012, 6, 28), True, (("京基100", None),)),
    TowerOrgFact("gm", "国贸大厦联合党委", "联合党委", dt.date(2008, 6, 20), False, (("深圳国际贸易中心大厦", None),)),
    TowerOrgFact("cr", "华润大厦联合党委", "联合党委", dt.date(2009, 5, 12), False,
                 (("华润大厦", None), ("建设集团大厦", dt.date(2015, 4, 1)))),
    TowerOrgFact("fz", "发展中心大厦联合党委", "联合党委", dt.date(2010, 3, 15), False,
                 (("深圳发展中心大厦", None), ("国际商业大厦", dt.date(2014, 9, 1)))),
    TowerOrgFact("wfc", "世界金融中心联合党委", "联合党委", dt.date(2011, 4, 20), False,
                 (("世界金融中心", None), ("南方证券大厦", dt.date(2016, 3, 1)))),
    TowerOrgFact("hl", "鸿隆世纪广场联合党委", "联合党委", dt.date(2013, 7, 1), False, (("鸿隆世纪广场", None),)),
    TowerOrgFact("lhbc", "罗湖商务中心联合党支部", "联合党支部", dt.date(2014, 5, 20), False, (("罗湖商务中心", None),)),
    TowerOrgFact("bh", "百货广场大厦联合党支部", "联合党支部", dt.date(2010, 9, 1), False,
                 (("百货广场大厦", None), ("朝花大厦", dt.date(2015, 6, 1)))),
    TowerOrgFact("zm", "中民时代广场联合党支部", "联合党支部", dt.date(2015, 8, 18), False, (("中民时代广场", None),)),
    TowerOrgFact("sb1", "水贝壹号联合党支部", "联合党支部", dt.date(2016, 6, 30), False, (("水贝壹号", None),),
                 parent="org-ba-sb"),
    TowerOrgFact("jz", "黄贝岭经泽大厦联合党支部", "联合党支部", dt.date(2017, 5, 10), False, (("黄贝岭经泽大厦", None),)),
    TowerOrgFact("gs", "国速世纪联合党支部", "联合党支部", dt.date(2018, 3, 28), False, (("国速世纪(国速中心)", None),)),
)

SYNTHETIC_TOWERS = 7
"""Synthetic towers of 20+ floors: with the 24 real ones of 20+ floors they make the published 31."""


# ------------------------------------------------------------------ business areas, committees

@dataclass(frozen=True)
class AreaFact:
    id: str
    name: str
    kind: str
    community: str
    org_id: str
    org_name: str
    org_level: str
    org_founded: dt.date
    org_real: bool


AREAS: tuple[AreaFact, ...] = (
    # 人民南商圈党委: founded 2018-12-05 with 10 branches (published). Located at 罗湖社区 (one of three listed).
    AreaFact("ba-01", "人民南商圈", "商圈", "440303005015", "org-ba-rmn", "人民南商圈党委", "党委", dt.date(2018, 12, 5), True),
    AreaFact("ba-02", "东门商圈", "商圈", "440303003020", "org-ba-dm", "东门商圈联合党委", "联合党委",
             dt.date(2016, 11, 18), False),
    AreaFact("ba-03", "水贝珠宝园区", "产业园区", "440303004011", "org-ba-sb", "水贝珠宝园区党委", "党委",
             dt.date(2015, 9, 15), False),
)
RMN_BRANCHES = 10
LAWYERS_ORG_ID = "org-lawyers"
LAWYERS_ORG_NAME = "罗湖区律师行业党委"
LAWYERS_FOUNDED = dt.date(2018, 6, 28)  # 2018 (力量党建 stage); the day is invented

SPECIAL_COMPOUNDS: dict[str, tuple[str, str]] = {
    # community code: (name, address). Both are real; their communities are inferred (places.csv).
    "440303007009": ("东乐花园", "布心路1023号"),
    "440303001016": ("鸿翔花园", "松园路"),
}
DONGLE_PROJECT = "东乐花园党员议事会"
DONGLE_LAUNCHED = dt.date(2008, 6, 1)
HONGXIANG_FOUR_IN_ONE = dt.date(2012, 3, 1)

PILOT_COMMUNITIES: tuple[str, ...] = ("440303005013", "440303006014")  # 和平, 笋西: project claiming 2013

URBAN_VILLAGE_COMMUNITIES: tuple[str, ...] = (
    # Communities named after (or home to) the district's urban villages; the 42 城中村 compounds go here.
    "440303001011", "440303001018", "440303002003", "440303002007", "440303002015", "440303003001",
    "440303004011", "440303005014", "440303005016", "440303006001", "440303006008", "440303006009",
    "440303007001", "440303007002", "440303007003", "440303008001", "440303008002", "440303008003",
    "440303008004", "440303009002", "440303009005", "440303010001", "440303010002", "440303010005",
)


@dataclass(frozen=True)
class MobileFact:
    community: str
    origin: str
    founded: dt.date
    real: bool


MOBILE_BRANCHES: tuple[MobileFact, ...] = (
    # First one published (黄贝岭, 四川达州, 2007; the day is invented); 12 in 10 subdistricts (published).
    MobileFact("440303002003", "四川达州", dt.date(2007, 7, 1), True),
    MobileFact("440303003001", "湖南邵阳", dt.date(2008, 9, 12), False),
    MobileFact("440303004011", "广东揭阳", dt.date(2009, 5, 20), False),
    MobileFact("440303005014", "湖南衡阳", dt.date(2010, 3, 18), False),
    MobileFact("440303006008", "江西赣州", dt.date(2010, 11, 8), False),
    MobileFact("440303007001", "河南信阳", dt.date(2011, 6, 28), False),
    MobileFact("440303008002", "湖北黄冈", dt.date(2012, 4, 16), False),
    MobileFact("440303009002", "广西玉林", dt.date(2012, 10, 10), False),
    MobileFact("440303010002", "四川南充", dt.date(2013, 7, 1), False),
    MobileFact("440303001018", "福建莆田", dt.date(2014, 5, 4), False),
    MobileFact("440303002015", "湖南永州", dt.date(2015, 8, 20), False),
    MobileFact("440303007002", "广东梅州", dt.date(2016, 6, 30), False),
)

STREET_CENTERS: tuple[tuple[str, dt.date], ...] = (
    # 桂园, 笋岗, 东晓 subdistrict centers (published, 2018); opening days invented.
    ("440303001", dt.date(2018, 6, 30)), ("440303006", dt.date(2018, 9, 28)), ("440303009", dt.date(2018, 11, 16)),
)
