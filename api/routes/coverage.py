"""Coverage and gaps: ``/coverage/summary``, ``/coverage/gaps`` and the other gap lists."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from api.deps import EngineDep
from api.export import DOWNLOADS, DownloadFormat, catalog_pager, download, requested_limit
from api.routes.common import NBS_COMMUNITY, NBS_SUBDISTRICT, AsOfQuery, Limit, Offset, PageOf
from queries import answers
from queries.catalog import dataset_as_of, run_catalog

router = APIRouter(prefix="/coverage", tags=["coverage"])

TargetQuery = Annotated[answers.Target, Query(description="compound (居民小区), building (商务楼宇) or enterprise (两新组织).")]


class Covered(BaseModel):
    covered: int = Field(examples=[920])
    rate: float | None = Field(description="covered / total, 4 decimals; null when total is 0", examples=[0.9903])


class CoverageArea(BaseModel):
    area_id: str = Field(examples=["440303001"])
    area_name: str = Field(examples=["桂园街道"])
    total: int = Field(examples=[929])
    organizational: Covered
    work: Covered


class CoverageSummary(BaseModel):
    target: answers.Target
    level: answers.Level
    as_of: dt.date
    min_floors: int | None = None
    rows: list[CoverageArea]


@router.get("/summary", response_model=CoverageSummary, response_model_exclude_none=True,
            summary="Coverage totals and rates per district, subdistrict or community")
def coverage_summary(
    engine: EngineDep,
    target: TargetQuery = "compound",
    level: Annotated[answers.Level, Query(description="Group by district, subdistrict or community.")] = "subdistrict",
    as_of: AsOfQuery = None,
    min_floors: Annotated[int, Query(ge=1, le=300, description="Buildings only: minimum floors.")] = 20,
) -> Any:
    return answers.coverage_summary(engine, target, level, as_of=as_of, min_floors=min_floors)


class TrendPoint(BaseModel):
    as_of: dt.date
    total: int
    organizational: Covered
    work: Covered


class CoverageTrend(BaseModel):
    target: answers.Target
    area_id: str | None
    step: str
    points: list[TrendPoint]


@router.get("/trend", response_model=CoverageTrend, summary="Coverage rate per period (e.g. towers from 2006 to 2018)")
def coverage_trend(
    engine: EngineDep,
    target: TargetQuery = "compound",
    from_: Annotated[dt.date | None, Query(alias="from", description="First date; default 10 years before `to`.")] = None,
    to: Annotated[dt.date | None, Query(description="Last date; default the dataset's as-of date.")] = None,
    step: Annotated[Literal["year", "quarter", "month"], Query(description="Period between points.")] = "year",
    subdistrict: Annotated[str, Query(pattern=NBS_SUBDISTRICT, description="One subdistrict; empty for the district.")] = "",
    min_floors: Annotated[int, Query(ge=1, le=300, description="Buildings only: minimum floors.")] = 20,
) -> Any:
    end = to or dataset_as_of(engine)
    start = from_ or end.replace(year=end.year - 10)
    if start > end:
        raise RequestValidationError([{"loc": ("query", "from"), "msg": "from is after to", "type": "value_error"}])
    if len(answers.trend_dates(start, end, step)) > MAX_TREND_POINTS:
        raise RequestValidationError([{"loc": ("query", "step"), "msg": f"more than {MAX_TREND_POINTS} points; "
                                       "use a longer step", "type": "value_error"}])
    points = answers.coverage_trend(engine, target, start, end, step=step, min_floors=min_floors, area=subdistrict or None)
    return {"target": target, "area_id": subdistrict or None, "step": step, "points": points}


MAX_TREND_POINTS = 60


class GapPage(PageOf):
    target: str
    mode: str
    as_of: dt.date


@router.get("/gaps", response_model=GapPage, summary="Uncovered compounds, buildings or enterprises",
            responses={200: {"content": DOWNLOADS}})
def coverage_gaps(
    engine: EngineDep,
    request: Request,
    target: TargetQuery = "compound",
    mode: Annotated[Literal["organizational", "work"], Query(description="organizational: lacking organizational coverage; "
                                                              "work: lacking any coverage.")] = "organizational",
    subdistrict: Annotated[str, Query(pattern=NBS_SUBDISTRICT, description="Subdistrict code; empty for all.")] = "",
    community: Annotated[str, Query(pattern=NBS_COMMUNITY, description="Community code; empty for all.")] = "",
    as_of: AsOfQuery = None,
    min_floors: Annotated[int, Query(ge=1, le=300, description="Buildings only: minimum floors.")] = 20,
    limit: Limit = 100,
    offset: Offset = 0,
    format: DownloadFormat = "json",
) -> Any:
    as_of = as_of or dataset_as_of(engine)
    params: dict[str, Any] = {"as_of": as_of, "mode": mode, "subdistrict": subdistrict, "community": community}
    if target == "building":
        params["min_floors"] = min_floors
    if format != "json":
        return download(format, catalog_pager(engine, answers.GAPS_QUERY[target], params), f"gaps-{target}-{mode}",
                        offset=offset, limit=requested_limit(request, limit))
    return answers.page(answers.gaps(engine, target, params), limit, offset, target=target, mode=mode, as_of=as_of).as_dict()


GAP_LISTS: dict[str, str] = {
    "enterprises-without-own-branch": "enterprises_without_own_branch",
    "communities-without-certified-center": "communities_without_certified_center",
    "committees-below-reserve-ratio": "committees_below_reserve_ratio",
    "hometown-groups-without-branch": "hometown_groups_without_branch",
    "unclaimed-projects": "unclaimed_projects",
    "compounds-short-of-four-in-one": "compounds_short_of_four_in_one",
}
GapList = Literal[
    "enterprises-without-own-branch", "communities-without-certified-center", "committees-below-reserve-ratio",
    "hometown-groups-without-branch", "unclaimed-projects", "compounds-short-of-four-in-one",
]


class GapListPage(PageOf):
    name: str
    as_of: dt.date


@router.get("/gaps/{name}", response_model=GapListPage, summary="The other gap lists (两新 rule, centers, reserves, …)",
            responses={200: {"content": DOWNLOADS}})
def gap_list(engine: EngineDep, request: Request, name: GapList, as_of: AsOfQuery = None, limit: Limit = 100,
             offset: Offset = 0, format: DownloadFormat = "json") -> Any:
    as_of = as_of or dataset_as_of(engine)
    if format != "json":
        return download(format, catalog_pager(engine, GAP_LISTS[name], {"as_of": as_of}), name, offset=offset,
                        limit=requested_limit(request, limit))
    rows = run_catalog(engine, GAP_LISTS[name], {"as_of": as_of})
    return answers.page(rows, limit, offset, name=name, as_of=as_of).as_dict()
