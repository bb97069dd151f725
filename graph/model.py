"""The domain model: every node label and relationship type of the graph, as pydantic models.

This module is the single source of truth. The schema of each engine (``graph.schema``), the
loaders' validation and the bundle template are all derived from the classes below, so a new
property is added here and nowhere else.

Conventions
-----------
* ``id`` is unique across the whole graph. Administrative units use their NBS statistical codes
  (``440303`` the district, ``440303001`` a subdistrict, ``440303001001`` a community); every
  other entity uses a short type prefix (``cmp-``, ``bld-``, ``org-`` ...), see ``ID_PREFIXES``.
* Every node carries ``synthetic``: ``True`` for records invented by the reference generator.
* Relationships may carry ``since`` / ``until`` validity dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType, UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.:-]*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]

CompoundKind = Literal["商品房", "城中村", "单位宿舍", "其他"]
BusinessAreaKind = Literal["商圈", "产业园区"]
EnterpriseKind = Literal["非公企业", "社会组织"]
OrgLevel = Literal[
    "区委", "街道党工委", "社区党委", "党委", "党总支", "党支部", "联合党委", "联合党支部", "行业党委", "流动党支部",
]
Formation = Literal["单独建", "联合建", "挂靠建"]
Gender = Literal["男", "女"]
MemberCategory = Literal["产业工人", "高知", "两新", "离退休", "其他"]
DelegateLevel = Literal["区", "市"]
ProjectCategory = Literal["党建创新", "民生服务", "公益活动", "志愿服务"]
ProjectStatus = Literal["进行中", "已完成", "已暂停"]
CenterLevel = Literal["区", "街道", "社区", "两新", "商圈"]
BodyKind = Literal["居民小组", "业委会", "物业服务企业"]
CoverMode = Literal["organizational", "work"]
MemberRole = Literal["member", "secretary", "deputy", "committee"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Node(_Record):
    """Base of every node: a graph-wide unique ``id`` and the ``synthetic`` marker."""

    label: ClassVar[str]
    zh: ClassVar[str]
    id: Id
    synthetic: bool = False

    @field_validator("id")
    @classmethod
    def _id_fits_label(cls, value: str) -> str:
        problem = check_id(cls.label, value)
        if problem:
            raise ValueError(problem)
        return value


class Named(Node):
    name: Name


class District(Named):
    """区 — a district; ``id`` is its 6-digit NBS code."""

    label: ClassVar[str] = "District"
    zh: ClassVar[str] = "区"


class Subdistrict(Named):
    """街道 — a subdistrict; ``id`` is its 9-digit NBS code."""

    label: ClassVar[str] = "Subdistrict"
    zh: ClassVar[str] = "街道"


class Community(Named):
    """社区 — a residents' committee; ``id`` is its 12-digit NBS code, valid between the two dates."""

    label: ClassVar[str] = "Community"
    zh: ClassVar[str] = "社区"
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Community:
        _check_order(self.valid_from, self.valid_to, "valid_from", "valid_to")
        return self


class Compound(Named):
    """居民小区 — a residential compound."""

    label: ClassVar[str] = "Compound"
    zh: ClassVar[str] = "居民小区"
    kind: CompoundKind
    households: int | None = Field(default=None, ge=0)
    address: Text | None = None


class Building(Named):
    """商务楼宇 — a commercial building."""

    label: ClassVar[str] = "Building"
    zh: ClassVar[str] = "商务楼宇"
    floors: int = Field(ge=1, le=300)
    address: Text | None = None


class BusinessArea(Named):
    """商圈 / 产业园区 — a business district or industrial park."""

    label: ClassVar[str] = "BusinessArea"
    zh: ClassVar[str] = "商圈/产业园区"
    kind: BusinessAreaKind


class Enterprise(Named):
    """两新组织 — a non-public enterprise or social organization."""

    label: ClassVar[str] = "Enterprise"
    zh: ClassVar[str] = "两新组织"
    kind: EnterpriseKind
    industry: Name
    employees: int | None = Field(default=None, ge=0)


class PartyOrg(Named):
    """党组织 — a party organization of any level."""

    label: ClassVar[str] = "PartyOrg"
    zh: ClassVar[str] = "党组织"
    level: OrgLevel
    formation: Formation | None = None
    founded: dt.date | None = None
    dissolved: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> PartyOrg:
        _check_order(self.founded, self.dissolved, "founded", "dissolved")
        return self


class Member(Named):
    """党员 — a party member. Personal data: name, gender and birth year are restricted."""

    label: ClassVar[str] = "Member"
    zh: ClassVar[str] = "党员"
    gender: Gender
    birth_year: int = Field(ge=1900, le=2100)
    joined: dt.date
    mobile: bool = False
    category: MemberCategory = "其他"
    delegate: DelegateLevel | None = None

    @model_validator(mode="after")
    def _joined_after_birth(self) -> Member:
        if self.joined.year < self.birth_year + 14:
            raise ValueError(f"joined {self.joined} is before the member could have joined (born {self.birth_year})")
        return self


class HometownGroup(Named):
    """同乡村 — a group of migrants from one hometown living together."""

    label: ClassVar[str] = "HometownGroup"
    zh: ClassVar[str] = "同乡村"
    origin: Name
    size: int | None = Field(default=None, ge=0)


class Project(Named):
    """党建项目 — a project that party organizations, members or enterprises claim."""

    label: ClassVar[str] = "Project"
    zh: ClassVar[str] = "党建项目"
    category: ProjectCategory
    launched: dt.date | None = None
    status: ProjectStatus = "进行中"


class ServiceCenter(Named):
    """党群服务中心 — a party-mass service center."""

    label: ClassVar[str] = "ServiceCenter"
    zh: ClassVar[str] = "党群服务中心"
    level: CenterLevel
    certified: bool = False
    opened: dt.date | None = None


class CompoundBody(Named):
    """居民小组 / 业委会 / 物业服务企业 — the other three bodies of the four-in-one model."""

    label: ClassVar[str] = "CompoundBody"
    zh: ClassVar[str] = "小区组织"
    kind: BodyKind


FactTolerance = Literal["exact", "about", "at_least", "at_most"]


class Fact(Named):
    """A published figure (e.g. "929个居民小区") with where it comes from and the query that computes it.

    ``metric`` says how the catalog query's rows become one number: ``count`` (rows), ``sum:COL``,
    ``distinct:COL``, ``first:COL``, ``pct:NUM/DEN`` (100 * sum NUM / sum DEN), ``pick:COL=VALUE:TARGET``
    (TARGET of the row whose COL is VALUE). ``params`` is the query's parameters as JSON.
    """

    label: ClassVar[str] = "Fact"
    zh: ClassVar[str] = "公开数据"
    value: float
    unit: Name
    tolerance: FactTolerance = "exact"
    margin: float = Field(default=0.0, ge=0, le=1, description="relative margin for 'about' (0.1 = 10 %)")
    as_of: dt.date
    publication: Text
    sentence: Text
    query: Name
    params: Text = "{}"
    metric: Name
    gap: Text | None = None


class Dataset(Named):
    """A loaded bundle: its scope and the date its data describes (written by the loader)."""

    label: ClassVar[str] = "Dataset"
    zh: ClassVar[str] = "数据集"
    scope: Name
    as_of: dt.date
    description: Text | None = None


def _check_order(start: dt.date | None, end: dt.date | None, start_name: str, end_name: str) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError(f"{end_name} {end} is before {start_name} {start}")


NODE_MODELS: dict[str, type[Node]] = {
    m.label: m
    for m in (
        District, Subdistrict, Community, Compound, Building, BusinessArea, Enterprise, PartyOrg,
        Member, HometownGroup, Project, ServiceCenter, CompoundBody, Fact, Dataset,
    )
}
"""Every node label, in load order (a label's relationships only point at earlier or equal labels)."""

ID_PREFIXES: dict[str, str] = {
    "Compound": "cmp-", "Building": "bld-", "BusinessArea": "ba-", "Enterprise": "ent-", "PartyOrg": "org-",
    "Member": "mem-", "HometownGroup": "htg-", "Project": "prj-", "ServiceCenter": "svc-", "CompoundBody": "body-",
    "Fact": "fact-", "Dataset": "ds-",
}
"""Id prefix of each non-administrative label. Administrative units use bare NBS codes."""

NBS_CODE_LENGTHS: dict[str, int] = {"District": 6, "Subdistrict": 9, "Community": 12}


# ---------------------------------------------------------------- relationships


class Rel(_Record):
    """Base of every relationship row: ``source`` and ``target`` ids plus validity dates."""

    type: ClassVar[str]
    zh: ClassVar[str]
    endpoints: ClassVar[tuple[tuple[str, str], ...]]
    source: Id
    target: Id
    since: dt.date | None = None
    until: dt.date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Rel:
        _check_order(self.since, self.until, "since", "until")
        return self


class PartOf(Rel):
    """Subdistrict→District, Community→Subdistrict, CompoundBody→Compound."""

    type: ClassVar[str] = "PART_OF"
    zh: ClassVar[str] = "隶属"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (
        ("Subdistrict", "District"), ("Community", "Subdistrict"), ("CompoundBody", "Compound"),
    )


class LocatedIn(Rel):
    """Places and projects in a community; enterprises in a building or business area."""

    type: ClassVar[str] = "LOCATED_IN"
    zh: ClassVar[str] = "位于"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (
        ("Compound", "Community"), ("Building", "Community"), ("BusinessArea", "Community"),
        ("Project", "Community"), ("Enterprise", "Building"), ("Enterprise", "BusinessArea"),
        ("HometownGroup", "Community"),
    )


class ReportsTo(Rel):
    """A party organization's parent; together they form one tree rooted at the district committee."""

    type: ClassVar[str] = "REPORTS_TO"
    zh: ClassVar[str] = "上级党组织"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("PartyOrg", "PartyOrg"),)


class Covers(Rel):
    """A party organization's organizational or work coverage of a place or enterprise.

    Committees also cover their own area (区委 the District, 街道党工委 a Subdistrict, 社区党委 its
    Communities): that anchors every organization in space through its ``REPORTS_TO`` chain.
    """

    type: ClassVar[str] = "COVERS"
    zh: ClassVar[str] = "覆盖"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (
        ("PartyOrg", "Compound"), ("PartyOrg", "Building"), ("PartyOrg", "Enterprise"),
        ("PartyOrg", "BusinessArea"), ("PartyOrg", "Community"), ("PartyOrg", "Subdistrict"), ("PartyOrg", "District"),
    )
    mode: CoverMode
    formation: Formation | None = None


class MemberOf(Rel):
    type: ClassVar[str] = "MEMBER_OF"
    zh: ClassVar[str] = "所在党组织"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("Member", "PartyOrg"),)
    role: MemberRole = "member"


class ReserveFor(Rel):
    """A member in the reserve cadre pool (后备干部) of a community committee."""

    type: ClassVar[str] = "RESERVE_FOR"
    zh: ClassVar[str] = "后备干部"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("Member", "PartyOrg"),)


class LivesIn(Rel):
    type: ClassVar[str] = "LIVES_IN"
    zh: ClassVar[str] = "居住于"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("Member", "Compound"),)


class WorksAt(Rel):
    type: ClassVar[str] = "WORKS_AT"
    zh: ClassVar[str] = "工作于"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("Member", "Enterprise"),)


class BelongsTo(Rel):
    type: ClassVar[str] = "BELONGS_TO"
    zh: ClassVar[str] = "属于同乡村"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("Member", "HometownGroup"),)


class Serves(Rel):
    """Mobile branches serve hometown groups; service centers serve areas and buildings."""

    type: ClassVar[str] = "SERVES"
    zh: ClassVar[str] = "服务"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (
        ("PartyOrg", "HometownGroup"), ("ServiceCenter", "Community"), ("ServiceCenter", "Subdistrict"),
        ("ServiceCenter", "Building"), ("ServiceCenter", "BusinessArea"),
    )


class RunBy(Rel):
    type: ClassVar[str] = "RUN_BY"
    zh: ClassVar[str] = "运营党组织"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("ServiceCenter", "PartyOrg"),)


class Claimed(Rel):
    type: ClassVar[str] = "CLAIMED"
    zh: ClassVar[str] = "认领"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (
        ("PartyOrg", "Project"), ("Member", "Project"), ("Enterprise", "Project"),
    )


class Leads(Rel):
    type: ClassVar[str] = "LEADS"
    zh: ClassVar[str] = "引领"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (("PartyOrg", "CompoundBody"),)


class Describes(Rel):
    """What a published fact is about (provenance: a community's view shows what was published on it)."""

    type: ClassVar[str] = "DESCRIBES"
    zh: ClassVar[str] = "描述"
    endpoints: ClassVar[tuple[tuple[str, str], ...]] = (
        ("Fact", "District"), ("Fact", "Subdistrict"), ("Fact", "Community"), ("Fact", "PartyOrg"), ("Fact", "Building"),
        ("Fact", "Compound"), ("Fact", "BusinessArea"),
    )


REL_MODELS: dict[str, type[Rel]] = {
    m.type: m
    for m in (PartOf, LocatedIn, ReportsTo, Covers, MemberOf, ReserveFor, LivesIn, WorksAt, BelongsTo, Serves, RunBy, Claimed, Leads,
              Describes)
}
"""Every relationship type."""

PERSONAL_FIELDS: frozenset[str] = frozenset({"name", "gender", "birth_year"})
"""Member properties that are personal data (see docs/security.md)."""


@cache
def node_properties(label: str) -> Mapping[str, type]:
    """Return the stored properties of a node label and their Python types, ``id`` first.

    >>> list(node_properties("District"))
    ['id', 'synthetic', 'name']
    """
    return MappingProxyType({name: _base_type(f.annotation) for name, f in NODE_MODELS[label].model_fields.items()})


@cache
def rel_properties(rel_type: str) -> Mapping[str, type]:
    """Return the stored properties of a relationship type (``source``/``target`` excluded)."""
    fields = REL_MODELS[rel_type].model_fields
    return MappingProxyType({name: _base_type(f.annotation) for name, f in fields.items() if name not in ("source", "target")})


def _base_type(annotation: Any) -> type:
    """Reduce an annotation such as ``int | None`` or ``Literal['a', 'b']`` to the stored Python type."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return _base_type(next(a for a in get_args(annotation) if a is not type(None)))
    if origin is Annotated:
        return _base_type(get_args(annotation)[0])
    if origin is Literal:
        return type(get_args(annotation)[0])
    if isinstance(annotation, type):
        return annotation
    raise TypeError(f"unsupported property annotation {annotation!r}")


def check_id(label: str, value: str) -> str | None:
    """Return why ``value`` is not a proper id for ``label``, or ``None`` when it is."""
    if label in NBS_CODE_LENGTHS:
        length = NBS_CODE_LENGTHS[label]
        if not (value.isdigit() and len(value) == length):
            return f"a {label} id must be its {length}-digit NBS code"
        return None
    prefix = ID_PREFIXES[label]
    if not value.startswith(prefix):
        return f"a {label} id must start with '{prefix}'"
    return None


def label_for_id(value: str) -> str | None:
    """The label an id belongs to, read from its form (NBS code length or prefix); ``None`` if no label fits.

    Ids are graph-wide unique *and* say their label, so a lookup can use the label's index.

    >>> label_for_id("440303002003"), label_for_id("org-luohu"), label_for_id("x-1")
    ('Community', 'PartyOrg', None)
    """
    if value.isdigit():
        return next((label for label, n in NBS_CODE_LENGTHS.items() if len(value) == n), None)
    return next((label for label, prefix in ID_PREFIXES.items() if value.startswith(prefix)), None)
