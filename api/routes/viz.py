"""Network views as HTML pages: ``/viz/ego/{id}``, ``/viz/hierarchy/{org_id}``, ``/viz/path``,
``/viz/coverage/{community_id}``, ``/viz/hometown/{group_id}``.

Each answer is one self-contained HTML document (vis-network inlined), so it can be opened alone,
framed by the entity page, or saved. Unknown ids are 404 problem+json, as everywhere in the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.deps import EngineDep
from api.problems import NotFoundError
from api.routes.common import PathMaxLength, PathSource, PathTarget
from api.routes.entities import get_entity, get_org
from graph import views
from graph.engine import GraphEngine
from queries import answers

router = APIRouter(prefix="/viz", tags=["views"], default_response_class=HTMLResponse)

IdPath = Annotated[str, Path(min_length=1, max_length=64, description="Graph-wide entity id.")]
Limit = Annotated[int, Query(ge=1, le=5000, description="Most nodes to draw; a bigger view is cut, with a notice.")]
HTML_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/html": {}}, "description": "The view, one self-contained HTML document"},
    404: {"description": "No such entity (problem+json)"},
    422: {"description": "Bad parameter (problem+json)"},
}


def _page(view: views.NetworkView) -> HTMLResponse:
    # Views are computed from the current data; caching them would show stale coverage.
    return HTMLResponse(view.html(), headers={"Cache-Control": "no-store"})


def _entity_of(engine: GraphEngine, entity_id: str, label: str, what: str) -> None:
    node = get_entity(engine, entity_id)
    if node["label"] != label:
        raise NotFoundError(f"{entity_id!r} is a {node['label']}, not {what}")


@router.get("/ego/{id}", summary="The ego network of an entity", responses=HTML_RESPONSES)
def ego(
    engine: EngineDep,
    id: IdPath,
    depth: Annotated[int, Query(ge=1, le=views.MAX_DEPTH, description="Steps from the entity (1-3).")] = 1,
    types: Annotated[list[answers.LabelName] | None, Query(description="Only these labels (repeat the parameter).")] = None,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
) -> HTMLResponse:
    get_entity(engine, id)
    return _page(views.ego_view(engine, id, depth=depth, types=types, limit=limit))


@router.get("/hierarchy/{org_id}", summary="An organization tree, top-down, with its cross-links", responses=HTML_RESPONSES)
def hierarchy(
    engine: EngineDep,
    org_id: IdPath,
    depth: Annotated[int, Query(ge=1, le=12, description="Levels below the organization.")] = 2,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
) -> HTMLResponse:
    get_org(engine, org_id)
    return _page(views.hierarchy_view(engine, org_id, depth=depth, limit=limit))


@router.get("/path", summary="A shortest path between two entities", responses=HTML_RESPONSES)
def path(
    engine: EngineDep,
    source: PathSource,
    target: PathTarget,
    max_length: PathMaxLength = 6,
) -> HTMLResponse:
    get_entity(engine, source)
    get_entity(engine, target)
    return _page(views.path_view(engine, source, target, max_length=max_length))


@router.get("/coverage/{community_id}", summary="A community's compounds and towers colored by coverage",
            responses=HTML_RESPONSES)
def coverage(
    engine: EngineDep,
    community_id: IdPath,
    as_of: Annotated[dt.date | None, Query(description="Evaluate at this date; default: the dataset's as-of date.")] = None,
    min_floors: Annotated[int, Query(ge=1, le=300, description="Buildings with at least this many floors.")] = 20,
    limit: Limit = views.DEFAULT_NODE_LIMIT,
) -> HTMLResponse:
    _entity_of(engine, community_id, "Community", "a community")
    return _page(views.coverage_view(engine, community_id, as_of=as_of, min_floors=min_floors, limit=limit))


@router.get("/hometown/{group_id}", summary="A hometown group with its members, compounds and branches",
            responses=HTML_RESPONSES)
def hometown(engine: EngineDep, group_id: IdPath, limit: Limit = views.DEFAULT_NODE_LIMIT) -> HTMLResponse:
    _entity_of(engine, group_id, "HometownGroup", "a hometown group")
    return _page(views.hometown_view(engine, group_id, limit=limit))
