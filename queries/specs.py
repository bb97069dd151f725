"""What each catalog query takes and returns: pydantic models of its parameters and its rows, titles.

The Cypher text lives in ``queries/NAME.cypher``; this module gives every such file its contract.
``tests/test_catalog.py`` checks that the two agree (every file has a spec, every parameter of the
text is a field of the parameter model).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
OptionalId = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
CoverageMode = Literal["organizational", "work"]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------ parameters


class NoParams(Params):
    pass


class AsOf(Params):
    as_of: dt.date | None = Field(None, description="The date to evaluate at; default: the loaded dataset's as-of date.",
                                  examples=["2018-12-28"])


class MinFloors(AsOf):
    min_floors: int = Field(20, ge=1, le=300, description="Only buildings with at least this many floors.")


class Rollup(Params):
    # Not ``target`` (the API's name for it): a ``target`` parameter names an entity id everywhere else.
    counted: Literal["compound", "building", "enterprise"] = Field(description="What the roll-up counted.")
    as_of: dt.date = Field(description="The as-of date it was rolled up at.", examples=["2018-12-28"])
    min_floors: int = Field(0, ge=0, le=300, description="Buildings only: at least this many floors.")


class DatedCoverage(Params):
    as_of: dt.date = Field(description="The date to evaluate at.", examples=["2018-12-28"])


class Area(Params):
    subdistrict: OptionalId = Field("", description="Subdistrict NBS code (9 digits); empty for all.",
                                    examples=["440303001"])
    community: OptionalId = Field("", description="Community NBS code (12 digits); empty for all.", examples=[""])


class Gaps(AsOf, Area):
    mode: CoverageMode = Field("organizational", description="organizational: lacking organizational coverage; "
                               "work: lacking any coverage.")


class BuildingGaps(Gaps):
    min_floors: int = Field(20, ge=1, le=300, description="Only buildings with at least this many floors.")


class MinMembers(AsOf):
    min_members: int = Field(3, ge=1, description="Members working there from which an own branch is expected.")


class ReserveRatio(AsOf):
    ratio: int = Field(2, ge=1, le=10, description="Reserve cadres required per secretary (the rule is 1:2).")


class EntityId(Params):
    id: Id = Field(description="Graph-wide entity id.", examples=["org-luohu"])


class Subtree(EntityId):
    depth: int = Field(3, ge=1, le=12, description="How many levels below the org.")


class Step(Params):
    ids: list[Id] = Field(min_length=1, max_length=1000)


def _node_labels(labels: list[str] | None) -> list[str] | None:
    from graph.model import NODE_MODELS

    unknown = sorted(set(labels or ()) - set(NODE_MODELS))
    if unknown:
        raise ValueError(f"unknown labels: {unknown}")
    return labels


class LeastStep(Step):
    seen: list[Id] = Field(min_length=1, max_length=10_000, description="Ids that are not far ends (the walk's nodes so far).")
    labels: Annotated[list[str] | None, AfterValidator(_node_labels)] = Field(
        None, description="Labels of the far ends to return and count; null: every label.")
    k: int = Field(ge=1, le=100_000, description="Most far ends to return (a walk asks for the room it has left).")


class Hood(EntityId):
    labels: Annotated[list[str] | None, AfterValidator(_node_labels)] = Field(
        None, description="Labels of the nodes to return and count; null: every label.")
    k: int = Field(ge=1, le=100_000, description="Most nodes to return.")


class Links(Step):
    kept: list[Id] = Field(min_length=1, max_length=10_000, description="Ids of the other ends.")


class Pair(Params):
    source: Id = Field(examples=["440303002003"])
    target: Id = Field(examples=["org-luohu"])


class PathQuery(Pair):
    max_length: int = Field(6, ge=1, le=10, description="Longest path to look for, in steps.")


class EdgePair(BaseModel):
    source: Id
    target: Id


class PathEdges(Params):
    pairs: list[EdgePair] = Field(min_length=1, max_length=20)


def _no_member_search(labels: list[str]) -> list[str]:
    # Which member ids match a name part would tell names without showing them (docs/security.md).
    if "Member" in labels:
        raise ValueError("member names are not searchable")
    return labels


SearchLabels = Annotated[list[str], AfterValidator(_no_member_search)]


class Search(Params):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(
        description="Part of the name (Chinese), or of its pinyin initials (Latin letters: lhq for 罗湖区).",
        examples=["花园"])
    labels: SearchLabels = Field(description="Labels to search in.")
    limit: int = Field(20, ge=1, le=500)
    offset: int = Field(0, ge=0, le=1_000_000)

    computed_params: ClassVar[frozenset[str]] = frozenset({"initials", "upto"})
    """Parameters the query gets from the others, never from a caller."""

    def cypher_params(self) -> dict[str, Any]:
        from queries.search import search_params  # the initials term of a Latin term

        return search_params(self.q, self.labels, limit=self.limit, offset=self.offset)


class SearchPage(Search):
    computed_params: ClassVar[frozenset[str]] = frozenset({"initials", "upto", "phrase"})
    """As :class:`Search`'s, and the full-text phrase of a two-character term (never taken as given)."""

    def cypher_params(self) -> dict[str, Any]:
        from queries.search import page_params

        return page_params(self.q, self.labels, self.limit, self.offset)


class Recruited(Params):
    category: str = Field("两新", description="Member category.")
    from_: dt.date = Field(dt.date(2014, 1, 1), alias="from", description="First day of the period.")
    to: dt.date = Field(dt.date(2018, 12, 28), description="Last day of the period.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def cypher_params(self) -> dict[str, Any]:
        return {"category": self.category, "from": self.from_, "to": self.to}


class SearchCount(Params):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    labels: SearchLabels

    computed_params: ClassVar[frozenset[str]] = frozenset({"initials"})

    def cypher_params(self) -> dict[str, Any]:
        from queries.search import search_params

        return search_params(self.q, self.labels)


class CountRow(Row):
    total: int


class CommunityCoverage(AsOf):
    community: Id = Field(description="Community NBS code (12 digits).", examples=["440303002003"])
    min_floors: int = Field(20, ge=1, le=300, description="Only buildings with at least this many floors.")


class OrgIds(Params):
    ids: list[Id] = Field(min_length=1, max_length=5000, description="Party organization ids.")


class NamePart(Params):
    q: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)] = Field(examples=["联合党委"])


# ------------------------------------------------------------------------------ rows


class DatasetRow(Row):
    as_of: dt.date | None
    datasets: int


class FloorsCoverageRow(Row):
    community_id: str
    floors: int
    total: int
    organizational_covered: int
    work_covered: int


class RollupMarkerRow(Row):
    target: str
    as_of: dt.date


class CoverageUnitRow(Row):
    counted: Literal["compound", "building", "enterprise"]
    id: str
    community_id: str
    floors: int


class CoverageIntervalRow(Row):
    id: str
    mode: str
    since: dt.date | None
    until: dt.date | None
    founded: dt.date | None
    dissolved: dt.date | None
    dated: bool


class CommunityAreaRow(Row):
    district_id: str
    district_name: str
    subdistrict_id: str
    subdistrict_name: str
    community_id: str
    community_name: str


class CoverageRow(CommunityAreaRow):
    total: int
    organizational_covered: int
    work_covered: int


class GapRow(Row):
    id: str
    name: str
    community_id: str
    community_name: str
    subdistrict_id: str
    subdistrict_name: str
    missing: str = Field(description="What is missing: organizational, or organizational+work coverage.")
    responsible_id: str | None = Field(description="The community party committee responsible.")
    responsible_name: str | None


class CompoundGapRow(GapRow):
    kind: str


class BuildingGapRow(GapRow):
    floors: int


class EnterpriseGapRow(GapRow):
    industry: str


class OwnBranchGapRow(Row):
    id: str
    name: str
    industry: str
    members: int
    community_id: str
    subdistrict_id: str
    missing: str


class CommunityGapRow(Row):
    id: str
    name: str
    subdistrict_id: str
    subdistrict_name: str
    missing: str
    responsible_id: str | None
    responsible_name: str | None


class ReserveGapRow(Row):
    id: str
    name: str
    secretaries: int
    reserves: int
    missing: str


class HometownGapRow(Row):
    id: str
    name: str
    origin: str
    size: int | None
    community_id: str
    community_name: str
    subdistrict_id: str
    subdistrict_name: str
    missing: str


class ProjectGapRow(Row):
    id: str
    name: str
    category: str
    launched: dt.date | None
    status: str
    community_id: str
    community_name: str
    subdistrict_id: str
    subdistrict_name: str
    missing: str


class FourInOneGapRow(Row):
    id: str
    name: str
    community_id: str
    community_name: str
    led_kinds: int
    missing: str


class FourInOneRow(Row):
    id: str
    name: str
    community_id: str
    community_name: str
    completed: dt.date | None


class NodeRow(Row):
    n: dict[str, Any] = Field(description="The entity: id, label and properties.")


class ParentRow(Row):
    id: str
    name: str
    level: str


class ChainRow(Row):
    id: str
    name: str
    level: str
    distance: int


class SubtreeRow(Row):
    id: str
    name: str
    level: str
    formation: str | None
    founded: dt.date | None
    parent_id: str
    depth: int


class StepRow(Row):
    source: str
    target: str
    type: str
    node: dict[str, Any]


class PathRow(Row):
    nodes: list[dict[str, Any]]
    length: int


class EdgeRow(Row):
    source: str
    target: str
    type: str


class PathStepRow(Row):
    """A relationship, source → target; a node without relationships gives rows with nulls."""

    source: str | None
    target: str | None
    type: str | None


class HoodRow(Row):
    node: dict[str, Any]
    source: str
    target: str
    type: str
    total: int


class DegreeRow(Row):
    relationships: int


class LeastRow(Row):
    far: str
    total: int


class NeighborNodeRow(Row):
    node: dict[str, Any]


class NodePropertiesRow(Row):
    """A node as columns (``n.__PROPERTIES__``): its id, label and stored properties (which depend on the label)."""

    model_config = ConfigDict(extra="allow")
    id: str
    label: str


class GroupMemberRow(Row):
    member_id: str
    member_name: str
    mobile: bool | None
    compound_id: str | None
    compound_name: str | None
    branch_id: str | None
    branch_name: str | None


class ClaimedProjectRow(Row):
    id: str
    name: str
    category: str
    launched: dt.date | None
    status: str
    since: dt.date | None


class ClaimantRow(Row):
    id: str
    name: str
    label: str
    since: dt.date | None


class SearchRow(Row):
    id: str
    name: str
    label: str


class SearchPageRow(SearchRow):
    total: int


class MobileBranchRow(Row):
    id: str
    name: str
    founded: dt.date | None
    group_id: str
    origin: str
    community_id: str
    community_name: str
    subdistrict_id: str
    subdistrict_name: str
    mobile_members: int


class RecruitedRow(Row):
    recruited: int | None
    delegates: int | None
    members: int


class OrgLevelRow(Row):
    level: str
    orgs: int
    first_founded: dt.date | None


class CenterLevelRow(Row):
    level: str
    centers: int
    certified: int


class ProjectYearRow(Row):
    year: int
    community_id: str
    community_name: str
    projects: int
    claimed: int


class PlaceCoverRow(Row):
    place: dict[str, Any] = Field(description="The compound or building.")
    org: dict[str, Any] | None = Field(description="An organization covering it at as_of; null when none does.")
    mode: str | None = Field(description="organizational or work; null when none covers it.")


class CrossLinkRow(Row):
    source: str
    target: str
    type: str = Field(description="COVERS (a building or business area) or SERVES (a hometown group).")
    node: dict[str, Any]


class OrgNameRow(Row):
    id: str
    name: str
    level: str
    formation: str | None
    founded: dt.date | None


class FactRow(Row):
    fact: dict[str, Any]
    about: str | None


# ------------------------------------------------------------------------------ the registry


@dataclass(frozen=True)
class QuerySpec:
    """The contract of one catalog query."""

    title_en: str
    title_zh: str
    params: type[Params]
    row: type[Row]
    kind: Literal["coverage", "gaps", "linkage", "lookup", "figures", "internal"]
    served_on: tuple[str, ...] = ("ladybug", "neo4j")
    """The dialects whose engines run it at scale. On the others it gives the same rows (the differential test
    runs it on both engines) but is too slow there to ask: the benchmarks skip it, and nothing serves it."""


SPECS: dict[str, QuerySpec] = {
    "dataset_as_of": QuerySpec("As-of date of the loaded data", "数据截止日期", NoParams, DatasetRow, "internal"),
    "coverage_compounds": QuerySpec("Coverage of residential compounds per community", "居民小区党的覆盖(按社区)",
                                    AsOf, CoverageRow, "coverage"),
    "coverage_buildings": QuerySpec("Coverage of commercial buildings per community", "商务楼宇党的覆盖(按社区)",
                                    MinFloors, CoverageRow, "coverage"),
    "coverage_enterprises": QuerySpec("Coverage of 两新 enterprises per community", "两新组织党的覆盖(按社区)",
                                      AsOf, CoverageRow, "coverage"),
    "coverage_buildings_by_floors": QuerySpec("Coverage of commercial buildings per community and floors",
                                              "商务楼宇党的覆盖(按社区和层数)", DatedCoverage, FloorsCoverageRow, "internal"),
    "coverage_rollup": QuerySpec("Stored coverage roll-up per community", "覆盖率汇总(预计算)", Rollup, CoverageRow,
                                 "internal"),
    "coverage_units": QuerySpec("What coverage counts, per community", "覆盖统计对象(按社区)", NoParams, CoverageUnitRow,
                                "internal"),
    "coverage_intervals": QuerySpec("When each coverage counts", "覆盖关系的有效期", NoParams, CoverageIntervalRow,
                                    "internal"),
    "community_areas": QuerySpec("Communities with their subdistrict and district", "社区及所属街道、区", NoParams,
                                 CommunityAreaRow, "internal"),
    "coverage_rollups": QuerySpec("Stored coverage roll-ups", "已预计算的覆盖率汇总", NoParams, RollupMarkerRow, "internal"),
    "gaps_compounds": QuerySpec("Compounds without coverage", "未覆盖的居民小区", Gaps, CompoundGapRow, "gaps"),
    "gaps_buildings": QuerySpec("Buildings without coverage", "未覆盖的商务楼宇", BuildingGaps, BuildingGapRow, "gaps"),
    "gaps_enterprises": QuerySpec("Enterprises without coverage", "未覆盖的两新组织", Gaps, EnterpriseGapRow, "gaps"),
    "enterprises_without_own_branch": QuerySpec("Enterprises with 3+ members but no own branch", "党员3名以上未单独建支部的企业",
                                                MinMembers, OwnBranchGapRow, "gaps"),
    "communities_without_certified_center": QuerySpec("Communities without a certified service center",
                                                      "无达标党群服务中心的社区", AsOf, CommunityGapRow, "gaps"),
    "committees_below_reserve_ratio": QuerySpec("Community committees below the 1:2 reserve ratio",
                                                "后备干部不足1:2的社区党委", ReserveRatio, ReserveGapRow, "gaps"),
    "hometown_groups_without_branch": QuerySpec("Hometown groups without a mobile branch", "未建流动党支部的同乡村",
                                                AsOf, HometownGapRow, "gaps"),
    "unclaimed_projects": QuerySpec("Unclaimed projects", "无人认领的党建项目", AsOf, ProjectGapRow, "gaps"),
    "compounds_short_of_four_in_one": QuerySpec("Compounds short of the four-in-one bodies", "四位一体不完整的小区",
                                                AsOf, FourInOneGapRow, "gaps"),
    "four_in_one_compounds": QuerySpec("Compounds with the complete four-in-one model", "实现四位一体的小区",
                                       AsOf, FourInOneRow, "figures"),
    "entity_by_id": QuerySpec("Entity by id", "按编号查询实体", EntityId, NodeRow, "lookup"),
    "org_chain": QuerySpec("Chain of an org up to the district committee", "党组织上级链", EntityId, ChainRow, "linkage"),
    "org_parents": QuerySpec("Organizations an org reports to (one step)", "直接上级党组织", EntityId, ParentRow, "internal"),
    "org_subtree": QuerySpec("Organizations below an org", "下级党组织", Subtree, SubtreeRow, "linkage"),
    "neighbors_step": QuerySpec("One step of a neighborhood", "邻居(一步)", Step, StepRow, "internal"),
    "neighbors_one": QuerySpec("One step of a neighborhood from one node", "单个实体的邻居(一步)", EntityId, StepRow, "internal"),
    "shortest_path": QuerySpec("Shortest path between two entities", "两实体间最短路径", PathQuery, PathRow, "linkage"),
    "path_edges": QuerySpec("Relationships along a path", "路径上的关系", PathEdges, EdgeRow, "internal",
                            served_on=("neo4j",)),
    "least_shortest_path": QuerySpec("The shortest path with the least node ids", "编号序最小的最短路径", PathQuery, PathRow,
                                     "internal", served_on=("neo4j",)),
    "neighbors_least": QuerySpec("One step of a neighborhood: the far ends of least id, and how many", "邻居(一步, 编号最小的若干个)",
                                 LeastStep, LeastRow, "internal", served_on=("ladybug",)),
    "neighbors_hood": QuerySpec("Neighbors of one node, least ids first, and how many", "单个实体的邻居(编号最小的若干个)",
                                Hood, HoodRow, "internal", served_on=("neo4j",)),
    "neighbors_degree": QuerySpec("How many relationships some nodes have", "实体的关系数量", Step, DegreeRow, "internal",
                                  served_on=("ladybug",)),
    "neighbors_links": QuerySpec("Relationships from some nodes to others", "实体之间的关系", Links, PathStepRow, "internal",
                                 served_on=("ladybug",)),
    "nodes_by_ids": QuerySpec("Nodes by id", "按编号批量查询实体", Step, NodePropertiesRow, "internal"),
    "nodes_by_any_ids": QuerySpec("Nodes of any labels by id", "按编号批量查询实体(任意类型)", Step, NeighborNodeRow,
                                  "internal", served_on=("neo4j",)),
    "path_step": QuerySpec("One step of the shortest-path search", "最短路径搜索(一步)", Step, PathStepRow, "internal"),
    "path_step_any": QuerySpec("One step of a walk from ids of any labels", "多类型实体的一步关联", Step, PathStepRow,
                               "internal", served_on=("neo4j",)),
    "common_neighbors": QuerySpec("What links two entities", "两实体的共同关联", Pair, NeighborNodeRow, "linkage"),
    "hometown_group_members": QuerySpec("Members of a hometown group", "同乡村党员", EntityId, GroupMemberRow, "linkage"),
    "projects_claimed_by": QuerySpec("Projects claimed by an org, member or enterprise", "认领的党建项目", EntityId,
                                     ClaimedProjectRow, "linkage"),
    "project_claimants": QuerySpec("Who claimed a project", "项目认领方", EntityId, ClaimantRow, "linkage"),
    "search_by_name": QuerySpec("Search by name", "按名称搜索", Search, SearchRow, "lookup"),
    "search_page": QuerySpec("A page of a name search, with the number of matches", "按名称搜索(一页及总数)", SearchPage,
                             SearchPageRow, "internal", served_on=("neo4j",)),
    "search_count": QuerySpec("Count of a name search", "搜索结果数量", SearchCount, CountRow, "internal"),
    "mobile_branches": QuerySpec("Mobile branches and their hometown groups", "同乡村流动党支部", AsOf, MobileBranchRow,
                                 "figures"),
    "members_recruited": QuerySpec("Members recruited in a period, and delegates", "发展党员与党代表", Recruited,
                                   RecruitedRow, "figures"),
    "orgs_by_level": QuerySpec("Party organizations per level", "各层级党组织数量", AsOf, OrgLevelRow, "figures"),
    "service_centers_by_level": QuerySpec("Service centers per level", "各级党群服务中心", AsOf, CenterLevelRow, "figures"),
    "projects_by_year": QuerySpec("Projects per year and community", "党建项目(按年份和社区)", AsOf, ProjectYearRow, "figures"),
    "community_coverage": QuerySpec("Coverage of each compound and tower of a community", "社区内各小区和楼宇的覆盖",
                                    CommunityCoverage, PlaceCoverRow, "internal"),
    "org_cross_links": QuerySpec("Buildings covered and hometown groups served by organizations", "党组织覆盖的楼宇和服务的同乡村",
                                 OrgIds, CrossLinkRow, "internal"),
    "facts": QuerySpec("Published facts", "公开数据", NoParams, FactRow, "figures"),
    "orgs_named": QuerySpec("Organizations by name", "按名称查党组织", NamePart, OrgNameRow, "lookup"),
}
