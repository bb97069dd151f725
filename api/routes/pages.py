"""The web pages (Chinese interface), rendered on the server from ``api/templates``.

``/`` dashboard of coverage by subdistrict, ``/subdistricts/{id}`` its communities, ``/gaps`` and
``/gaps/{name}`` the gap lists, ``/facts`` the published figures reconciled with the graph,
``/entities/{id}`` an entity with its links, the facts that describe it and its network view,
``/search``, ``/path`` the path finder, ``/queries`` the query catalog. Small HTML fragments for
htmx (``/search/results``, ``/queries/{name}/rows``) keep the pages live without a front-end build.

The pages call the same answers as the JSON API and never show a member's personal data.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import typing
from collections import Counter
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api import fact_display
from api.problems import NotFoundError
from api.routes.catalog import PUBLIC, describe
from api.routes.common import PathMaxLength
from api.routes.coverage import GAP_LISTS
from api.routes.entities import SEARCHABLE, get_entity
from graph.engine import GraphEngine
from graph.errors import GraphError
from graph.views.style import (
    COVERAGE_COLORS,
    FACT_STATUS_ZH,
    PROPERTY_ZH,
    caption,
    label_zh,
    mask_personal,
    property_rows,
    rel_zh,
    show_value,
    style_of,
)
from queries import answers
from queries.catalog import dataset_as_of, run_catalog
from queries.facts import reconcile
from queries.search import search as search_names
from queries.specs import SPECS

API_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = API_DIR / "templates"
STATIC_DIR = API_DIR / "static"
REPO_ROOT = API_DIR.parent
VENDOR_FILES = ("echarts/dist/echarts.min.js", "htmx.org/dist/htmx.min.js", "swagger-ui-dist/swagger-ui-bundle.js",
                "swagger-ui-dist/swagger-ui.css")
"""The npm files the pages load; ``mount_static`` refuses to start without them."""
TARGETS: tuple[answers.Target, ...] = ("compound", "building", "enterprise")
TARGET_ZH = {"compound": "居民小区", "building": "商务楼宇(20层以上)", "enterprise": "两新组织"}
MODE_ZH = {"organizational": "缺组织覆盖", "work": "无任何覆盖"}
GAP_LIST_ZH = {name: SPECS[query].title_zh for name, query in GAP_LISTS.items()}
LINK_ROWS = 300
"""Most relationships listed on an entity page (the network view shows the rest)."""
TABLE_ROWS = 200
"""Most rows of a query answer shown on a page (the download holds up to 1000)."""
FRAME_LIMIT = 150
"""Node limit of the network view framed by an entity page (opened alone, it allows more)."""

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
templates = Jinja2Templates(directory=TEMPLATE_DIR)


class VendorFilesMissingError(RuntimeError):
    """``node_modules`` (the npm packages the pages load) is not installed."""


def vendor_dir() -> Path:
    """Where the npm packages are: ``ORGGRAPH_VENDOR_DIR`` or the repository's ``node_modules``."""
    return Path(os.environ.get("ORGGRAPH_VENDOR_DIR") or REPO_ROOT / "node_modules")


def mount_static(app: FastAPI) -> None:
    """Serve ``api/static`` at ``/static`` and ``node_modules`` at ``/static/vendor``; fail at start,
    not at the first page view, when the npm packages are missing."""
    vendor = vendor_dir()
    missing = [name for name in VENDOR_FILES if not (vendor / name).is_file()]
    if missing:
        raise VendorFilesMissingError(
            f"the web pages need the npm packages in {vendor}, but {', '.join(missing)} is missing: run "
            "`make node_modules/.installed` (npm ci --no-audit --no-fund) in the repository, or set ORGGRAPH_VENDOR_DIR")
    # The more specific mount first: Starlette takes the first mount whose prefix matches.
    app.mount("/static/vendor", StaticFiles(directory=vendor), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")


# ------------------------------------------------------------------------------------ template helpers


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else show_value(value)


def _query_string(params: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")}, doseq=True)


COLUMN_ZH = {
    **PROPERTY_ZH, "community_id": "社区编号", "community_name": "社区", "subdistrict_id": "街道编号", "subdistrict_name": "街道",
    "district_id": "区编号", "district_name": "区", "missing": "缺少", "responsible_id": "责任党组织编号",
    "responsible_name": "责任党组织", "members": "党员数", "secretaries": "书记数", "reserves": "后备干部数",
    "led_kinds": "已引领组织类型数", "completed": "完成日期", "total": "总数", "organizational_covered": "组织覆盖数",
    "work_covered": "工作覆盖数", "distance": "距离", "parent_id": "上级编号", "depth": "层次", "nodes": "节点", "length": "长度",
    "node": "实体", "n": "实体", "member_id": "党员编号", "member_name": "党员", "compound_id": "小区编号", "compound_name": "小区",
    "branch_id": "党组织编号", "branch_name": "党组织", "label": "类型", "group_id": "同乡村编号", "mobile_members": "流动党员数",
    "recruited": "发展党员数", "delegates": "党代表数", "orgs": "党组织数", "first_founded": "最早成立", "centers": "中心数",
    "year": "年份", "projects": "项目数", "claimed": "已认领",
}


def _column_zh(column: str) -> str:
    return COLUMN_ZH.get(column, column)


templates.env.filters.update(pct=_pct, num=_num, label_zh=label_zh, rel_zh=rel_zh, show=show_value, caption=caption,
                             qs=_query_string, column_zh=_column_zh)
templates.env.globals.update(style_of=style_of, COVERAGE_COLORS=COVERAGE_COLORS, TARGET_ZH=TARGET_ZH, MODE_ZH=MODE_ZH,
                             GAP_LIST_ZH=GAP_LIST_ZH, FACT_STATUS_ZH=FACT_STATUS_ZH)


def engine_of(request: Request) -> GraphEngine:
    engine: GraphEngine = request.app.state.engine
    return engine


def page(request: Request, template: str, /, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def not_found(request: Request, detail: str) -> HTMLResponse:
    return page(request, "not_found.html", status_code=404, detail=detail)


AsOf = Annotated[dt.date | None, Query(description="评估日期")]


# ------------------------------------------------------------------------------------ dashboard


def coverage_by_area(engine: GraphEngine, as_of: dt.date, level: answers.Level = "subdistrict",
                     subdistrict: str | None = None) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """Rows of (area, coverage per target), the totals per target and the district ids, at ``as_of``.

    Subdistricts come from the summary answer; for the communities of one subdistrict the catalog
    rows are filtered by their ``subdistrict_id``, so no id prefix is ever assumed.
    """
    areas: dict[str, dict[str, Any]] = {}
    totals: dict[str, dict[str, Any]] = {t: {"total": 0, "org": 0, "work": 0} for t in TARGETS}
    districts: set[str] = set()
    for target in TARGETS:
        params: dict[str, Any] = {"as_of": as_of}
        if target == "building":
            params["min_floors"] = 20
        for row in run_catalog(engine, answers.COVERAGE_QUERY[target], params):
            if subdistrict and row["subdistrict_id"] != subdistrict:
                continue
            area_id, area_name = row[f"{level}_id"], row[f"{level}_name"]
            districts.add(row["district_id"])
            area = areas.setdefault(area_id, {"id": area_id, "name": area_name, "subdistrict_id": row["subdistrict_id"],
                                              "subdistrict_name": row["subdistrict_name"],
                                              **{t: {"total": 0, "org": 0, "work": 0} for t in TARGETS}})
            for key, column in (("total", "total"), ("org", "organizational_covered"), ("work", "work_covered")):
                area[target][key] += row[column]
                totals[target][key] += row[column]
    cells = [area[t] for area in areas.values() for t in TARGETS] + list(totals.values())
    for cell in cells:
        cell["org_rate"] = answers.rate(cell["org"], cell["total"])
        cell["work_rate"] = answers.rate(cell["work"], cell["total"])
    return sorted(areas.values(), key=lambda a: a["id"]), totals, sorted(districts)


def chart_data(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What app.js hands to ECharts: area names and, per target, totals and covered counts."""
    return {"areas": [r["name"] for r in rows],
            "targets": {t: {"title": TARGET_ZH[t], "total": [r[t]["total"] for r in rows], "org": [r[t]["org"] for r in rows],
                            "work": [r[t]["work"] for r in rows]} for t in TARGETS}}


@router.get("/")
def dashboard(request: Request, as_of: AsOf = None) -> HTMLResponse:
    engine = engine_of(request)
    as_of = as_of or dataset_as_of(engine)
    rows, totals, districts = coverage_by_area(engine, as_of)
    return page(request, "dashboard.html", as_of=as_of, rows=rows, totals=totals, chart=chart_data(rows), targets=TARGETS,
                gap_lists=GAP_LIST_ZH, committee=district_committee(engine, districts))


def district_committee(engine: GraphEngine, districts: list[str]) -> dict[str, Any] | None:
    """The district committee (区委): the organization covering the district, for the link to the tree."""
    if not districts:
        return None
    around = run_catalog(engine, "neighbors_step", {"ids": districts})
    orgs = sorted((r["node"] for r in around if r["type"] == "COVERS" and r["node"].get("level") == "区委"), key=lambda n: n["id"])
    return orgs[0] if orgs else None


@router.get("/subdistricts/{subdistrict_id}")
def subdistrict(request: Request, subdistrict_id: str, as_of: AsOf = None) -> HTMLResponse:
    engine = engine_of(request)
    try:
        area = get_entity(engine, subdistrict_id)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    if area["label"] != "Subdistrict":
        return not_found(request, f"{subdistrict_id} 不是街道")
    as_of = as_of or dataset_as_of(engine)
    rows, totals, _ = coverage_by_area(engine, as_of, "community", subdistrict_id)
    return page(request, "subdistrict.html", area=area, as_of=as_of, rows=rows, totals=totals, chart=chart_data(rows),
                targets=TARGETS)


# ------------------------------------------------------------------------------------ gap lists


@router.get("/gaps")
def gap_page(
    request: Request,
    target: answers.Target = "compound",
    mode: typing.Literal["organizational", "work"] = "organizational",
    subdistrict: Annotated[str, Query(pattern=r"^(\d{9})?$")] = "",
    community: Annotated[str, Query(pattern=r"^(\d{12})?$")] = "",
    as_of: AsOf = None,
) -> HTMLResponse:
    engine = engine_of(request)
    as_of = as_of or dataset_as_of(engine)
    params: dict[str, Any] = {"as_of": as_of, "mode": mode, "subdistrict": subdistrict, "community": community}
    if target == "building":
        params["min_floors"] = 20
    rows = answers.gaps(engine, target, params)
    api_params = {"target": target, "mode": mode, "subdistrict": subdistrict, "community": community,
                  "as_of": as_of.isoformat(), "limit": 1000}
    return page(request, "gaps.html", target=target, mode=mode, subdistrict=subdistrict, community=community, as_of=as_of,
                rows=rows, api_params=api_params)


@router.get("/gaps/{name}")
def gap_list_page(request: Request, name: str, as_of: AsOf = None) -> HTMLResponse:
    if name not in GAP_LISTS:
        return not_found(request, f"没有名为 {name} 的缺口清单")
    engine = engine_of(request)
    as_of = as_of or dataset_as_of(engine)
    rows = mask_personal(run_catalog(engine, GAP_LISTS[name], {"as_of": as_of}))
    columns = list(rows[0]) if rows else []
    return page(request, "gap_list.html", name=name, title=GAP_LIST_ZH[name], as_of=as_of, rows=rows, columns=columns,
                api_params={"as_of": as_of.isoformat(), "limit": 1000})


# ------------------------------------------------------------------------------------ published facts


@router.get("/facts")
def facts_page(request: Request,
               status: Annotated[typing.Literal["", "agrees", "within_tolerance", "disagrees"], Query()] = "") -> HTMLResponse:
    engine = engine_of(request)
    rows = fact_display.for_page(engine, reconcile(engine))
    shown = [r for r in rows if r["status"] == status] if status else rows
    return page(request, "facts.html", rows=shown, total=len(rows), counts=fact_display.status_counts(rows), status=status,
                public={name: spec.title_zh for name, spec in PUBLIC.items()})


# ------------------------------------------------------------------------------------ entities


def entity_links(engine: GraphEngine, entity_id: str) -> tuple[list[dict[str, Any]], Counter[tuple[str, str]]]:
    """The entity's relationships, both directions: (relationship, direction, the node at the other end)."""
    links = []
    for row in run_catalog(engine, "neighbors_step", {"ids": [entity_id]}):
        node = row["node"]
        links.append({"type": row["type"], "outgoing": row["source"] == entity_id, "id": node["id"], "label": node["label"],
                      "caption": caption(node)})
    links.sort(key=lambda r: (r["type"], not r["outgoing"], r["label"], r["id"]))
    return links, Counter((r["type"], r["label"]) for r in links)


@router.get("/entities/{entity_id}")
def entity_page(request: Request, entity_id: str) -> HTMLResponse:
    engine = engine_of(request)
    try:
        node = get_entity(engine, entity_id)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    links, counts = entity_links(engine, entity_id)
    chain = answers.org_chain(engine, node) if node["label"] == "PartyOrg" else []
    # Reconciling runs every fact's query: only for an entity that facts describe (or a fact).
    facts = fact_display.facts_about(engine, entity_id) if any(t == "DESCRIBES" for t, _ in counts) else []
    return page(request, "entity.html", node=node, name=caption(node), kind=label_zh(node["label"]),
                properties=property_rows(node, skip=("label",)), links=links[:LINK_ROWS], link_total=len(links),
                link_counts=sorted(counts.items(), key=lambda kv: -kv[1]), chain=list(reversed(chain)), frame_limit=FRAME_LIMIT,
                facts=facts)


# ------------------------------------------------------------------------------------ search


def search_rows(engine: GraphEngine, q: str, limit: int, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    found = search_names(engine, q, SEARCHABLE, limit, offset)
    return found.rows, found.total


SearchText = Annotated[str, Query(max_length=50)]


@router.get("/search/results")
def search_results(request: Request, q: SearchText = "") -> HTMLResponse:
    """The live results under the search box (an htmx fragment)."""
    q = q.strip()
    rows, total = search_rows(engine_of(request), q, 10) if q else ([], 0)
    return page(request, "_search_results.html", q=q, rows=rows, total=total)


@router.get("/search")
def search_page(request: Request, q: SearchText = "", offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    q = q.strip()
    rows, total = search_rows(engine_of(request), q, 50, offset) if q else ([], 0)
    return page(request, "search.html", q=q, rows=rows, total=total, offset=offset, size=50)


# ------------------------------------------------------------------------------------ path finder


@router.get("/path")
def path_page(request: Request, source: SearchText = "", target: SearchText = "",
              max_length: PathMaxLength = 6) -> HTMLResponse:
    engine = engine_of(request)
    source, target = source.strip(), target.strip()
    error, found, ends = None, None, {}
    if source and target:
        try:
            ends = {"source": get_entity(engine, source), "target": get_entity(engine, target)}
        except NotFoundError as exc:
            error = str(exc)
        else:
            found = answers.shortest_path(engine, source, target, max_length) if source != target else None
    return page(request, "path.html", source=source, target=target, max_length=max_length, error=error, found=found,
                ends=ends, view_params={"source": source, "target": target, "max_length": max_length})


# ------------------------------------------------------------------------------------ query catalog


def form_fields(name: str) -> list[dict[str, Any]]:
    """One form control per parameter of a catalog query, from its parameter model."""
    fields = []
    for p in describe(name).parameters:
        kind, options = "text", []
        if p.type.startswith("Literal"):
            kind, options = "select", re.findall(r"'([^']*)'", p.type)
        elif "date" in p.type:
            kind = "date"
        elif p.type == "int":
            kind = "number"
        elif p.type.startswith("list"):
            kind = "list"
        default = p.default.isoformat() if isinstance(p.default, dt.date) else p.default
        fields.append({"name": p.name, "kind": kind, "options": options, "required": p.required,
                       "default": "" if default is None else default, "description": p.description or ""})
    return fields


def query_params(name: str, request: Request) -> dict[str, Any]:
    """The form's values as catalog parameters: blanks dropped (defaults apply), lists split at commas."""
    list_fields = {f["name"] for f in form_fields(name) if f["kind"] == "list"}
    raw: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        value = value.strip()
        if not value:
            continue
        if key in list_fields:
            raw.setdefault(key, []).extend(v.strip() for v in re.split(r"[,,]", value) if v.strip())
        else:
            raw[key] = value
    return raw


def run_for_page(engine: GraphEngine, name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Run a public query for a page: masked rows, or the reasons it could not run."""
    try:
        rows = mask_personal(run_catalog(engine, name, raw))
    except ValidationError as exc:
        return {"errors": [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]}
    except GraphError as exc:
        return {"errors": [str(exc)]}
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    return {"rows": rows[:TABLE_ROWS], "total": len(rows), "columns": columns,
            "download": _query_string({**raw, "limit": 1000})}


@router.get("/queries")
def catalog_page(request: Request) -> HTMLResponse:
    queries = [{"info": describe(name), "fields": form_fields(name)} for name in PUBLIC]
    return page(request, "queries.html", queries=queries)


@router.get("/queries/{name}")
def query_page(request: Request, name: str) -> HTMLResponse:
    if name not in PUBLIC:
        return not_found(request, f"查询目录中没有 {name}")
    raw = query_params(name, request)
    answer = run_for_page(engine_of(request), name, raw) if request.query_params else None
    return page(request, "query.html", query={"info": describe(name), "fields": form_fields(name)}, values=raw, answer=answer)


@router.get("/queries/{name}/rows")
def query_rows(request: Request, name: str) -> Response:
    """The answer table of one query (an htmx fragment)."""
    if name not in PUBLIC:
        return not_found(request, f"查询目录中没有 {name}")
    answer = run_for_page(engine_of(request), name, query_params(name, request))
    return page(request, "_query_rows.html", name=name, answer=answer)
